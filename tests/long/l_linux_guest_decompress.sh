#!/bin/bash
# The same boot as tests/integration/t_linux_boot.sh, but through the
# kernel's own decompressor (--guest-decompress): the path every other
# monitor takes.  On a software KVM the decompressor runs in emulated ring 0
# and takes the better part of an hour, so this is a `make check-long` test.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

LOG=build/linux-boot-guest-decompress.log
ARGS="cryptomgr.notests mitigations=off audit=0 rodata=off"

if ! have_kvm; then
	skip linux_boot_guest_decompress "no usable /dev/kvm"
	finish; exit
fi
mkdir -p build
run_guest "$LOG" 5400 'Run /init as init process' 15 -- \
	--guest-decompress -k images/out/bzImage -i images/out/initramfs.cpio.gz \
	-c 2 -m 512M -v -a "$ARGS"
echo "boot through in-guest decompression took ${GUEST_SECONDS}s to 'Run /init'"
expect_in guest_decompress_banner 'Linux version [0-9]' "$LOG"
expect_in guest_decompress_two_cpus 'smp: Brought up 1 node, 2 CPUs' "$LOG"
expect_in guest_decompress_run_init 'Run /init as init process' "$LOG"
# No tsc_early_khz here: the TSC's rate comes from kvm-clock (the
# hypervisor bit, vmm/cpuid.c), where a PIT calibration can fail.
expect_in guest_decompress_kvm_clock 'kvm-clock' "$LOG"
finish
