# lib.sh - what the benchmark scripts share (source it, bash).
#
# Every measurement is one line in $BENCH_RAW (tab-separated):
#     metric  unit  better  vmm  value
# better is "lower" or "higher"; vmm is "minivmm", "qemu", or for the
# checksum rows "csum", "memcpy", "naive".  bench/report.sh turns the lines
# into the table (median per metric and vmm, ratio, spread), results.md
# and the plot.  Anything a reader needs next to the table (what a QEMU
# run did, why a row is missing) goes to $BENCH_NOTES, one line each.
#
#   bench_record METRIC UNIT BETTER VMM VALUE
#   bench_note TEXT
#   bench_now                   microseconds since the epoch (no fork)
#   bench_say TEXT              a progress line on stderr
#   QEMU_PC_QBOOT QEMU_PC_SEABIOS QEMU_MICROVM   QEMU command lines
#   QEMU_CPU                    the -cpu model QEMU starts with here
#                               (tests/lib/qemu_cpu.sh), empty if none

MV=${MV:-}		# minivmm binary (a private copy, see bench.sh)
QEMU=${QEMU:-qemu-system-x86_64}
PROBE=${PROBE:-firmware/probe/out/probe.elf}
EXIT_ELF=${EXIT_ELF:-build/bench/exit.elf}
QBOOT=/usr/share/qemu/qboot.rom
BENCH_RAW=${BENCH_RAW:-}
BENCH_NOTES=${BENCH_NOTES:-}
# QEMU's virtio-net-pci with every offload off: what minivmm's
# -net X,csum=off,tso=off means (neither side offers CSUM or any GSO).
QEMU_NIC_OFF=csum=off,gso=off,guest_csum=off,guest_tso4=off,guest_tso6=off,guest_ecn=off,guest_ufo=off,host_tso4=off,host_tso6=off,host_ecn=off,host_ufo=off

bench_record() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$BENCH_RAW"
}

bench_note() {
	grep -qxF -- "$1" "$BENCH_NOTES" 2>/dev/null || echo "$1" >>"$BENCH_NOTES"
}

bench_now() {
	local t=${EPOCHREALTIME/./}
	echo "$t"
}

bench_say() {
	echo "bench: $*" >&2
}

. tests/lib/qemu_cpu.sh
QEMU_CPU=$(qemu_kvm_cpu "$QEMU" 2>/dev/null) || QEMU_CPU=

# QEMU -M pc the way t_probe_qemu.sh runs it (isa-debug-exit on 0xf4, no
# default devices), as arrays so that "${QEMU_PC_QBOOT[@]}" ... & gives
# QEMU's own pid: with qboot, and with SeaBIOS (QEMU's default firmware).
QEMU_PC_SEABIOS=("$QEMU" -enable-kvm -M pc -cpu "${QEMU_CPU:-host}" -m 128 -nodefaults
		 -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4)
QEMU_PC_QBOOT=("${QEMU_PC_SEABIOS[@]}" -bios "$QBOOT")
QEMU_MICROVM=("$QEMU" -enable-kvm -M microvm -cpu "${QEMU_CPU:-host}" -m 128 -nodefaults
	      -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4)
