#!/bin/bash
# t_probe_minivmm.sh - runs the probe guest (firmware/probe) under minivmm,
# once per driver profile and backend; the same matrix as t_probe_qemu.sh
# (shared parts: tests/lib/probe.sh), plus the receive-fixup proof:
#   slirp/<profile>   -net slirp (the default); the peer on 127.0.0.1,
#                     reached by the guest as 10.0.2.2
#   tap/<profile>     -net mvt0 in a private network namespace
#                     (tests/lib/netns.sh: tap, dnsmasq), minivmm and the
#                     peer inside it, so the guest reaches nothing else;
#                     linux and openbsd take CSUM/TSO, so partial checksums
#                     and GSO frames flow both ways (root only)
#   nocsum/<profile>  tap with -net mvt0,csum=off,tso=off: the probe must
#                     negotiate no offload and still pass
#   detects-failure   a closed TCP port: tcp_get FAIL, exit status 1
#   fixup/ipxe        build/minivmm-force-offloads: the tap keeps TUN_F_CSUM
#                     and TSO on although iPXE accepted neither, so the host
#                     sends partial checksums and GSO frames and only the
#                     device's receive fixup makes them whole: must pass,
#                     and minivmm must report frames fixed up
#   passt/<profile>   -net passt: minivmm starts passt, in a routed
#                     namespace of the test's own (tests/lib/netns.sh:
#                     $PASST_NS, a veth with a default route); the lease is
#                     the namespace's address, the peer listens on its
#                     127.0.0.1 and the guest reaches it at the gateway.
#                     Offloads finished in software as for slirp; passt's
#                     frames DATA_VALID for guests with GUEST_CSUM (root)
#   passt-stops       every passt started above exited with its minivmm
#   stream/linux      -net stream,path=SOCKET to a passt the test started;
#                     frames not marked DATA_VALID (minivmm did not start
#                     that peer)
#   passt-fails       -net passt in a namespace without a route: passt will
#                     not start, minivmm says so in one line, status 1
#   no-fixup/ipxe     build/minivmm-no-rx-fixup: the same with the fixup
#                     compiled out (passt's old bug): the probe must FAIL
#                     with bad L4 checksums.  This proves the probe catches
#                     the bug, and that in fixup/ipxe the partial checksums
#                     really arrived.
# The two test builds come from the Makefile; they are never ./minivmm.
# Prints one line per run (with its wall time) and
# "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
PROBE_NAME=t_probe_minivmm
. tests/lib/probe.sh
MINIVMM=${MINIVMM:-./minivmm}
VARIANTS=(build/minivmm-force-offloads build/minivmm-no-rx-fixup)
IN_NS=()	# set to (ip netns exec NS) for the tap runs

probe_require
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null 2>&1 || {
	end_failed "cannot build $MINIVMM"; }

# run VMM NAME NET APPEND: boots the probe; sets ST (exit status) and SECS.
run() {
	local vmm=$1 log=$PROBE_OUT/$2.log net=$3 append=$4 t0
	t0=$(date +%s%N)
	timeout "$PROBE_TIMEOUT" "${IN_NS[@]}" "$vmm" -v -k "$PROBE" -m 128M \
		-net "$net" -a "$append" </dev/null >"$log" 2>"$log.vmm"
	ST=$?
	SECS=$(probe_elapsed "$t0")
	LOG=$log
}

t_start=$(date +%s%N)
if ! probe_start_peer slirp 127.0.0.1; then
	count fail; finish; exit 1
fi
for p in $PROBE_PROFILES; do
	run "$MINIVMM" "slirp-$p" slirp "profile=$p udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"
	# minivmm's slirp backend finishes checksums and segments in software
	# (DESIGN.md), so it offers CSUM and HOST_TSO: the transmit checks run.
	probe_must soft "$p"
	probe_verdict "slirp/$p" "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}"
done

# A closed port: the TCP check must fail and the exit status say so.
run "$MINIVMM" closed slirp "profile=ipxe checks=dhcp,tcp_get tcp=$(probe_closed_port)"
probe_verdict detects-failure "$LOG" "$ST" 1 "$SECS" "tcp_get FAIL" "RESULT 1 passed, 1 failed"

# ---- passt ------------------------------------------------------------------
# passt_runs: the probe over -net passt and -net stream, in $PASST_NS.
passt_runs() {
	local p pid pids=() sock dir passt_pid left
	IN_NS=(ip netns exec "$PASST_NS")
	ports="udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"
	for p in $PROBE_PROFILES; do
		run "$MINIVMM" "passt-$p" passt "profile=$p $ports"
		probe_must soft "$p"
		probe_verdict "passt/$p" "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}" \
			"dhcp ok ip=$PASST_NS_IP gw=$PASST_NS_GW" \
			"vmm:passt: .* started \(pid [0-9]+\)"
		pid=$(sed -nE 's/.*passt: .* started \(pid ([0-9]+)\).*/\1/p' "$LOG.vmm")
		[ -n "$pid" ] && pids+=("$pid")
	done
	# passt was started with -1: it exits when minivmm's connection closes.
	left=
	for pid in "${pids[@]}"; do
		for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && left="$left $pid"
	done
	if [ "${#pids[@]}" -gt 0 ] && [ -z "$left" ]; then
		echo "$PROBE_NAME: passt-stops ok (${#pids[@]} passt processes, all gone)"
		count pass
	else
		echo "$PROBE_NAME: passt-stops FAIL: pids '${pids[*]}', still running:${left:- none}"
		count fail
	fi

	# A passt started by hand (as root it becomes nobody, who must be
	# able to make its socket), then -net stream to it.
	dir=$(mktemp -d /tmp/minivmm-stream.XXXXXX)
	chown nobody "$dir" 2>/dev/null
	sock=$dir/passt.socket
	ip netns exec "$PASST_NS" passt -f -q -1 -s "$sock" \
		>"$PROBE_OUT/stream-passt.log" 2>&1 &
	passt_pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	run "$MINIVMM" stream-linux "stream,path=$sock" "profile=linux $ports"
	probe_must soft-unverified linux
	probe_verdict stream/linux "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}" \
		"dhcp ok ip=$PASST_NS_IP gw=$PASST_NS_GW"
	kill "$passt_pid" 2>/dev/null
	wait "$passt_pid" 2>/dev/null
	rm -rf "$dir"
	IN_NS=()

	# No route at all (a fresh namespace, only lo): passt refuses.
	# Without -v, so minivmm's only line is the error.
	LOG=$PROBE_OUT/passt-fails.log
	timeout "$PROBE_TIMEOUT" unshare -n "$MINIVMM" -k "$PROBE" -m 128M -net passt \
		</dev/null >"$LOG" 2>"$LOG.vmm"
	ST=$?
	if [ "$ST" = 1 ] && [ "$(wc -l <"$LOG.vmm")" = 1 ] &&
	   grep -qE '^minivmm: -net: passt: exited with status [0-9]+ before it listened: .*interface' "$LOG.vmm"; then
		echo "$PROBE_NAME: passt-fails ok ($(tr -d '\r' <"$LOG.vmm"))"
		count pass
	else
		echo "$PROBE_NAME: passt-fails FAIL: status $ST, want 1 and one line:"
		sed 's/^/    vmm: /' "$LOG.vmm" | head -5
		count fail
	fi
}
if probe_passt_up; then
	passt_runs
else
	for p in $PROBE_PROFILES; do probe_skip "passt/$p" "$PROBE_PASST_SKIP"; done
	for r in passt-stops stream/linux passt-fails; do probe_skip "$r" "$PROBE_PASST_SKIP"; done
fi

tap_runs=()
for p in $PROBE_PROFILES; do tap_runs+=("tap/$p"); done
tap_runs+=(nocsum/linux nocsum/openbsd fixup/ipxe no-fixup/ipxe)
if ! probe_tap_up; then
	for r in "${tap_runs[@]}"; do probe_skip "$r" "$PROBE_TAP_SKIP"; done
	echo "$PROBE_NAME: all runs took $(probe_elapsed "$t_start")s"
	finish
	exit
fi
IN_NS=(ip netns exec "$NETNS")
ports="udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"

for p in $PROBE_PROFILES; do
	run "$MINIVMM" "tap-$p" "$NETNS_TAP" "profile=$p $ports"
	probe_must tap "$p"
	probe_verdict "tap/$p" "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}"
done
for p in linux openbsd; do
	run "$MINIVMM" "nocsum-$p" "$NETNS_TAP,csum=off,tso=off" "profile=$p $ports"
	probe_must nocsum "$p"
	probe_verdict "nocsum/$p" "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}"
done

if ! make -s --no-print-directory "${VARIANTS[@]}" >"$PROBE_OUT/variants.log" 2>&1; then
	echo "$PROBE_NAME: FAIL: cannot build ${VARIANTS[*]}:"
	sed 's/^/    /' "$PROBE_OUT/variants.log" | tail -5
	count fail 2
else
	# The fixup must have completed frames (minivmm -v counters) and the
	# probe must have verified every one of them.
	run "${VARIANTS[0]}" fixup-ipxe "$NETNS_TAP" "profile=ipxe $ports"
	probe_must tap ipxe
	probe_verdict fixup/ipxe "$LOG" "$ST" 0 "$SECS" "${PROBE_MUST[@]}" \
		"vmm:^  rx [0-9]+ packets [0-9]+ bytes, [1-9][0-9]* fixed up"
	# Without the fixup: UDP echoes come back with the pseudo-header sum
	# where the checksum belongs, and the probe must say so.  A static
	# address (DHCP replies are UDP too, and would fail after 5 s) and a
	# single datagram keep it short; ping shows the link itself works.
	run "${VARIANTS[1]}" no-fixup-ipxe "$NETNS_TAP" \
		"profile=ipxe ip=$NETNS_DHCP_FIRST gw=$NETNS_HOST_IP peer=$NETNS_HOST_IP checks=features,arp,ping,udp,rx_csum udpcount=1 $ports"
	probe_verdict no-fixup/ipxe "$LOG" "$ST" 1 "$SECS" \
		"features ok 0x[0-9a-f]+ MAC,VERSION_1$" "ping ok" "udp FAIL" \
		"rx_csum FAIL .* bad_l4=[1-9].* last=UDP checksum"
fi

echo "$PROBE_NAME: all runs took $(probe_elapsed "$t_start")s"
finish
