#!/bin/bash
# ipxe.lkrn (Debian's ipxe package) given with -k under SeaBIOS: the BIOS's
# Linux loader (linuxboot_dma, fw_cfg) boots it like a bzImage (protocol
# 2.07), with an iPXE script as its initrd, which iPXE runs.  minivmm hands
# it -a unchanged (no console=ttyS0, which iPXE would run as a command).
# The script runs dhcp against slirp and chains the checked payload over
# HTTP from a server on the host's loopback (tests/lib/ipxe.sh).  About
# three minutes here, most of it ipxe.lkrn unpacking itself in emulated
# ring 0, hence check-long; t_firmware.sh does the same from the ROM.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh
. tests/lib/http.sh
. tests/lib/ipxe.sh

BIOS=/usr/share/seabios/bios.bin
LKRN=/usr/lib/ipxe/ipxe.lkrn
WORK=build/l_ipxe_lkrn
WWW=$WORK/www
mkdir -p "$WORK"

if ! have_kvm; then
	skip ipxe_lkrn "no usable /dev/kvm"
	finish; exit
fi
for f in "$BIOS" "$LKRN" /usr/share/qemu/linuxboot_dma.bin; do
	if [ ! -r "$f" ]; then
		skip ipxe_lkrn "$f missing (scripts/deps.sh installs seabios, ipxe, qemu-system-x86)"
		finish; exit
	fi
done
SERVERS=()
trap 'stop_http "${SERVERS[@]}"' EXIT
ipxe_serve "$WORK" "$WWW" || { finish; exit; }
ipxe_script lkrn "http://10.0.2.2:$PORT" dhcp >"$WWW/lkrn.ipxe"
ipxe_fetch lkrn "$WORK/ipxe-lkrn.log" '10\.0\.2\.15' -k "$LKRN" -i "$WWW/lkrn.ipxe"
if grep -q 'command not found' "$WORK/ipxe-lkrn.log"; then
	fail ipxe_lkrn_cmdline_left_alone "iPXE ran something minivmm added: $WORK/ipxe-lkrn.log"
else
	pass ipxe_lkrn_cmdline_left_alone
fi
finish
