#!/bin/bash
# Runs inside the nested test bed's L1 (started by tests/nested/l1-init, in
# the checkout, as root, with the host's root as /): each named test in
# turn, on L1's hardware-style KVM.  Usage: inside.sh NAME[,NAME...]
#
# For every NAME it prints NESTED-BEGIN NAME, the test's own output, and
# NESTED-END NAME STATUS SECONDS on the console, and leaves the output in
# /nested-out/NAME.out and the status in /nested-out/NAME.rc, where the host
# (tests/integration/t_nested.sh) reads them.  tshark's checksum verdicts
# are deferred to the host (tests/lib/capture.sh): the captures go to
# /nested-out/captures/NAME/.  The tests' logs are copied to
# /nested-out/logs/ at the end.
set -u
OUTDIR=${NESTED_OUT:-/nested-out}
# Each test is bounded here as well as by its own time-outs, so one hang
# cannot use up the host's bound on the whole L1 run (t_nested.sh).
# The bound is about three times the longest run seen on a busy host
# (t_linux_net's four boots took 443 s there, the probe matrix 250 s);
# NESTED_TEST_BOUND overrides it for all.
bound_of() {
	case $1 in
	t_linux_net) echo 1200 ;;
	bench) echo "${BENCH_NESTED_BOUND:-3600}" ;;
	t_probe_minivmm|t_seccomp|t_firmware|l_linux_ci_exits|l_ipxe_lkrn) echo 750 ;;
	*) echo 360 ;;
	esac
}

ip link set lo up

# A heartbeat for the host (tests/integration/t_nested.sh): while this file
# keeps being rewritten, L1's own userspace runs, however quiet the test
# of the moment is; when it stops, L1 itself has stopped.
(while :; do date +%s >"$OUTDIR/heartbeat"; sleep 5; done) </dev/null >/dev/null 2>&1 &

# L1's TSC frequency for L2 Linux guests (tests/nested/l1-init says why),
# or worked out here when run by hand.
if [ -z "${L2_TSC_ARG+set}" ]; then
	mhz=$(dmesg | sed -nE 's/.*tsc: Detected ([0-9]+)\.([0-9]{3}) MHz.*/\1\2/p' | head -n 1)
	L2_TSC_ARG=${mhz:+tsc_early_khz=$mhz}
fi
TSC_ARG=$L2_TSC_ARG
# Everything in L1 runs under software emulation, the host-side peers too:
# python3's http.server starts slowly, and the probe's peer serves a TCP
# stream at a few hundred KiB/s, so the probe's transfers get more time,
# and each probe run more in all.
export HTTP_START_TIMEOUT=60 PROBE_XFER_MS=90000 PROBE_TIMEOUT=240

# NAME -> command (and the environment it needs): t_NAME and l_NAME are
# tests/integration/t_NAME.sh and tests/long/l_NAME.sh; linux_boot_vmlinux
# is t_linux_boot.sh with the bare ELF.  `quiet` halves an L2 Linux guest's
# I/O exits; it is left out where a test reads the kernel's own messages.
run_named() {
	local name=$1
	case $name in
	t_linux_net)
		LINUX_EXTRA_ARGS="$TSC_ARG quiet" CAPTURE_DEFER_DIR=$OUTDIR/captures/$name \
			tests/integration/t_linux_net.sh ;;
	linux_boot_vmlinux)
		LINUX_EXTRA_ARGS="$TSC_ARG" LINUX_BOOT_KERNEL=images/out/vmlinux \
			tests/integration/t_linux_boot.sh ;;
	t_*)
		LINUX_EXTRA_ARGS="$TSC_ARG" CAPTURE_DEFER_DIR=$OUTDIR/captures/$name \
			"tests/integration/$name.sh" ;;
	l_*)
		LINUX_EXTRA_ARGS="$TSC_ARG" CAPTURE_DEFER_DIR=$OUTDIR/captures/$name \
			"tests/long/$name.sh" ;;
	bench)
		# `make bench` on a host without /dev/kvm (bench/nested.sh): its
		# knobs come in bench.env, its results go back in bench/.
		[ -f "$OUTDIR/bench.env" ] && . "$OUTDIR/bench.env"
		BENCH_OUT=$OUTDIR/bench bench/bench.sh ;;
	*)
		echo "nested: unknown test '$name'"
		echo "0 passed, 1 failed"
		return 1 ;;
	esac
}

echo "nested: L2 kernel args add '$TSC_ARG'"
mkdir -p "$OUTDIR/logs"
for name in ${1//,/ }; do
	# A fresh folder: a test run again after a stalled L1 starts over.
	rm -rf "$OUTDIR/captures/$name"
	mkdir -p "$OUTDIR/captures/$name"
	echo "NESTED-BEGIN $name"
	start=$(date +%s)
	# timeout(1) signals its whole process group: all the test started.
	(export -f run_named; export OUTDIR TSC_ARG
	 timeout -k 10 "${NESTED_TEST_BOUND:-$(bound_of "$name")}" bash -c 'run_named "$0"' "$name") 2>&1 |
		tee "$OUTDIR/$name.out"
	rc=${PIPESTATUS[0]}
	echo "$rc" >"$OUTDIR/$name.rc"
	echo "NESTED-END $name $rc $(( $(date +%s) - start ))"
done
cp -r build/*.log build/linux-net build/t_firmware "$OUTDIR/logs/" 2>/dev/null
exit 0
