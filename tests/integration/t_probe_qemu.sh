#!/bin/bash
# t_probe_qemu.sh - runs the probe guest (firmware/probe) under QEMU+KVM
# with a virtio-net-pci device, once per driver profile:
#   slirp/<profile>  -netdev user; the peer (tests/peers/probe_peer.py) on
#                    127.0.0.1, reached by the guest as 10.0.2.2
#   tap/<profile>    -netdev tap with vnet headers in a private network
#                    namespace, dnsmasq for DHCP, the peer on the tap's
#                    address: the only way QEMU offers CSUM/TSO, so the
#                    partial-checksum and TSO checks run here (root only)
#   detects-failure  a run against a closed TCP port must report FAIL
#                    and exit status 3: the harness can see a failure
# A run passes when QEMU exits with status 1 (isa-debug-exit, byte 0) and
# the probe printed "PROBE RESULT n passed, 0 failed" plus the checks the
# setting must pass.  This is also the baseline the benchmarks compare
# minivmm with.  Prints one line per run and "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
PROBE=firmware/probe/out/probe.elf
PEER=tests/peers/probe_peer.py
QEMU=${QEMU:-qemu-system-x86_64}
PROFILES=${PROBE_PROFILES:-"ipxe openbsd linux"}
RUN_TIMEOUT=${PROBE_TIMEOUT:-30}
pass=0 fail=0 skip=0

# qboot starts in ~0.1 s here; SeaBIOS spends ~10 s in emulated ring 0.
BIOS=()
[ -f /usr/share/qemu/qboot.rom ] && BIOS=(-bios /usr/share/qemu/qboot.rom)

# Waits for the peer's "PEER udp=N tcp=N" line in $1; sets UDP and TCP.
wait_peer() {
	local i
	for i in $(seq 150); do
		if grep -q '^PEER' "$1" 2>/dev/null; then
			read -r UDP TCP < <(sed -nE 's/^PEER udp=([0-9]+) tcp=([0-9]+)/\1 \2/p' "$1")
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# run_qemu LOG NETDEV APPEND: boots the probe; prints QEMU's exit status.
run_qemu() {
	local log=$1 netdev=$2 append=$3
	timeout "$RUN_TIMEOUT" "$QEMU" -enable-kvm -M pc "${BIOS[@]}" -cpu host -m 128 \
		-nodefaults -display none -no-reboot -serial "file:$log" \
		-kernel "$PROBE" -append "$append" \
		-device isa-debug-exit,iobase=0xf4,iosize=4 \
		-netdev "$netdev" \
		-device virtio-net-pci,netdev=n0,disable-legacy=on,romfile= \
		</dev/null >"$log.qemu" 2>&1
	echo $?
}

# verdict NAME LOG STATUS EXPECT_STATUS MUST_OK...: prints and counts.
verdict() {
	local name=$1 log=$2 st=$3 want=$4 secs=$5; shift 5
	local why="" c
	tr -d '\r' <"$log" >"$log.txt" 2>/dev/null
	[ "$st" = "$want" ] || why="qemu exit $st, want $want"
	if [ "$want" = 1 ]; then
		grep -q '^PROBE RESULT [0-9]* passed, 0 failed' "$log.txt" || why="${why:+$why; }FAIL lines"
	fi
	for c in "$@"; do
		grep -q "^PROBE $c" "$log.txt" || why="${why:+$why; }no '$c'"
	done
	if [ -z "$why" ]; then
		echo "t_probe_qemu: $name ok (${secs}s, $(grep -c '^PROBE .* ok' "$log.txt") checks ok)"
		pass=$((pass + 1))
	else
		echo "t_probe_qemu: $name FAIL: $why"
		grep -a '^PROBE' "$log.txt" | sed 's/^/    /'
		sed 's/^/    qemu: /' "$log.qemu" | head -5
		fail=$((fail + 1))
	fi
}

elapsed() { echo "$(( ($(date +%s%N) - $1) / 1000000 ))" | sed -E 's/(...)$/.\1/; s/^\./0./'; }

# --- inside the private network namespace (tap runs) ---
if [ "${1:-}" = --tap-inner ]; then
	out=$2
	ip link set lo up
	ip tuntap add tap0 mode tap || exit 2
	ip link set tap0 up
	ip addr add 10.0.3.1/24 dev tap0
	dnsmasq --keep-in-foreground --user=root --no-ping --interface=tap0 \
		--bind-interfaces --dhcp-range=10.0.3.15,10.0.3.15,1h --port=0 \
		--no-resolv --no-hosts --pid-file="$out/dnsmasq.pid" \
		--dhcp-leasefile="$out/leases" --log-facility="$out/dnsmasq.log" &
	dpid=$!
	python3 "$PEER" --bind 10.0.3.1 --timeout 300 >"$out/tap-peer.out" 2>"$out/tap-peer.err" &
	ppid=$!
	trap 'kill $ppid $dpid 2>/dev/null' EXIT
	wait_peer "$out/tap-peer.out" || { echo "peer did not start"; exit 2; }
	for p in $PROFILES; do
		must=("selftest ok" "dhcp ok" "arp ok" "ping ok" "udp ok" "tcp_get ok" "tcp_put ok" "rx_csum ok")
		[ "$p" != ipxe ] && must+=("udp_csum ok" "tcp_csum ok" "tso ok" "ctrl ok")
		t0=$(date +%s%N)
		st=$(run_qemu "$out/tap-$p.log" \
			"tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off" \
			"profile=$p udp=$UDP tcp=$TCP")
		verdict "tap/$p" "$out/tap-$p.log" "$st" 1 "$(elapsed "$t0")" "${must[@]}"
	done
	echo "inner: $pass $fail"
	exit 0
fi

# --- outside ---
if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "t_probe_qemu: skipped: /dev/kvm missing or not writable"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v "$QEMU" >/dev/null; then
	echo "t_probe_qemu: skipped: $QEMU not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	echo "t_probe_qemu: skipped: python3 missing (needed by the peer)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
[ -f "$PROBE" ] || make -s -C firmware/probe >/dev/null || {
	echo "t_probe_qemu: FAIL: cannot build $PROBE"; echo "0 passed, 1 failed"; exit 1; }

out=$(mktemp -d /tmp/t_probe_qemu.XXXXXX)
python3 "$PEER" --bind 127.0.0.1 --timeout 300 >"$out/peer.out" 2>"$out/peer.err" &
peer_pid=$!
trap 'kill $peer_pid 2>/dev/null; rm -rf "$out"' EXIT
if ! wait_peer "$out/peer.out"; then
	echo "t_probe_qemu: FAIL: peer did not start"; cat "$out/peer.err"
	echo "0 passed, 1 failed"; exit 1
fi

for p in $PROFILES; do
	t0=$(date +%s%N)
	st=$(run_qemu "$out/slirp-$p.log" "user,id=n0" "profile=$p udp=$UDP tcp=$TCP")
	must=("selftest ok" "features ok" "dhcp ok" "arp ok" "ping ok" "udp ok" \
	      "tcp_get ok" "tcp_put ok" "rx_csum ok")
	[ "$p" != ipxe ] && must+=("ctrl ok")
	verdict "slirp/$p" "$out/slirp-$p.log" "$st" 1 "$(elapsed "$t0")" "${must[@]}"
done

# A closed port: the TCP checks must fail and the exit status say so.
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s%N)
st=$(run_qemu "$out/closed.log" "user,id=n0" "profile=ipxe checks=dhcp,tcp_get tcp=$closed")
verdict "detects-failure" "$out/closed.log" "$st" 3 "$(elapsed "$t0")" "tcp_get FAIL" "RESULT 1 passed, 1 failed"

if [ "$(id -u)" != 0 ]; then
	echo "t_probe_qemu: tap runs skipped: need root for a tap device in a private netns"
	skip=$((skip + 1))
elif ! command -v dnsmasq >/dev/null || ! command -v unshare >/dev/null; then
	echo "t_probe_qemu: tap runs skipped: dnsmasq or unshare missing"
	skip=$((skip + 1))
else
	inner=$(unshare -n "$0" --tap-inner "$out" 2>&1)
	echo "$inner" | grep -v '^inner:'
	counts=$(echo "$inner" | sed -n 's/^inner: //p')
	if [ -n "$counts" ]; then
		pass=$((pass + ${counts% *})); fail=$((fail + ${counts#* }))
	else
		echo "t_probe_qemu: tap runs FAIL: namespace set-up failed"
		fail=$((fail + 1))
	fi
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
