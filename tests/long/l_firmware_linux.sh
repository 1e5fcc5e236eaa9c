#!/bin/bash
# Debian's kernel booted by SeaBIOS (--firmware) through fw_cfg: QEMU's
# linuxboot_dma option ROM reads setup, kernel, initrd and command line over
# the fw_cfg DMA interface, and the kernel decompresses itself in the guest.
# On a software KVM that decompressor runs in emulated ring 0, hence a
# `make check-long` test: here it was still decompressing (nothing after
# SeaBIOS's "Probing EDD ... ok") after 32 minutes of CPU time, and the
# kernel's own boot takes another 13 minutes or so after that.  The kernel
# finds both CPUs and the IOAPIC through the MADT minivmm hands SeaBIOS over
# fw_cfg (vmm/acpi_loader.c), whose RSDP SeaBIOS puts in the F segment; the
# MP table SeaBIOS builds itself is still found (acpi=off kernels use it).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

LOG=build/firmware-linux.log
ARGS=$LINUX_TEST_ARGS	# tests/lib/guest.sh, as t_linux_boot.sh

if ! have_kvm; then
	skip firmware_linux "no usable /dev/kvm"
	finish; exit
fi
if [ ! -r /usr/share/seabios/bios.bin ] || [ ! -r /usr/share/qemu/linuxboot_dma.bin ]; then
	skip firmware_linux "seabios or qemu-system-data missing"
	finish; exit
fi
mkdir -p build
run_guest "$LOG" 10800 'Run /init as init process' 15 -- \
	--firmware /usr/share/seabios/bios.bin -net none \
	-k images/out/bzImage -i images/out/initramfs.cpio \
	-c 2 -m 512M -v -a "$ARGS"
echo "boot took ${GUEST_SECONDS}s; log in $LOG"
expect_in seabios_banner 'SeaBIOS \(version' "$LOG"
expect_in linuxboot_rom_booted 'Booting from ROM' "$LOG"
expect_in linux_kernel_banner 'Linux version [0-9]' "$LOG"
expect_in linux_found_seabios_mp_table 'found SMP MP-table' "$LOG"
expect_in linux_found_acpi_in_fseg 'ACPI: RSDP 0x00000000000F' "$LOG"
expect_in linux_cpus_from_madt 'Using ACPI \(MADT\) for SMP configuration' "$LOG"
if grep -qE 'ACPI (BIOS )?Error' "$LOG"; then fail linux_no_acpi_errors "$(grep -m1 -E 'ACPI (BIOS )?Error' "$LOG")"
else pass linux_no_acpi_errors; fi
expect_in linux_two_cpus_up 'smp: Brought up 1 node, 2 CPUs' "$LOG"
expect_in linux_run_init 'Run /init as init process' "$LOG"
finish
