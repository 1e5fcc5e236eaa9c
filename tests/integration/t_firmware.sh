#!/bin/bash
# Firmware boots: SeaBIOS (Debian's bios.bin) under minivmm --firmware.
#
# One boot, about 15-25 s here: SeaBIOS prints its banner on the serial
# console (fw_cfg etc/sercon-port), finds the virtio-net card and runs the
# iPXE virtio option ROM's initialisation from the card's ROM BAR (iPXE's
# banner), then boots a 1 MiB disk image built here from virtio-blk: its
# MBR prints a marker on COM1, reads LBA 1 through int 13h (virtio-blk
# again), prints the marker found there and writes 42 to the test exit port.
#
# A second boot with no disk lets iPXE start from its ROM (BEV) and run its
# DHCP over slirp.  On this host's software KVM that stops at a 32-bit iret
# the fallback cannot complete yet (see the report in the skip line); where
# KVM is hardware-backed the lease is checked.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

BIOS=/usr/share/seabios/bios.bin
ROM=/usr/lib/ipxe/qemu/pxe-virtio.rom
WORK=build/t_firmware
mkdir -p "$WORK"

if ! have_kvm; then
	skip firmware "no usable /dev/kvm"
	finish; exit
fi
for f in "$BIOS" "$ROM"; do
	if [ ! -r "$f" ]; then
		skip firmware "$f missing (scripts/deps.sh installs seabios, ipxe-qemu)"
		finish; exit
	fi
done

# The MBR: 16-bit code at 0x7c00, assembled with GNU as.
cat > "$WORK/mbr.S" <<'EOF'
	.code16
	.globl _start
_start:
	cli
	xor %ax, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	mov $0x7c00, %sp
	push %dx		/* DL: the drive the BIOS booted from */
	mov $msg, %si
	call print
	mov $0x0201, %ax	/* int 13h: read one sector */
	mov $0x0002, %cx	/* cylinder 0, sector 2: LBA 1 */
	pop %dx
	xor %dh, %dh		/* head 0 */
	mov $0x8000, %bx	/* to 0000:8000 */
	int $0x13
	jc failed
	mov $0x8000, %si
	call print
	mov $42, %al
	out %al, $0xf4		/* test exit port: status 42 */
hang:	hlt
	jmp hang
failed:	mov $fail, %si
	call print
	mov $1, %al
	out %al, $0xf4
	jmp hang
print:	mov $0x3f8, %dx		/* straight to COM1 */
1:	lodsb
	test %al, %al
	jz 2f
	out %al, %dx
	jmp 1b
2:	ret
msg:	.asciz "\r\nMINIVMM-MBR-OK\r\n"
fail:	.asciz "MINIVMM-INT13-FAILED\r\n"
	.org 510
	.byte 0x55, 0xaa
EOF
if ! as --32 -o "$WORK/mbr.o" "$WORK/mbr.S" ||
   ! ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$WORK/mbr.bin" "$WORK/mbr.o"; then
	fail firmware_build_mbr "as/ld failed"
	finish; exit
fi
python3 - "$WORK/mbr.bin" "$WORK/disk.img" <<'EOF'
import sys
mbr = open(sys.argv[1], 'rb').read()
assert len(mbr) == 512 and mbr[510:] == b'\x55\xaa'
lba1 = b'MINIVMM-LBA1-OK\r\n\0'.ljust(512, b'\0')
with open(sys.argv[2], 'wb') as f:
    f.write(mbr + lba1)
    f.truncate(1 << 20)	# 2048 sectors: SeaBIOS needs a cylinder or more
EOF

LOG=$WORK/disk-boot.log
run_guest "$LOG" 120 'MINIVMM-LBA1-OK|MINIVMM-INT13-FAILED' 5 -- \
	--firmware "$BIOS" -d "$WORK/disk.img,ro" -v
echo "disk boot: ${GUEST_SECONDS}s to the LBA 1 marker; log in $LOG"
expect_in seabios_banner 'SeaBIOS \(version [0-9.]+' "$LOG"
expect_in seabios_found_virtio_net_rom 'option ROM .*pxe-virtio.rom .* on PCI slot' "$LOG"
expect_in ipxe_rom_initialised 'iPXE \(http://ipxe.org\) 00:0[0-9]\.0 ' "$LOG"
expect_in seabios_boots_hard_disk 'Booting from Hard Disk' "$LOG"
expect_in mbr_ran 'MINIVMM-MBR-OK' "$LOG"
expect_in int13_read_lba1_through_virtio_blk 'MINIVMM-LBA1-OK' "$LOG"
expect_in virtio_blk_counted_two_reads 'reads 2 \(1024 bytes\)' "$LOG"
if [ "$GUEST_STATUS" = 42 ]; then pass mbr_exit_status_42
else fail mbr_exit_status_42 "status $GUEST_STATUS"; fi

# No disk: iPXE boots from its ROM and asks slirp for a lease.
LOG=$WORK/ipxe-boot.log
run_guest "$LOG" 150 'net0: 10\.0\.2\.15|KVM emulation failure' 3 -- \
	--firmware "$BIOS" -vv
echo "iPXE boot: ${GUEST_SECONDS}s; log in $LOG"
expect_in ipxe_started_from_rom 'iPXE \(PCI 00:0[0-9]\.0\) starting execution' "$LOG"
if grep -q 'net0: 10\.0\.2\.15' "$LOG"; then
	pass ipxe_dhcp_lease_from_slirp
elif software_kvm && grep -q 'KVM emulation failure' "$LOG"; then
	first=$(grep -m1 -oE 'emulate: .* raised exception [0-9]+ \(error 0x[0-9a-f]+\)' "$LOG")
	last=$(grep -m1 -oE 'unknown instruction at rip 0x[0-9a-f]+: [0-9a-f ]+' "$LOG")
	skip ipxe_dhcp_lease_from_slirp "software KVM (no vmx/svm, HOST-KVM.md): after iPXE's banner, ${first:-a 32-bit iret faults}: the stack holds no interrupt frame, so the fallback's iret delivers #GP; iPXE then ends in real mode on ${last:-an instruction the host cannot emulate}; runs where KVM is hardware-backed"
else
	fail ipxe_dhcp_lease_from_slirp "no 'net0: 10.0.2.15' in $LOG"
fi
finish
