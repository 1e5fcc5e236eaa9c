#!/bin/bash
# Runs test programs and scripts, sums their "N passed, N failed" lines and
# prints one closing line for the whole suite.  A program that exits
# non-zero without such a line counts as one failure; "N skipped" is summed
# too.  Usage: run-suite.sh LABEL PROGRAM...
set -u
label=$1; shift
pass=0 fail=0 skip=0
for t in "$@"; do
	echo "=== $t"
	out=$(mktemp)
	"./$t" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
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
done
echo "$label: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
