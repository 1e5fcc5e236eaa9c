#!/bin/bash
# Runs test programs and scripts, sums their "N passed, N failed" lines and
# prints one closing line for the whole suite.  A program that exits
# non-zero without such a line counts as one failure; "N skipped" is summed
# too.  Usage: run-suite.sh LABEL PROGRAM...
#
# A script whose first lines say "suite: background" (the Linux boot, which
# keeps one host core busy for many minutes while the other sits idle) is
# started first and runs alongside the others; its output is shown and
# counted when it ends.
set -u
label=$1; shift
pass=0 fail=0 skip=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# tally NAME OUTPUT_FILE EXIT_STATUS: adds one program's result line.
tally() {
	local t=$1 out=$2 rc=$3 line p f s
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	if [ -n "$line" ]; then
		p=$(sed -E 's/^([A-Za-z-]+: )?([0-9]+) passed.*/\2/' <<<"$line")
		f=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
		s=$(sed -nE 's/.* ([0-9]+) skipped.*/\1/p' <<<"$line")
		pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + ${s:-0}))
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "!!! $t exited $rc"; fail=$((fail + 1))
		fi
	else
		echo "!!! $t printed no result line (exit $rc)"; fail=$((fail + 1))
	fi
}

background=() foreground=()
for t in "$@"; do
	if head -n 5 "$t" 2>/dev/null | grep -aq 'suite: background'; then
		background+=("$t")
	else
		foreground+=("$t")
	fi
done

declare -A bg_pid
for t in "${background[@]}"; do
	n=$(basename "$t")
	echo "=== $t (started in the background)"
	("./$t" >"$tmp/$n.out" 2>&1; echo $? >"$tmp/$n.rc") &
	bg_pid[$t]=$!
done

for t in "${foreground[@]}"; do
	echo "=== $t"
	"./$t" 2>&1 | tee "$tmp/out"
	tally "$t" "$tmp/out" "${PIPESTATUS[0]}"
done

for t in "${background[@]}"; do
	n=$(basename "$t")
	wait "${bg_pid[$t]}"
	echo "=== $t (background, done)"
	cat "$tmp/$n.out"
	tally "$t" "$tmp/$n.out" "$(cat "$tmp/$n.rc" 2>/dev/null || echo 1)"
done

# The suite's own closing line, under a header of its own so that it is
# never read as the last program's.
echo "=== $label: summary of every program above"
echo "$label: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
