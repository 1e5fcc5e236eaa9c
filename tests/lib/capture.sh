# Checksum verdicts on packet captures, by tshark (source this file; bash,
# after tests/lib/guest.sh for pass/fail/skip).
#
# tshark_self_check        proves the filter on frames whose verdicts are
#                          known (tests/lib/csum_pcap.py); only then does
#                          "no bad checksums" mean something.  Sets TSHARK_OK.
# check_capture NAME PCAP STRICT MIN_BYTES
#                          passes if PCAP holds at least MIN_BYTES of TCP
#                          payload and no bad checksum (STRICT=1) or no bad
#                          IPv4 header checksum (STRICT=0: TCP/UDP checksums
#                          may legitimately be partial, see t_linux_net.sh).
# check_deferred_captures DIR
#                          runs the checks that were deferred into DIR.
#
# Deferral: with CAPTURE_DEFER_DIR set, the two checks above run nothing.
# check_capture copies PCAP into that folder and notes the check in its
# deferred.list, and tshark_self_check only sets TSHARK_OK so the test
# captures as usual.  The nested test bed (tests/nested/) uses it because
# tshark takes some 10 s just to start under software emulation; the host
# runs the same checks on the copies afterwards.

# tshark 4.0's checksum status values (tshark -G values): 0 Bad, 1 Good,
# 2 Unverified, 3 Not present, 4 Illegal.  Checking is off by default and
# turned on per protocol.
TSHARK_CSUM=(-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE
	     -o udp.check_checksum:TRUE)
BAD_ANY='ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0'
BAD_IP='ip.checksum.status == 0'
TSHARK_OK=

# Frame numbers of PCAP matching FILTER, space-separated.
tshark_frames() {
	tshark -r "$1" "${TSHARK_CSUM[@]}" -Y "$2" -T fields -e frame.number \
		2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}

# Total TCP payload bytes in PCAP.
tcp_payload_bytes() {
	tshark -r "$1" -Y 'tcp.len > 0' -T fields -e tcp.len 2>/dev/null |
		awk '{ n += $1 } END { print n + 0 }'
}

tshark_self_check() {
	local got known
	if [ -n "${CAPTURE_DEFER_DIR:-}" ]; then
		TSHARK_OK=deferred
		return
	fi
	if ! command -v tshark >/dev/null; then
		skip tshark_filter_finds_bad "tshark missing (package tshark)"
		return
	fi
	known=$(mktemp /tmp/known.XXXXXX.pcap) || return
	python3 tests/lib/csum_pcap.py "$known"
	got="$(tshark_frames "$known" "$BAD_ANY")/$(tshark_frames "$known" "$BAD_IP")"
	rm -f "$known"
	if [ "$got" = "2 4 5/5" ]; then
		pass tshark_filter_finds_bad "frames 2 4 5 of 5, IP: 5"
		TSHARK_OK=1
	else
		fail tshark_filter_finds_bad "bad frames '$got', want '2 4 5/5'"
	fi
}

check_capture() {
	local name=$1 pcap=$2 strict=$3 min=$4 bytes bad l4 filter
	if [ "$TSHARK_OK" = deferred ]; then
		if [ -s "$pcap" ]; then
			cp "$pcap" "$CAPTURE_DEFER_DIR/$name.pcap"
		else
			rm -f "$CAPTURE_DEFER_DIR/$name.pcap"
		fi
		echo "$name $strict $min" >>"$CAPTURE_DEFER_DIR/deferred.list"
		echo "     $name: checked later, on a copy of $pcap"
		return
	fi
	if [ -z "$TSHARK_OK" ]; then
		skip "$name" "no trusted tshark filter (see tshark_filter_finds_bad)"
		return
	fi
	if [ ! -s "$pcap" ]; then
		fail "$name" "no capture $pcap"
		return
	fi
	bytes=$(tcp_payload_bytes "$pcap")
	if [ "$bytes" -lt "$min" ]; then
		fail "$name" "only $bytes bytes of TCP payload captured, want $min"
		return
	fi
	l4=$(tshark_frames "$pcap" "$BAD_ANY" | wc -w)
	filter=$BAD_IP
	[ "$strict" = 1 ] && filter=$BAD_ANY
	bad=$(tshark_frames "$pcap" "$filter" | wc -w)
	if [ "$bad" = 0 ]; then
		pass "$name" "$bytes TCP payload bytes; $([ "$strict" = 1 ] &&
			echo "all checksums good" ||
			echo "IP header checksums good, $l4 frames with partial TCP/UDP checksums")"
	else
		fail "$name" "$bad frames with bad checksums: $(tshark_frames "$pcap" "$filter" | cut -d' ' -f1-10)"
	fi
}

check_deferred_captures() {
	local dir=$1 name strict min CAPTURE_DEFER_DIR=
	[ -s "$dir/deferred.list" ] || return 0
	tshark_self_check
	while read -r name strict min; do
		check_capture "$name" "$dir/$name.pcap" "$strict" "$min"
	done <"$dir/deferred.list"
}
