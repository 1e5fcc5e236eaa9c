# iPXE fetching a file over HTTP, checked end to end (source this file after
# guest.sh and http.sh; used by t_firmware.sh and l_ipxe_lkrn.sh).
#
# ipxe_payload WORK WWW
#   Builds WWW/payload.elf from tests/guests/http_payload.S with 128 KiB of
#   fresh random bytes and their sums, then runs the checker itself directly
#   under minivmm (PVH entry) on a good and a one-bit-corrupted copy: it
#   must say OK (status 42) and BAD (status 1), so a pass later means
#   something.  Returns 1 if the payload cannot be built.
# ipxe_serve WORK WWW
#   ipxe_payload, then serves WWW on 127.0.0.1:$PORT (PORT set to a free
#   port; the server joins the caller's SERVERS, see http.sh).  Returns 1
#   after reporting a failure.
# ipxe_script NAME BASEURL [dhcp]
#   Prints an iPXE script: a marker naming NAME, the lease iPXE holds
#   (after running dhcp itself if asked), then chain BASEURL/payload.elf.
# ipxe_fetch NAME LOG LEASE_REGEX ARGS...
#   Boots minivmm --firmware $BIOS -v ARGS until the payload's verdict and
#   checks the script ran, the lease matched LEASE_REGEX, the payload
#   arrived intact (OK, status 42) and, on a software KVM, that iPXE's
#   interrupt returns needed the fallback's frame recovery.

ipxe_payload() {
	local work=$1 www=$2 v which want word f st
	rm -rf "$www" && mkdir -p "$www"
	python3 - "$work" <<'PY'
import os, struct, sys
data = os.urandom(128 * 1024)
a = b = 0
for (w,) in struct.iter_unpack('<I', data):
    a = (a + w) & 0xffffffff
    b = (b + a) & 0xffffffff
open(sys.argv[1] + '/data.bin', 'wb').write(data)
open(sys.argv[1] + '/sums.S', 'w').write(
    '.equ WORDS, %d\n.equ SUM_A, %#x\n.equ SUM_B, %#x\n' % (len(data) // 4, a, b))
PY
	if ! cc -m32 -c -I. -Wa,-I"$work" -o "$work/payload.o" tests/guests/http_payload.S ||
	   ! ld -m elf_i386 -T tests/guests/elf32.ld --no-warn-rwx-segments \
		-o "$www/payload.elf" "$work/payload.o" ||
	   ! objcopy -O elf64-x86-64 "$www/payload.elf" "$work/payload64.elf"; then
		fail http_payload_build "cc/ld/objcopy failed"
		return 1
	fi
	python3 - "$work/payload64.elf" "$work/payload64-bad.elf" <<'PY'
import sys
img = bytearray(open(sys.argv[1], 'rb').read())
img[-4096] ^= 0x01	# one bit, inside the random bytes
open(sys.argv[2], 'wb').write(img)
PY
	for v in good:42:OK bad:1:BAD; do
		IFS=: read -r which want word <<<"$v"
		f=$work/payload64.elf
		[ "$which" = bad ] && f=$work/payload64-bad.elf
		timeout 60 "$MINIVMM" -k "$f" -m 16M -net none </dev/null >"$work/payload-$which.log" 2>&1
		st=$?
		if [ "$st" = "$want" ] && grep -q "MINIVMM-HTTP-PAYLOAD-$word" "$work/payload-$which.log"; then
			pass "http_payload_checker_says_${word}_on_$which"
		else
			fail "http_payload_checker_says_${word}_on_$which" "status $st; $work/payload-$which.log"
		fi
	done
}

ipxe_serve() {
	ipxe_payload "$1" "$2" || return 1
	PORT=$(free_port)
	if ! serve "$2" "$1/http.log" 127.0.0.1 "$PORT"; then
		fail ipxe_http_server "python3 http.server did not start on 127.0.0.1:$PORT"
		return 1
	fi
}

ipxe_script() {
	printf '#!ipxe\necho MINIVMM-SCRIPT-%s\n%secho MINIVMM-LEASE ${net0/ip}\nchain %s/payload.elf\n' \
		"$1" "${3:+$3
}" "$2"
}

ipxe_fetch() {
	local name=$1 log=$2 lease=$3 frames
	shift 3
	run_guest "$log" 420 'MINIVMM-HTTP-PAYLOAD-(OK|BAD)|KVM emulation failure' 3 -- \
		"$@" --firmware "$BIOS" -v
	echo "iPXE ($name): ${GUEST_SECONDS}s to the payload's verdict; log in $log"
	expect_in "ipxe_${name}_ran_its_script" "MINIVMM-SCRIPT-$name" "$log"
	expect_in "ipxe_${name}_dhcp_lease" "MINIVMM-LEASE $lease" "$log"
	expect_in "ipxe_${name}_http_payload_intact" 'MINIVMM-HTTP-PAYLOAD-OK' "$log"
	if [ "$GUEST_STATUS" = 42 ]; then pass "ipxe_${name}_payload_exit_status_42"
	else fail "ipxe_${name}_payload_exit_status_42" "status $GUEST_STATUS"; fi
	if software_kvm; then
		frames=$(grep -oE 'iret frames at ESP +[0-9]+' "$log" | grep -oE '[0-9]+$')
		if [ "${frames:-0}" -gt 0 ]; then pass "ipxe_${name}_irets_recovered" "$frames"
		else fail "ipxe_${name}_irets_recovered" "no 'iret frames at ESP' count in $log"; fi
	fi
}

# ipxe_type LOG FIFO COMMAND
#   For an iPXE whose DHCP names no script (passt's does not): types at
#   iPXE's console through FIFO, minivmm's stdin (GUEST_STDIN), which
#   SeaBIOS's serial console hands iPXE as keys.  Ctrl-B every 0.2 s from
#   iPXE's "Press Ctrl-B" until its shell prompt shows, then Ctrl-U (the
#   line cleared of any Ctrl-B that arrived late) and COMMAND, four keys
#   at a time (SeaBIOS drops keys beyond its 15-key buffer); again, up to
#   three times in all, when a new prompt shows the last try ended or the
#   console has said nothing for 30 s.  Keeps the
#   FIFO open until the payload's verdict or 420 s; run it in the
#   background, before the guest (which opens the FIFO to read).
ipxe_type() {
	local log=$1 fifo=$2 cmd=$3 i k line typed=0 prompts=0 seen size=0 still=0 now
	exec 3>"$fifo"
	for ((i = 0; i < 2100; i++)); do
		now=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$now" = "$size" ]; then still=$((still + 1)); else size=$now still=0; fi
		seen=$(grep -ac 'iPXE>' "$log" 2>/dev/null)
		# Type at the first prompt, and again (three tries in all) when a
		# new prompt shows that the last try ended, or when nothing has
		# been printed for 30 s after a try: a key SeaBIOS lost under
		# load garbles the line (or loses its Enter), and iPXE just waits.
		if [ "$typed" -lt 3 ] &&
		   { [ "${seen:-0}" -gt "$prompts" ] ||
		     { [ "$typed" -gt 0 ] && [ "$still" -ge 150 ]; }; }; then
			still=0
			prompts=${seen:-0}
			# A few keys at a time: the BIOS keyboard buffer holds 15,
			# and what SeaBIOS cannot queue is lost.
			line=$'\025'"$cmd"$'\r'
			for ((k = 0; k < ${#line}; k += 4)); do
				printf '%s' "${line:k:4}" >&3
				sleep 0.3
			done
			typed=$((typed + 1))
		elif [ "$typed" = 0 ] && grep -qa 'Ctrl-B' "$log" 2>/dev/null; then
			printf '\002' >&3
		fi
		grep -qaE 'MINIVMM-HTTP-PAYLOAD-(OK|BAD)' "$log" 2>/dev/null && break
		sleep 0.2
	done
	exec 3>&-
}
