#!/bin/bash
# t_fuzz_quick.sh - `make check`'s share of fuzzing (issue 7):
#   wiring    tests/fuzz/run.sh fails a target that overflows the heap,
#             overflows a signed int, or leaks, and passes a clean one, so
#             a crash in the real targets cannot go unnoticed
#   fuzz-quick   every libFuzzer target (tests/fuzz/fuzz_*.c) for
#             FUZZ_QUICK_SECONDS (default 5) from its committed seeds; one
#             line per target, one result per target in the closing line
# Skips with the reason when clang or its libFuzzer runtime is missing
# (Debian: clang, libclang-rt-14-dev; see scripts/deps.sh).
set -u
cd "$(dirname "$0")/../.." || exit 1
SECS=${FUZZ_QUICK_SECONDS:-5}
FUZZ_CC=${FUZZ_CC:-clang}
. tests/lib/results.sh

if ! command -v "$FUZZ_CC" >/dev/null; then
	end_skipped "$FUZZ_CC not installed"
fi
W=build-fuzz/wiring
mkdir -p "$W"
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
	"$FUZZ_CC" -x c -fsanitize=fuzzer,address,undefined -o "$W/probe" - 2>/dev/null; then
	end_skipped "$FUZZ_CC cannot link -fsanitize=fuzzer (libclang-rt missing?)"
fi

# --- wiring: each kind of failure must fail run.sh, a clean target pass ---
mkdir -p "$W/seeds"
for kind in HEAP_OVERFLOW SIGNED_OVERFLOW LEAK CLEAN; do
	name=wire_$(tr 'A-Z' 'a-z' <<<"$kind")
	"$FUZZ_CC" -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-DKIND="$kind" -o "$W/$name" tests/fuzz/wiring/wiring_targets.c || {
		echo "t_fuzz_quick: FAIL: cannot build $name"; count fail; continue; }
	mkdir -p "$W/seeds/$name"
	printf 'BOOM' >"$W/seeds/$name/boom"
	out=$(FUZZ_FRESH=1 FUZZ_SEEDS="$W/seeds" FUZZ_ARGS="-runs=200" tests/fuzz/run.sh 2 "$W/$name" 2>&1)
	rc=$?
	if [ "$kind" = CLEAN ]; then
		want_rc=0 want_line="fuzz: 1 passed, 0 failed"
	else
		want_rc=1 want_line="fuzz: 0 passed, 1 failed"
	fi
	if [ "$([ $rc = 0 ] && echo 0 || echo 1)" = "$want_rc" ] && grep -qx "$want_line" <<<"$out"; then
		echo "t_fuzz_quick: wiring $name ok (run.sh: $want_line)"
		count pass
	else
		echo "t_fuzz_quick: wiring $name FAIL: run.sh exit $rc, want '$want_line':"
		sed 's/^/    /' <<<"$out" | head -10
		count fail
	fi
done

# --- the real targets ---
if ! make -s fuzz-build >"$W/build.log" 2>&1; then
	echo "t_fuzz_quick: FAIL: make fuzz-build failed:"
	grep -E 'error|Error' "$W/build.log" | head -10 | sed 's/^/    /'
	count fail
	finish
	exit 1
fi
bins=()
for src in tests/fuzz/fuzz_*.c; do
	bins+=("build-fuzz/$(basename "$src" .c)")
done
# A fixed seed and a bounded count: `make check` replays the same inputs
# every time (a random seed found the finding in tests/fuzz/findings/
# in one run of three, which made CI a lottery); `make fuzz` explores.
out=$(FUZZ_FRESH=1 FUZZ_ARGS="${FUZZ_QUICK_ARGS:--seed=1 -runs=20000}" \
	tests/fuzz/run.sh "$SECS" "${bins[@]}" 2>&1)
echo "$out" | grep -v '^fuzz: [0-9]* passed'
p=$(sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed$/\1/p' <<<"$out")
f=$(sed -nE 's/^fuzz: ([0-9]+) passed, ([0-9]+) failed$/\2/p' <<<"$out")
if [ -z "$p" ]; then
	echo "t_fuzz_quick: FAIL: run.sh printed no result line"
	f=1 p=0
fi
count pass "$p"
count fail "$f"
finish
