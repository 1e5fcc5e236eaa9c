#!/bin/bash
# bench.sh - minivmm next to QEMU on the same machine, in one run
# (`make bench`; not part of `make check`).  Issue 6.
#
# Sections (BENCH_SECTIONS, default all, in this order):
#   startup  exec to exit of a guest that stops at once (bench/startup.sh)
#   memory   resident memory beyond the guest RAM touched (bench/memory.sh)
#   packet   probe blast and TCP over tap, slirp and passt (bench/packet.sh)
#   csum     net/csum.c against memcpy (bench/csum.sh)
#   cpu      the VMM's own CPU time per frame (bench/cpu.sh); only when
#            named: BENCH_SECTIONS="... cpu"
# then bench/report.sh prints the table and writes bench/results.md,
# bench/packet.png and the raw figures, bench/results.tsv.
#
# Knobs (environment): BENCH_STARTUP_RUNS (10), BENCH_MEM_RUNS (3),
# BENCH_PKT_RUNS (5), BENCH_CSUM_RUNS (5), BENCH_COUNT (frames per blast,
# 20000), BENCH_SIZES ("64 1514"), BENCH_TCP_BYTES (4194304; 1 MiB in L1),
# BENCH_BACKENDS ("tap slirp passt"), BENCH_CPU_* (bench/cpu.sh),
# MINIVMM (./minivmm), BENCH_MINIVMM_BEFORE (an older minivmm for the cpu
# section's "before" column), QEMU (qemu-system-x86_64), BENCH_OUT (bench).
# The tap rows need root (a network namespace); without it they are noted
# as skipped.  About 10 minutes here.
set -u
cd "$(dirname "$0")/.." || exit 1

. bench/lib.sh
PROBE_NAME=bench
. tests/lib/probe.sh
. bench/startup.sh
. tests/lib/guest.sh	# wait_vcpu_thread
. bench/memory.sh
. bench/packet.sh
. bench/csum.sh
. bench/cpu.sh

SECTIONS=${BENCH_SECTIONS:-"startup memory packet csum"}
OUT=${BENCH_OUT:-bench}
BENCH_COUNT=${BENCH_COUNT:-20000}
BENCH_CSUM=${BENCH_CSUM:-build/bench/bench_csum}

die() { echo "bench: $*" >&2; exit 1; }

# A host with no /dev/kvm at all runs the bench in the nested bed's L1.
if [ ! -e /dev/kvm ] && [ -z "${BENCH_IN_L1:-}" ] && command -v qemu-system-x86_64 >/dev/null; then
	BENCH_IN_L1=1 exec bench/nested.sh
fi
[ -c /dev/kvm ] && [ -w /dev/kvm ] || die "/dev/kvm missing or not writable"
command -v "$QEMU" >/dev/null || die "$QEMU not installed (scripts/deps.sh)"
[ -n "$QEMU_CPU" ] || die "$QEMU -enable-kvm does not start here with any of $QEMU_CPU_MODELS: $QEMU_CPU_ERR"
command -v python3 >/dev/null || die "python3 missing (the probe's peer)"
for f in "${MINIVMM:-./minivmm}" "$PROBE" "$EXIT_ELF" "$BENCH_CSUM" ${BENCH_MINIVMM_BEFORE:-}; do
	[ -e "$f" ] || die "$f missing (make bench builds it)"
done

BENCH_TMP=$(mktemp -d /tmp/bench.XXXXXX) || exit 1
PROBE_OUT=$BENCH_TMP		# tests/lib/probe.sh keeps its peers' logs here
trap 'probe_cleanup' EXIT
trap 'probe_cleanup; exit 130' INT
trap 'probe_cleanup; exit 143' TERM
BENCH_RAW=$BENCH_TMP/raw.tsv
BENCH_NOTES=$BENCH_TMP/notes
: >"$BENCH_RAW"
: >"$BENCH_NOTES"

# A private copy: others rebuild ./minivmm in this checkout while we run.
MV=$BENCH_TMP/minivmm
cp "${MINIVMM:-./minivmm}" "$MV" || exit 1
MV_BEFORE=
if [ -n "${BENCH_MINIVMM_BEFORE:-}" ]; then
	MV_BEFORE=$BENCH_TMP/minivmm-before
	cp "$BENCH_MINIVMM_BEFORE" "$MV_BEFORE" || exit 1
fi

# The probe's own TSC calibration, once; every run then gets tsc_khz= (no
# PIT calibration at start-up, and the same clock for every blast figure).
TSC_KHZ=$("$MV" -k "$PROBE" -m 128M -net none -a "checks=none" </dev/null 2>/dev/null |
	sed -nE 's/^PROBE start .*tsc_khz=([0-9]+).*/\1/p')
[ -n "$TSC_KHZ" ] || die "the probe did not start under $MV"

# The machine, and what else runs on it (the load is part of the result).
load_now() {
	echo "$(cut -d' ' -f1-3 /proc/loadavg); busiest processes (ps %CPU over their lifetime): $(ps -eo pcpu=,comm= --sort=-pcpu |
		grep -vE ' (ps|bench.sh)$' | head -4 |
		awk '{ printf "%s%s %s%%", (NR > 1 ? ", " : ""), $2, $1 }')"
}
kvm_kind() {
	local mods
	mods=$(ls /sys/module 2>/dev/null | grep -E '^kvm' | tr '\n' ' ')
	if grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo "hardware-assisted (the CPU shows vmx/svm; modules: $mods)"
	else
		echo "software: the CPU shows no vmx/svm, the modules behind /dev/kvm are: $mods(shared/HOST-KVM.md: guest ring 0 is emulated, about 4000 times slower; ring 3 runs at native speed)"
	fi
}
{
	echo "CPU: $(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) online CPUs"
	echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	echo "kernel: $(uname -srm)"
	echo "KVM: $(kvm_kind)"
	[ -n "${BENCH_IN_L1:-}" ] &&
		echo "where: the nested test bed's L1 (QEMU's TCG with kvm-amd inside, on a host with no /dev/kvm; bench/nested.sh)"
	echo "QEMU: $("$QEMU" --version | head -1); qboot $QBOOT; virtio-net-pci with vhost off"
	echo "minivmm: $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- vmm devices net common 2>/dev/null || echo ' plus uncommitted changes'), built with the Makefile's CFLAGS"
	[ -n "$MV_BEFORE" ] &&
		echo "minivmm before (cpu section): $BENCH_MINIVMM_BEFORE$(git -C "$(dirname "$BENCH_MINIVMM_BEFORE")" log -1 --format=', built in a checkout at %h' 2>/dev/null)"
	echo "probe guest: $PROBE, tsc_khz=$TSC_KHZ; 128 MiB guests, 1 vCPU"
	echo "load at start: $(load_now)"
} >"$BENCH_TMP/machine"

t_start=$(bench_now)
for s in $SECTIONS; do
	case $s in
	startup|memory|packet|csum|cpu) "bench_$s" ;;
	*) die "unknown section '$s'" ;;
	esac
done
echo "load at end: $(load_now)" >>"$BENCH_TMP/machine"
echo "run time: $(( ($(bench_now) - t_start) / 1000000 )) s" >>"$BENCH_TMP/machine"

mkdir -p "$OUT"
cp "$BENCH_RAW" "$OUT/results.tsv"
bench/report.sh "$BENCH_RAW" "$BENCH_NOTES" "$BENCH_TMP/machine" \
	"$OUT/results.md" "$OUT/packet.png"
