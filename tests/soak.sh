#!/bin/bash
# soak.sh - `make soak`: the probe guest moving traffic through slirp for
# SOAK_SECONDS (default 600) under an ASan+UBSan+LeakSanitizer minivmm
# (build-asan/minivmm), resident memory sampled every SOAK_INTERVAL (10) s.
#
# Two halves of SOAK_SECONDS/2 each, one minivmm per half:
#   tx   the probe's DHCP/ARP/ping/UDP/TCP checks, then `blast=tx`: UDP
#        frames with partial checksums (completed in software for slirp)
#        to the peer as fast as the guest can send, until stopped
#   rx   the same checks, then `blast=rx`: the peer streams UDP frames to
#        the guest through slirp's receive path
# Each half ends with SIGTERM (minivmm's clean exit, status 143), which is
# when LeakSanitizer looks for leaks.  A half passes when no sanitizer
# reported anything, the checks before the blast passed, and resident
# memory grew by less than SOAK_MAX_GROWTH_KB (8192) between the first
# sample after SOAK_WARMUP (30) s and the last.  ASan's quarantine is
# bounded (16 MiB) so that RSS measures minivmm, not the sanitizer.
# Prints the RSS series, "soak: <half> ok/FAIL ..." and "N passed, N failed".
set -u
cd "$(dirname "$0")/.." || exit 1
SECS=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-10}
WARMUP=${SOAK_WARMUP:-30}
MAX_GROWTH=${SOAK_MAX_GROWTH_KB:-8192}
BIN=${SOAK_MINIVMM:-build-asan/minivmm}
PROBE_NAME=soak
. tests/lib/probe.sh
probe_require
[ -x "$BIN" ] || end_failed "$BIN missing (make asan-build)"

export ASAN_OPTIONS=detect_leaks=1:quarantine_size_mb=16:halt_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'
half=$((SECS / 2))

for mode in tx rx; do
	# A peer per half: its own time limit (600 s) must not end the blast.
	probe_start_peer "$mode" 127.0.0.1 || { count fail; continue; }
	log=$PROBE_OUT/soak-$mode.log
	"$BIN" -k "$PROBE" -m 128M -v --no-seccomp \
		-a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP checks=dhcp,arp,ping,udp,tcp_get,tcp_put,blast blast=$mode size=1514 count=1000000000000" \
		</dev/null >"$log" 2>"$log.vmm" &
	pid=$!
	t0=$(date +%s)
	series="" first="" last="" peak=0
	while kill -0 "$pid" 2>/dev/null; do
		now=$(( $(date +%s) - t0 ))
		[ "$now" -ge "$half" ] && break
		rss=$(sed -nE 's/^VmRSS:[[:space:]]+([0-9]+) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
		if [ -n "$rss" ]; then
			series="$series ${now}s:${rss}"
			[ "$now" -ge "$WARMUP" ] && [ -z "$first" ] && first=$rss
			last=$rss
			[ "$rss" -gt "$peak" ] && peak=$rss
		fi
		sleep "$INTERVAL"
	done
	alive=0
	kill -0 "$pid" 2>/dev/null && alive=1
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	st=$?
	tr -d '\r' <"$log" >"$log.txt"
	echo "soak: $mode RSS kB:$series"
	why=""
	[ "$alive" = 1 ] || why="minivmm ended early (status $st)"
	[ "$alive" = 1 ] && [ "$st" != 143 ] && why="exit status $st after SIGTERM, want 143"
	grep -qE "$REPORT" "$log.vmm" && why="${why:+$why; }sanitizer report"
	for c in "dhcp ok" "arp ok" "ping ok" "udp ok" "tcp_get ok" "tcp_put ok"; do
		grep -q "^PROBE $c" "$log.txt" || why="${why:+$why; }no '$c'"
	done
	growth=$(( ${last:-0} - ${first:-0} ))
	[ -n "$first" ] || why="${why:+$why; }no RSS sample after ${WARMUP}s"
	[ "$growth" -lt "$MAX_GROWTH" ] || why="${why:+$why; }RSS grew ${growth} kB"
	moved=$(tr -d '\r' <"$log.vmm" | sed -nE 's/^ +(tx|rx) ([0-9]+) packets ([0-9]+) bytes.*/\1 \2 packets \3 bytes/p' | paste -sd, -)
	echo "soak: $mode traffic: ${moved:-no counters}"
	[ -n "$moved" ] || why="${why:+$why; }no device counters at exit"
	if [ -z "$why" ]; then
		echo "soak: $mode ok (${half}s, RSS ${first} -> ${last} kB after warm-up, growth ${growth} kB, peak ${peak} kB, no leaks or sanitizer reports)"
		count pass
	else
		echo "soak: $mode FAIL: $why"
		grep -E "$REPORT|^ +#[0-9]+ " "$log.vmm" | head -12 | sed 's/^/    /'
		grep -a '^PROBE' "$log.txt" | head -12 | sed 's/^/    /'
		count fail
	fi
done
finish
