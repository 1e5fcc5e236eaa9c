# cpu.sh - minivmm's own CPU time per frame next to QEMU's (sourced by
# bench/bench.sh; section `cpu`, not in the default set: slow in L1).
#
# What a VMM costs the host per frame, without the guest's share: the
# probe's blast (64 B and 1514 B, tx and rx) and its tso check, offloads on,
# over the tap and slirp; QEMU is virtio-net-pci with vhost off.  CPU time
# is utime + stime - guest_time of /proc/PID/stat (fields 14, 15, 43; Linux
# counts guest time inside utime), sampled when the probe prints `dhcp ok`
# (the blast or the TCP connection follows its ARP) and again at `blast ok`
# or `tso ok`, so start-up, boot and DHCP stay out.  Divided by the frames
# moved: those the guest sent or counted received in the blast; for tso,
# MSS frames (BENCH_TCP_BYTES / 1448), not 64 KiB segments, so the figure
# compares with the 1514 B rows and shows what TSO saves per frame.
#
# BENCH_MINIVMM_BEFORE=/path/to/older/minivmm adds a third column, the
# older binary measured in the same run (before/after a change).
# Knobs: BENCH_CPU_RUNS (3), BENCH_CPU_COUNT (frames per blast: 1000000,
# so that a VMM at ~1 us a frame fills 100 clock ticks; 30000 in the nested
# bed's L1, where a frame costs 25-140 us of VMM CPU: 3 rounds with a
# "before" binary took 6 minutes at 10000, some windows under 100 ticks),
# BENCH_TCP_BYTES (4 MiB, 1 MiB in L1,
# where Python needs minutes to precompute a larger stream),
# BENCH_CPU_BACKENDS ("tap slirp").
#
# Beside each figure, the guest's queue notifications per 1000 frames (the
# probe's `PROBE info` kicks: TX kicks for tx and tso, RX refill kicks for
# rx), for both VMMs: each is an exit, an eventfd and a wake-up of the VMM's
# I/O thread, so a VMM that lets fewer through does less per frame.
# BENCH_CPU_PROFILE=1 also runs `perf record -e cpu-clock -g` on the VMM
# over the first round's windows and leaves `perf report` text beside the
# results (cpu-profile-WHO-BACKEND-KIND.txt; not in results.md).

CPU_HZ=$(getconf CLK_TCK)

# cpu_ticks PID: CPU_T, PID's CPU time outside its guest, in clock ticks.
# The process's stat, not the sum over task/*/stat: the kernel sums the
# threads there itself and keeps the share of threads that ended (QEMU's
# worker threads come and go).  Builtins only: no fork between the console
# line and the sample.
cpu_ticks() {
	local s f
	read -r s <"/proc/$1/stat" 2>/dev/null || return 1
	read -r -a f <<<"${s##*") "}"	# comm may hold spaces; f[0] is field 3
	CPU_T=$(( f[11] + f[12] - f[40] ))
}

# cpu_run WHO BACKEND blast-tx|blast-rx|tso SIZE: one run; WHO is
# minivmm, before or qemu.  Records ns per frame.
cpu_run() {
	local who=$1 be=$2 kind=$3 size=$4 vmm=minivmm mv=$MV append line pid fd
	local log=$BENCH_TMP/cpu.log fifo=$BENCH_TMP/cpu.fifo t0= t1= frames= name
	local kicks= perf_pid= perf_data=$BENCH_TMP/cpu.perf
	local tag="$who-$be-${kind#blast-}${size:+-$size}"
	local ports="udp=$(pkt_port "$be" UDP) tcp=$(pkt_port "$be" TCP)"
	[ "$who" = qemu ] && vmm=qemu
	[ "$who" = before ] && mv=$MV_BEFORE
	# idle=1: the probe halts after its report instead of exiting, so the
	# VMM is still there for the last sample.
	if [ "$kind" = tso ]; then
		name="cpu: $be TCP tx, TSO (per 1448 B MSS frame)"
		append="profile=linux $ports checks=dhcp,arp,tso bytes=$PKT_TCP_BYTES tsc_khz=$TSC_KHZ idle=1"
	else
		name="cpu: $be ${kind#blast-} ${size}B"
		append="profile=linux $ports blast=${kind#blast-} size=$size count=$CPU_COUNT tsc_khz=$TSC_KHZ idle=1"
	fi
	MV=$mv pkt_cmd "$vmm" "$be" on "$append"
	rm -f "$fifo"
	mkfifo "$fifo" || return
	"${CMD[@]}" </dev/null >"$fifo" 2>"$log.err" &
	pid=$!		# ip netns exec execs the VMM: the same pid
	exec {fd}<"$fifo"
	: >"$log"
	# The console line by line as the VMM writes it; 120 s without a line
	# means the run is stuck.
	while IFS= read -r -t 120 -u "$fd" line; do
		printf '%s\n' "$line" >>"$log"
		case $line in
		"PROBE dhcp ok"*)
			cpu_ticks "$pid" && t0=$CPU_T
			[ -n "${CPU_PROFILE:-}" ] && cpu_perf_start "$pid" "$perf_data" ;;
		"PROBE blast ok"*)
			cpu_ticks "$pid" && t1=$CPU_T
			cpu_perf_stop
			[[ $line =~ \ frames=([0-9]+) ]] && frames=${BASH_REMATCH[1]} ;;
		"PROBE tso ok"*)
			cpu_ticks "$pid" && t1=$CPU_T
			cpu_perf_stop
			[[ $line =~ ok\ ([0-9]+)\ bytes ]] && frames=$(( (BASH_REMATCH[1] + 1447) / 1448 )) ;;
		"PROBE info"*)
			# After the window: the kicks the guest made in all.
			if [ "$kind" = blast-rx ]; then
				[[ $line =~ \ rxkicks=([0-9]+) ]] && kicks=${BASH_REMATCH[1]}
			else
				[[ $line =~ \ txkicks=([0-9]+) ]] && kicks=${BASH_REMATCH[1]}
			fi
			break ;;
		"PROBE RESULT"*|"PROBE crash"*) break ;;
		esac
	done
	cpu_perf_stop
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exec {fd}<&-
	if [ -z "$t0" ] || [ -z "$t1" ] || [ -z "$frames" ] || [ "$frames" = 0 ]; then
		# Expected: QEMU's slirp has no vnet header, so no TSO to test.
		[ "$kind/$vmm/$be" = tso/qemu/slirp ] && return
		bench_note "$name ($who): no result: $(grep -aE '^PROBE [a-z_]+ (FAIL|skip)' "$log" | head -1 | tr -d '\r' | cut -c1-160)"
		return
	fi
	[ $((t1 - t0)) -lt 100 ] &&
		bench_note "cpu: some windows held under 100 clock ticks of VMM CPU, so those figures are coarse: raise BENCH_CPU_COUNT (blast) or BENCH_TCP_BYTES (TSO)."
	bench_record "$name" ns/frame lower "$who" \
		"$(awk -v t=$((t1 - t0)) -v hz="$CPU_HZ" -v f="$frames" 'BEGIN { printf "%.0f", t * 1e9 / hz / f }')"
	[ -n "$kicks" ] && bench_record "$name: guest kicks per 1000 frames" kicks lower "$who" \
		"$(awk -v k="$kicks" -v f="$frames" 'BEGIN { printf "%.1f", k * 1000 / f }')"
	[ -f "$perf_data" ] && cpu_perf_report "$perf_data" "$OUT/cpu-profile-$tag.txt"
	rm -f "$perf_data"
}

# cpu_perf_start PID DATA: perf samples PID's threads (CPU clock, call
# graphs) into DATA until cpu_perf_stop.
cpu_perf_start() {
	perf record -q -e cpu-clock -F 997 -g -p "$1" -o "$2" >/dev/null 2>&1 &
	CPU_PERF_PID=$!
}

cpu_perf_stop() {
	[ -n "${CPU_PERF_PID:-}" ] || return 0
	kill -INT "$CPU_PERF_PID" 2>/dev/null
	wait "$CPU_PERF_PID" 2>/dev/null
	CPU_PERF_PID=
}

# cpu_perf_report DATA FILE: where the VMM's time went, by thread, by
# library and by function (self time), as text.
cpu_perf_report() {
	{
		echo "# perf report of $(basename "$2" .txt): self time, cpu-clock samples"
		perf report -i "$1" --stdio --no-children --sort comm 2>/dev/null | grep -v '^$' | head -20
		perf report -i "$1" --stdio --no-children --sort dso 2>/dev/null | grep -v '^$' | head -25
		perf report -i "$1" --stdio --no-children -g none --sort dso,sym 2>/dev/null |
			grep -v '^$' | head -70
	} >"$2"
}

bench_cpu() {
	local n=${BENCH_CPU_RUNS:-3} i be kind size who order=minivmm
	CPU_COUNT=${BENCH_CPU_COUNT:-$([ -n "${BENCH_IN_L1:-}" ] && echo 30000 || echo 1000000)}
	[ -n "${MV_BEFORE:-}" ] && order="before minivmm"
	order="$order qemu"
	pkt_setup "${BENCH_CPU_BACKENDS:-"tap slirp"}"
	bench_say "cpu per frame: $n rounds of blast ($CPU_COUNT frames) and tso ($PKT_TCP_BYTES bytes) over $PKT_UP; $order"
	for i in $(seq "$n"); do
		CPU_PROFILE=
		[ "$i" = 1 ] && [ -n "${BENCH_CPU_PROFILE:-}" ] && command -v perf >/dev/null && CPU_PROFILE=1
		for be in $PKT_UP; do
			for kind in blast-tx blast-rx tso; do
				for size in $PKT_SIZES; do
					[ "$kind" = tso ] && [ "$size" != "${PKT_SIZES%% *}" ] && continue
					for who in $order; do
						cpu_run "$who" "$be" "$kind" "$size"
					done
				done
			done
		done
		# Whoever runs first after a change of setting may pay for it:
		# each round starts with the next VMM.
		order="${order#* } ${order%% *}"
		bench_say "cpu per frame: round $i done"
	done
	bench_note "cpu: the probe's blast has no TSO; the TSO row is its tso check (TCPv4 GSO frames of up to 44 x 1448 B), counted per 1448 B MSS frame. QEMU over slirp offers no TSO (no vnet header), so that row is minivmm's only."
	bench_note "cpu: /proc's CPU times are in clock ticks ($((1000 / CPU_HZ)) ms); a window shorter than a few hundred ticks rounds visibly."
}
