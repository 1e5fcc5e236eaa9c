#!/bin/bash
# nested.sh - `make bench` on a host with no /dev/kvm at all (a machine that
# is itself a kvm-pvm guest): bench/bench.sh runs one level down, in the
# nested test bed's L1 (tests/nested/README.md), where kvm-amd gives an
# ordinary hardware-style /dev/kvm and QEMU, the peer, runs on the same
# KVM.  Both sides then run on L1's emulated CPU, so the absolute figures
# are far slower than on hardware; the ratios are what to read.  The
# results land in bench/ as usual, the machine block naming L1's CPU.
#
# Knobs: every BENCH_* variable, MINIVMM and QEMU are handed to L1
# (bench.env); the sections
# default to "startup memory csum" (the packet rows take hours under
# emulation; BENCH_SECTIONS=packet asks for them anyway; `cpu`, VMM CPU
# per frame, is never a default: see bench/cpu.sh for counts that fit L1).
# BENCH_MINIVMM_BEFORE must be a path L1 sees (the host's root is shared).
# BENCH_NESTED_BOUND (3600 s) bounds the whole L1 run.
set -u
cd "$(dirname "$0")/.." || exit 1
. tests/nested/l1.sh

die() { echo "bench: $*" >&2; exit 1; }

DIR=build/nested-bench
OUT=$DIR/out
rm -rf "$OUT"
mkdir -p "$OUT"
make -s -C images >/dev/null 2>&1 || die "cannot build images/out (make -C images)"
l1_prepare "$DIR" || die "nested bed: $L1_ERR"
{
	export BENCH_SECTIONS=${BENCH_SECTIONS:-"startup memory csum"}
	# A-Z0-9: BENCH_IN_L1 goes too (bench.sh in L1 then says where it ran).
	export -p | grep -E '^declare -x (BENCH_[A-Z0-9_]*|MINIVMM|QEMU)='
} >"$OUT/bench.env"

echo "bench: this host has no /dev/kvm: running in the nested test bed's L1"
echo "       (QEMU's software emulation, kvm-amd inside; tests/nested/README.md)"
timeout -k 10 "${BENCH_NESTED_BOUND:-3600}" bash -c '. tests/nested/l1.sh; l1_qemu "$@"' l1 \
	"$DIR" "$OUT" nested.tests=bench </dev/null >"$DIR/console.log" 2>&1
st=$?
[ -f "$OUT/bench.out" ] || die "L1 did not run the bench (status $st; console in $DIR/console.log)"
cat "$OUT/bench.out"
rc=$(cat "$OUT/bench.rc" 2>/dev/null || echo 1)
[ "$rc" = 0 ] || die "the bench in L1 ended with status $rc (console in $DIR/console.log)"
mkdir -p "${BENCH_OUT:-bench}"
cp "$OUT"/bench/* "${BENCH_OUT:-bench}/" || die "no results came back from L1"
