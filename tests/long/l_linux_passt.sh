#!/bin/bash
# Linux over -net passt (issue 15): Debian's kernel (images/out/bzImage)
# with the images/ initramfs boots under minivmm, which starts passt in the
# routed namespace of tests/lib/netns.sh ($PASST_NS: a veth with a default
# route, nothing beyond it).  /init brings eth0 up with udhcpc
# (minivmm.net=dhcp) and fetches a 1 MiB random file (minivmm.fetch) from a
# python3 HTTP server on that namespace's 127.0.0.1, at the gateway address
# passt gives it; then the guest powers off by itself.
#
# Checked: exit status 0; the lease is passt's (the namespace's own address
# and gateway); the driver negotiated CSUM and HOST_TSO (finished in
# software before the frames reach passt, net/stream.h); the sha256 the
# guest prints is the file's; minivmm's counters show traffic with nothing
# dropped; passt is gone after minivmm.
#
# Kernel arguments: LINUX_TEST_ARGS from tests/lib/guest.sh, which takes
# whatever the place adds in $LINUX_EXTRA_ARGS (the nested bed: the TSC
# frequency, quiet).
#
# Where it runs: a hardware-style KVM (Linux userspace cannot run on this
# project's software KVM, docs/HOST-KVM.md), as root (namespaces), with
# passt installed.  Each missing piece is a skip that says so.
# Logs: build/linux-passt.log.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/guest.sh
. tests/lib/http.sh
. tests/lib/netns.sh

KERNEL=images/out/bzImage
INITRD=images/out/initramfs.cpio.gz
LOG=build/linux-passt.log
TIMEOUT=${LINUX_PASST_TIMEOUT:-240}

skip_all() {
	skip linux_passt "$1"
	finish
	exit
}
have_kvm || skip_all "no usable /dev/kvm"
software_kvm && skip_all "this host's KVM is software: Linux userspace cannot run (docs/HOST-KVM.md)"
[ -x "$MINIVMM" ] || skip_all "no $MINIVMM (run make first)"
command -v python3 >/dev/null || skip_all "python3 missing (host-side HTTP server)"
if ! make -s -C images >/dev/null 2>&1 || [ ! -f "$KERNEL" ] || [ ! -f "$INITRD" ]; then
	skip_all "cannot build $KERNEL and $INITRD (make -C images)"
fi
passt_ns_setup || skip_all "$PASST_NS_SKIP"

OUT=$(mktemp -d /tmp/l_linux_passt.XXXXXX) || exit 1
SERVERS=()
trap 'stop_http "${SERVERS[@]}"; passt_ns_teardown; rm -rf "$OUT"' EXIT
mkdir -p build "$OUT/www"
head -c 1048576 /dev/urandom >"$OUT/www/blob"
SHA=$(sha256sum "$OUT/www/blob" | cut -d' ' -f1)
PORT=8080
if ! serve "$OUT/www" "$OUT/http.log" 127.0.0.1 "$PORT" ip netns exec "$PASST_NS"; then
	fail linux_passt_http_server "python3 http.server did not start in $PASST_NS"
	finish
	exit
fi

ARGS="console=ttyS0 panic=-1 minivmm.net=dhcp"
ARGS="$ARGS minivmm.fetch=http://$PASST_NS_GW:$PORT/blob $LINUX_TEST_ARGS"
MINIVMM="ip" run_guest "$LOG" "$TIMEOUT" 'MINIVMM-DONE' 10 -- \
	netns exec "$PASST_NS" "$MINIVMM" -k "$KERNEL" -i "$INITRD" -c 2 -m 512M -v \
	-net passt -a "$ARGS"
echo "linux over passt: ${GUEST_SECONDS}s to MINIVMM-DONE; log in $LOG"

if [ "$GUEST_STATUS" = 0 ]; then pass linux_passt_exit_status_0
else fail linux_passt_exit_status_0 "status $GUEST_STATUS"; fi
expect_in linux_passt_init_ran 'MINIVMM-INIT-OK' "$LOG"
expect_in linux_passt_lease_is_passts \
	"MINIVMM-DHCP-OK IP=${PASST_NS_IP//./\\.}/24 ROUTER=${PASST_NS_GW//./\\.}" "$LOG"
# virtio 1.2 5.1.3: bit 0 CSUM, bit 11 HOST_TSO4 (features printed bit 0 first).
feats=$(sed -nE 's/.*MINIVMM-NET-FEATURES=([01]+).*/\1/p' "$LOG" | head -n 1)
if [ "${feats:0:1}" = 1 ] && [ "${feats:11:1}" = 1 ]; then
	pass linux_passt_guest_took_csum_and_tso "features $feats"
else
	fail linux_passt_guest_took_csum_and_tso "features '${feats}'"
fi
expect_in linux_passt_fetch_sha256_matches "MINIVMM-FETCH-OK BYTES=1048576 SHA256=$SHA" "$LOG"
expect_in linux_passt_server_sent_blob 'GET /blob HTTP/1.1" 200' "$OUT/http.log"
expect_in linux_passt_started_passt 'passt: .* started \(pid [0-9]+\)' "$LOG"
if grep -qE '^ *drops ' "$LOG"; then
	fail linux_passt_no_drops "$(grep -E '^ *drops ' "$LOG" | head -3 | tr '\n' ';')"
else
	pass linux_passt_no_drops
fi
pid=$(sed -nE 's/.*passt: .* started \(pid ([0-9]+)\).*/\1/p' "$LOG" | head -n 1)
for _ in $(seq 30); do [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then pass linux_passt_passt_gone_after_minivmm
else fail linux_passt_passt_gone_after_minivmm "pid '${pid}' still there"; fi
finish
