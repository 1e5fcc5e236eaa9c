#!/bin/bash
# t_asan.sh - AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer)
# over minivmm (issue 7), built by `make asan-build` into build-asan/:
#   unit/NAME     every unit test (tests/unit/test_*.c) built with the
#                 sanitizers: its own "0 failed" and no sanitizer report
#   probe-slirp   the probe guest's full run (DHCP, ARP, ping, UDP, TCP both
#                 ways through tests/peers/probe_peer.py) under an ASan+UBSan
#                 minivmm: every check passes, exit 0, no report, no leak
# The probe run uses --no-seccomp: LeakSanitizer's exit-time scan stops the
# threads with ptrace from a helper it clones, which the allow-list refuses
# (t_seccomp.sh covers the filter; this covers memory and UB).
set -u
cd "$(dirname "$0")/../.." || exit 1
PROBE_NAME=t_asan
. tests/lib/results.sh
AB=build-asan

if ! make -s asan-build >/tmp/t_asan.build.$$ 2>&1; then
	echo "t_asan: FAIL: make asan-build failed:"
	grep -E 'error' /tmp/t_asan.build.$$ | head -10 | sed 's/^/    /'
	rm -f /tmp/t_asan.build.$$
	count fail
	finish
	exit 1
fi
rm -f /tmp/t_asan.build.$$

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
REPORT='ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'

for src in tests/unit/test_*.c; do
	name=$(basename "$src" .c)
	bin=$AB/tests/$name
	log=$(mktemp)
	timeout 300 "$bin" >"$log" 2>&1
	st=$?
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ "$st" = 0 ] && grep -qE ' 0 failed' <<<"$line" && ! grep -qE "$REPORT" "$log"; then
		echo "t_asan: unit/$name ok ($line)"
		count pass
	else
		echo "t_asan: unit/$name FAIL (exit $st, '${line:-no result line}')"
		grep -E "$REPORT|^ +#[0-9]+ " "$log" | head -12 | sed 's/^/    /'
		count fail
	fi
	rm -f "$log"
done

# One probe run under the ASan minivmm.
. tests/lib/probe.sh
if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ] || ! command -v python3 >/dev/null; then
	echo "t_asan: probe-slirp skipped: no writable /dev/kvm or no python3"
	count skip
else
	probe_require
	if probe_start_peer lo 127.0.0.1; then
		probe_must slirp linux
		t0=$(date +%s%N)
		timeout 120 "$AB/minivmm" -k "$PROBE" -m 128M --no-seccomp \
			-a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP" \
			</dev/null >"$PROBE_OUT/asan.log" 2>"$PROBE_OUT/asan.log.vmm"
		st=$?
		probe_verdict probe-slirp "$PROBE_OUT/asan.log" "$st" 0 "$(probe_elapsed "$t0")" \
			"${PROBE_MUST[@]}" "!vmm:$REPORT"
	else
		echo "t_asan: probe-slirp FAIL: the peer did not start"
		count fail
	fi
fi

finish
