#!/bin/bash
# t_console_stall.sh - a console nobody reads costs the guest output, never
# time (issue 14): the probe guest (firmware/probe) writes 256 KiB of
# console text while minivmm's stdout is a FIFO (4 KiB) whose reader never
# reads, then moves 1 MiB each way over TCP through slirp.
#   stalled-reader   the transfer completes with the right checksums (the
#                    probe verifies the peer's FNV hash both ways: exit
#                    status 0), minivmm exits on its own, and says once
#                    how many console bytes it dropped
#   reader-keeps-up  the same guest with less output than the console
#                    buffer, stdout a file: every byte arrives, the last
#                    line (written just before the guest exits) included,
#                    and no drop line
# Before the console buffer (common/conbuf.c) the UART wrote each byte with
# a blocking write() on the vCPU, under the bus lock: once the FIFO was
# full the vCPU stopped for good (a SIGTERM's kick only restarts the
# write), and the run ends only at the time-out's SIGKILL: status 137.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/guest.sh
PROBE_NAME=t_console_stall
. tests/lib/probe.sh
MINIVMM=${MINIVMM:-./minivmm}
FLOOD_KIB=256
HOLDER=

probe_require
trap '[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null; probe_cleanup' EXIT
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null 2>&1 || {
	fail build "$MINIVMM"; finish; exit; }
if ! probe_start_peer slirp 127.0.0.1; then
	fail peer "the probe's peer did not start"; finish; exit
fi
ARGS="profile=ipxe checks=dhcp,tcp_get,tcp_put udp=$PEER_UDP tcp=$PEER_TCP$PROBE_EXTRA"

# run OUT NAME CONSOLE_KIB: the probe with stdout to OUT (already open
# for reading if a FIFO); sets ST and VMMLOG.  timeout -k: a vCPU stuck in
# write() ignores the first SIGTERM's exit request.
run() {
	VMMLOG=$PROBE_OUT/$2.vmm
	timeout -k 5 "$PROBE_TIMEOUT" "$MINIVMM" -v -k "$PROBE" -m 128M \
		-net slirp -a "$ARGS console=$3" </dev/null >"$1" 2>"$VMMLOG"
	ST=$?
}

# check_transfer NAME: status 0 (every check passed) and the device moved
# the 1 MiB each way (minivmm -v counters), so the checks did not skip.
check_transfer() {
	local rx tx
	rx=$(sed -nE 's/^  rx [0-9]+ packets ([0-9]+) bytes.*/\1/p' "$VMMLOG" | head -1)
	tx=$(sed -nE 's/^  tx [0-9]+ packets ([0-9]+) bytes.*/\1/p' "$VMMLOG" | head -1)
	if [ "$ST" = 0 ] && [ "${rx:-0}" -ge 1048576 ] && [ "${tx:-0}" -ge 1048576 ]; then
		pass "$1: transfer" "status 0, rx $rx bytes, tx $tx bytes"
	else
		fail "$1: transfer" "status $ST (124/137: timed out), rx ${rx:-?} tx ${tx:-?}"
		sed 's/^/    vmm: /' "$VMMLOG" | head -8
	fi
}

# ---- stalled-reader ------------------------------------------------------
fifo=$PROBE_OUT/console.fifo
mkfifo "$fifo"
# Opens the FIFO for reading (so minivmm's open of it returns), makes its
# buffer one page (F_SETPIPE_SZ; the default 64 KiB would do too, with
# less margin) and never reads a byte.
python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    fcntl.fcntl(fd, 1031, 4096)    # F_SETPIPE_SZ
except OSError:
    pass
time.sleep(600)' "$fifo" &
HOLDER=$!
t0=$(date +%s)
run "$fifo" stalled "$FLOOD_KIB"
secs=$(( $(date +%s) - t0 ))
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
HOLDER=
check_transfer stalled-reader
tr -d '\r' <"$VMMLOG" >"$VMMLOG.txt"
lines=$(grep -cE '^minivmm: console: [0-9]+ bytes of guest output dropped' "$VMMLOG.txt")
dropped=$(sed -nE 's/^minivmm: console: ([0-9]+) bytes.*/\1/p' "$VMMLOG.txt" | head -1)
# 256 KiB less what the FIFO (4 KiB) and the 64 KiB buffer hold; at least
# 64 KiB even if the FIFO kept its default size.
if [ "$lines" = 1 ] && [ "${dropped:-0}" -ge $((64 * 1024)) ] &&
   [ "${dropped:-0}" -le $((FLOOD_KIB * 1024 + 4096)) ]; then
	pass "stalled-reader: one drop line" "$dropped bytes, run ${secs}s"
else
	fail "stalled-reader: one drop line" "$lines lines, dropped '${dropped:-}'"
fi

# ---- reader-keeps-up -----------------------------------------------------
out=$PROBE_OUT/console.out
run "$out" file 32
check_transfer reader-keeps-up
tr -d '\r' <"$out" >"$out.txt"
fills=$(grep -c '^fill [0-9]\{7\} abc' "$out.txt")
if [ "$fills" = 512 ] && grep -q '^PROBE RESULT [0-9]* passed, 0 failed' "$out.txt" &&
   ! grep -q 'bytes of guest output dropped' "$PROBE_OUT/file.vmm"; then
	pass "reader-keeps-up: all output, no drop line" "512 fill lines and the RESULT line"
else
	fail "reader-keeps-up: all output, no drop line" "$fills fill lines of 512"
	tail -3 "$out.txt" | sed 's/^/    /'
fi
finish
