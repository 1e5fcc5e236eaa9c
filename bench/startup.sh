# startup.sh - start-up time, exec to exit (sourced by bench/bench.sh).
#
# Each row alternates one minivmm run and one QEMU run, $BENCH_STARTUP_RUNS
# times.  The time is the whole process's, taken by the shell around the
# command (the same fork/exec cost on both sides).
#   probe          the probe with no checks (checks=none: it sets up the
#                  virtio-net card, prints RESULT and exits; tsc_khz= given,
#                  so no PIT calibration): minivmm with -net slirp against
#                  QEMU -M pc with virtio-net-pci on a user netdev, once
#                  with qboot and once with SeaBIOS (QEMU's default)
#   probe, no NIC  the same ELF with no network card: QEMU -M microvm has
#                  no PCI, so the probe finds no card, reports "init FAIL"
#                  and exits; minivmm -net none takes the same path
#   exit guest     bench/guest/exit.S: three instructions that write the
#                  exit port; nothing but VMM start-up and tear-down; once
#                  more with --no-pit (no in-kernel PIT, whose kernel thread
#                  KVM starts and stops; QEMU's line is unchanged)
#   steps          where minivmm's own time goes for the exit guest: the
#                  step marks -v prints at exit (vmm/profile.h), as the
#                  time each step took; "exec to start" and "exit" are
#                  the whole run's time outside main()

# startup_one NAME WANT_STATUS CMD...: runs CMD once, records the seconds
# under NAME if the exit status is WANT_STATUS.
startup_one() {
	local name=$1 vmm=$2 want=$3 t0 t1 st
	shift 3
	t0=$(bench_now)
	"$@" </dev/null >"$BENCH_TMP/startup.out" 2>&1
	st=$?
	t1=$(bench_now)
	if [ "$st" != "$want" ]; then
		bench_note "start-up '$name' ($vmm): exit status $st, want $want: $(grep -a PROBE "$BENCH_TMP/startup.out" | tail -1)"
		return
	fi
	bench_record "$name" s lower "$vmm" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e6 }')"
}

bench_startup() {
	local n=${BENCH_STARTUP_RUNS:-10} i
	local args="checks=none tsc_khz=$TSC_KHZ"
	local nic=(-netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on,romfile=)

	bench_say "start-up: $n runs of each, alternating"
	for i in $(seq "$n"); do
		startup_one "start-up: probe vs -M pc, qboot" minivmm 0 \
			"$MV" -k "$PROBE" -m 128M -net slirp -a "$args"
		startup_one "start-up: probe vs -M pc, qboot" qemu 1 \
			"${QEMU_PC_QBOOT[@]}" -serial stdio -kernel "$PROBE" -append "$args" "${nic[@]}"
		startup_one "start-up: probe vs -M pc, SeaBIOS" minivmm 0 \
			"$MV" -k "$PROBE" -m 128M -net slirp -a "$args"
		startup_one "start-up: probe vs -M pc, SeaBIOS" qemu 1 \
			"${QEMU_PC_SEABIOS[@]}" -serial stdio -kernel "$PROBE" -append "$args" "${nic[@]}"
		startup_one "start-up: probe, no NIC, vs -M microvm" minivmm 1 \
			"$MV" -k "$PROBE" -m 128M -net none -a "$args"
		startup_one "start-up: probe, no NIC, vs -M microvm" qemu 3 \
			"${QEMU_MICROVM[@]}" -serial stdio -kernel "$PROBE" -append "$args"
		startup_one "start-up: exit guest vs -M microvm" minivmm 0 \
			"$MV" -k "$EXIT_ELF" -m 128M -net none
		startup_one "start-up: exit guest vs -M microvm" qemu 1 \
			"${QEMU_MICROVM[@]}" -kernel "$EXIT_ELF"
		startup_one "start-up: exit guest --no-pit vs -M microvm" minivmm 0 \
			"$MV" -k "$EXIT_ELF" -m 128M -net none --no-pit
		startup_one "start-up: exit guest --no-pit vs -M microvm" qemu 1 \
			"${QEMU_MICROVM[@]}" -kernel "$EXIT_ELF"
		startup_one "start-up: exit guest vs -M pc, qboot" minivmm 0 \
			"$MV" -k "$EXIT_ELF" -m 128M -net none
		startup_one "start-up: exit guest vs -M pc, qboot" qemu 1 \
			"${QEMU_PC_QBOOT[@]}" -kernel "$EXIT_ELF"
	done
	startup_steps
	bench_note "start-up: QEMU -M microvm runs the probe up to its PCI scan, finds no card (microvm has no PCI; its virtio is virtio-mmio, which the probe does not drive), prints 'PROBE init FAIL' and exits through isa-debug-exit (status 3); minivmm -net none takes the same path (status 1)."
}

# startup_steps: minivmm -v on the exit guest, $BENCH_STARTUP_RUNS times;
# each step of "minivmm: steps (ms since start): start 0.00, options 0.05,
# ..." becomes a row of the time since the step before it.
startup_steps() {
	local n=${BENCH_STARTUP_RUNS:-10} i t0 t1 line
	for i in $(seq "$n"); do
		t0=$(bench_now)
		"$MV" -v -k "$EXIT_ELF" -m 128M -net none </dev/null >"$BENCH_TMP/steps.out" 2>&1
		t1=$(bench_now)
		line=$(sed -n 's/^minivmm: steps (ms since start): //p' "$BENCH_TMP/steps.out" | tr -d '\r')
		[ -n "$line" ] || { bench_note "start-up steps: no steps line from minivmm -v"; return; }
		awk -v line="$line" -v total="$(( t1 - t0 ))" '
		BEGIN {
			n = split(line, parts, ", ")
			prev = 0
			for (i = 1; i <= n; i++) {
				split(parts[i], kv, " ")
				if (i > 1)
					printf "start-up steps: %s\tms\tlower\tminivmm\t%.3f\n", kv[1], kv[2] - prev
				prev = kv[2]
			}
			# exec, the loader and the kernel'"'"'s process tear-down: the
			# whole run less what main() saw.
			printf "start-up steps: outside main()\tms\tlower\tminivmm\t%.3f\n", total / 1000 - prev
		}' >>"$BENCH_RAW"
	done
}
