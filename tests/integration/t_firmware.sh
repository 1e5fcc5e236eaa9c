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
# Then iPXE from the card's ROM (no disk; slirp's DHCP names a script with
# bootfile=): it gets a lease from slirp and fetches an ELF over HTTP from a
# python3 server on the host's loopback, which checks its own bytes (about a
# minute here: iPXE runs in emulated ring 0).  On this host every return
# from an interrupt in iPXE goes through the fallback's misplaced-frame
# recovery (docs/HOST-KVM.md); the test checks it was used.  ipxe.lkrn
# given with -k does the same in tests/long/l_ipxe_lkrn.sh (three minutes
# here: it first unpacks itself in emulated ring 0).
#
# Last, the ROM again on a tap in a namespace of its own, with dnsmasq and
# the server there, and the tap's checksum and TSO offloads forced on
# (build/minivmm-force-offloads): iPXE accepts neither, so minivmm must
# hand it whole, checksummed frames.  Skipped without root.
#
# And the ROM over -net passt, in a routed namespace (passt_case below).
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh
. tests/lib/http.sh
. tests/lib/netns.sh
. tests/lib/ipxe.sh

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

# ---- iPXE: a DHCP lease from slirp, then a file over HTTP from the host ---
# tests/lib/ipxe.sh: the payload (checked first on a good and a corrupted
# copy), the scripts, and the checks of one iPXE boot.
WWW=$WORK/www
# Servers to stop at the end, and the namespace the tap case may create.
SERVERS=()
trap 'stop_http "${SERVERS[@]}"; netns_teardown; passt_ns_teardown' EXIT
ipxe_serve "$WORK" "$WWW" || { finish; exit; }
URL=http://10.0.2.2:$PORT
ipxe_script rom "$URL" >"$WWW/rom.ipxe"

# The ROM: SeaBIOS boots the card's iPXE ROM (no disk), slirp's DHCP names
# the script (bootfile=), iPXE fetches and runs it.
ipxe_fetch rom "$WORK/ipxe-rom.log" '10\.0\.2\.15' -net "slirp,bootfile=$URL/rom.ipxe"
expect_in ipxe_rom_started_from_rom 'iPXE \(PCI 00:0[0-9]\.0\) starting execution' "$WORK/ipxe-rom.log"
expect_in ipxe_rom_got_bootfile_from_dhcp "Filename: $URL/rom.ipxe" "$WORK/ipxe-rom.log"
expect_in http_server_sent_payload 'GET /payload.elf HTTP/1.1" 200' "$WORK/http.log"

# ---- iPXE on a tap, the host kernel's offloads forced on ------------------
# iPXE accepts neither GUEST_CSUM nor GUEST_TSO, so every frame it gets must
# be whole and fully checksummed, and iPXE checks TCP sums itself.  Here
# build/minivmm-force-offloads keeps the tap's CSUM/TSO on regardless, so
# the kernel hands minivmm partial checksums and 64 KiB TCP segments from
# the server, and the device's receive fixup must finish each one for iPXE.
# In a namespace of its own (tests/lib/netns.sh): dnsmasq names the script.
tap_case() {
	local log=$WORK/ipxe-tap.log port fixed lease
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
	ipxe_script tap "http://$NETNS_HOST_IP:$port" >"$WWW/tap.ipxe"
	if ! serve "$WWW" "$WORK/http-tap.log" "$NETNS_HOST_IP" "$port" ip netns exec "$NETNS"; then
		fail ipxe_tap_http_server "python3 http.server did not start in $NETNS"
		return
	fi
	# The lease iPXE reports must be one from dnsmasq's range (10.77.0.50-99),
	# and then the very one in dnsmasq's lease file.
	MINIVMM=ip ipxe_fetch tap "$log" '10\.77\.0\.([5-9][0-9])' \
		netns exec "$NETNS" build/minivmm-force-offloads -net "$NETNS_TAP"
	lease=$(netns_lease_ip 52:54:00:12:34:56)
	if [ -n "$lease" ] && grep -q "MINIVMM-LEASE $lease\b" "$log"; then
		pass ipxe_tap_lease_is_dnsmasqs "$lease"
	else
		fail ipxe_tap_lease_is_dnsmasqs "dnsmasq leased '${lease}'; $log"
	fi
	# A fixup happens only for a frame the guest did not accept as it
	# came (virtio_net_rx.c): these are iPXE's refusals, carried out.
	fixed=$(sed -nE 's/^ *rx [0-9]+ packets [0-9]+ bytes, ([0-9]+) fixed up in software.*/\1/p' "$log")
	if [ "${fixed:-0}" -gt 0 ]; then pass ipxe_tap_rx_frames_fixed_up_for_ipxe "$fixed"
	else fail ipxe_tap_rx_frames_fixed_up_for_ipxe "no receive fixups counted in $log"; fi
}
tap_case

# ---- iPXE over passt ----------------------------------------------------------
# The ROM again, on -net passt in a routed namespace of its own
# (tests/lib/netns.sh: $PASST_NS), the server on that namespace's 127.0.0.1,
# which the guest reaches at passt's gateway address.  passt's DHCP names
# no boot file, so the script is typed at iPXE's prompt (ipxe_type): its own
# "dhcp", then a chain to the script.  passt takes and gives only whole
# frames (tx_caps 0): iPXE, which accepts no offload and verifies every TCP
# checksum itself, must get its lease and the payload intact; the frames
# the device completed for it are counted (none are expected: passt sends
# no partial checksums, and iPXE sends none).
passt_case() {
	local log=$WORK/ipxe-passt.log fifo=$WORK/ipxe-passt.in port typist rx fixed
	if ! passt_ns_setup; then
		skip ipxe_passt "$PASST_NS_SKIP"
		return
	fi
	port=$(free_port)
	ipxe_script passt "http://$PASST_NS_GW:$port" >"$WWW/passt.ipxe"
	if ! serve "$WWW" "$WORK/http-passt.log" 127.0.0.1 "$port" ip netns exec "$PASST_NS"; then
		fail ipxe_passt_http_server "python3 http.server did not start in $PASST_NS"
		return
	fi
	rm -f "$fifo"
	mkfifo "$fifo"
	: >"$log"
	ipxe_type "$log" "$fifo" "dhcp && chain http://$PASST_NS_GW:$port/passt.ipxe" &
	typist=$!
	GUEST_STDIN=$fifo MINIVMM=ip ipxe_fetch passt "$log" "${PASST_NS_IP//./\\.}" \
		netns exec "$PASST_NS" "$MINIVMM" -net passt
	kill "$typist" 2>/dev/null
	wait "$typist" 2>/dev/null
	expect_in ipxe_passt_started_passt 'passt: .* started \(pid [0-9]+\)' "$log"
	expect_in ipxe_passt_http_server_sent_payload 'GET /payload.elf HTTP/1.1" 200' \
		"$WORK/http-passt.log"
	rx=$(sed -nE 's/^ *rx ([0-9]+) packets [0-9]+ bytes, ([0-9]+) fixed up in software.*/\1 \2/p' "$log")
	read -r rx fixed <<<"${rx:-0 x}"
	if [ "$rx" -gt 0 ] && [ "$fixed" = 0 ]; then
		pass ipxe_passt_frames_completed_by_the_device "$rx frames to iPXE, 0 completed (passt's are whole)"
	else
		fail ipxe_passt_frames_completed_by_the_device "rx '$rx', fixed up '$fixed' in $log"
	fi
}
passt_case
finish
