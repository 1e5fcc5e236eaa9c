# results.sh - the one pass/fail/skip bookkeeping of every test script
# (source it, bash; tests/lib/guest.sh and tests/lib/probe.sh source it, so
# a script that has either has this too).  A script ends with finish,
# whose "N passed, N failed, N skipped" tests/run-suite.sh and
# tests/integration/t_nested.sh add up; the unit tests' check.h prints the
# same line.
#
#   pass NAME [DETAIL]        prints "ok   NAME (DETAIL)" and counts it
#   fail NAME [DETAIL]        prints "FAIL NAME (DETAIL)" and counts it
#   skip NAME REASON          prints "skip NAME: REASON" and counts it
#   expect_in NAME REGEX FILE pass if REGEX is in FILE, else fail
#   count pass|fail|skip [N]  counts N (1) without a line, for a result
#                             the caller has printed in its own words
#   finish                    the closing line; status 0 if nothing failed
#   end_skipped REASON        "T_NAME: skipped: REASON" and a closing line
#                             with one more skip, exit 0 (nothing could run)
#   end_failed REASON         "T_NAME: FAIL: REASON" and a closing line
#                             with one more failure, exit 1 (a set-up step
#                             the rest needs failed)
#
# T_NAME starts the lines of end_skipped and end_failed: the script's name
# unless it was set before this file was sourced.

# Sourced twice (guest.sh and probe.sh in one script): keep the counts.
if [ -z "${T_RESULTS_LOADED:-}" ]; then
	T_RESULTS_LOADED=1
	T_PASS=0 T_FAIL=0 T_SKIP=0
	T_NAME=${T_NAME:-$(basename "$0" .sh)}
fi

pass() { T_PASS=$((T_PASS + 1)); echo "ok   $1${2:+ ($2)}"; }
fail() { T_FAIL=$((T_FAIL + 1)); echo "FAIL $1${2:+ ($2)}"; }
skip() { T_SKIP=$((T_SKIP + 1)); echo "skip $1: $2"; }

expect_in() {	# NAME REGEX FILE
	if grep -qE "$2" "$3"; then pass "$1"; else fail "$1" "no /$2/ in $3"; fi
}

count() {	# pass|fail|skip [N]
	case $1 in
	pass) T_PASS=$((T_PASS + ${2:-1})) ;;
	fail) T_FAIL=$((T_FAIL + ${2:-1})) ;;
	skip) T_SKIP=$((T_SKIP + ${2:-1})) ;;
	esac
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ "$T_FAIL" = 0 ]
}

end_skipped() {
	echo "$T_NAME: skipped: $1"
	count skip
	finish
	exit 0
}

end_failed() {
	echo "$T_NAME: FAIL: $1"
	count fail
	finish
	exit 1
}
