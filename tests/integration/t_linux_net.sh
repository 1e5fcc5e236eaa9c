#!/bin/bash
# End-to-end networking with a real Linux guest (issue 3, "What must be
# shown"): Debian's kernel (images/out/bzImage) with the images/ initramfs,
# two vCPUs, 512 MiB, in four runs:
#
#   slirp         -net slirp,hostfwd=tcp::HOSTPORT-:80
#   tap           -net mvt0, minivmm inside the namespace of tests/lib/netns.sh
#   slirp_nocsum  the same as slirp with ,csum=off,tso=off
#   tap_nocsum    the same as tap with ,csum=off,tso=off
#
# In every run /init (minivmm.net=dhcp, minivmm.fetch=URL, minivmm.httpd=80)
# gets a DHCP lease, fetches a 1 MiB random file from a python3 HTTP server
# on the host side (127.0.0.1:PORT seen as 10.0.2.2:PORT through slirp;
# 10.77.0.1:8080 in the namespace) and prints its sha256, then serves a 1 MiB
# random file of its own and prints that sha256; the test fetches it (through
# hostfwd at 127.0.0.1:HOSTPORT, or at the leased address in the namespace),
# then asks for /cgi-bin/done, and the guest powers off by itself (the test
# exit port without ACPI, see images/init).  Checked per run: exit status 0,
# the lease, the features the driver negotiated, both sha256s, and for tap
# runs the checksums of what crossed the tap (tshark, see tap_checksums).
# Traffic goes only to 127.0.0.1 or stays inside the namespace.
#
# Where it runs: a hardware-backed KVM.  On a software KVM (no vmx/svm, see
# docs/HOST-KVM.md) a Linux guest's first system call never reaches ring 0,
# so /init cannot run: every run skips at once, before anything is built or
# started.  The tap runs also need root (tests/lib/netns.sh says so).
#
# LINUX_NET_VMM=qemu-tcg runs the same guest, servers and checks under
# qemu-system-x86_64 with software emulation (no KVM) instead of minivmm:
# it validates everything here but the minivmm invocation, on any machine.
# QEMU's own behaviour differs in two documented ways: with a user-mode
# (slirp) netdev it offers no checksum or TSO offload at all, and its
# filter-dump capture keeps partial checksums as they are.
#
# LINUX_NET_RUNS="tap ..." picks runs; LINUX_NET_TIMEOUT bounds each guest
# (seconds; 120 under minivmm, 240 under QEMU's TCG).
# Logs: build/linux-net/RUN.log (console and VMM messages), RUN.pcap (the
# VMM's capture) and RUN-tap.pcap (tcpdump on the tap).
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/guest.sh
. tests/lib/http.sh
. tests/lib/capture.sh

VMM_KIND=${LINUX_NET_VMM:-minivmm}
RUNS=${LINUX_NET_RUNS:-"slirp tap slirp_nocsum tap_nocsum"}

# One skip line per run, then the total; nothing has been started.
skip_all() {
	local r
	for r in $RUNS; do skip "linux_net_$r" "$1"; done
	finish
	exit
}

# Decide about skipping first: on this project's build machines the answer
# is "skip", and it must cost nothing.
case $VMM_KIND in
minivmm)
	have_kvm || skip_all "no usable /dev/kvm"
	software_kvm && skip_all "this host's KVM is software: Linux userspace cannot run (docs/HOST-KVM.md)"
	[ -x "$MINIVMM" ] || skip_all "no $MINIVMM (run make first)"
	GUEST_TIMEOUT=${LINUX_NET_TIMEOUT:-120}
	;;
qemu-tcg)
	command -v qemu-system-x86_64 >/dev/null ||
		skip_all "LINUX_NET_VMM=qemu-tcg needs qemu-system-x86_64 (package qemu-system-x86)"
	# A TCG boot to /init takes 5-20 s here; the transfers a few more.
	GUEST_TIMEOUT=${LINUX_NET_TIMEOUT:-240}
	;;
*)
	fail linux_net_vmm "LINUX_NET_VMM=$VMM_KIND: expected minivmm or qemu-tcg"
	finish
	exit
	;;
esac
command -v python3 >/dev/null || skip_all "python3 missing (host-side HTTP server)"
command -v curl >/dev/null || skip_all "curl missing (host-side fetch)"

KERNEL=images/out/bzImage
INITRD=images/out/initramfs.cpio.gz
if ! make -s -C images >/dev/null 2>&1 || [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
	skip_all "cannot build $KERNEL and $INITRD (make -C images)"
fi

LOGDIR=build/linux-net
mkdir -p "$LOGDIR"
OUT=$(mktemp -d /tmp/t_linux_net.XXXXXX) || exit 1
BLOB_SIZE=1048576
NS_HTTP_PORT=8080
PIDS=() SERVERS=()
NETNS_UP=

cleanup() {
	local p
	stop_http "${SERVERS[@]}"
	SERVERS=()
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=()
	[ -n "$NETNS_UP" ] && netns_teardown
	rm -rf "$OUT"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

# The file the guest fetches: fresh random bytes, sha256 known here.
mkdir -p "$OUT/www"
head -c "$BLOB_SIZE" /dev/urandom >"$OUT/www/blob"
HOST_SHA=$(sha256sum "$OUT/www/blob" | cut -d' ' -f1)

# start_http_www BIND PORT [WRAP...]: serve (tests/lib/http.sh) $OUT/www.
start_http_www() {
	serve "$OUT/www" "$OUT/http-$2.log" "$@"
}

# ---- checksums on a capture ----------------------------------------------
# tshark's verdicts, from tests/lib/capture.sh: check_capture NAME PCAP
# STRICT MIN_BYTES; a capture must hold at least both transfers' payload.

# ---- negotiated features --------------------------------------------------
# virtio 1.2 5.1.3 bit numbers, for the log line.
feature_names() {
	local bits=$1 i names=""
	local -A n=([0]=CSUM [1]=GUEST_CSUM [2]=CTRL_GUEST_OFFLOADS [3]=MTU
		[5]=MAC [7]=GUEST_TSO4 [8]=GUEST_TSO6 [9]=GUEST_ECN [10]=GUEST_UFO
		[11]=HOST_TSO4 [12]=HOST_TSO6 [13]=HOST_ECN [14]=HOST_UFO
		[15]=MRG_RXBUF [16]=STATUS [17]=CTRL_VQ [18]=CTRL_RX
		[19]=CTRL_VLAN [20]=CTRL_RX_EXTRA [21]=GUEST_ANNOUNCE [22]=MQ
		[23]=CTRL_MAC_ADDR [28]=INDIRECT_DESC [29]=EVENT_IDX
		[32]=VERSION_1 [33]=ACCESS_PLATFORM [34]=RING_PACKED [35]=IN_ORDER
		[36]=ORDER_PLATFORM [37]=SR_IOV [38]=NOTIFICATION_DATA [40]=RING_RESET)
	for ((i = 0; i < ${#bits}; i++)); do
		[ "${bits:i:1}" = 1 ] && names="$names ${n[$i]:-bit$i}"
	done
	echo "${names# }"
}

# ---- one run ----------------------------------------------------------------
# The host side's fetch from the guest, in the background while the guest
# runs: waits for MINIVMM-HTTPD-READY in LOG, fetches /blob from the guest
# (HOST: 127.0.0.1:HOSTPORT, or "lease" for the guest's leased address on
# port 80), then /cgi-bin/done so the guest ends.  Writes "SHA SECONDS" (or
# "none") to OUTFILE.  WRAP... runs curl (ip netns exec NS for tap).
host_client() {
	local log=$1 host=$2 outfile=$3 i
	shift 3
	for ((i = 0; i < GUEST_TIMEOUT * 5; i++)); do
		grep -aq 'MINIVMM-HTTPD-READY' "$log" 2>/dev/null && break
		grep -aq 'MINIVMM-DONE' "$log" 2>/dev/null && break
		sleep 0.2
	done
	if [ "$host" = lease ]; then
		host=$(sed -nE 's/.*MINIVMM-DHCP-OK IP=([0-9.]+)\/.*/\1/p' "$log" | head -n 1):80
	fi
	echo none >"$outfile"
	if "$@" curl -s -m 60 -o "$outfile.bin" -w '%{time_total}\n' \
		"http://$host/blob" >"$outfile.time" 2>/dev/null; then
		echo "$(sha256sum "$outfile.bin" | cut -d' ' -f1) $(wc -c <"$outfile.bin") $(cat "$outfile.time")" >"$outfile"
	fi
	"$@" curl -s -m 10 -o /dev/null "http://$host/cgi-bin/done" 2>/dev/null
}

# Network namespace for the tap runs, made once (tests/lib/netns.sh).
TAP_SKIP=
tap_up() {
	[ -n "$NETNS_UP" ] && return 0
	[ -n "$TAP_SKIP" ] && return 1
	. tests/lib/netns.sh
	if ! netns_setup 2>/dev/null; then
		TAP_SKIP=$NETNS_SKIP
		return 1
	fi
	NETNS_UP=1
	if ! start_http_www "$NETNS_HOST_IP" "$NS_HTTP_PORT" ip netns exec "$NETNS"; then
		TAP_SKIP="the HTTP server did not start in $NETNS"
		return 1
	fi
	return 0
}

# check_rx_copies NAME BACKEND LOG: minivmm's -v count of the copies it made
# of each received frame (devices/virtio_net_rx.c), with Linux's own
# driver.  tap: readv() lands in the guest's buffers, so nearly every frame
# takes none (one goes through rx_buf only when it outruns the buffers the
# guest had posted); slirp: one copy, two when the frame had to queue,
# never none and never more.
check_rx_copies() {
	local name=$1 backend=$2 log=$3 line none one two more
	line=$(grep -aE 'rx copies per frame: ' "$log" | head -n 1)
	if [[ ! $line =~ none\ ([0-9]+),\ one\ ([0-9]+),\ two\ ([0-9]+),\ three\ or\ more\ ([0-9]+) ]]; then
		fail "${name}_rx_copies" "no 'rx copies per frame' line from -v"
		return
	fi
	none=${BASH_REMATCH[1]} one=${BASH_REMATCH[2]} two=${BASH_REMATCH[3]} more=${BASH_REMATCH[4]}
	line="none $none, one $one, two $two, three or more $more"
	if [ "$backend" = tap ]; then
		if [ "$none" -gt 0 ] && [ "$none" -ge $(( 9 * (one + two + more) )) ]; then
			pass "${name}_rx_copies" "$line"
		else
			fail "${name}_rx_copies" "want nine in ten frames with no copy: $line"
		fi
	elif [ "$none" = 0 ] && [ "$one" -gt 0 ] && [ "$more" = 0 ]; then
		pass "${name}_rx_copies" "$line"
	else
		fail "${name}_rx_copies" "want one copy (two if queued), no other: $line"
	fi
}

# run_one RUN BACKEND(slirp|tap) NOCSUM(0|1)
run_one() {
	local run=$1 backend=$2 nocsum=$3 name=linux_net_$1
	local log=$LOGDIR/$run.log vpcap=$LOGDIR/$run.pcap tpcap=$LOGDIR/$run-tap.pcap
	local hostport="" url client_host spec args opts="" features want
	local cap_pid="" client_pid wrap=() lease got sha bytes ms rate
	local -a vmm
	local fails_before=$T_FAIL

	if [ "$backend" = tap ] && ! tap_up; then
		skip "$name" "$TAP_SKIP"
		return
	fi
	if [ "$backend" = slirp ]; then
		local port
		port=$(free_port)
		if ! start_http_www 127.0.0.1 "$port"; then
			fail "${name}_http_server" "python3 http.server did not start on 127.0.0.1:$port"
			return
		fi
		hostport=$(free_port)
		url=http://10.0.2.2:$port/blob
		client_host=127.0.0.1:$hostport
	else
		url=http://$NETNS_HOST_IP:$NS_HTTP_PORT/blob
		client_host=lease
		wrap=(ip netns exec "$NETNS")
	fi
	args="console=ttyS0 panic=-1 minivmm.net=dhcp minivmm.fetch=$url"
	args="$args minivmm.httpd=80 minivmm.httpd_wait=$GUEST_TIMEOUT"
	args="$args${LINUX_EXTRA_ARGS:+ $LINUX_EXTRA_ARGS}"

	if [ "$VMM_KIND" = minivmm ]; then
		[ "$nocsum" = 1 ] && opts=,csum=off,tso=off
		if [ "$backend" = slirp ]; then
			spec=slirp,hostfwd=tcp::$hostport-:80$opts
		else
			spec=$NETNS_TAP$opts
		fi
		# --pcap: both directions, checksums completed in the copy.
		vmm=("$MINIVMM" -k "$KERNEL" -i "$INITRD" -c 2 -m 512M -v
		     -net "$spec" --pcap "$vpcap" -a "$args")
	else
		if [ "$nocsum" = 1 ]; then
			opts=,csum=off,guest_csum=off,gso=off,host_tso4=off,host_tso6=off
			opts=$opts,host_ecn=off,host_ufo=off,guest_tso4=off,guest_tso6=off
			opts=$opts,guest_ecn=off,guest_ufo=off
		fi
		if [ "$backend" = slirp ]; then
			spec=user,id=n0,hostfwd=tcp:127.0.0.1:$hostport-:80
		else
			spec=tap,id=n0,ifname=$NETNS_TAP,script=no,downscript=no
		fi
		vmm=(qemu-system-x86_64 -kernel "$KERNEL" -initrd "$INITRD"
		     -append "$args" -display none -serial stdio -monitor none
		     -m 512 -smp 2 -no-reboot -netdev "$spec"
		     -device "virtio-net-pci,netdev=n0$opts"
		     -object "filter-dump,id=d0,netdev=n0,file=$vpcap")
	fi

	rm -f "$vpcap"
	if [ "$backend" = tap ] && [ -n "$TSHARK_OK" ]; then
		# The host side of the tap, everything that crosses it.
		ip netns exec "$NETNS" tcpdump -i "$NETNS_TAP" -s 0 -U -Z root \
			-w "$tpcap" 2>"$OUT/$run-tcpdump.err" &
		cap_pid=$!
		PIDS+=("$cap_pid")
		for _ in $(seq 50); do
			grep -q 'listening on' "$OUT/$run-tcpdump.err" && break
			sleep 0.1
		done
	fi

	: >"$log"
	host_client "$log" "$client_host" "$OUT/$run.client" "${wrap[@]}" &
	client_pid=$!
	PIDS+=("$client_pid")
	if [ "$backend" = tap ]; then
		MINIVMM=ip run_guest "$log" "$GUEST_TIMEOUT" '' 0 -- \
			netns exec "$NETNS" "${vmm[@]}"
	else
		MINIVMM=${vmm[0]} run_guest "$log" "$GUEST_TIMEOUT" '' 0 -- "${vmm[@]:1}"
	fi
	wait "$client_pid"
	if [ -n "$cap_pid" ]; then
		sleep 0.5
		kill -INT "$cap_pid" 2>/dev/null
		wait "$cap_pid" 2>/dev/null
	fi
	sed -i 's/\r$//' "$log"
	echo "--- $run: $VMM_KIND ${vmm[*]:1} ($GUEST_SECONDS s; log $log)"

	# The guest ended by itself: minivmm's status 0 is its poweroff/exit
	# port; QEMU exits 0 on the ACPI poweroff (-no-reboot).
	if [ "$GUEST_STATUS" = 0 ]; then pass "${name}_exit_status_0"
	else fail "${name}_exit_status_0" "status $GUEST_STATUS after ${GUEST_SECONDS}s"; fi

	if [ "$backend" = slirp ]; then
		expect_in "${name}_dhcp_lease" 'MINIVMM-DHCP-OK IP=10\.0\.2\.15/24 ROUTER=10\.0\.2\.2$' "$log"
	else
		# dnsmasq's own lease for the guest's MAC must be the address.
		got=$(sed -nE 's/.*MINIVMM-DHCP-OK IP=(10\.77\.0\.[0-9]+)\/24 ROUTER=10\.77\.0\.1$/\1/p' "$log" | head -n 1)
		lease=$(netns_lease_ip "$(sed -nE 's/.*MINIVMM-NET-IF=[^ ]+ MAC=([0-9a-f:]+).*/\1/p' "$log" | head -n 1)")
		if [ -n "$got" ] && [ "$got" = "$lease" ]; then
			pass "${name}_dhcp_lease" "$got from dnsmasq"
		else
			fail "${name}_dhcp_lease" "guest says '${got}', dnsmasq leased '${lease}'"
		fi
	fi

	# What the driver accepted: offloads on (CSUM, GUEST_CSUM, HOST_TSO4)
	# unless turned off; QEMU offers none with a user-mode netdev (it
	# clears them when the peer has no vnet header).
	features=$(sed -nE 's/.*MINIVMM-NET-FEATURES=([01]+).*/\1/p' "$log" | head -n 1)
	want=on
	[ "$nocsum" = 1 ] && want=off
	[ "$VMM_KIND" = qemu-tcg ] && [ "$backend" = slirp ] && want=off
	echo "    features: $(feature_names "$features")"
	if [ -z "$features" ]; then
		fail "${name}_features" "no MINIVMM-NET-FEATURES line"
	elif [ "$want" = on ] && [ "${features:0:1}${features:1:1}${features:11:1}" = 111 ]; then
		pass "${name}_features" "CSUM GUEST_CSUM HOST_TSO4 on"
	elif [ "$want" = off ] &&
	     [ "${features:0:2}${features:7:2}${features:11:2}" = 000000 ]; then
		pass "${name}_features" "CSUM GUEST_CSUM TSO off"
	else
		fail "${name}_features" "want offloads $want, got $(feature_names "$features")"
	fi

	[ "$VMM_KIND" = minivmm ] && check_rx_copies "$name" "$backend" "$log"

	# Guest fetched the host's file.
	sha=$(sed -nE "s/.*MINIVMM-FETCH-OK BYTES=$BLOB_SIZE SHA256=([0-9a-f]{64}) MS=([0-9]+).*/\1 \2/p" "$log" | head -n 1)
	ms=${sha#* }
	sha=${sha%% *}
	if [ -n "$sha" ] && [ "$sha" = "$HOST_SHA" ]; then
		pass "${name}_guest_fetch_sha256" "$BLOB_SIZE bytes in ${ms} ms"
	else
		fail "${name}_guest_fetch_sha256" "guest: '$(grep -a 'MINIVMM-FETCH' "$log" | head -n 1)', want $HOST_SHA"
	fi

	# The host fetched the guest's file.
	sha=$(sed -nE "s/.*MINIVMM-HTTPD-READY PORT=80 BYTES=$BLOB_SIZE SHA256=([0-9a-f]{64}).*/\1/p" "$log" | head -n 1)
	read -r got bytes rate <"$OUT/$run.client"
	if [ -n "$sha" ] && [ "$got" = "$sha" ] && [ "$bytes" = "$BLOB_SIZE" ]; then
		pass "${name}_host_fetch_sha256" "$bytes bytes in ${rate} s"
	else
		fail "${name}_host_fetch_sha256" "guest served '${sha}', host got '${got}' (${bytes:-0} bytes)"
	fi
	grep -aqE 'MINIVMM-HTTPD-DONE' "$log" ||
		echo "    note: the guest did not see /cgi-bin/done"

	# Checksums.  On the host side of a tap, a frame the guest sent with
	# NEEDS_CSUM (CSUM negotiated) still carries its partial checksum (the
	# pseudo-header sum: the tap's skb is CHECKSUM_PARTIAL and capture
	# happens before anything completes it), and a frame the host stack
	# sends towards a guest that accepted GUEST_CSUM (TUN_F_CSUM) is
	# captured partial too; both are correct, and tshark calls them bad.
	# So with offloads on only the IP header checksums are checked there,
	# and with csum=off,tso=off (nothing offloaded in either direction:
	# the guest computes its own, the host kernel completes before the
	# tap) every IPv4, TCP and UDP checksum must be good.  minivmm's
	# --pcap completes partial checksums in its copy (issue 3: "checksums
	# as on the wire"), so its capture must be all good in every run.
	# QEMU's filter-dump keeps partial checksums as they are, and on a
	# tap netdev (QEMU 7.2) writes the 10-byte virtio-net header in front
	# of every frame, so under QEMU only the slirp runs' dump is checked
	# (no offload is negotiated there); the tap capture covers tap runs.
	if [ "$backend" = tap ]; then
		check_capture "${name}_tap_checksums" "$tpcap" "$nocsum" $((2 * BLOB_SIZE))
	fi
	if [ "$VMM_KIND" = minivmm ] ||
	   { [ "$backend" = slirp ] && [ "${features:0:2}" = 00 ]; }; then
		check_capture "${name}_vmm_pcap_checksums" "$vpcap" 1 $((2 * BLOB_SIZE))
	else
		skip "${name}_vmm_pcap_checksums" "QEMU's filter-dump of a tap netdev holds virtio-net headers and partial checksums; the tap capture is checked instead"
	fi
	if [ "$T_FAIL" != "$fails_before" ]; then
		grep -aE 'MINIVMM|minivmm-|error|warn' "$log" | head -n 30 | sed 's/^/    | /'
	fi
}

echo "linux_net: $VMM_KIND, kernel $(cat images/out/kernel-version 2>/dev/null), logs in $LOGDIR"
tshark_self_check
for r in $RUNS; do
	case $r in
	slirp)        run_one slirp slirp 0 ;;
	tap)          run_one tap tap 0 ;;
	slirp_nocsum) run_one slirp_nocsum slirp 1 ;;
	tap_nocsum)   run_one tap_nocsum tap 1 ;;
	*)            fail "linux_net_$r" "unknown run in LINUX_NET_RUNS" ;;
	esac
done
finish
