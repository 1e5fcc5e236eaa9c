#!/bin/bash
# The CI contract with a stock guest (issue 12): Debian's kernel and the
# busybox initramfs from images/ end a run, and minivmm's exit status alone
# says how.  One boot per case:
#   -c 2, quiet                       /init's `poweroff -f` (ACPI S5): 0,
#                                     within seconds of /init's last line
#   panic=-1 minivmm.end=panic        sysrq-c panic, pvpanic-pci loaded: 3
#                                     (before the panic=-1 reboot makes 0)
#   --timeout 30, minivmm.end=hang    sleeps forever: 124 after about 30 s
#   -c 4 (not quiet)                  4 CPUs found through the MADT, and no
#                                     "ACPI Error"/"ACPI BIOS Error" line
#   acpi=off                          boots through the MP table, ends with
#                                     `reboot -f`: 0
#   --firmware (SeaBIOS), quiet       the tables reach the kernel over fw_cfg
#                                     and SeaBIOS: poweroff 0
# Needs guest userspace, so a hardware-style KVM: on a software KVM (no
# vmx/svm, docs/HOST-KVM.md) it skips, with the reason; the nested test bed
# (tests/nested) runs it on one.  $LINUX_EXTRA_ARGS (tests/lib/guest.sh)
# reaches every boot; LINUX_CI_KERNEL picks another kernel (images/out/vmlinux).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

KERNEL=${LINUX_CI_KERNEL:-images/out/bzImage}
INITRD=images/out/initramfs.cpio
LOG=build/linux-ci-exits.log
ARGS=$LINUX_TEST_ARGS

if ! have_kvm; then
	skip linux_ci_exits "no usable /dev/kvm"
	finish; exit
fi
if software_kvm; then
	skip linux_ci_exits "this host's KVM is software (no vmx/svm): a guest's syscall does not enter ring 0, so /init cannot run to power off or panic (docs/HOST-KVM.md); the nested test bed runs this"
	finish; exit
fi
make -s minivmm && make -s -C images >/dev/null || {
	fail linux_ci_exits_build "cannot build minivmm or images/out"; finish; exit; }
mkdir -p build

# status NAME WANT: checks the last run's status.
status() {
	if [ "$GUEST_STATUS" = "$2" ]; then pass "$1" "${GUEST_SECONDS}s"
	else fail "$1" "status $GUEST_STATUS, want $2 (log $3)"; fi
}
# no_acpi_errors NAME LOG
no_acpi_errors() {
	if grep -qE 'ACPI (BIOS )?Error' "$2"; then
		fail "$1" "$(grep -m 3 -E 'ACPI (BIOS )?Error' "$2" | tr '\r\n' '  ')"
	else pass "$1"; fi
}

# 1. poweroff: exits 0 at most 30 s after /init's last line.
L=$LOG.poweroff
run_guest "$L" 600 'MINIVMM-DONE' 30 -- -k "$KERNEL" -i "$INITRD" -c 2 -m 512M \
	-net none -a "$ARGS quiet"
status poweroff_exits_0 0 "$L"
expect_in poweroff_init_ran 'MINIVMM-CPUS=2 ' "$L"

# 2. panic: pvpanic's event, then status 3 (panic=-1 would reboot: 0).
L=$LOG.panic
run_guest "$L" 600 'MINIVMM-PANIC' 30 -- -k "$KERNEL" -i "$INITRD" -m 512M \
	-net none -a "$ARGS quiet panic=-1 minivmm.end=panic"
status panic_exits_3 3 "$L"
expect_in panic_one_line '^minivmm: guest kernel panicked \(pvpanic' "$L"

# 3. hang: --timeout 30 ends it with 124, after about 30 s.
L=$LOG.hang
start=$(date +%s)
run_guest "$L" 120 '' 0 -- --timeout 30 -k "$KERNEL" -i "$INITRD" -m 512M \
	-net none -a "$ARGS quiet minivmm.end=hang"
took=$(( $(date +%s) - start ))
status hang_timeout_exits_124 124 "$L"
if [ "$took" -ge 30 ] && [ "$took" -le 36 ]; then pass hang_stopped_after_30s "${took}s"
else fail hang_stopped_after_30s "${took}s"; fi
if grep -q MINIVMM-HANG "$L"; then pass hang_reached_init_sleep
else skip hang_reached_init_sleep "the boot took longer than 30 s here: the time-out still ended it"; fi

# 4. four CPUs through the MADT, and a clean ACPI boot log.
L=$LOG.cpus
run_guest "$L" 600 'MINIVMM-DONE' 30 -- -k "$KERNEL" -i "$INITRD" -c 4 -m 512M \
	-net none -a "$ARGS"
status four_cpus_exits_0 0 "$L"
expect_in four_cpus_acpi_madt 'Using ACPI \(MADT\) for SMP configuration' "$L"
expect_in four_cpus_up 'smp: Brought up 1 node, 4 CPUs' "$L"
expect_in four_cpus_in_init 'MINIVMM-CPUS=4 ' "$L"
expect_in acpi_fadt_found 'ACPI: FACP .*MINIVM' "$L"
no_acpi_errors no_acpi_errors "$L"

# 5. acpi=off: the MP table still describes the machine.
L=$LOG.acpi-off
run_guest "$L" 600 'MINIVMM-DONE' 30 -- -k "$KERNEL" -i "$INITRD" -c 2 -m 512M \
	-net none -a "$ARGS acpi=off"
status acpi_off_exits_0 0 "$L"
expect_in acpi_off_mp_table 'found SMP MP-table' "$L"
expect_in acpi_off_two_cpus 'MINIVMM-CPUS=2 ' "$L"

# 6. through SeaBIOS: the same tables, handed over fw_cfg.
L=$LOG.firmware
if [ -r /usr/share/seabios/bios.bin ] && [ -r /usr/share/qemu/linuxboot_dma.bin ]; then
	run_guest "$L" 600 'MINIVMM-DONE' 30 -- --firmware /usr/share/seabios/bios.bin \
		-k "$KERNEL" -i "$INITRD" -c 2 -m 512M -net none -a "$ARGS quiet"
	status firmware_poweroff_exits_0 0 "$L"
	expect_in firmware_two_cpus 'MINIVMM-CPUS=2 ' "$L"
else
	skip firmware_poweroff_exits_0 "seabios or qemu-system-data missing"
fi
finish
