#!/bin/bash
# boot.sh - Debian's kernel to 'Run /init' under minivmm, and how far QEMU
# gets with the same kernel, initramfs, memory and command line
# (`make bench-boot`; 10-20 minutes here, so not part of `make bench`).
#
#   minivmm        -k images/out/bzImage -i images/out/initramfs.cpio, 1 vCPU,
#                  512 MiB; the payload is decompressed on the host and the
#                  instructions this host's KVM cannot emulate are carried
#                  out by minivmm (shared/HOST-KVM.md).  Timed from exec to
#                  the kernel's "Run /init as init process".
#   QEMU bzImage   QEMU -M pc (qboot) -enable-kvm -cpu host,-cx16 with the
#                  same bzImage, initramfs and the command line minivmm's
#                  guest reported ("Command line:"): the kernel's own
#                  decompressor runs in guest ring 0, which this KVM
#                  emulates (about 100 KB/s of output).
#   QEMU vmlinux   the same kernel uncompressed on the host (PVH entry), so
#                  QEMU starts where minivmm does.
# Each QEMU run ends at its first "KVM internal error" (QEMU then stops the
# guest and waits: it is killed), or after BOOT_QEMU_TIMEOUT seconds.  The
# table says how far each got (the last kernel line and its timestamp) and
# why it stopped.  Written to bench/boot-results.md.
#
# Knobs: BOOT_TIMEOUT (minivmm, 1800 s), BOOT_QEMU_TIMEOUT (300 s), BOOT_CPUS
# (1), BOOT_MEM (512M), MINIVMM, QEMU, BENCH_OUT (bench).
set -u
cd "$(dirname "$0")/.." || exit 1
. bench/lib.sh

KERNEL=images/out/bzImage
INITRD=images/out/initramfs.cpio
# loglevel=7: "Run /init as init process" is a KERN_INFO line, which
# loglevel=6 keeps off the console.
ARGS="cryptomgr.notests mitigations=off audit=0 rodata=off loglevel=7"
MEM=${BOOT_MEM:-512M}
CPUS=${BOOT_CPUS:-1}
OUT=${BENCH_OUT:-bench}
MARK='Run /init as init process'

for f in "$KERNEL" "$INITRD" "${MINIVMM:-./minivmm}"; do
	[ -e "$f" ] || { echo "bench-boot: $f missing (make images minivmm)" >&2; exit 1; }
done
command -v "$QEMU" >/dev/null || { echo "bench-boot: $QEMU missing" >&2; exit 1; }
TMP=$(mktemp -d /tmp/bench-boot.XXXXXX) || exit 1
PID=
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -rf "$TMP"' EXIT
MV=$TMP/minivmm
cp "${MINIVMM:-./minivmm}" "$MV" || exit 1

# watch LOG TIMEOUT CMD...: runs CMD with its output in LOG until it exits,
# MARK shows, a KVM internal error shows (QEMU then waits for a monitor),
# or TIMEOUT seconds pass.  Sets SECS (to the event), WHY.
watch() {
	local log=$1 timeout=$2 t0 now
	shift 2
	t0=$(bench_now)
	"$@" </dev/null >"$log" 2>&1 &
	PID=$!
	WHY="timeout after ${timeout}s"
	while :; do
		now=$(bench_now)
		if grep -aqF "$MARK" "$log"; then WHY="reached '$MARK'"; break; fi
		# A kernel that panics never gets further (on this host: init's
		# first syscall, shared/HOST-KVM.md); it would wait for the timeout.
		if grep -aq 'Kernel panic' "$log"; then
			WHY="kernel panic: $(tr -d '\r' <"$log" | grep -a -m1 -E 'segfault|Kernel panic' | cut -c1-120)"
			break
		fi
		if grep -aq 'KVM internal error' "$log"; then
			WHY="KVM internal error: $(grep -a -A3 'KVM internal error' "$log" | tr -d '\r' | grep -aE 'Suberror|emulation|Code=' | head -2 | cut -c1-120 | tr '\n' ' ')"
			break
		fi
		if ! kill -0 "$PID" 2>/dev/null; then
			wait "$PID"
			WHY="exited with status $?: $(tr -d '\r' <"$log" | grep -av '^\s*$' | tail -1 | cut -c1-120)"
			break
		fi
		[ $(( (now - t0) / 1000000 )) -ge "$timeout" ] && break
		sleep 0.5
	done
	SECS=$(awk -v a="$t0" -v b="$now" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	kill -KILL "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}

# last_kernel_line LOG: the last "[ time] text" line of a console log.
last_kernel_line() {
	tr -d '\r' <"$1" | grep -aE '^\[ *[0-9]+\.[0-9]+\]' | tail -1 | cut -c1-110
}

rows=()
echo "bench-boot: minivmm, up to ${BOOT_TIMEOUT:-1800}s" >&2
watch "$TMP/minivmm.log" "${BOOT_TIMEOUT:-1800}" \
	"$MV" -v -k "$KERNEL" -i "$INITRD" -c "$CPUS" -m "$MEM" -a "$ARGS"
rows+=("| minivmm, bzImage (payload decompressed on the host) | $SECS | $WHY | $(last_kernel_line "$TMP/minivmm.log") |")
fallback=$(tr -d '\r' <"$TMP/minivmm.log" | grep -aE 'emulated:|exits:' | head -3 | tr '\n' ' ')
# The command line minivmm's guest saw, for QEMU too.
CMDLINE=$(tr -d '\r' <"$TMP/minivmm.log" | sed -nE 's/^\[ *[0-9.]+\] Command line: //p' | head -1)
[ -n "$CMDLINE" ] || CMDLINE="console=ttyS0 $ARGS noxsave clearcpuid=ssse3,sse4_1,sse4_2,aes,pclmulqdq,sha_ni,smap"

QARGS=(-enable-kvm -M pc -bios "$QBOOT" -cpu "${QEMU_CPU:-host},-cx16" -smp "$CPUS" -m "$MEM"
       -nodefaults -display none -no-reboot -serial stdio -initrd "$INITRD"
       -append "$CMDLINE")
echo "bench-boot: QEMU with the bzImage, up to ${BOOT_QEMU_TIMEOUT:-300}s" >&2
watch "$TMP/qemu-bz.log" "${BOOT_QEMU_TIMEOUT:-300}" "$QEMU" "${QARGS[@]}" -kernel "$KERNEL"
rows+=("| QEMU -M pc, bzImage (decompressed by the guest) | $SECS | $WHY | $(last_kernel_line "$TMP/qemu-bz.log" || true) (console: $(wc -c <"$TMP/qemu-bz.log") bytes) |")

# The kernel uncompressed on the host: the xz payload of the bzImage
# (boot protocol: payload_offset/length at 0x248, setup_sects at 0x1f1).
python3 - "$KERNEL" "$TMP/vmlinux" <<'EOF'
import lzma, struct, sys
d = open(sys.argv[1], 'rb').read()
base = ((d[0x1f1] or 4) + 1) * 512
off, n = struct.unpack_from('<II', d, 0x248)
open(sys.argv[2], 'wb').write(lzma.LZMADecompressor().decompress(d[base + off:base + off + n]))
EOF
if [ -s "$TMP/vmlinux" ]; then
	echo "bench-boot: QEMU with the vmlinux (PVH), up to ${BOOT_QEMU_TIMEOUT:-300}s" >&2
	watch "$TMP/qemu-elf.log" "${BOOT_QEMU_TIMEOUT:-300}" "$QEMU" "${QARGS[@]}" -kernel "$TMP/vmlinux"
	rows+=("| QEMU -M pc, vmlinux (PVH, uncompressed on the host) | $SECS | $WHY | $(last_kernel_line "$TMP/qemu-elf.log") |")
else
	rows+=("| QEMU -M pc, vmlinux | - | could not extract the payload (not xz?) | - |")
fi

mkdir -p "$OUT"
{
	echo "# Linux boot: minivmm and QEMU"
	echo
	echo "Written by \`make bench-boot\` (bench/boot.sh) on $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Kernel $(cat images/out/kernel-version 2>/dev/null) ($KERNEL), initramfs $INITRD,"
	echo "$CPUS vCPU, $MEM. Command line (as minivmm's guest reported it, given to QEMU"
	echo "too): \`$CMDLINE\`. QEMU: $("$QEMU" --version | head -1), qboot, -cpu ${QEMU_CPU:-host},-cx16."
	echo "CPU: $(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(nproc) CPUs;"
	echo "KVM $(grep -qwE 'vmx|svm' /proc/cpuinfo && echo hardware-assisted || echo 'software (no vmx/svm)'); load $(cut -d' ' -f1-3 /proc/loadavg)."
	echo
	echo "| run | seconds | how it ended | last kernel line |"
	echo "| --- | ---: | --- | --- |"
	printf '%s\n' "${rows[@]}"
	echo
	echo "minivmm's counters: $fallback"
} >"$OUT/boot-results.md"
cat "$OUT/boot-results.md"
