#!/bin/sh
# Installs the Debian packages minivmm's build and tests need, only those
# missing, so a second run does nothing.  Used by `make deps` (and so by
# `make check` and `make run`) on a fresh machine.
set -eu

# Build: libslirp (+ glib for its pkg-config), the bzImage payload
# decompressors, the kernel's headers come with libc6-dev.
BUILD="build-essential pkg-config libslirp-dev libglib2.0-dev liblzma-dev
libzstd-dev zlib1g-dev liblz4-dev"
# Guests and test peers: Debian's kernel and busybox for the boot test,
# cpio to pack the initramfs, SeaBIOS/iPXE for firmware guests, QEMU as the
# peer the benchmarks compare with, and the network tools tests drive.
# clang + libclang-rt: make fuzz; cppcheck, clang-tidy: the static checkers.
GUEST="linux-image-amd64 busybox-static cpio seabios ipxe ipxe-qemu
qemu-system-x86 iproute2 dnsmasq-base tcpdump tshark python3 curl clang
libclang-rt-14-dev
cppcheck clang-tidy passt acpica-tools"
# make bench: the packet-path plot (bench/report.sh).
BENCH="gnuplot-nox"

missing=""
for p in $BUILD $GUEST $BENCH; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "minivmm: deps: missing packages:$missing (run as root or install them)" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# tshark asks whether non-root users may capture; the default (no) is fine.
apt-get install -y -q --no-install-recommends $missing >/dev/null
