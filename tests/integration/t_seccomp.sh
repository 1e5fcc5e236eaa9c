#!/bin/bash
# t_seccomp.sh - minivmm's confinement (vmm/seccomp.c, vmm/privdrop.c):
#   allow-list-complete   a full probe run over slirp (DHCP, ARP, ping, UDP,
#                         TCP both ways through tests/peers/probe_peer.py)
#                         passes with the allow-list on, as it is by default
#   tap-complete          the same over a tap with offloads (TUNSETOFFLOAD at
#                         run time), when root can make a private netns
#   forbidden-call        a forbidden system call after the filter is in
#                         place (MINIVMM_TEST_SECCOMP_VIOLATION=1: execve)
#                         ends minivmm with status 1 and exactly one line
#                         naming it
#   open-read-only        (MINIVMM_TEST_SECCOMP_VIOLATION=open) a file opens for
#                         reading (libslirp's resolv.conf), one for writing is
#                         refused with the same one line
#   no-seccomp            --no-seccomp: no filter, the same hook runs nothing
#   user-nobody           (root) --user nobody: the probe still passes, and
#                         /proc/PID/status shows uid 65534 and seccomp mode 2
#                         while the guest runs
#   user-unknown          --user with a name that does not exist: one line,
#                         status 1
#   passt-user-nobody     (root) -net passt --user nobody in the routed
#                         namespace of tests/lib/netns.sh: the probe passes
#                         with the allow-list on, and passt itself runs as
#                         nobody (--runas), never root
set -u
cd "$(dirname "$0")/../.." || exit 1
PROBE_NAME=t_seccomp
. tests/lib/probe.sh
MINIVMM=${MINIVMM:-./minivmm}
probe_require
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null || {
	end_failed "cannot build minivmm"; }
# The stream for the 4 MiB run (user-nobody) made before the peer listens:
# computing it per request took Python minutes in the nested test bed.
PROBE_PEER_WARM=4194304 probe_start_peer lo 127.0.0.1 || { count fail; finish; exit 1; }
LO_UDP=$PEER_UDP LO_TCP=$PEER_TCP
IN_NS=()	# (ip netns exec NS) for the tap run

# run NAME ENV... -- ARGS...: boots the probe, console in $PROBE_OUT/NAME.log,
# minivmm's messages in NAME.log.vmm; prints the exit status.
run() {
	local name=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	"${IN_NS[@]}" env "${envs[@]}" timeout "$PROBE_TIMEOUT" "$MINIVMM" -k "$PROBE" -m 128M "$@" \
		</dev/null >"$PROBE_OUT/$name.log" 2>"$PROBE_OUT/$name.log.vmm"
	echo $?
}

# The allow-list is complete for the network path.
probe_must slirp linux
t0=$(date +%s%N)
st=$(run slirp -- -v -a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA")
probe_verdict allow-list-complete "$PROBE_OUT/slirp.log" "$st" 0 "$(probe_elapsed "$t0")" \
	"${PROBE_MUST[@]}" "vmm:^minivmm: seccomp: allow-list installed" "!vmm:forbidden"

if probe_tap_up; then
	probe_must tap linux
	t0=$(date +%s%N)
	IN_NS=(ip netns exec "$NETNS")
	st=$(run tap -- -v -net "$NETNS_TAP" -a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA")
	IN_NS=()
	probe_verdict tap-complete "$PROBE_OUT/tap.log" "$st" 0 "$(probe_elapsed "$t0")" \
		"${PROBE_MUST[@]}" "vmm:^minivmm: seccomp: allow-list installed" "!vmm:forbidden"
else
	probe_skip tap-complete "$PROBE_TAP_SKIP"
fi
PEER_UDP=$LO_UDP PEER_TCP=$LO_TCP

# A forbidden call is refused: one line, status 1, nothing else said.
t0=$(date +%s%N)
st=$(run forbidden MINIVMM_TEST_SECCOMP_VIOLATION=1 -- -a "profile=linux checks=selftest")
vmm=$PROBE_OUT/forbidden.log.vmm
want='minivmm: seccomp: forbidden system call 59 (execve); please report this as a minivmm bug'
if [ "$st" = 1 ] && [ "$(tr -d '\r' <"$vmm" | grep -c .)" = 1 ] &&
   [ "$(tr -d '\r' <"$vmm" | grep .)" = "$want" ]; then
	echo "t_seccomp: forbidden-call ok ($(probe_elapsed "$t0")s, status 1, '$want')"
	count pass
else
	echo "t_seccomp: forbidden-call FAIL: status $st, want 1 and the line '$want'; got:"
	sed 's/^/    vmm: /' "$vmm" | head -5
	count fail
fi

# Opening for reading passes (libslirp reads /etc/resolv.conf at run time);
# opening for writing is refused with the same one line.
t0=$(date +%s%N)
st=$(run openwrite MINIVMM_TEST_SECCOMP_VIOLATION=open -- -a "profile=linux checks=selftest")
vmm=$PROBE_OUT/openwrite.log.vmm
want='minivmm: seccomp: forbidden system call 257 (openat); please report this as a minivmm bug'
if [ "$st" = 1 ] && [ "$(tr -d '\r' <"$vmm" | grep .)" = "$want" ] &&
   [ ! -e /tmp/minivmm-seccomp-test ]; then
	echo "t_seccomp: open-read-only ok ($(probe_elapsed "$t0")s, read allowed, write refused)"
	count pass
else
	echo "t_seccomp: open-read-only FAIL: status $st, want 1 and the line '$want'; got:"
	sed 's/^/    vmm: /' "$vmm" | head -5
	count fail
fi
rm -f /tmp/minivmm-seccomp-test

# --no-seccomp: the hook that would have made the forbidden call is not reached.
t0=$(date +%s%N)
st=$(run noseccomp MINIVMM_TEST_SECCOMP_VIOLATION=1 -- -v --no-seccomp \
	-a "profile=linux checks=selftest,dhcp")
probe_verdict no-seccomp "$PROBE_OUT/noseccomp.log" "$st" 0 "$(probe_elapsed "$t0")" \
	"selftest ok" "dhcp ok" "vmm:^minivmm: seccomp: off" "!vmm:allow-list installed"

# --user nobody, sampled from /proc while the guest moves 4 MiB each way.
if [ "$(id -u)" != 0 ]; then
	probe_skip user-nobody "not root (nothing to drop)"
elif ! id nobody >/dev/null 2>&1; then
	probe_skip user-nobody "no user 'nobody' on this machine"
else
	log=$PROBE_OUT/user.log
	uid=$(id -u nobody)
	t0=$(date +%s%N)
	"$MINIVMM" -k "$PROBE" -m 128M -v --user nobody \
		-a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA bytes=4194304" \
		</dev/null >"$log" 2>"$log.vmm" &
	pid=$!
	seen=
	while kill -0 "$pid" 2>/dev/null; do
		s=$(cat "/proc/$pid/status" 2>/dev/null)
		if grep -qE "^Uid:[[:space:]]+$uid[[:space:]]+$uid[[:space:]]+$uid" <<<"$s" &&
		   grep -qE '^Seccomp:[[:space:]]+2' <<<"$s" &&
		   grep -qE '^Groups:[[:space:]]*[0-9]*[[:space:]]*$' <<<"$s"; then
			seen=1
		fi
		[ -n "$seen" ] && break
		sleep 0.05
	done
	wait "$pid"
	st=$?
	probe_must slirp linux
	must=("${PROBE_MUST[@]}" "vmm:^minivmm: running as user nobody \\(uid $uid,")
	if [ -z "$seen" ]; then
		must+=("vmm:^/proc/$pid/status never showed uid $uid with seccomp mode 2")
	fi
	probe_verdict user-nobody "$log" "$st" 0 "$(probe_elapsed "$t0")" "${must[@]}"
fi

# -net passt with --user: passt is started before the drop and the filter,
# as the same user; the socket it left behind is all minivmm needs after.
if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	probe_skip passt-user-nobody "not root, or no user 'nobody'"
elif ! probe_passt_up; then
	probe_skip passt-user-nobody "$PROBE_PASST_SKIP"
else
	log=$PROBE_OUT/passt-user.log
	uid=$(id -u nobody)
	t0=$(date +%s%N)
	ip netns exec "$PASST_NS" "$MINIVMM" -k "$PROBE" -m 128M -v --user nobody -net passt \
		-a "profile=linux udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA" </dev/null >"$log" 2>"$log.vmm" &
	pid=$!
	passt_uid=
	while kill -0 "$pid" 2>/dev/null && [ -z "$passt_uid" ]; do
		ppid=$(sed -nE 's/.*passt: .* started \(pid ([0-9]+)\).*/\1/p' "$log.vmm")
		[ -n "$ppid" ] && passt_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$ppid/status" 2>/dev/null)
		sleep 0.05
	done
	wait "$pid"
	st=$?
	probe_must soft linux
	must=("${PROBE_MUST[@]}" "vmm:^minivmm: running as user nobody \\(uid $uid,"
	      "vmm:^minivmm: seccomp: allow-list installed" "!vmm:forbidden")
	[ "$passt_uid" = "$uid" ] || must+=("vmm:^passt ran as uid '$passt_uid', not $uid")
	probe_verdict passt-user-nobody "$log" "$st" 0 "$(probe_elapsed "$t0")" "${must[@]}"
	PEER_UDP=$LO_UDP PEER_TCP=$LO_TCP
fi

# An unknown user: one line, status 1.
st=$(run nouser -- --user no-such-user-xyz -a "profile=linux checks=selftest")
want='minivmm: --user no-such-user-xyz: no such user'
if [ "$st" = 1 ] && [ "$(tr -d '\r' <"$PROBE_OUT/nouser.log.vmm")" = "$want" ]; then
	echo "t_seccomp: user-unknown ok ('$want')"
	count pass
else
	echo "t_seccomp: user-unknown FAIL: status $st, want 1 and '$want'; got:"
	sed 's/^/    vmm: /' "$PROBE_OUT/nouser.log.vmm" | head -5
	count fail
fi

finish
