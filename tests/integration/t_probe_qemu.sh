#!/bin/bash
# t_probe_qemu.sh - runs the probe guest (firmware/probe) under QEMU+KVM
# with a virtio-net-pci device, once per driver profile (shared parts with
# t_probe_minivmm.sh: tests/lib/probe.sh):
#   slirp/<profile>  -netdev user; the peer (tests/peers/probe_peer.py) on
#                    127.0.0.1, reached by the guest as 10.0.2.2
#   tap/<profile>    -netdev tap with vnet headers in a private network
#                    namespace (tests/lib/netns.sh: tap, dnsmasq), QEMU and
#                    the peer inside it: the only way QEMU offers CSUM/TSO,
#                    so the partial-checksum and TSO checks run here (root)
#   detects-failure  a run against a closed TCP port must report FAIL
#                    and exit status 3: the harness can see a failure
# A run passes when QEMU exits with status 1 (isa-debug-exit, byte 0) and
# the probe printed "PROBE RESULT n passed, 0 failed" plus the checks the
# setting must pass.  This is also the baseline the benchmarks compare
# minivmm with.  Prints one line per run and "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
PROBE_NAME=t_probe_qemu
. tests/lib/probe.sh
QEMU=${QEMU:-qemu-system-x86_64}
PROBE_PASS_STATUS=1	# isa-debug-exit: (byte << 1) | 1
IN_NS=()		# set to (ip netns exec NS) for the tap runs

command -v "$QEMU" >/dev/null || probe_skip_all "$QEMU not installed"
probe_require
. tests/lib/qemu_cpu.sh
# A QEMU that cannot start a KVM guest here is a skip naming its message.
QEMU_CPU=$(qemu_kvm_cpu "$QEMU") ||
	probe_skip_all "$QEMU -enable-kvm does not start here with any of $QEMU_CPU_MODELS: $QEMU_CPU_ERR"
echo "t_probe_qemu: -cpu $QEMU_CPU"

# qboot starts in ~0.1 s here; SeaBIOS spends ~10 s in emulated ring 0.
BIOS=()
[ -f /usr/share/qemu/qboot.rom ] && BIOS=(-bios /usr/share/qemu/qboot.rom)

# run NAME NETDEV APPEND: boots the probe; sets ST (exit status), SECS, LOG.
run() {
	local log=$PROBE_OUT/$1.log netdev=$2 append=$3 t0
	t0=$(date +%s%N)
	timeout "$PROBE_TIMEOUT" "${IN_NS[@]}" "$QEMU" -enable-kvm -M pc "${BIOS[@]}" \
		-cpu "$QEMU_CPU" -m 128 -nodefaults -display none -no-reboot \
		-serial "file:$log" -kernel "$PROBE" -append "$append" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-netdev "$netdev" \
		-device virtio-net-pci,netdev=n0,disable-legacy=on,romfile= \
		</dev/null >"$log.vmm" 2>&1
	ST=$?
	SECS=$(probe_elapsed "$t0")
	LOG=$log
}

t_start=$(date +%s%N)
if ! probe_start_peer slirp 127.0.0.1; then
	count fail; finish; exit 1
fi
for p in $PROBE_PROFILES; do
	run "slirp-$p" "user,id=n0" "profile=$p udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"
	probe_must slirp "$p"
	probe_verdict "slirp/$p" "$LOG" "$ST" 1 "$SECS" "${PROBE_MUST[@]}"
done

# A closed port: the TCP check must fail and the exit status say so.
run closed "user,id=n0" "profile=ipxe checks=dhcp,tcp_get tcp=$(probe_closed_port)"
probe_verdict detects-failure "$LOG" "$ST" 3 "$SECS" "tcp_get FAIL" "RESULT 1 passed, 1 failed"

if ! probe_tap_up; then
	for p in $PROBE_PROFILES; do probe_skip "tap/$p" "$PROBE_TAP_SKIP"; done
else
	IN_NS=(ip netns exec "$NETNS")
	for p in $PROBE_PROFILES; do
		run "tap-$p" "tap,id=n0,ifname=$NETNS_TAP,script=no,downscript=no,vhost=off" \
			"profile=$p udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"
		probe_must tap "$p"
		probe_verdict "tap/$p" "$LOG" "$ST" 1 "$SECS" "${PROBE_MUST[@]}"
	done
fi

echo "$PROBE_NAME: all runs took $(probe_elapsed "$t_start")s"
finish
