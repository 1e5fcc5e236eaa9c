#!/bin/bash
# t_hostile_host.sh - what a hostile or careless user can hand minivmm on the
# host side (issue 13), each case shown on the real binary:
#   - started with fds 0-2 closed, nothing of minivmm's lands on them;
#   - stderr lines end in "\n" when stderr is a file, and a file name with a
#     newline still makes one line;
#   - files that are not regular files (FIFOs, /dev/zero, directories) are
#     refused at once, never waited on;
#   - a disk image has one writer: a second minivmm, or the same image given
#     twice, is refused with one line naming it;
#   - pcap files that cannot be written are one line at set-up, and write
#     errors during a run are reported once.
# Cases that need a running guest skip without a usable /dev/kvm.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/guest.sh
MINIVMM=${MINIVMM:-$PWD/minivmm}
IDLE=build/tests/guests/idle.elf

[ -x "$MINIVMM" ] || make -s minivmm >/dev/null || {
	fail build "cannot build minivmm"; finish; exit; }
make -s "$IDLE" || { fail build "cannot build $IDLE"; finish; exit; }

D=$(mktemp -d /tmp/t_hostile_host.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$D"
}
trap cleanup EXIT

# one_line NAME WANT -- COMMAND...: exactly WANT on stderr (one line, "\n"
# only), nothing on stdout, status 1, within 10 s (a hang is a failure).
one_line() {
	local name=$1 want=$2 st
	shift 3
	timeout 10 "$@" </dev/null >"$D/out" 2>"$D/err"
	st=$?
	if [ "$st" = 1 ] && [ ! -s "$D/out" ] &&
	   [ "$(cat "$D/err")" = "$want" ] && [ "$(wc -l <"$D/err")" = 1 ] &&
	   ! grep -q $'\r' "$D/err"; then
		pass "$name"
	else
		fail "$name" "status $st (124: hung), stderr: $(head -c 300 "$D/err" | od -c | head -4 | tr -s ' ')"
		echo "    wanted: $want"
	fi
}

# ---- item 6: closed standard descriptors -----------------------------------
# strace shows which numbers minivmm's own opens got: with 0-2 closed at
# exec, each must be filled with /dev/null before anything else is opened
# (the dynamic loader's opens of libraries, closed again, do not count).
if command -v strace >/dev/null; then
	strace -f -o "$D/strace" -e trace=openat "$MINIVMM" -k "$IDLE" -m 16M -net none \
		0<&- 1>&- 2>&- &
	p=$!; PIDS+=("$p"); sleep 2; kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null
	bad=$(grep -vE '/dev/null|ld\.so\.cache|\.so[.0-9]*"' "$D/strace" | grep -E 'openat\(.*\) = [012]$' | head -1)
	if [ -z "$bad" ] && grep -qE 'openat\(.*"/dev/null".*\) = 0$' "$D/strace"; then
		pass closed_std_fds_get_dev_null
	else
		fail closed_std_fds_get_dev_null "${bad:-no /dev/null open on fd 0}"
	fi
else
	skip closed_std_fds_get_dev_null "no strace"
fi

# ---- item 3: one line, plain "\n" on a file --------------------------------
one_line stderr_file_gets_plain_newline "minivmm: unknown option '--frobnicate' (see --help)" \
	-- "$MINIVMM" --frobnicate
one_line newline_in_file_name "minivmm: kernel $D/new?line: No such file or directory" \
	-- "$MINIVMM" -k "$D/new"$'\n'"line"
