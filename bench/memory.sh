# memory.sh - resident memory beyond the guest RAM the guest touched
# (sourced by bench/bench.sh).
#
# A 128 MiB guest runs the probe with a slirp network: DHCP, ARP, then
# "blast=rx" towards a UDP port nobody serves (udp=9), so the probe sits
# in its receive loop for 2 s with the card set up and nothing arriving.
# When "PROBE arp ok" shows, /proc/PID/smaps is read:
#   guest RAM touched   Rss of the guest RAM mapping (the largest anonymous
#                       mapping: 128 MiB for both VMMs)
#   RSS beyond guest    the process's Rss minus that (libraries' resident
#                       pages included, as `ps` would count them)
#   private beyond      Private_Clean + Private_Dirty minus the guest
#                       mapping's: what this process alone costs
#   peak (VmHWM)        beyond the guest RAM touched

# mem_sample PID: prints "rss guest private guest_private hwm" in KiB.
mem_sample() {
	local pid=$1 hwm
	hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
	awk -v hwm="$hwm" '
		/^[0-9a-f]+-[0-9a-f]+ / { anon = (NF == 5); cur = $1 }
		/^Size:/ { size = $2 }
		/^Rss:/ { rss += $2; r = $2 }
		/^Private_(Clean|Dirty):/ { priv += $2; p[cur] += $2 }
		/^VmFlags:/ {
			if (anon && size > gsize) { gsize = size; grss = r; gcur = cur }
		}
		END { if (gcur != "") print rss, grss, priv, p[gcur], hwm }
	' "/proc/$pid/smaps" 2>/dev/null
}

# mem_one VMM LOG CMD...: starts CMD in the background, samples it once
# the probe is paused, records the figures.
mem_one() {
	local vmm=$1 log=$2 pid i s=
	shift 2
	: >"$log"
	"$@" </dev/null >>"$log" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -aq "PROBE arp ok" "$log" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.3
	grep -aq "PROBE arp ok" "$log" && s=$(mem_sample "$pid")
	wait "$pid"
	if [ -z "$s" ]; then
		bench_note "memory ($vmm): the probe did not reach its pause: $(grep -a PROBE "$log" | tail -1)"
		return
	fi
	set -- $s
	bench_record "memory: RSS beyond guest RAM" KiB lower "$vmm" $(($1 - $2))
	bench_record "memory: private beyond guest RAM" KiB lower "$vmm" $(($3 - $4))
	bench_record "memory: peak (VmHWM) beyond guest RAM" KiB lower "$vmm" $(($5 - $2))
	bench_record "memory: guest RAM touched" KiB lower "$vmm" "$2"
}

# mem_idle NET: minivmm alone with the idle guest (tests/guests/idle.S) and
# -net NET, sampled once its vCPU thread runs: what the network backend
# costs, since the guest itself touches almost nothing.  A tap needs root
# (a tap "mvbench0" made and removed here); without it that row is a note.
mem_idle() {
	local label=$1 net=$1 pid s= tap=
	if [ "$net" = tap ]; then
		tap=mvbench0
		ip tuntap add dev "$tap" mode tap 2>/dev/null && ip link set "$tap" up ||
			{ bench_note "memory (idle, tap): cannot make a tap (not root?)"; return; }
		net=$tap
	fi
	"$MV" -k build/tests/guests/idle.elf -m 128M -net "$net" </dev/null \
		>"$BENCH_TMP/mem-idle.log" 2>&1 &
	pid=$!
	wait_vcpu_thread "$pid"
	sleep 0.3
	s=$(mem_sample "$pid")
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ -n "$tap" ] && ip link del "$tap" 2>/dev/null
	if [ -z "$s" ]; then
		bench_note "memory (idle, -net $label): minivmm did not run: $(head -c 200 "$BENCH_TMP/mem-idle.log")"
		return
	fi
	set -- $s
	bench_record "memory: RSS beyond guest RAM, idle guest, -net $label" KiB lower minivmm $(($1 - $2))
	bench_record "memory: peak (VmHWM) beyond guest RAM, idle guest, -net $label" KiB lower minivmm $(($5 - $2))
}

bench_memory() {
	local n=${BENCH_MEM_RUNS:-3} i
	local args="profile=linux udp=9 blast=rx count=1 tsc_khz=$TSC_KHZ"

	bench_say "memory: $n runs of each, alternating"
	for i in $(seq "$n"); do
		mem_one minivmm "$BENCH_TMP/mem-mv.log" \
			"$MV" -k "$PROBE" -m 128M -net slirp -a "$args"
		mem_one qemu "$BENCH_TMP/mem-q.log" \
			"${QEMU_PC_QBOOT[@]}" -serial stdio -kernel "$PROBE" -append "$args" \
			-netdev user,id=n0 \
			-device virtio-net-pci,netdev=n0,disable-legacy=on,romfile=
		mem_idle none
		mem_idle tap
		mem_idle slirp
	done
}
