# netns.sh - a private network for integration tests (source it, bash).
#
# Layout: one network namespace per test run, holding everything the guest
# can reach, so a guest's traffic never touches the host's own network:
#
#   namespace $NETNS (minivmm-test-<pid>)
#     lo          up
#     $NETNS_TAP  (mvt0) persistent tap, $NETNS_HOST_IP/24 (10.77.0.1)
#     dnsmasq     DHCP $NETNS_DHCP_FIRST-$NETNS_DHCP_LAST on $NETNS_TAP only,
#                 no DNS; leases in $NETNS_DIR/leases; the boot file name
#                 $NETNS_DHCP_BOOT in its replies if set (for iPXE)
#
# minivmm runs inside the namespace and opens the tap by name:
#     netns_exec ./minivmm ... -net "$NETNS_TAP"
# Host-side peers (iperf, nc, tcpdump) also run through netns_exec.
#
#   netns_setup      creates it all; returns non-zero (and cleans up) with a
#                    reason on stderr if it cannot (not root, no ip/dnsmasq)
#   netns_exec CMD   runs CMD in the namespace
#   netns_teardown   stops dnsmasq, deletes the namespace (idempotent)
#   netns_trap       netns_teardown on EXIT/INT/TERM
#   netns_lease_ip   prints the address dnsmasq leased to MAC $1, if any
#
# Example:
#   . tests/lib/netns.sh
#   netns_setup || { echo "skip: $NETNS_SKIP"; exit 0; }
#   netns_trap
#   netns_exec ./minivmm -k ... -net "$NETNS_TAP"

NETNS=${NETNS:-minivmm-test-$$}
NETNS_TAP=${NETNS_TAP:-mvt0}
NETNS_HOST_IP=${NETNS_HOST_IP:-10.77.0.1}
NETNS_DHCP_FIRST=${NETNS_DHCP_FIRST:-10.77.0.50}
NETNS_DHCP_LAST=${NETNS_DHCP_LAST:-10.77.0.99}
NETNS_DIR=
NETNS_SKIP=
NETNS_DNSMASQ_PID=

netns_exec() {
	ip netns exec "$NETNS" "$@"
}

netns_setup() {
	local tool
	if [ "$(id -u)" != 0 ]; then
		NETNS_SKIP="needs root for a network namespace and a tap device"
		echo "netns: $NETNS_SKIP" >&2
		return 1
	fi
	for tool in ip dnsmasq; do
		if ! command -v "$tool" >/dev/null 2>&1 &&
		   ! [ -x "/usr/sbin/$tool" ]; then
			NETNS_SKIP="needs $tool (packages iproute2, dnsmasq-base)"
			echo "netns: $NETNS_SKIP" >&2
			return 1
		fi
	done
	if [ ! -c /dev/net/tun ]; then
		NETNS_SKIP="no /dev/net/tun"
		echo "netns: $NETNS_SKIP" >&2
		return 1
	fi
	NETNS_DIR=$(mktemp -d "/tmp/$NETNS.XXXXXX") || return 1
	if ! ip netns add "$NETNS"; then
		NETNS_SKIP="ip netns add failed"
		rm -rf "$NETNS_DIR"
		return 1
	fi
	if ! { netns_exec ip link set lo up &&
	       netns_exec ip tuntap add dev "$NETNS_TAP" mode tap &&
	       netns_exec ip addr add "$NETNS_HOST_IP/24" dev "$NETNS_TAP" &&
	       netns_exec ip link set "$NETNS_TAP" up; }; then
		NETNS_SKIP="could not create tap $NETNS_TAP in $NETNS"
		echo "netns: $NETNS_SKIP" >&2
		netns_teardown
		return 1
	fi
	# --bind-dynamic: the tap has no carrier until minivmm attaches, and
	# dnsmasq then still listens on it.  port=0: no DNS, DHCP only.
	# --no-ping: no 3 s address probe before the first lease.  It
	# stays in the foreground as this shell's child, so teardown can kill
	# and reap exactly it (no daemon left to init, no zombie).
	# Started with ip directly, not netns_exec: $! must be dnsmasq itself
	# (ip netns exec execs it), not a subshell.
	ip netns exec "$NETNS" "$(command -v dnsmasq || echo /usr/sbin/dnsmasq)" \
		--keep-in-foreground --conf-file=/dev/null --port=0 --bind-dynamic \
		--no-ping \
		--interface="$NETNS_TAP" --except-interface=lo \
		--dhcp-range="$NETNS_DHCP_FIRST,$NETNS_DHCP_LAST,255.255.255.0,1h" \
		--dhcp-option=option:router,"$NETNS_HOST_IP" \
		${NETNS_DHCP_BOOT:+--dhcp-boot="$NETNS_DHCP_BOOT"} \
		--dhcp-leasefile="$NETNS_DIR/leases" \
		--pid-file="$NETNS_DIR/dnsmasq.pid" \
		--log-facility="$NETNS_DIR/dnsmasq.log" --log-dhcp \
		--user=root &
	NETNS_DNSMASQ_PID=$!
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		[ -s "$NETNS_DIR/dnsmasq.pid" ] && return 0
		kill -0 "$NETNS_DNSMASQ_PID" 2>/dev/null || break
		sleep 0.1
	done
	NETNS_SKIP="dnsmasq did not start (see $NETNS_DIR/dnsmasq.log)"
	echo "netns: $NETNS_SKIP" >&2
	netns_teardown
	return 1
}

netns_teardown() {
	if [ -n "$NETNS_DNSMASQ_PID" ]; then
		kill "$NETNS_DNSMASQ_PID" 2>/dev/null
		wait "$NETNS_DNSMASQ_PID" 2>/dev/null
		NETNS_DNSMASQ_PID=
	fi
	# Deleting the namespace deletes the tap in it.
	ip netns del "$NETNS" 2>/dev/null
	if [ -n "$NETNS_DIR" ]; then
		rm -rf "$NETNS_DIR"
		NETNS_DIR=
	fi
	return 0
}

netns_trap() {
	trap 'netns_teardown' EXIT
	trap 'netns_teardown; exit 130' INT
	trap 'netns_teardown; exit 143' TERM
}

# Prints the IPv4 address dnsmasq leased to MAC $1 (lower case), or nothing.
netns_lease_ip() {
	[ -n "$NETNS_DIR" ] && [ -f "$NETNS_DIR/leases" ] &&
		awk -v mac="$1" '$2 == mac { print $3 }' "$NETNS_DIR/leases"
}

# ---- a routed namespace for passt ------------------------------------------
# passt (net/passt.h) takes its address and gateway from the interface with
# the default route, and will not start without one.  This namespace gives
# it exactly that and nothing more:
#
#   namespace $PASST_NS (minivmm-passt-<pid>)
#     lo          up, with $PASST_NS_GW/32, so the gateway answers pings
#                 (passt sends those to it as they are; TCP and UDP to the
#                 gateway it maps onto 127.0.0.1 itself)
#     mvp0        veth, $PASST_NS_IP/24, default route via $PASST_NS_GW
#     mvp1        its peer, up, no address: nothing beyond it
#
# ICMP echo sockets are allowed for every group (passt's pings), and no
# TIME_WAIT sockets are kept (see probe_tap_up).  A guest behind passt gets
# $PASST_NS_IP by DHCP and reaches peers listening on 127.0.0.1 here at
# $PASST_NS_GW.
#
#   passt_ns_setup      creates it; non-zero with PASST_NS_SKIP set if it
#                       cannot (not root, no ip, no passt)
#   passt_ns_teardown   deletes it (idempotent)

PASST_NS=${PASST_NS:-minivmm-passt-$$}
PASST_NS_IP=${PASST_NS_IP:-10.78.0.2}
PASST_NS_GW=${PASST_NS_GW:-10.78.0.1}
PASST_NS_SKIP=
PASST_NS_UP=

passt_ns_setup() {
	if [ "$(id -u)" != 0 ]; then
		PASST_NS_SKIP="needs root for a network namespace"
		return 1
	fi
	if ! command -v passt >/dev/null 2>&1; then
		PASST_NS_SKIP="passt is not installed (scripts/deps.sh installs it)"
		return 1
	fi
	if ! ip netns add "$PASST_NS" 2>/dev/null; then
		PASST_NS_SKIP="ip netns add $PASST_NS failed"
		return 1
	fi
	PASST_NS_UP=1
	if ! ip netns exec "$PASST_NS" sh -e -c "
		ip link set lo up
		ip link add mvp0 type veth peer name mvp1
		ip addr add $PASST_NS_IP/24 dev mvp0
		ip link set mvp0 up
		ip link set mvp1 up
		ip route add default via $PASST_NS_GW
		ip addr add $PASST_NS_GW/32 dev lo
		sysctl -qw net.ipv4.ping_group_range='0 2147483647'
		sysctl -qw net.ipv4.tcp_max_tw_buckets=0"; then
		PASST_NS_SKIP="could not give $PASST_NS a veth and a default route"
		passt_ns_teardown
		return 1
	fi
}

passt_ns_teardown() {
	[ -n "$PASST_NS_UP" ] && ip netns del "$PASST_NS" 2>/dev/null
	PASST_NS_UP=
	return 0
}
