#!/bin/bash
# suite: background (a Linux boot takes many minutes; see tests/run-suite.sh)
# Boots Debian's stock kernel (images/out/bzImage, from linux-image-amd64)
# with the busybox initramfs from images/, two vCPUs and 512 MiB, the
# payload decompressed on the host, and checks what that one boot shows.
#
# Where guest userspace runs (hardware-backed KVM), /init prints markers
# with the CPU count and memory and powers off; the test asserts those and
# exit status 0.  On a software KVM (no vmx/svm: shared HOST-KVM.md) a
# guest's `syscall` never reaches ring 0, so /init dies at its first system
# call; there the test asserts the kernel's own milestones instead (both
# CPUs up, the memory size, "Run /init as init process") and says why.
#
# LINUX_BOOT_KERNEL picks the kernel (default images/out/bzImage); the
# nested test bed (tests/nested/) boots images/out/vmlinux with it, so the
# bare ELF path is covered too.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

KERNEL=${LINUX_BOOT_KERNEL:-images/out/bzImage}
# Uncompressed: the kernel's gunzip runs in (emulated) ring 0.
INITRD=images/out/initramfs.cpio
LOG=build/linux-boot.log
# Arguments that only make a test boot cheaper; minivmm itself adds the
# host-specific ones (noxsave, clearcpuid=...) on a software KVM.
# preempt=full lets stop_machine preempt a long init work item instead of
# stalling the other CPU; nowatchdog drops the soft-lockup reports such slow
# ring-0 code provokes.  initcall_blacklist skips initcalls that boots
# here with initcall_debug showed cost minutes and that a test boot does
# not need: two background jobs of the tracing code that hold locks
# init_kprobe_trace then waits on for about 7 minutes (ftrace's scan of
# its 40,000 records for weak functions, and trace_eval_init's rewrite of
# every trace event's format), and the kdf108 and BLAKE2s self-tests that
# cryptomgr.notests leaves on.
ARGS=$LINUX_TEST_ARGS	# tests/lib/guest.sh

if ! have_kvm; then
	skip linux_boot "no usable /dev/kvm"
	finish; exit
fi
mkdir -p build
# 770 s alone on the 2-core CI machine, which the other tests share: a boot
# next to a CPU-heavy run took over 1500 s (time-out before Run /init).
# There the run is stopped 15 s after "Run /init"; where userspace runs,
# /init powers off by itself and its exit status is part of the test.
STOP='Run /init as init process'
software_kvm || STOP=
run_guest "$LOG" 2100 "$STOP" 15 -- \
	-k "$KERNEL" -i "$INITRD" -c 2 -m 512M -v -a "$ARGS"
echo "boot took ${GUEST_SECONDS}s to 'Run /init' (or to the end); log in $LOG"

expect_in linux_kernel_banner 'Linux version [0-9]' "$LOG"
expect_in linux_cmdline_has_console 'Command line: console=ttyS0' "$LOG"
expect_in linux_found_mp_table 'found SMP MP-table' "$LOG"
expect_in linux_e820_512M 'BIOS-e820: \[mem 0x0000000000100000-0x000000001fffffff\] usable' "$LOG"
expect_in linux_memory_512M 'Memory: [0-9]+K/52[0-9]{4}K available' "$LOG"
expect_in linux_two_cpus_up 'smp: Brought up 1 node, 2 CPUs' "$LOG"
# The IRQ number is Linux's own: 4 with the 8259, a dynamic one (24 and
# up) once hardware-reduced ACPI has dropped it.
expect_in linux_serial_16550A 'ttyS0 at I/O 0x3f8 \(irq = [0-9]+, base_baud = 115200\) is a 16550A' "$LOG"
expect_in linux_found_acpi 'ACPI: RSDP 0x00000000000F8000' "$LOG"
# The hypervisor bit (vmm/cpuid.c): Linux finds KVM's leaves and kvm-clock.
expect_in linux_detected_kvm 'Hypervisor detected: KVM' "$LOG"
expect_in linux_uses_kvm_clock 'clocksource: kvm-clock' "$LOG"
expect_in linux_unpacked_initramfs 'Freeing initrd memory|Trying to unpack rootfs' "$LOG"
expect_in linux_run_init 'Run /init as init process' "$LOG"

if software_kvm; then
	skip linux_userspace_markers "this host's KVM is software (no vmx/svm): a guest's syscall does not enter ring 0, so /init cannot run (docs/HOST-KVM.md); the markers are checked where KVM is hardware-backed"
	# The fallback's counts, printed at exit with -v.
	expect_in emulation_fallback_counts 'exits: io [0-9]+, mmio [0-9]+, emulation fallback [0-9]+' "$LOG"
else
	expect_in linux_init_marker 'MINIVMM-INIT-OK' "$LOG"
	expect_in linux_init_cpus 'MINIVMM-CPUS=2 ' "$LOG"
	expect_in linux_init_memory 'MINIVMM-MEM-KB=4[0-9]{5}' "$LOG"
	if [ "$GUEST_STATUS" = 0 ]; then pass linux_poweroff_status_0
	else fail linux_poweroff_status_0 "status $GUEST_STATUS"; fi
fi
grep -E 'emulated:|exits:' "$LOG" | sed 's/\r$//'
finish
