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
	# The guest idles and minivmm's own --timeout ends the run (a SIGTERM
	# to strace itself left it detaching for minutes in the nested test
	# bed; a timeout(1) under strace opens files of its own on 0-2).
	timeout -k 5 60 strace -f -o "$D/strace" -e trace=openat \
		"$MINIVMM" --timeout 2 -k "$IDLE" -m 16M -net none 0<&- 1>&- 2>&-
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

# ---- item 1: files that are not regular files ------------------------------
mkfifo "$D/fifo"
: >"$D/empty.img"
truncate -s 1M "$D/disk.img"
one_line fifo_kernel "minivmm: kernel $D/fifo: not a regular file" -- "$MINIVMM" -k "$D/fifo"
one_line fifo_initrd "minivmm: initrd $D/fifo: not a regular file" \
	-- "$MINIVMM" -k "$IDLE" -i "$D/fifo"
one_line fifo_firmware "minivmm: --firmware $D/fifo: not a regular file" \
	-- "$MINIVMM" --firmware "$D/fifo"
one_line fifo_disk "minivmm: -d $D/fifo: not a regular file or block device" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/fifo"
one_line fifo_disk_ro "minivmm: -d $D/fifo: not a regular file or block device" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/fifo,ro"
one_line dev_zero_disk "minivmm: -d /dev/zero: not a regular file or block device" \
	-- "$MINIVMM" -k "$IDLE" -d /dev/zero,ro
one_line empty_disk "minivmm: -d $D/empty.img: empty (a disk needs at least one 512-byte sector)" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/empty.img"
one_line dev_zero_kernel "minivmm: kernel /dev/zero: not a regular file" -- "$MINIVMM" -k /dev/zero

# ---- item 5: one writer per disk image -------------------------------------
LOCKED="minivmm: -d $D/disk.img: in use (locked by another minivmm, a QEMU, or another -d of this one)"
one_line same_image_twice "$LOCKED; ,ro shares it with other readers" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/disk.img" -d "$D/disk.img"
one_line same_image_rw_and_ro "$LOCKED" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/disk.img" -d "$D/disk.img,ro"
# Another process holding a lock (POSIX and OFD locks see each other).
python3 -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+b"); fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[2], "w").close(); time.sleep(30)' "$D/disk.img" "$D/held" &
holder=$!; PIDS+=("$holder")
for _ in $(seq 50); do [ -e "$D/held" ] && break; sleep 0.1; done
one_line second_writer_other_process "$LOCKED; ,ro shares it with other readers" \
	-- "$MINIVMM" -k "$IDLE" -d "$D/disk.img"
one_line reader_while_other_writes "$LOCKED" -- "$MINIVMM" -k "$IDLE" -d "$D/disk.img,ro"
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null

finish

# ---- with a usable /dev/kvm only: files checked while the PC is built ----
if ! have_kvm; then
	skip kvm_cases "no usable /dev/kvm (unbootable images, pcap, bomb, running lock holder)"
	finish
	exit
fi
python3 - "$D" <<'PYEOF' || fail make_images "cannot make images"
import lzma, os, struct, sys
sys.path.insert(0, "tests/fuzz")
import make_seeds as m
d = sys.argv[1]
def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
# Item 7: a payload of no known format, and setup_sects 0.
put("unknown.bz", m.bzimage(b"\x12\x34\x56\x78" + b"\0" * 4096, 8192))
zero = bytearray(m.bzimage(lzma.compress(m.tiny_elf(), format=lzma.FORMAT_XZ,
                                         check=lzma.CHECK_CRC32), 8192))
zero[0x1f1] = 0
put("setup0.bz", bytes(zero))
# Item 4: 64 MiB of zeros that claims to be 8 KiB, against -m 16M.
put("bomb.bz", m.bzimage(lzma.compress(b"\0" * (64 << 20), format=lzma.FORMAT_XZ,
                                       check=lzma.CHECK_CRC32), 8192))
# Item 7: an ELF program (no PVH note, linked low) rather than a kernel.
put("program.elf", m.tiny_elf(pvh=False))
PYEOF
one_line shared_object_kernel \
	"minivmm: kernel /bin/ls: a shared object or position-independent program, not a kernel" \
	-- "$MINIVMM" -k /bin/ls -m 16M -net none
one_line program_kernel \
	"minivmm: kernel $D/program.elf: neither a PVH kernel (no Xen PVH entry note) nor a Linux vmlinux (no segment linked at 0xffffffff80000000 holding the entry point)" \
	-- "$MINIVMM" -k "$D/program.elf" -m 16M -net none
one_line unknown_payload \
	"minivmm: kernel $D/unknown.bz: payload of unknown format (starts 12 34 56 78): not a kernel minivmm can boot" \
	-- "$MINIVMM" -k "$D/unknown.bz" -m 16M -net none
one_line unknown_payload_guest_decompress \
	"minivmm: kernel $D/unknown.bz: payload of unknown format (starts 12 34 56 78): not a kernel minivmm can boot" \
	-- "$MINIVMM" -k "$D/unknown.bz" -m 16M -net none --guest-decompress
one_line setup_sects_0 \
	"minivmm: kernel $D/setup0.bz: setup_sects is 0 (a 2.12 kernel always sets it): not a kernel minivmm can boot" \
	-- "$MINIVMM" -k "$D/setup0.bz" -m 16M -net none
# Item 4: the bomb is stopped at 16 MiB; peak RSS stays near guest size.
/usr/bin/time -f %M -o "$D/rss" "$MINIVMM" -k "$D/bomb.bz" -m 16M -net none \
	</dev/null >/dev/null 2>"$D/err"
if [ "$(cat "$D/err")" = "minivmm: kernel $D/bomb.bz: xz: decompressed kernel larger than 16 MiB (guest RAM; -m too small?)" ] &&
   [ "$(tail -1 "$D/rss")" -lt 65536 ]; then
	pass decompression_bomb_small_m "peak $(tail -1 "$D/rss") KB"
else
	fail decompression_bomb_small_m "peak $(tail -1 "$D/rss") KB, stderr: $(head -c 300 "$D/err")"
fi

# ---- item 3: pcap files, at set-up and while running -----------------------
mkdir "$D/dir"
one_line pcap_missing_dir "minivmm: --pcap $D/none/x.pcap: No such file or directory" \
	-- "$MINIVMM" -k "$IDLE" -m 16M --pcap "$D/none/x.pcap"
one_line pcap_fifo "minivmm: --pcap $D/fifo: not a regular file" \
	-- "$MINIVMM" -k "$IDLE" -m 16M --pcap "$D/fifo"
one_line pcap_in_net_spec_directory "minivmm: pcap=$D/dir: not a regular file" \
	-- "$MINIVMM" -k "$IDLE" -m 16M -net "slirp,pcap=$D/dir"
one_line pcap_dev_full "minivmm: --pcap /dev/full: not a regular file" \
	-- "$MINIVMM" -k "$IDLE" -m 16M --pcap /dev/full
# A capture past `ulimit -f` (1 KiB): the probe guest's DHCP and pings fill
# it at once; EFBIG is said once, and the guest and minivmm go on.
PROBE=firmware/probe/out/probe.elf
if [ -f "$PROBE" ] || make -s -C firmware/probe >/dev/null; then
	# Only minivmm gets the limit: its console and messages go to pipes.
	prlimit --fsize=1024 timeout 120 "$MINIVMM" -k "$PROBE" -m 64M \
		--pcap "$D/small.pcap" -a "profile=ipxe" </dev/null \
		> >(cat >"$D/console") 2> >(cat >"$D/err")
	st=$?
	sleep 1		# the two cat processes finish writing
	n=$(grep -c "^minivmm: warning: pcap $D/small.pcap: File too large; capture stopped$" "$D/err")
	if [ "$st" = 0 ] && [ "$n" = 1 ] && [ "$(stat -c %s "$D/small.pcap")" -le 1024 ] &&
	   grep -q "PROBE RESULT [0-9]* passed, 0 failed" "$D/console"; then
		pass pcap_write_error_said_once
	else
		fail pcap_write_error_said_once "status $st, $n lines, stderr: $(head -c 300 "$D/err")"
	fi
else
	fail pcap_write_error_said_once "cannot build $PROBE"
fi

# ---- item 5 with a running holder; item 6 seen in /proc -----------------
"$MINIVMM" -k "$IDLE" -m 16M -net none -d "$D/disk.img" </dev/null >/dev/null 2>&1 &
holder=$!; PIDS+=("$holder"); sleep 2
one_line second_minivmm_same_disk "$LOCKED; ,ro shares it with other readers" \
	-- "$MINIVMM" -k "$IDLE" -m 16M -net none -d "$D/disk.img"
kill -TERM "$holder"; wait "$holder" 2>/dev/null
"$MINIVMM" -k "$IDLE" -m 16M -net none 0<&- 1>&- 2>&- &
p=$!; PIDS+=("$p"); sleep 2
fds=$(for f in 0 1 2; do readlink "/proc/$p/fd/$f"; done | tr '\n' ' ')
if [ "$fds" = "/dev/null /dev/null /dev/null " ]; then pass closed_std_fds_running
else fail closed_std_fds_running "fds 0-2: $fds"; fi
kill -TERM "$p"; wait "$p" 2>/dev/null

finish
