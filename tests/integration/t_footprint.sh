#!/bin/bash
# A run pays only for what it uses (issue 16): ./minivmm links libc alone,
# and libslirp (with glib) and the decompressors are dlopen()ed when a run
# first needs them (common/dynlib.h).  Checked from the outside here: the
# binary's NEEDED list, then, with KVM, /proc/PID/maps of a running idle
# guest (tests/guests/idle.S) with -net none and with slirp.  The Rss and
# peak of each run are printed for the record, not checked.  Last, the exit
# guest (bench/guest/exit.S) with --no-pit, which KVM then runs without an
# in-kernel PIT: status 0, as with one.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/guest.sh

needed=$(readelf -d ./minivmm 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
case "$needed" in
"") fail needed_libc_only "cannot read ./minivmm's dynamic section (readelf?)" ;;
*slirp*|*glib*|*lzma*|*zstd*|*lz4*|*libz.*)
	fail needed_libc_only "links: $needed" ;;
*) pass needed_libc_only "$needed" ;;
esac

if ! have_kvm; then
	skip maps_follow_the_network "no usable /dev/kvm"
	finish; exit
fi
make -s build/tests/guests/idle.elf build/bench/exit.elf || {
	fail footprint_build "cannot build the idle guest"; finish; exit; }
mkdir -p build

# run_idle NAME NET: starts the idle guest, waits for its vCPU thread, keeps
# its maps in build/footprint-NAME.maps and prints "VmRSS VmHWM" in KiB.
run_idle() {
	local name=$1 net=$2 pid
	./minivmm -k build/tests/guests/idle.elf -m 16M -net "$net" \
		</dev/null >"build/footprint-$name.log" 2>&1 &
	pid=$!
	wait_vcpu_thread "$pid"
	sleep 0.2
	cp "/proc/$pid/maps" "build/footprint-$name.maps" 2>/dev/null
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { print r, h }' \
		"/proc/$pid/status" 2>/dev/null
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

libs='libslirp|libglib|liblzma|libzstd|liblz4|libz\.so'
set -- $(run_idle none none)
if [ ! -s build/footprint-none.maps ]; then
	fail net_none_maps_no_slirp "the run ended early: $(head -c 200 build/footprint-none.log)"
elif grep -Eq "$libs" build/footprint-none.maps; then
	fail net_none_maps_no_slirp "$(grep -Eo "$libs" build/footprint-none.maps | sort -u | tr '\n' ' ')"
else
	pass net_none_maps_no_slirp "VmRSS ${1:-?} KiB, VmHWM ${2:-?} KiB"
fi

set -- $(run_idle slirp slirp)
if [ ! -s build/footprint-slirp.maps ]; then
	fail slirp_maps_slirp_only "the run ended early: $(head -c 200 build/footprint-slirp.log)"
elif ! grep -q libslirp build/footprint-slirp.maps; then
	fail slirp_maps_slirp_only "libslirp is not mapped in a slirp run"
elif grep -Eq 'liblzma|libzstd|liblz4|libz\.so' build/footprint-slirp.maps; then
	fail slirp_maps_slirp_only "a decompressor is mapped for an ELF kernel"
else
	pass slirp_maps_slirp_only "VmRSS ${1:-?} KiB, VmHWM ${2:-?} KiB"
fi

timeout 30 ./minivmm -k build/bench/exit.elf -m 16M -net none --no-pit \
	</dev/null >build/footprint-nopit.log 2>&1
st=$?
if [ "$st" = 0 ] && [ ! -s build/footprint-nopit.log ]; then pass no_pit_exit_guest_status_0
else fail no_pit_exit_guest_status_0 "status $st: $(head -c 200 build/footprint-nopit.log)"; fi
finish
