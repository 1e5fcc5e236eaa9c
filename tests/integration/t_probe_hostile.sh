#!/bin/bash
# t_probe_hostile.sh - the probe guest as a hostile driver (issue 13):
# `checks=...,hostile` posts transmit chains that loop, point outside RAM
# and into MMIO, have lengths 0 and 0xffffffff, out-of-range heads and
# nexts, nested and oversized indirect tables, a 100-descriptor chain, and
# headers with absurd csum_start, csum_offset, gso_size and hdr_len, a ping
# to the gateway after each; then an avail index jump, which must set
# DEVICE_NEEDS_RESET, and a reset and fresh set-up after which a ping
# works again (firmware/probe/hostile.c).  Each run must show:
#   - every PROBE hostile_* line ok (the good frame went through);
#   - minivmm's -v counters: "drops bad_ring tx N" with N what the probe
#     says it posted (one per ring case, plus the avail jump), and header
#     drops (short_hdr, bad_csum_offset, bad_gso, backend) for at least
#     the empty chain and the two absurd checksum offsets;
#   - with idle=1 the probe halts after its RESULT line: minivmm's
#     utime+stime (/proc/PID/stat) over IDLE_S seconds stays under a fifth
#     of that; then SIGTERM ends it (status 143).
# Runs: slirp/linux (offloads finished in software), slirp/ipxe (no
# offload or indirect negotiated: the headers are refused up front),
# tap/linux (tests/lib/netns.sh; offloads go to the kernel; root only).
# Prints one line per run and "N passed, N failed, N skipped".
set -u
cd "$(dirname "$0")/../.." || exit 1
PROBE_NAME=t_probe_hostile
. tests/lib/probe.sh
MINIVMM=${MINIVMM:-./minivmm}
IDLE_S=${IDLE_S:-2}
IN_NS=()

probe_require
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null 2>&1 || {
	echo "$PROBE_NAME: FAIL: cannot build $MINIVMM"; echo "0 passed, 1 failed"; exit 1; }

# CPU ticks (utime + stime, all threads) of process $1.
cpu_ticks() {
	sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# run NAME NET APPEND: boots the probe with idle=1, measures minivmm's CPU
# while the guest halts, stops it; sets ST, SECS, LOG and IDLE_TICKS.
run() {
	local name=$1 net=$2 append=$3 t0 pid i a b
	LOG=$PROBE_OUT/$name.log
	IDLE_TICKS=
	t0=$(date +%s%N)
	"${IN_NS[@]}" "$MINIVMM" -v -k "$PROBE" -m 128M -net "$net" \
		-a "$append idle=1" </dev/null >"$LOG" 2>"$LOG.vmm" &
	pid=$!
	for ((i = 0; i < PROBE_TIMEOUT * 10; i++)); do
		grep -q '^PROBE idle' "$LOG" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if grep -q '^PROBE idle' "$LOG" 2>/dev/null; then
		sleep 0.5	# let the last frames settle
		a=$(cpu_ticks "$pid")
		sleep "$IDLE_S"
		b=$(cpu_ticks "$pid")
		[ -n "$a" ] && [ -n "$b" ] && IDLE_TICKS=$((b - a))
	fi
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	ST=$?
	SECS=$(probe_elapsed "$t0")
}

# Header drops: every tx drop that is not bad_ring, summed.
hdr_drops() {
	tr -d '\r' <"$1" | awk '$1 == "drops" && $2 != "bad_ring" { n += $4 } END { print n + 0 }'
}

# judge NAME WANT_HDR_MIN: the PROBE lines, the counters, the idle CPU.
judge() {
	local name=$1 hdr_min=$2 ring want_ring hdr max why=
	local hz
	hz=$(getconf CLK_TCK)
	max=$((hz * IDLE_S / 5))
	want_ring=$(tr -d '\r' <"$LOG" | sed -nE 's/^PROBE info hostile .* bad_ring=([0-9]+) .*/\1/p')
	ring=$(tr -d '\r' <"$LOG.vmm" | awk '$1 == "drops" && $2 == "bad_ring" { print $4 }')
	hdr=$(hdr_drops "$LOG.vmm")
	[ -n "$want_ring" ] && [ "${ring:-0}" = "$want_ring" ] ||
		why="drops bad_ring tx '${ring:-none}', the probe posted '${want_ring:-?}'"
	[ "$hdr" -ge "$hdr_min" ] ||
		why="${why:+$why; }header drops $hdr, want at least $hdr_min"
	if [ -z "$IDLE_TICKS" ]; then
		why="${why:+$why; }no idle measurement"
	elif [ "$IDLE_TICKS" -ge "$max" ]; then
		why="${why:+$why; }idle CPU $IDLE_TICKS ticks in ${IDLE_S}s, want under $max"
	fi
	if [ -n "$why" ]; then
		echo "$PROBE_NAME: $name FAIL: $why"
		tr -d '\r' <"$LOG.vmm" | grep -E '^ +(tx|rx|drops) ' | sed 's/^/    vmm: /'
		PROBE_FAIL=$((PROBE_FAIL + 1))
		return
	fi
	# The PROBE lines, the exit status (SIGTERM: 143).
	probe_verdict "$name" "$LOG" "$ST" 143 "$SECS" "${MUST[@]}"
	[ "$PROBE_FAIL" -eq "$FAIL_BEFORE" ] &&
		echo "$PROBE_NAME: $name counters: bad_ring tx $ring, header drops $hdr, idle $IDLE_TICKS/$max ticks"
}

MUST=("dhcp ok" "ping ok" "hostile_loop ok" "hostile_outside_ram ok"
      "hostile_mmio ok" "hostile_len0 ok" "hostile_len_max ok"
      "hostile_bad_head ok" "hostile_bad_next ok" "hostile_nested_indirect ok"
      "hostile_big_indirect ok" "hostile_long_chain ok" "hostile_csum_start ok"
      "hostile_csum_offset ok" "hostile_gso_size ok" "hostile_hdr_len ok"
      "hostile_needs_reset ok"
      "hostile_reset ok" "idle" "vmm:virtqueue: avail idx jumped")
CHECKS="checks=features,dhcp,ping,hostile"
# PROBE_PASS_STATUS: a passing run ends with SIGTERM here.
PROBE_PASS_STATUS=143

t_start=$(date +%s%N)
for p in linux ipxe; do
	FAIL_BEFORE=$PROBE_FAIL
	run "slirp-$p" slirp "profile=$p $CHECKS"
	judge "slirp/$p" 3
done

if probe_tap_up; then
	IN_NS=(ip netns exec "$NETNS")
	FAIL_BEFORE=$PROBE_FAIL
	run tap-linux "$NETNS_TAP" "profile=linux $CHECKS"
	judge tap/linux 3
	IN_NS=()
else
	probe_skip tap/linux "$PROBE_TAP_SKIP"
fi

echo "$PROBE_NAME: all runs took $(probe_elapsed "$t_start")s"
probe_finish
