# Shared helpers for the integration tests (source this file).
#
# run_guest LOG TIMEOUT STOP_REGEX GRACE -- minivmm args...
#   Runs minivmm in the background with its console written to LOG, and
#   waits until it exits, or TIMEOUT seconds pass, or STOP_REGEX appears in
#   LOG (then GRACE more seconds, for whatever follows the milestone).  A
#   guest still running then is stopped with SIGTERM.  Sets GUEST_STATUS to
#   minivmm's exit status (143 when it was stopped) and GUEST_SECONDS to the
#   wall time until the milestone or the exit.  The guest's console input is
#   $GUEST_STDIN (default /dev/null), e.g. a FIFO a test types into.
#
# The pass/fail/skip/finish bookkeeping is tests/lib/results.sh's.

. tests/lib/results.sh

MINIVMM=${MINIVMM:-./minivmm}

# Kernel arguments for Linux test boots (why each: t_linux_boot.sh).
LINUX_TEST_ARGS="cryptomgr.notests mitigations=off audit=0 rodata=off preempt=full nowatchdog"
LINUX_TEST_ARGS="$LINUX_TEST_ARGS initcall_blacklist=ftrace_check_for_weak_functions,trace_eval_init,crypto_kdf108_init,blake2s_mod_init"
# Whatever the place a test runs in adds for every Linux guest: the nested
# test bed (tests/nested) passes the TSC frequency, which an L2 guest cannot
# calibrate, and `quiet`.
LINUX_TEST_ARGS="$LINUX_TEST_ARGS${LINUX_EXTRA_ARGS:+ $LINUX_EXTRA_ARGS}"

have_kvm() {
	[ -r /dev/kvm ] && [ -w /dev/kvm ]
}

software_kvm() {
	! grep -qwE 'vmx|svm' /proc/cpuinfo
}

# wait_vcpu_thread PID: returns once minivmm PID has a second thread (its
# first vCPU runs), or after 5 s.
wait_vcpu_thread() {
	local i
	for i in $(seq 100); do
		[ "$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" \
			-ge 2 ] 2>/dev/null && return
		sleep 0.05
	done
}

now_s() {
	date +%s.%N
}

run_guest() {
	local log=$1 timeout=$2 stop=$3 grace=$4
	shift 5
	local start pid deadline seen=""
	start=$(now_s)
	"$MINIVMM" "$@" <"${GUEST_STDIN:-/dev/null}" >"$log" 2>&1 &
	pid=$!
	deadline=$(( $(date +%s) + timeout ))
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$seen" ] && [ -n "$stop" ] && grep -qE "$stop" "$log"; then
			seen=$(now_s)
			deadline=$(( $(date +%s) + grace ))
		fi
		[ "$(date +%s)" -ge "$deadline" ] && break
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		sleep 2
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid"
	GUEST_STATUS=$?
	[ -z "$seen" ] && seen=$(now_s)
	GUEST_SECONDS=$(awk -v a="$start" -v b="$seen" 'BEGIN { printf "%.0f", b - a }')
}
