#!/bin/bash
# report.sh RAW NOTES MACHINE OUT_MD OUT_PNG - the table of a benchmark run.
#
# RAW holds one measurement a line (bench/lib.sh); for each metric this
# prints the median of minivmm's runs and of QEMU's (for the checksum rows:
# net/csum against memcpy), the ratio oriented so that > 1 means minivmm
# is better (QEMU time / minivmm time, minivmm rate / QEMU rate, QEMU
# memory / minivmm memory, csum / memcpy), and the spread (lowest..highest
# of each side, with the number of runs).  minivmm-only rows (counters per
# frame) form a second table.  Then the issue's targets, met or not.
# Writes the same as Markdown to OUT_MD (with MACHINE, a file of lines
# describing the machine, and NOTES) and plots the packet path by frame
# size to OUT_PNG with gnuplot.
set -u
raw=$1 notes=$2 machine=$3 md=$4 png=$5
dir=$(dirname "$md")
tmp=$(mktemp -d /tmp/bench-report.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

# One line per metric: metric, unit, better, A median, B median, ratio,
# A min, A max, A n, B min, B max, B n, then C median, min, max, n
# (tab-separated, first-seen order).  A is minivmm (or csum), C an older
# minivmm ("before", the cpu section only), B the rest.
awk -F'\t' '
	function med(key,   n, i, j, t, a) {
		n = cnt[key]
		for (i = 1; i <= n; i++) a[i] = v[key, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		lo[key] = a[1]; hi[key] = a[n]
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	{
		m = $1
		if (!(m in seen)) { seen[m] = 1; order[++nm] = m; unit[m] = $2; better[m] = $3 }
		side = ($4 == "minivmm" || $4 == "csum") ? "A" : $4 == "before" ? "C" : "B"
		key = m SUBSEP side
		v[key, ++cnt[key]] = $5 + 0
	}
	END {
		for (i = 1; i <= nm; i++) {
			m = order[i]; a = m SUBSEP "A"; b = m SUBSEP "B"; c = m SUBSEP "C"
			ma = cnt[a] ? med(a) : ""; mb = cnt[b] ? med(b) : ""; mc = cnt[c] ? med(c) : ""
			r = ""
			if (ma != "" && mb != "" && ma > 0 && mb > 0)
				r = (better[m] == "lower") ? mb / ma : ma / mb
			printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\t%s\t%d\n", m, unit[m],
			       better[m], ma, mb, r, lo[a], hi[a], cnt[a], lo[b], hi[b], cnt[b],
			       mc, lo[c], hi[c], cnt[c]
		}
	}' "$raw" >"$tmp/summary"

# fmt N: a number with 3 significant digits (or as it is, if not a number).
fmtnum='function f(x) {
	if (x == "") return "-"
	x += 0
	if (x >= 100 || x == int(x) && x >= 10) return sprintf("%.0f", x)
	if (x >= 10) return sprintf("%.1f", x)
	if (x >= 1) return sprintf("%.2f", x)
	return sprintf("%.3g", x)
}'

# The two tables as Markdown (also printed: Markdown tables read well).
awk -F'\t' "$fmtnum"'
	$2 != "per-frame" && $2 != "ns/frame" && $2 != "kicks" {
		if (!h++) {
			print "| metric | unit | minivmm | QEMU (checksum: memcpy) | ratio (>1: minivmm better) | spread minivmm | spread QEMU |"
			print "| --- | --- | ---: | ---: | ---: | --- | --- |"
		}
		sa = $9 ? f($7) ".." f($8) " (n=" $9 ")" : "-"
		sb = $12 ? f($10) ".." f($11) " (n=" $12 ")" : "-"
		printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, f($4), f($5),
		       $6 == "" ? "-" : sprintf("%.2fx", $6), sa, sb
	}' "$tmp/summary" >"$tmp/table"
awk -F'\t' "$fmtnum"'
	$2 == "per-frame" {
		if (!h++) {
			print "| minivmm counter (from -v) | per frame | spread |"
			print "| --- | ---: | --- |"
		}
		printf "| %s | %s | %s..%s (n=%d) |\n", $1, f($4), f($7), f($8), $9
	}' "$tmp/summary" >"$tmp/counters"

# The cpu section: before (if measured), minivmm, QEMU, and QEMU/minivmm.
awk -F'\t' "$fmtnum"'
	function sp(lo, hi, n) { return n ? f(lo) ".." f(hi) " (n=" n ")" : "-" }
	function rt(q, m) { return q != "" && m != "" && m > 0 ? sprintf("%.2fx", q / m) : "-" }
	$2 == "ns/frame" {
		if (!h++) {
			print "| ns of VMM CPU per frame, guest excluded | before | minivmm | QEMU | QEMU/minivmm (goal >= 2) | QEMU/before | spread before | spread minivmm | spread QEMU |"
			print "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"
		}
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", substr($1, 6), f($13), f($4), f($5),
		       rt($5, $4), rt($5, $13), sp($14, $15, $16), sp($7, $8, $9), sp($10, $11, $12)
	}' "$tmp/summary" >"$tmp/cpu"
awk -F'\t' "$fmtnum"'
	function sp(lo, hi, n) { return n ? f(lo) ".." f(hi) " (n=" n ")" : "-" }
	$2 == "kicks" {
		if (!h++) {
			print "| guest queue notifications per 1000 frames, same windows | before | minivmm | QEMU | spread minivmm | spread QEMU |"
			print "| --- | ---: | ---: | ---: | --- | --- |"
		}
		name = substr($1, 6); sub(/: guest kicks per 1000 frames$/, "", name)
		printf "| %s | %s | %s | %s | %s | %s |\n", name, f($13), f($4), f($5),
		       sp($7, $8, $9), sp($10, $11, $12)
	}' "$tmp/summary" >"$tmp/kicks"

# The issue's targets, each against the rows it names.
awk -F'\t' '
	function say(ok, what) { printf "- %s %s\n", ok ? "MET " : "MISSED", what }
	$1 ~ /^start-up: .*-M pc/ && $6 != "" {
		say($6 >= 20, sprintf("start-up >= 20x QEMU (%s): %.1fx", substr($1, 11), $6))
	}
	$1 ~ /^start-up: .*microvm/ && $6 != "" {
		say($6 > 1, sprintf("start-up faster than QEMU (%s): %.1fx", substr($1, 11), $6))
	}
	$1 == "memory: RSS beyond guest RAM" && $4 != "" {
		say($4 < 3072, sprintf("RSS beyond guest RAM < 3 MiB: %.2f MiB (QEMU %.1f MiB)", $4 / 1024, $5 / 1024))
	}
	$1 == "memory: private beyond guest RAM" && $4 != "" {
		say($4 < 3072, sprintf("private memory beyond guest RAM < 3 MiB: %.2f MiB (QEMU %.1f MiB)", $4 / 1024, $5 / 1024))
	}
	$1 ~ /^packet: tap / && $1 !~ /share of/ && $2 != "per-frame" && $6 != "" {
		say($6 >= 1.5, sprintf("%s >= 1.5x QEMU: %.2fx", $1, $6))
	}
	$1 ~ /^packet: slirp .*(offloads on|, TSO)/ && $1 !~ /share of/ && $2 != "per-frame" && $6 != "" {
		say($6 >= 1, sprintf("%s >= QEMU: %.2fx", $1, $6))
	}
	$2 == "ns/frame" && $6 != "" {
		say($6 >= 2, sprintf("%s: QEMU at least twice minivmm'"'"'s CPU per frame: %.2fx", $1, $6))
	}
	$1 ~ /^checksum (1500|65536) B$/ && $6 != "" {
		say($6 >= 0.5, sprintf("%s >= half memcpy: %.2f of memcpy", $1, $6))
	}' "$tmp/summary" >"$tmp/targets"

# The plot: Mbit/s by frame size, one panel per backend and direction.
plot=
if ! command -v gnuplot >/dev/null; then
	echo "report: no gnuplot (package gnuplot-nox, scripts/deps.sh): no plot" >&2
else
	panels=
	for be in tap slirp passt; do
		for d in tx rx; do
			out=$tmp/plot-$be-$d.dat
			echo "size minivmm-on qemu-on minivmm-off qemu-off" >"$out"
			awk -F'\t' -v be="$be" -v d="$d" '
				function put(label, off, col, val) {
					if (!(label in row)) { row[label] = ++n; lab[n] = label }
					cell[row[label], off == "on" ? col : col + 2] = val
				}
				$1 ~ "^packet: " be " " d " [0-9]+B offloads (on|off)$" {
					split($1, w, " "); sz = w[4]; sub("B", "", sz); off = w[6]
					if ($4 != "") put(sz " B", off, 1, $4 * sz * 8 / 1000)
					if ($5 != "") put(sz " B", off, 2, $5 * sz * 8 / 1000)
				}
				# TCP: tx is tso with offloads on, tcp_put with them off.
				$1 ~ "^packet: " be " offloads (on|off), TCP " d {
					split($1, w, " "); off = w[4]; sub(",", "", off)
					if (d == "tx" && (off == "on") != (index($1, "TSO (") > 0)) next
					label = "TCP (on: 64 KiB TSO/GSO)"
					if ($4 != "") put(label, off, 1, $4)
					if ($5 != "") put(label, off, 2, $5)
				}
				END {
					for (i = 1; i <= n; i++) {
						printf "\"%s\"", lab[i]
						for (c = 1; c <= 4; c++)
							printf " %s", ((i, c) in cell) ? cell[i, c] : "0"
						printf "\n"
					}
				}' "$tmp/summary" >>"$out"
			[ "$(wc -l <"$out")" -gt 1 ] && panels="$panels${panels:+ }$be-$d"
		done
	done
	rows=$(( ($(wc -w <<<"$panels") + 1) / 2 ))
	if [ "$rows" = 0 ]; then
		echo "report: no packet rows in this run (BENCH_SECTIONS): no plot" >&2
	elif gnuplot >"$tmp/gnuplot.err" 2>&1 <<EOF
set terminal pngcairo size 1400,$((450 * rows)) noenhanced font ",10"
set output "$png"
set multiplot layout $rows,2 title "Packet path: probe blast (UDP frames) and TCP, Mbit/s (log), medians; minivmm vs QEMU userspace virtio-net"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set grid ytics
set key top left
set ylabel "Mbit/s"
set xlabel "UDP frame size; TCP: 4 MiB with the TCP checks"
do for [p in "$panels"] {
	set title p
	plot "$tmp/plot-".p.".dat" using 2:xtic(1) title columnheader(2) lc rgb "#1f77b4", \
	     "" using 3 title columnheader(3) lc rgb "#d62728", \
	     "" using 4 title columnheader(4) lc rgb "#aec7e8", \
	     "" using 5 title columnheader(5) lc rgb "#ff9896"
}
unset multiplot
EOF
	then
		plot=$png
	else
		echo "report: gnuplot failed:" >&2
		cat "$tmp/gnuplot.err" >&2
	fi
fi

{
	echo "# minivmm benchmarks next to QEMU"
	echo
	echo "Written by \`make bench\` (bench/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'). Ratios"
	echo "count, absolute figures do not: this machine is shared and its KVM is"
	echo "software, or nested under QEMU's emulation (the machine block below says"
	echo "which), so every row alternates minivmm and QEMU runs."
	echo
	echo "## Machine"
	echo
	sed 's/^/- /' "$machine"
	echo
	echo "## Results"
	echo
	cat "$tmp/table"
	echo
	echo "## minivmm per-frame counters (packet path)"
	echo
	cat "$tmp/counters"
	echo
	if [ -s "$tmp/cpu" ]; then
		echo "## VMM CPU time per frame (bench/cpu.sh)"
		echo
		echo "ns of the VMM process's CPU time (all threads: utime + stime - guest_time"
		echo "of /proc/PID/stat) from the probe's \`dhcp ok\` to its \`blast ok\` or \`tso ok\`"
		echo "line, over the frames moved; offloads on, QEMU with vhost off.  TSO is per"
		echo "1448 B MSS frame.  \"before\" is the older minivmm in the machine block."
		echo
		cat "$tmp/cpu"
		echo
		if [ -s "$tmp/kicks" ]; then
			echo "The probe's own count of the notifications it had to send (TX kicks"
			echo "for tx and TSO, RX refill kicks for rx): each one is a guest exit and"
			echo "a wake-up of the VMM's I/O thread."
			echo
			cat "$tmp/kicks"
			echo
		fi
	fi
	echo "## Targets (from the issue)"
	echo
	cat "$tmp/targets"
	echo
	if [ -s "$notes" ]; then
		echo "## Notes"
		echo
		sed 's/^/- /' "$notes"
		echo
	fi
	[ -n "$plot" ] && echo "Plot of the packet path by frame size: [$(basename "$plot")]($(basename "$plot"))."
	echo
	echo "What limits each figure here, and what profiling found: [README.md](README.md)."
} >"$md"

cat "$tmp/table"
echo
cat "$tmp/counters"
echo
[ -s "$tmp/cpu" ] && { cat "$tmp/cpu"; echo; }
[ -s "$tmp/kicks" ] && { cat "$tmp/kicks"; echo; }
cat "$tmp/targets"
echo
echo "written: $md${plot:+ and $plot}"
