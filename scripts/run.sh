#!/bin/bash
# `make run`: boots the default guest with networking on user-mode (slirp)
# networking, no root needed.
#
# Where KVM is hardware-backed that is Debian's kernel with the busybox
# initramfs from images/: it takes a DHCP lease through slirp and leaves you
# at a shell on the serial console (Ctrl-A x quits).
#
# On a software KVM (no vmx/svm flag: see docs/HOST-KVM.md) Linux userspace
# cannot run, so a Linux boot would end in a panic at init's first system
# call after many minutes.  There the probe guest shows networking instead:
# DHCP, ARP, ping, and a UDP echo and 1 MiB TCP transfers both ways with a
# peer on 127.0.0.1.  `make run-linux` boots Linux anyway.
#
# On a host with no /dev/kvm at all (a machine that is itself a kvm-pvm
# guest), the guest runs one level down, in the nested test bed: QEMU's
# software emulation gives an L1 Linux a hardware-style KVM, and this same
# script runs there (tests/nested/README.md).  Slower, but the real thing.
set -eu
cd "$(dirname "$0")/.."

if [ ! -e /dev/kvm ] && command -v qemu-system-x86_64 >/dev/null; then
	echo "make run: this host has no /dev/kvm: the guest runs inside the nested test bed"
	echo "          (QEMU's software emulation gives an L1 Linux a KVM; tests/nested/README.md)."
	echo "          Booting takes a minute or two; Ctrl-A x quits the guest and then L1."
	. tests/nested/l1.sh
	l1_prepare build/nested-run || { echo "minivmm: make run: $L1_ERR" >&2; exit 1; }
	out=$(mktemp -d)
	trap 'rm -rf "$out"' EXIT
	l1_qemu build/nested-run "$out" nested.run=1
	exit
fi

if [ "${1:-}" != linux ] && ! grep -qwE 'vmx|svm' /proc/cpuinfo; then
	echo "make run: this host's KVM has no hardware virtualisation (no vmx/svm):"
	echo "          Linux userspace cannot run here, so this boots the probe guest,"
	echo "          which tests virtio-net from inside. 'make run-linux' boots Linux."
	peer_log=$(mktemp)
	python3 tests/peers/probe_peer.py --bind 127.0.0.1 --timeout 120 >"$peer_log" 2>&1 &
	peer=$!
	trap 'kill $peer 2>/dev/null; rm -f "$peer_log"' EXIT
	for _ in $(seq 100); do
		grep -q '^PEER' "$peer_log" && break
		sleep 0.1
	done
	read -r udp tcp < <(sed -nE 's/^PEER udp=([0-9]+) tcp=([0-9]+)/\1 \2/p' "$peer_log")
	./minivmm -k firmware/probe/out/probe.elf -m 128M -v \
		-a "profile=linux udp=$udp tcp=$tcp" ${RUN_ARGS:-}
	exit
fi
exec ./minivmm -k images/out/bzImage -i images/out/initramfs.cpio.gz -c 2 \
	-a "minivmm.net=dhcp minivmm.shell=1${RUN_KERNEL_ARGS:+ $RUN_KERNEL_ARGS}" ${RUN_ARGS:-}
