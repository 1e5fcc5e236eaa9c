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
#     says it posted (one per ring case, plus the avail jump), and every
#     other tx drop (short_hdr, bad_csum_offset, bad_gso, backend, ...)
#     summed equal to its header cases (the empty chain and the four
#     absurd headers), so each case was counted once;
#   - with idle=1 the probe halts after its RESULT line: minivmm's
#     utime+stime (/proc/PID/stat) over IDLE_S seconds stays under a fifth
#     of that; then SIGTERM ends it (status 143).
# Runs: slirp/linux (offloads finished in software), slirp/ipxe (no
# offload or indirect negotiated: the headers are refused up front),
# asan/linux (slirp, build-asan/minivmm from `make asan-build`: no
# sanitizer report), tap/linux (tests/lib/netns.sh; offloads go to the
# kernel; root only).
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
	end_failed "cannot build $MINIVMM"; }

# CPU ticks (utime + stime, all threads) of process $1.
cpu_ticks() {
	sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}

# run NAME NET APPEND [VMM FLAGS...]: boots the probe with idle=1,
# measures minivmm's CPU while the guest halts, stops it; sets ST, SECS,
# LOG and IDLE_TICKS.
run() {
	local name=$1 net=$2 append=$3 vmm=${4:-$MINIVMM} t0 pid i a b
	shift 4 2>/dev/null || shift $#
	LOG=$PROBE_OUT/$name.log
	IDLE_TICKS=
	t0=$(date +%s%N)
	"${IN_NS[@]}" "$vmm" -v -k "$PROBE" -m 128M -net "$net" "$@" \
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

# judge NAME [MUST...]: the PROBE lines, the counters, the idle CPU.
judge() {
	local name=$1 ring want_ring hdr want_hdr max why= drops
	local hz
	hz=$(getconf CLK_TCK)
	max=$((hz * IDLE_S / 5))
	want_ring=$(tr -d '\r' <"$LOG" | sed -nE 's/^PROBE info hostile .* bad_ring=([0-9]+) .*/\1/p')
	want_hdr=$(tr -d '\r' <"$LOG" | sed -nE 's/^PROBE info hostile .* bad_hdr=([0-9]+) .*/\1/p')
	ring=$(tr -d '\r' <"$LOG.vmm" | awk '$1 == "drops" && $2 == "bad_ring" { print $4 }')
	hdr=$(hdr_drops "$LOG.vmm")
	drops=$(tr -d '\r' <"$LOG.vmm" | awk '$1 == "drops" { printf "%s%s=%s", s, $2, $4; s = " " }')
	[ -n "$want_ring" ] && [ "${ring:-0}" = "$want_ring" ] ||
		why="drops bad_ring tx '${ring:-none}', the probe posted '${want_ring:-?}'"
	[ -n "$want_hdr" ] && [ "$hdr" = "$want_hdr" ] ||
		why="${why:+$why; }header drops $hdr, the probe posted '${want_hdr:-?}'"
	if [ -z "$IDLE_TICKS" ]; then
		why="${why:+$why; }no idle measurement"
	elif [ "$IDLE_TICKS" -ge "$max" ]; then
		why="${why:+$why; }idle CPU $IDLE_TICKS ticks in ${IDLE_S}s, want under $max"
	fi
	if [ -n "$why" ]; then
		echo "$PROBE_NAME: $name FAIL: $why"
		tr -d '\r' <"$LOG.vmm" | grep -E '^ +(tx|rx|drops) ' | sed 's/^/    vmm: /'
		count fail
		return
	fi
	# The PROBE lines, the exit status (SIGTERM: 143).
	probe_verdict "$name" "$LOG" "$ST" 143 "$SECS" "${MUST[@]}" "${@:2}"
	[ "$T_FAIL" -eq "$FAIL_BEFORE" ] &&
		echo "$PROBE_NAME: $name counters: tx drops $drops; idle $IDLE_TICKS/$max ticks"
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
	FAIL_BEFORE=$T_FAIL
	run "slirp-$p" slirp "profile=$p $CHECKS"
	judge "slirp/$p"
done

# Once under ASan+UBSan (t_asan.sh's build and options; no seccomp, for
# LeakSanitizer's exit-time scan): no report, and the same verdict.
ASAN_VMM=build-asan/minivmm
REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'
if make -s asan-build >"$PROBE_OUT/asan-build.log" 2>&1 && [ -x "$ASAN_VMM" ]; then
	FAIL_BEFORE=$T_FAIL
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run asan-linux slirp "profile=linux $CHECKS" "$ASAN_VMM" --no-seccomp
	judge asan/linux "!vmm:$REPORT"
else
	probe_skip asan/linux "make asan-build failed"
fi

if probe_tap_up; then
	IN_NS=(ip netns exec "$NETNS")
	FAIL_BEFORE=$T_FAIL
	run tap-linux "$NETNS_TAP" "profile=linux $CHECKS"
	judge tap/linux
	IN_NS=()
else
	probe_skip tap/linux "$PROBE_TAP_SKIP"
fi

echo "$PROBE_NAME: all runs took $(probe_elapsed "$t_start")s"
finish
