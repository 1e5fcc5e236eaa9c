#!/bin/bash
# run.sh SECONDS FUZZER... - runs each libFuzzer target for SECONDS and
# prints one line per target (executions, corpus size) and a closing
# "fuzz: N passed, N failed" line; any crash, sanitizer report, leak,
# timeout or failed property check fails its target.  The committed seeds
# (tests/fuzz/corpus/TARGET/) are read, never written.
#   FUZZ_FRESH=1   start from the seeds alone in a throw-away folder (make
#                  fuzz-quick, so `make check` does not depend on earlier
#                  runs); otherwise build-fuzz/corpus/TARGET/ keeps what
#                  each run found for the next (make fuzz)
#   FUZZ_ARGS      more libFuzzer options, e.g. "-seed=1 -runs=100000"
#   FUZZ_SEEDS     where the seed folders are (default tests/fuzz/corpus)
# Crashing inputs are kept as build-fuzz/crashes/TARGET-crash-*; replay one
# with `build-fuzz/TARGET FILE`.
set -u
cd "$(dirname "$0")/../.." || exit 1
secs=$1; shift
pass=0 fail=0 total=0
# make fuzz-quick (fresh) and make fuzz may run at once: separate logs.
logs=build-fuzz/logs
[ "${FUZZ_FRESH:-0}" = 1 ] && logs=build-fuzz/logs-quick
mkdir -p build-fuzz/crashes "$logs"
for bin in "$@"; do
	t=$(basename "$bin")
	seeds=${FUZZ_SEEDS:-tests/fuzz/corpus}/$t
	log=$logs/$t.log
	if [ "${FUZZ_FRESH:-0}" = 1 ]; then
		work=$(mktemp -d /tmp/fuzz-$t.XXXXXX)
	else
		work=build-fuzz/corpus/$t
		mkdir -p "$work"
	fi
	# Parsers of short text need no long inputs; frames and images do.
	case $t in
	fuzz_options|fuzz_netspec) maxlen=1024 ;;
	*) maxlen=16384 ;;
	esac
	[ -d "$seeds" ] || seeds=
	# shellcheck disable=SC2086
	UBSAN_OPTIONS=print_stacktrace=1 "$bin" -max_total_time="$secs" \
		-print_final_stats=1 -max_len=$maxlen -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build-fuzz/crashes/$t-" ${FUZZ_ARGS:-} \
		"$work" $seeds >"$log" 2>&1
	rc=$?
	execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)
	corpus=$(find "$work" -type f | wc -l)
	[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$work"
	total=$((total + ${execs:-0}))
	if [ "$rc" = 0 ]; then
		echo "fuzz: $t ok: ${execs:-?} executions in ${secs}s, $corpus new corpus files"
		pass=$((pass + 1))
	else
		echo "fuzz: $t FAILED (exit $rc) after ${execs:-?} executions; log $log"
		grep -E '^(fuzz check failed|SUMMARY|==[0-9]+==ERROR|INFO: Seed)|runtime error|Test unit written|^ +#[0-9] ' \
			"$log" | grep -vE 'fuzzer::|__sanitizer|libc\.so|nptl|raise\.c|abort\.c|_start' |
			head -n 20 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "fuzz: $total executions in total"
echo "fuzz: $pass passed, $fail failed"
[ "$fail" = 0 ]
