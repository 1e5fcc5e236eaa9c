# csum.sh - checksum throughput (sourced by bench/bench.sh).
#
# tests/bench/bench_csum.c (built by `make bench` as build/bench/bench_csum)
# prints GB/s at 64 B, 1500 B and 64 KiB, hot in cache, best of 7 rounds,
# for memcpy of the same buffer (the limit), net/csum.c's csum_buf (vector
# path where the CPU has one), its portable C loop, and a plain 16-bit
# loop.  It runs $BENCH_CSUM_RUNS times; each figure's median is reported.
# The table's second column holds memcpy; the ratio there is csum/memcpy
# (the target: at least 0.5 at 1500 B and above).

bench_csum() {
	local n=${BENCH_CSUM_RUNS:-5} i
	bench_say "checksum: $n runs of $BENCH_CSUM"
	for i in $(seq "$n"); do
		"$BENCH_CSUM" | awk '
			$1 ~ /^[0-9]+$/ {
				printf "checksum %s B\tGB/s\thigher\tcsum\t%s\n", $1, $3
				printf "checksum %s B\tGB/s\thigher\tmemcpy\t%s\n", $1, $2
				printf "checksum %s B, portable C loop\tGB/s\thigher\tcsum\t%s\n", $1, $4
				printf "checksum %s B, portable C loop\tGB/s\thigher\tmemcpy\t%s\n", $1, $2
				printf "checksum %s B, plain 16-bit loop\tGB/s\thigher\tcsum\t%s\n", $1, $5
				printf "checksum %s B, plain 16-bit loop\tGB/s\thigher\tmemcpy\t%s\n", $1, $2
			}' >>"$BENCH_RAW"
	done
}
