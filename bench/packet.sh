# packet.sh - the packet path (sourced by bench/bench.sh).
#
# The probe's blast mode (firmware/probe/README.md): after DHCP and ARP a
# hot loop in guest ring 3 sends $BENCH_COUNT UDP frames of one size to the
# peer's discard port (tx), or asks the peer (tests/peers/probe_peer.py) for
# that many and counts what arrives (rx).  The probe reports frames/s from
# its first to its last frame (guest TSC).  Settings:
#   tap     a tap in a private namespace (tests/lib/netns.sh), the VMM and
#           the peer inside it; QEMU with vhost=off (userspace virtio-net)
#   slirp   minivmm -net slirp, QEMU -netdev user; the peer on 127.0.0.1
#   passt   minivmm -net passt (it starts passt itself), QEMU -netdev stream
#           to a passt the bench starts the same way (-f -q -1, one per
#           run), both in the routed namespace of tests/lib/netns.sh
#           ($PASST_NS), the peer on its 127.0.0.1 (the guest's gateway)
#   on      profile=linux (CSUM, GUEST_CSUM, TSO, MRG_RXBUF, EVENT_IDX...)
#           with everything the VMM offers
#   off     the same profile, the VMM offering no checksum or GSO offload
#           (minivmm ,csum=off,tso=off; QEMU $QEMU_NIC_OFF)
# 64 B and 1514 B frames (1514 B: a 1500 B IP packet); the blast mode has no
# TSO, so 64 KiB segments are measured with the probe's TCP checks
# (tcp_get, tcp_put, tso; up to 44 x 1448 B per GSO frame) of
# $BENCH_TCP_BYTES (4 MiB) each way; the peer computes its stream of that
# size before it starts (--warm: else the first GET of a run waits seconds
# for Python, and that run was always minivmm's).
#
# For minivmm the -v counters give, per frame the guest sent or received:
# exits to userspace (port I/O and MMIO; ioeventfd kicks never leave the
# kernel, and the ~1400 exits of set-up are included), queue notifications
# (kicks) and interrupts.

PKT_SIZES=${BENCH_SIZES:-"64 1514"}
# 1 MiB in L1: the peer's Python needs minutes there to precompute 4 MiB.
PKT_TCP_BYTES=${BENCH_TCP_BYTES:-$([ -n "${BENCH_IN_L1:-}" ] && echo 1048576 || echo 4194304)}

# Why QEMU's passt rows go missing (measured in the nested bed, December 2026).
PKT_PASST_QEMU_NOTE="packet: QEMU hands passt the guest's frames as they are, Ethernet padding included, and passt 0.0~git20230309 drops IPv4 frames longer than their packet: the probe pads short frames to 60 bytes (its UDP requests, TCP SYNs), so QEMU's passt rx and TCP runs get nothing back. minivmm leaves the padding off (net/stream.h)."

# pkt_passt_start: a passt for one QEMU run, as minivmm starts its own
# (foreground, quiet, one client, in $PASST_NS); sets PKT_PASST_SOCK and
# PKT_PASST_PID.  It exits when QEMU closes the socket (pkt_passt_done).
pkt_passt_start() {
	local dir
	dir=$(mktemp -d /tmp/bench-passt.XXXXXX) || return 1
	# Started as root passt becomes nobody, who must make the socket.
	[ "$(id -u)" = 0 ] && chown nobody "$dir"
	PKT_PASST_SOCK=$dir/passt.socket
	ip netns exec "$PASST_NS" passt -f -q -1 -s "$PKT_PASST_SOCK" \
		>"$BENCH_TMP/passt.log" 2>&1 &
	PKT_PASST_PID=$!
	for _ in $(seq 100); do [ -S "$PKT_PASST_SOCK" ] && return 0; sleep 0.05; done
	return 1
}

pkt_passt_done() {
	[ -n "${PKT_PASST_PID:-}" ] || return 0
	kill "$PKT_PASST_PID" 2>/dev/null
	wait "$PKT_PASST_PID" 2>/dev/null
	rm -rf "$(dirname "$PKT_PASST_SOCK")"
	PKT_PASST_PID=
}

# pkt_cmd VMM BACKEND OFFLOADS APPEND: sets CMD, the command line of one run.
pkt_cmd() {
	local vmm=$1 be=$2 off=$3 append=$4 net nic=
	CMD=()
	[ "$be" = tap ] && CMD=(ip netns exec "$NETNS")
	[ "$be" = passt ] && CMD=(ip netns exec "$PASST_NS")
	if [ "$vmm" = minivmm ]; then
		case $be in
		tap) net=$NETNS_TAP ;;
		*) net=$be ;;
		esac
		[ "$off" = off ] && net="$net,csum=off,tso=off"
		CMD+=("$MV" -v -k "$PROBE" -m 128M -net "$net" -a "$append")
	else
		if [ "$be" = tap ]; then
			net="tap,id=n0,ifname=$NETNS_TAP,script=no,downscript=no,vhost=off"
		elif [ "$be" = passt ]; then
			pkt_passt_start || bench_note "packet: passt for QEMU did not start: $(tail -n 1 "$BENCH_TMP/passt.log")"
			net="stream,id=n0,server=off,addr.type=unix,addr.path=$PKT_PASST_SOCK"
		else
			net="user,id=n0"
		fi
		[ "$off" = off ] && nic=",$QEMU_NIC_OFF"
		CMD+=("${QEMU_PC_QBOOT[@]}" -serial stdio -kernel "$PROBE"
		      -append "$append" -netdev "$net"
		      -device "virtio-net-pci,netdev=n0,disable-legacy=on,romfile=$nic")
	fi
}

# pkt_counters LOG DIR: prints "frames exits kicks irqs" from minivmm -v.
pkt_counters() {
	awk -v dir="$2" '
		/exits: io/ { gsub(",", ""); ex = $4 + $6 + $9 }
		$1 == dir && $3 == "packets" { fr = $2 }
		/^  kicks tx/ {
			gsub(";", ""); k = (dir == "tx") ? $3 : $5; irq = $9
		}
		END { if (fr > 0) print fr, ex, k, irq }
	' "$1"
}

# pkt_blast VMM BACKEND OFFLOADS DIR SIZE
pkt_blast() {
	local vmm=$1 be=$2 off=$3 dir=$4 size=$5 log=$BENCH_TMP/pkt.log
	local name="packet: $be $dir ${size}B offloads $off" ports line kpps c
	ports="udp=$(pkt_port "$be" UDP)"
	pkt_cmd "$vmm" "$be" "$off" \
		"profile=linux $ports blast=$dir size=$size count=$BENCH_COUNT tsc_khz=$TSC_KHZ"
	timeout 60 "${CMD[@]}" </dev/null >"$log" 2>&1
	pkt_passt_done
	line=$(grep -a "^PROBE blast ok" "$log")
	kpps=$(sed -nE 's/.* kpps=([0-9]+) .*/\1/p' <<<"$line")
	if [ -z "$kpps" ]; then
		[ "$be/$vmm" = passt/qemu ] && bench_note "$PKT_PASST_QEMU_NOTE"
		bench_note "$name ($vmm): no result: $(grep -aE '^PROBE [a-z_]+ FAIL' "$log" | head -1 | tr -d '\r' | cut -c1-160)"
		return
	fi
	# kpps is rounded to 1000 frames/s; frames*1e6/us keeps the digits.
	read -r fr us < <(sed -nE 's/.* frames=([0-9]+)[^ ]* .* us=([0-9]+) .*/\1 \2/p' <<<"$line")
	bench_record "$name" kpps higher "$vmm" \
		"$(awk -v f="$fr" -v u="$us" 'BEGIN { printf "%.1f", u ? f * 1000 / u : 0 }')"
	if [ "$dir" = rx ]; then
		bench_record "$name: share of frames received" % higher "$vmm" \
			"$(awk -v f="$fr" -v n="$BENCH_COUNT" 'BEGIN { printf "%.0f", 100 * f / n }')"
	fi
	[ "$vmm" = minivmm ] || return
	c=$(pkt_counters "$log" "$dir")
	[ -n "$c" ] || return
	set -- $c
	bench_record "$name: exits per frame" per-frame lower minivmm "$(awk -v a="$2" -v f="$1" 'BEGIN { printf "%.3f", a / f }')"
	bench_record "$name: kicks per frame" per-frame lower minivmm "$(awk -v a="$3" -v f="$1" 'BEGIN { printf "%.3f", a / f }')"
	bench_record "$name: interrupts per frame" per-frame lower minivmm "$(awk -v a="$4" -v f="$1" 'BEGIN { printf "%.4f", a / f }')"
}

# pkt_port BACKEND UDP|TCP: the peer's port for that backend's runs.
pkt_port() {
	local v=${1^^}_$2
	echo "${!v}"
}

# pkt_tcp VMM BACKEND OFFLOADS: tcp_get (host to guest), tcp_put and tso
# (guest to host) of $PKT_TCP_BYTES; records Mbit/s.
pkt_tcp() {
	local vmm=$1 be=$2 off=$3 log=$BENCH_TMP/tcp.log ports c k v
	ports="udp=$(pkt_port "$be" UDP) tcp=$(pkt_port "$be" TCP)"
	pkt_cmd "$vmm" "$be" "$off" \
		"profile=linux $ports checks=dhcp,arp,tcp_get,tcp_put,tso bytes=$PKT_TCP_BYTES tsc_khz=$TSC_KHZ"
	timeout 90 "${CMD[@]}" </dev/null >"$log" 2>&1
	pkt_passt_done
	for c in tcp_get tcp_put tso; do
		v=$(sed -nE "s/^PROBE $c ok .* ([0-9]+)KiB\\/s .*/\\1/p" "$log" | tr -d '\r')
		case $c in
		tcp_get) k="TCP rx" ;;
		tcp_put) k="TCP tx, no TSO" ;;
		tso) k="TCP tx, TSO (64 KiB frames)" ;;
		esac
		[ "$c" = tcp_get ] && [ "$off" = on ] && k="TCP rx (GSO frames to the guest where taken)"
		if [ -z "$v" ]; then
			# Expected: no TSO without offloads, nor from QEMU without a vnet header (slirp, stream).
			[ "$c" = tso ] && { [ "$off" = off ] ||
				{ [ "$vmm" = qemu ] && [ "$be" != tap ]; }; } && continue
			[ "$be/$vmm" = passt/qemu ] && bench_note "$PKT_PASST_QEMU_NOTE"
			bench_note "packet: $be offloads $off, $c ($vmm): $(grep -a "^PROBE $c" "$log" | tr -d '\r' | cut -c1-160)"
			continue
		fi
		bench_record "packet: $be offloads $off, $k" Mbit/s higher "$vmm" \
			"$(awk -v v="$v" 'BEGIN { printf "%.1f", v * 1024 * 8 / 1e6 }')"
	done
}

# pkt_peer TAG BIND [WRAP...]: tests/lib/probe.sh's probe_start_peer with
# the peer's stream precomputed for $PKT_TCP_BYTES (its --warm), so that no
# transfer waits for Python; sets PEER_UDP and PEER_TCP.
pkt_peer() {
	PROBE_PEER_TIMEOUT=3600 PROBE_PEER_WARM=$PKT_TCP_BYTES probe_start_peer "$@"
}

# pkt_setup BACKENDS: the peers (and namespaces) those backends need,
# started once per bench run (the packet and cpu sections share them);
# sets PKT_UP to the backends of the list that are up.
PKT_TRIED= PKT_OK=
pkt_setup() {
	local be
	PKT_UP=
	for be in $1; do
		if [[ " $PKT_TRIED " != *" $be "* ]]; then
			PKT_TRIED+=" $be"
			pkt_setup_one "$be" && PKT_OK+=" $be"
		fi
		[[ " $PKT_OK " == *" $be "* ]] && PKT_UP+="${PKT_UP:+ }$be"
	done
	return 0
}

pkt_setup_one() {
	case $1 in
	slirp)
		pkt_peer slirp 127.0.0.1 || { bench_note "packet: slirp rows skipped: the peer did not start"; return 1; }
		SLIRP_UDP=$PEER_UDP SLIRP_TCP=$PEER_TCP ;;
	tap)
		. tests/lib/netns.sh
		if ! netns_setup 2>/dev/null; then
			bench_note "packet: tap rows skipped: $NETNS_SKIP"
			return 1
		fi
		# No TIME_WAIT sockets (tests/lib/probe.sh says why).
		ip netns exec "$NETNS" sysctl -qw net.ipv4.tcp_max_tw_buckets=0
		pkt_peer tap "$NETNS_HOST_IP" ip netns exec "$NETNS" ||
			{ bench_note "packet: tap rows skipped: the peer did not start in $NETNS"; return 1; }
		TAP_UDP=$PEER_UDP TAP_TCP=$PEER_TCP ;;
	passt)
		declare -F passt_ns_setup >/dev/null || . tests/lib/netns.sh
		if ! passt_ns_setup 2>/dev/null; then
			bench_note "packet: passt rows skipped: $PASST_NS_SKIP"
			return 1
		fi
		pkt_peer passt 127.0.0.1 ip netns exec "$PASST_NS" ||
			{ bench_note "packet: passt rows skipped: the peer did not start in $PASST_NS"; return 1; }
		PASST_UDP=$PEER_UDP PASST_TCP=$PEER_TCP ;;
	*)
		bench_note "packet: unknown backend '$1'"
		return 1 ;;
	esac
}

bench_packet() {
	local n=${BENCH_PKT_RUNS:-5} i be off dir size vmm order backends

	pkt_setup "${BENCH_BACKENDS:-"tap slirp passt"}"
	backends=$PKT_UP
	bench_say "packet path: $n rounds of blast ($BENCH_COUNT frames) and TCP ($backends)"
	for i in $(seq "$n"); do
		# Whoever runs first after a change of setting may pay for it
		# (caches, the peer): odd rounds start with minivmm, even with QEMU.
		order="minivmm qemu"
		[ $((i % 2)) = 0 ] && order="qemu minivmm"
		for be in $backends; do
			for off in on off; do
				for dir in tx rx; do
					for size in $PKT_SIZES; do
						for vmm in $order; do
							pkt_blast "$vmm" "$be" "$off" "$dir" "$size"
						done
					done
				done
				for vmm in $order; do
					pkt_tcp "$vmm" "$be" "$off"
				done
			done
		done
		bench_say "packet path: round $i done"
	done
	bench_note "packet: the probe's blast mode has no TSO; 64 KiB segments are measured with its TCP checks instead (tso: TCPv4 GSO frames of up to 44 x 1448 B; tcp_get: the host's GSO frames to a guest that took GUEST_TSO4)."
	[[ " $backends " == *" passt "* ]] &&
		bench_note "packet: passt ($(dpkg-query -W -f='${Version}' passt 2>/dev/null || echo '?')) takes no vnet header either way, for minivmm (-net passt) or QEMU (-netdev stream to a passt started the same way): minivmm offers CSUM and TSO and finishes them in software; QEMU offers neither over a stream netdev."
	bench_note "packet: QEMU's user netdev (slirp) has no vnet header, so its virtio-net offers neither CSUM nor TSO there whatever is asked: its 'offloads on' slirp rows run without them, and its tso check skips (TSO rows are minivmm only on slirp)."
}
