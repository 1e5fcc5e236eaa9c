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
# Then iPXE, twice: from the card's ROM (no disk; slirp's DHCP names a
# script with bootfile=) and as ipxe.lkrn given with -k (the script as its
# initrd).  Each gets a lease from slirp and fetches an ELF over HTTP from a
# python3 server on the host's loopback, which checks its own bytes.  About
# one and three minutes here: iPXE runs in emulated ring 0, and ipxe.lkrn
# first unpacks itself there.  On this host every return from an interrupt
# in iPXE goes through the fallback's misplaced-frame recovery
# (docs/HOST-KVM.md); the test checks it was used.
#
# Last, the ROM again on a tap in a namespace of its own, with dnsmasq and
# the server there, and the tap's checksum and TSO offloads forced on
# (build/minivmm-force-offloads): iPXE accepts neither, so minivmm must
# hand it whole, checksummed frames.  Skipped without root.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh
. tests/lib/http.sh
. tests/lib/netns.sh

BIOS=/usr/share/seabios/bios.bin
ROM=/usr/lib/ipxe/qemu/pxe-virtio.rom
WORK=build/t_firmware
mkdir -p "$WORK"

if ! have_kvm; then
	skip firmware "no usable /dev/kvm"
	finish; exit
fi
for f in "$BIOS" "$ROM" /usr/lib/ipxe/ipxe.lkrn; do
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

# ---- iPXE: a DHCP lease from slirp, then a file over HTTP from the host ---
# The file is tests/guests/http_payload.S: an ELF iPXE boots, with 128 KiB
# of fresh random bytes and their sums, which re-sums what arrived and
# prints OK or BAD (exit status 42 or 1).  The checker is run directly
# first, on a good and on a corrupted copy, so a pass means something.
WWW=$WORK/www
rm -rf "$WWW" && mkdir -p "$WWW"
python3 - "$WORK" <<'PY'
import os, struct, sys
data = os.urandom(128 * 1024)
a = b = 0
for (w,) in struct.iter_unpack('<I', data):
    a = (a + w) & 0xffffffff
    b = (b + a) & 0xffffffff
open(sys.argv[1] + '/data.bin', 'wb').write(data)
open(sys.argv[1] + '/sums.S', 'w').write(
    '.equ WORDS, %d\n.equ SUM_A, %#x\n.equ SUM_B, %#x\n' % (len(data) // 4, a, b))
PY
if ! cc -m32 -c -I. -Wa,-I"$WORK" -o "$WORK/payload.o" tests/guests/http_payload.S ||
   ! ld -m elf_i386 -T tests/guests/elf32.ld --no-warn-rwx-segments \
	-o "$WWW/payload.elf" "$WORK/payload.o" ||
   ! objcopy -O elf64-x86-64 "$WWW/payload.elf" "$WORK/payload64.elf"; then
	fail http_payload_build "cc/ld/objcopy failed"
	finish; exit
fi
python3 - "$WORK/payload64.elf" "$WORK/payload64-bad.elf" <<'PY'
import sys
img = bytearray(open(sys.argv[1], 'rb').read())
img[-4096] ^= 0x01	# one bit, inside the random bytes
open(sys.argv[2], 'wb').write(img)
PY
for v in good:42:OK bad:1:BAD; do
	IFS=: read -r which want word <<<"$v"
	f=$WORK/payload64.elf; [ "$which" = bad ] && f=$WORK/payload64-bad.elf
	timeout 60 "$MINIVMM" -k "$f" -m 16M -net none </dev/null >"$WORK/payload-$which.log" 2>&1
	st=$?
	if [ "$st" = "$want" ] && grep -q "MINIVMM-HTTP-PAYLOAD-$word" "$WORK/payload-$which.log"; then
		pass "http_payload_checker_says_${word}_on_$which"
	else
		fail "http_payload_checker_says_${word}_on_$which" "status $st; $WORK/payload-$which.log"
	fi
done

PORT=$(free_port)
# Servers to stop at the end, and the namespace the tap case may create.
SERVERS=()
trap 'stop_http "${SERVERS[@]}"; netns_teardown' EXIT
start_http "$WWW" "$WORK/http.log" 127.0.0.1 "$PORT"
r=$?
SERVERS+=("$HTTP_PID")
if [ $r != 0 ]; then
	fail ipxe_http_server "python3 http.server did not start on 127.0.0.1:$PORT"
	finish; exit
fi
URL=http://10.0.2.2:$PORT
for name in rom lkrn; do
	printf '#!ipxe\necho MINIVMM-SCRIPT-%s\n%becho MINIVMM-LEASE ${net0/ip}\nchain %s/payload.elf\n' \
		"$name" "$([ $name = lkrn ] && echo 'dhcp\n')" "$URL" >"$WWW/$name.ipxe"
done

# ipxe_fetch NAME ARGS...: boots, then checks lease, script, payload.
ipxe_fetch() {
	local name=$1 log=$WORK/ipxe-$1.log frames
	shift
	run_guest "$log" 420 'MINIVMM-HTTP-PAYLOAD-(OK|BAD)|KVM emulation failure' 3 -- \
		--firmware "$BIOS" -v "$@"
	echo "iPXE ($name): ${GUEST_SECONDS}s to the payload's verdict; log in $log"
	expect_in "ipxe_${name}_ran_its_script" "MINIVMM-SCRIPT-$name" "$log"
	expect_in "ipxe_${name}_dhcp_lease_from_slirp" 'MINIVMM-LEASE 10\.0\.2\.15' "$log"
	expect_in "ipxe_${name}_http_payload_intact" 'MINIVMM-HTTP-PAYLOAD-OK' "$log"
	if [ "$GUEST_STATUS" = 42 ]; then pass "ipxe_${name}_payload_exit_status_42"
	else fail "ipxe_${name}_payload_exit_status_42" "status $GUEST_STATUS"; fi
	# On this host's KVM every return from an interrupt in iPXE needs the
	# fallback's misplaced-frame recovery (docs/HOST-KVM.md).
	if software_kvm; then
		frames=$(grep -oE 'iret frames at ESP +[0-9]+' "$log" | grep -oE '[0-9]+$')
		if [ "${frames:-0}" -gt 0 ]; then pass "ipxe_${name}_irets_recovered" "$frames"
		else fail "ipxe_${name}_irets_recovered" "no 'iret frames at ESP' count in $log"; fi
	fi
}

# The ROM: SeaBIOS boots the card's iPXE ROM (no disk), slirp's DHCP names
# the script (bootfile=), iPXE fetches and runs it.
ipxe_fetch rom -net "slirp,bootfile=$URL/rom.ipxe"
expect_in ipxe_rom_started_from_rom 'iPXE \(PCI 00:0[0-9]\.0\) starting execution' "$WORK/ipxe-rom.log"
expect_in ipxe_rom_got_bootfile_from_dhcp "Filename: $URL/rom.ipxe" "$WORK/ipxe-rom.log"
# ipxe.lkrn from Debian's ipxe package, through SeaBIOS's Linux loader, with
# the script as its initrd (iPXE runs an image it is handed).
ipxe_fetch lkrn -k /usr/lib/ipxe/ipxe.lkrn -i "$WWW/lkrn.ipxe"
n=$(grep -c 'GET /payload.elf HTTP/1.1" 200' "$WORK/http.log")
if [ "$n" = 2 ]; then pass http_server_sent_payload_twice
else fail http_server_sent_payload_twice "$n GETs in $WORK/http.log"; fi

# ---- iPXE on a tap, the host kernel's offloads forced on ------------------
# iPXE accepts neither GUEST_CSUM nor GUEST_TSO, so every frame it gets must
# be whole and fully checksummed, and iPXE checks TCP sums itself.  Here
# build/minivmm-force-offloads keeps the tap's CSUM/TSO on regardless, so
# the kernel hands minivmm partial checksums and 64 KiB TCP segments from
# the server, and the device's receive fixup must finish each one for iPXE.
# In a namespace of its own (tests/lib/netns.sh): dnsmasq names the script.
tap_case() {
	local log=$WORK/ipxe-tap.log port fixed lease r
	if ! make -s --no-print-directory build/minivmm-force-offloads >"$WORK/variant.log" 2>&1; then
		fail ipxe_tap_build "make build/minivmm-force-offloads failed: $WORK/variant.log"
		return
	fi
	port=$(free_port)
	NETNS_DHCP_BOOT=http://$NETNS_HOST_IP:$port/tap.ipxe
	if ! netns_setup 2>"$WORK/netns.err"; then
		skip ipxe_tap "$(cat "$WORK/netns.err")"
		return
	fi
	printf '#!ipxe\necho MINIVMM-SCRIPT-tap\necho MINIVMM-LEASE ${net0/ip}\nchain http://%s:%s/payload.elf\n' \
		"$NETNS_HOST_IP" "$port" >"$WWW/tap.ipxe"
	start_http "$WWW" "$WORK/http-tap.log" "$NETNS_HOST_IP" "$port" ip netns exec "$NETNS"
	r=$?
	SERVERS+=("$HTTP_PID")
	if [ $r != 0 ]; then
		fail ipxe_tap_http_server "python3 http.server did not start in $NETNS"
		return
	fi
	MINIVMM=ip run_guest "$log" 420 'MINIVMM-HTTP-PAYLOAD-(OK|BAD)|KVM emulation failure' 3 -- \
		netns exec "$NETNS" build/minivmm-force-offloads --firmware "$BIOS" -v -net "$NETNS_TAP"
	echo "iPXE (tap): ${GUEST_SECONDS}s to the payload's verdict; log in $log"
	expect_in ipxe_tap_ran_its_script 'MINIVMM-SCRIPT-tap' "$log"
	lease=$(netns_lease_ip 52:54:00:12:34:56)
	if [ -n "$lease" ] && grep -q "MINIVMM-LEASE $lease" "$log"; then
		pass ipxe_tap_dhcp_lease_from_dnsmasq "$lease"
	else
		fail ipxe_tap_dhcp_lease_from_dnsmasq "dnsmasq leased '${lease}'; $log"
	fi
	expect_in ipxe_tap_http_payload_intact 'MINIVMM-HTTP-PAYLOAD-OK' "$log"
	if [ "$GUEST_STATUS" = 42 ]; then pass ipxe_tap_payload_exit_status_42
	else fail ipxe_tap_payload_exit_status_42 "status $GUEST_STATUS"; fi
	# A fixup happens only for a frame the guest did not accept as it
	# came (virtio_net_rx.c): these are iPXE's refusals, carried out.
	fixed=$(sed -nE 's/^ *rx [0-9]+ packets [0-9]+ bytes, ([0-9]+) fixed up in software.*/\1/p' "$log")
	if [ "${fixed:-0}" -gt 0 ]; then pass ipxe_tap_rx_frames_fixed_up_for_ipxe "$fixed"
	else fail ipxe_tap_rx_frames_fixed_up_for_ipxe "no receive fixups counted in $log"; fi
}
tap_case
finish
