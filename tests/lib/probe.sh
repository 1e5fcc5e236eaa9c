# probe.sh - what the probe-guest tests share (source it, bash).
#
# t_probe_qemu.sh and t_probe_minivmm.sh boot firmware/probe/out/probe.elf
# under their VMM, once per driver profile and backend, with the peer
# (tests/peers/probe_peer.py) serving UDP echo and TCP GET/PUT, and judge
# each run the same way: the VMM's exit status, "PROBE RESULT n passed,
# 0 failed", and the checks that setting must have run (probe_must).
#
#   probe_require                  exits with one skip line if this machine
#                                  cannot run the probe (no KVM, no python3,
#                                  no probe.elf and it cannot be built)
#   probe_start_peer TAG BIND [WRAP...]
#                                  starts a peer on BIND (through WRAP, e.g.
#                                  "ip netns exec NS"); sets PEER_UDP/PEER_TCP
#   probe_tap_up                   a private namespace (tests/lib/netns.sh:
#                                  tap $NETNS_TAP, dnsmasq) with a peer on
#                                  $NETNS_HOST_IP; non-zero + PROBE_TAP_SKIP
#                                  if it cannot be had (not root, ...)
#   probe_passt_up                 the routed namespace for passt
#                                  (tests/lib/netns.sh: $PASST_NS) with a
#                                  peer on its 127.0.0.1, which the guest
#                                  reaches at the gateway; non-zero +
#                                  PROBE_PASST_SKIP if it cannot be had
#   probe_must SETTING PROFILE     sets PROBE_MUST, the checks that must show
#   probe_verdict NAME LOG STATUS WANT SECS [MUST...]
#                                  judges one run, prints its line, counts
#   probe_skip NAME REASON         counts a run that could not be made
#
# The counts are tests/lib/results.sh's (sourced here): a probe script ends
# with its finish, which prints "N passed, N failed, N skipped".
#
# Every run writes its console to LOG and the VMM's own messages to
# LOG.vmm, in $PROBE_OUT (removed at exit).  PROBE_NAME starts each line.

PROBE=firmware/probe/out/probe.elf
PROBE_PEER=tests/peers/probe_peer.py
PROBE_PROFILES=${PROBE_PROFILES:-"ipxe openbsd linux"}
PROBE_TIMEOUT=${PROBE_TIMEOUT:-30}
# Appended to the probe's peer ports: PROBE_XFER_MS sets its TCP transfer
# time-out (the nested test bed, whose peer runs under emulation, gives
# more time; tests/nested/inside.sh).
PROBE_EXTRA=${PROBE_XFER_MS:+ xfer_ms=$PROBE_XFER_MS}
PROBE_NAME=${PROBE_NAME:-probe}
PROBE_OUT=
PROBE_PEER_PIDS=()
PROBE_TAP_SKIP=
PROBE_PASST_SKIP=
PEER_UDP= PEER_TCP=
T_NAME=${T_NAME:-$PROBE_NAME}
. tests/lib/results.sh

# Ends the test with one skip line (nothing was run).
probe_skip_all() {
	T_NAME=$PROBE_NAME end_skipped "$1"
}

# What every probe run needs; also creates $PROBE_OUT and the exit trap.
probe_require() {
	[ -c /dev/kvm ] && [ -w /dev/kvm ] ||
		probe_skip_all "/dev/kvm missing or not writable"
	command -v python3 >/dev/null ||
		probe_skip_all "python3 missing (needed by the peer)"
	if [ ! -f "$PROBE" ] && ! make -s -C firmware/probe >/dev/null; then
		T_NAME=$PROBE_NAME end_failed "cannot build $PROBE"
	fi
	PROBE_OUT=$(mktemp -d "/tmp/$PROBE_NAME.XXXXXX") || exit 1
	trap 'probe_cleanup' EXIT
	trap 'probe_cleanup; exit 130' INT
	trap 'probe_cleanup; exit 143' TERM
}

probe_cleanup() {
	local p
	for p in "${PROBE_PEER_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PROBE_PEER_PIDS=()
	declare -F netns_teardown >/dev/null && netns_teardown
	declare -F passt_ns_teardown >/dev/null && passt_ns_teardown
	[ -n "$PROBE_OUT" ] && rm -rf "$PROBE_OUT"
	PROBE_OUT=
}

# Starts a peer bound to $2, its output in $PROBE_OUT/$1-peer.*, and waits
# for its "PEER udp=N tcp=N" line.  Any further arguments wrap the command
# (they must exec it, so the pid is the peer's own).  PROBE_PEER_TIMEOUT
# (seconds the peer lives, 600) and PROBE_PEER_WARM (bytes of its TCP
# stream to precompute, none) may be set for one call; the benchmarks do.
probe_start_peer() {
	local tag=$1 bind=$2 out=$PROBE_OUT/$1-peer.out i warm=()
	shift 2
	[ -n "${PROBE_PEER_WARM:-}" ] && warm=(--warm "$PROBE_PEER_WARM")
	"$@" python3 "$PROBE_PEER" --bind "$bind" --timeout "${PROBE_PEER_TIMEOUT:-600}" \
		"${warm[@]}" >"$out" 2>"$PROBE_OUT/$tag-peer.err" &
	PROBE_PEER_PIDS+=($!)
	# Up to 60 s: precomputing a large stream takes Python a while.
	for i in $(seq 600); do
		if grep -q '^PEER' "$out" 2>/dev/null; then
			read -r PEER_UDP PEER_TCP < <(sed -nE \
				's/^PEER udp=([0-9]+) tcp=([0-9]+)/\1 \2/p' "$out")
			return 0
		fi
		sleep 0.1
	done
	echo "$PROBE_NAME: peer $tag did not start:"
	sed 's/^/    /' "$PROBE_OUT/$tag-peer.err"
	return 1
}

# The namespace of tests/lib/netns.sh with a peer on the tap's address.
probe_tap_up() {
	declare -F netns_setup >/dev/null || . tests/lib/netns.sh
	if ! netns_setup 2>/dev/null; then
		PROBE_TAP_SKIP=$NETNS_SKIP
		return 1
	fi
	# The probe's TCP takes fixed local ports (40000 up) and the low 32
	# bits of the TSC as its ISN, so each run reuses the last run's
	# connections' addresses and ports.  The peer closed those first, so
	# they sit in TIME_WAIT for 60 s, and a SYN whose ISN is not after the
	# old connection's sequence (the TSC moved on by 2^31..2^32 cycles:
	# 1.1-2.1 s of every 2.1 s at 2 GHz) is answered with an ACK, never a
	# SYN-ACK ("tcp_get FAIL ... no SYN-ACK").  No TIME_WAIT sockets in
	# this namespace, so every run starts clean whatever the gap.
	ip netns exec "$NETNS" sysctl -qw net.ipv4.tcp_max_tw_buckets=0
	if ! probe_start_peer tap "$NETNS_HOST_IP" ip netns exec "$NETNS"; then
		PROBE_TAP_SKIP="the peer did not start in $NETNS"
		return 1
	fi
}

# The namespace for passt, with a peer on its loopback: passt maps the
# gateway address the guest talks to onto 127.0.0.1.
probe_passt_up() {
	declare -F passt_ns_setup >/dev/null || . tests/lib/netns.sh
	if ! passt_ns_setup 2>/dev/null; then
		PROBE_PASST_SKIP=$PASST_NS_SKIP
		return 1
	fi
	if ! probe_start_peer passt 127.0.0.1 ip netns exec "$PASST_NS"; then
		PROBE_PASST_SKIP="the peer did not start in $PASST_NS"
		return 1
	fi
}

# A local TCP port with nobody listening (for the detects-failure run).
probe_closed_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Milliseconds since $1 (a `date +%s%N` stamp), printed as seconds.
probe_elapsed() {
	echo "$(( ($(date +%s%N) - $1) / 1000000 ))" |
		sed -E 's/^([0-9])$/00\1/; s/^([0-9]{2})$/0\1/; s/(...)$/.\1/; s/^\./0./'
}

# PROBE_MUST for a setting:
#   slirp   user-mode network: no receive offloads reach the guest
#   tap     tap with vnet headers, offloads on: a profile with CSUM/TSO must
#           send and receive partial checksums and TSO frames
#   nocsum  tap with the card's csum and tso off: nothing negotiated, the
#           offload checks skip, nothing partial or GSO arrives
#   soft    minivmm's slirp and passt: CSUM and HOST_TSO offered and finished
#           in software (DESIGN.md), so the transmit checks run; the
#           backend's own complete frames are marked DATA_VALID for a guest
#           with GUEST_CSUM, never for one without, never partial
#   soft-unverified   the same for a peer whose frames minivmm did not see
#           built (-net stream): never DATA_VALID
# Each entry is an extended regex after "^PROBE "; "!" in front: must not
# match; "vmm:" in front: a regex over the VMM's own messages (LOG.vmm).
probe_must() {
	local setting=$1 profile=$2
	PROBE_MUST=("selftest ok" "features ok" "dhcp ok" "arp ok" "ping ok"
		    "udp ok" "tcp_get ok" "tcp_put ok" "rx_csum ok")
	[ "$profile" != ipxe ] && PROBE_MUST+=("ctrl ok")
	# iPXE takes no offload at all (vnet.c): nothing but MAC, VERSION_1.
	[ "$profile" = ipxe ] && PROBE_MUST+=("features ok 0x[0-9a-f]+ MAC,VERSION_1$")
	case $setting in
	tap)
		if [ "$profile" != ipxe ]; then
			PROBE_MUST+=("udp_csum ok" "tcp_csum ok" "tso ok"
				     "rx_csum ok .*(partial=[1-9]|gso=[1-9])")
		fi ;;
	soft|soft-unverified)
		if [ "$profile" != ipxe ]; then
			PROBE_MUST+=("udp_csum ok" "tcp_csum ok" "tso ok")
			if [ "$setting" = soft ]; then
				PROBE_MUST+=("rx_csum ok .* partial=0 valid=[1-9]")
			else
				PROBE_MUST+=("rx_csum ok .* partial=0 valid=0 ")
			fi
		else
			PROBE_MUST+=("rx_csum ok .* valid=0 ")
		fi ;;
	nocsum)
		PROBE_MUST+=("!features ok .*(CSUM|TSO)" "udp_csum skip"
			     "tcp_csum skip" "tso skip"
			     "rx_csum ok .* partial=0 valid=0 gso=0") ;;
	esac
}

# Judges one run: NAME LOG STATUS WANT_STATUS SECONDS MUST...  WANT is
# the status of a passing probe (minivmm 0, QEMU's isa-debug-exit 1) or
# of a failing one; for a passing one the RESULT line must say 0 failed.
probe_verdict() {
	local name=$1 log=$2 st=$3 want=$4 secs=$5 pass_st=${PROBE_PASS_STATUS:-0}
	local why="" c pat file neg shown=""
	shift 5
	tr -d '\r' <"$log" >"$log.txt" 2>/dev/null
	[ "$st" = "$want" ] || why="exit status $st, want $want"
	if [ "$want" = "$pass_st" ] &&
	   ! grep -q '^PROBE RESULT [0-9]* passed, 0 failed' "$log.txt"; then
		why="${why:+$why; }FAIL lines"
	fi
	for c in "$@"; do
		neg=; file=$log.txt
		case $c in '!'*) neg=1; c=${c#!} ;; esac
		case $c in
		vmm:*) pat=${c#vmm:}; file=$log.vmm ;;
		*) pat="^PROBE $c" ;;
		esac
		if grep -qE -- "$pat" "$file" 2>/dev/null; then
			if [ -n "$neg" ]; then
				why="${why:+$why; }unexpected '$c'"
				# What matched, with what follows it (a
				# sanitizer's report, say), for the record.
				shown="$shown$(grep -aE -A20 -- "$pat" "$file" | head -n 40 | sed 's/^/    found: /')
"
			fi
		else
			[ -z "$neg" ] && why="${why:+$why; }no '$c'"
		fi
	done
	if [ -z "$why" ]; then
		echo "$PROBE_NAME: $name ok (${secs}s, $(grep -c '^PROBE .* ok' "$log.txt") checks ok)"
		count pass
	else
		echo "$PROBE_NAME: $name FAIL (${secs}s): $why"
		grep -a '^PROBE' "$log.txt" | sed 's/^/    /'
		sed 's/^/    vmm: /' "$log.vmm" 2>/dev/null | head -8
		[ -n "$shown" ] && printf '%s' "$shown"
		count fail
	fi
}

probe_skip() {
	echo "$PROBE_NAME: $1 skipped: $2"
	count skip
}
