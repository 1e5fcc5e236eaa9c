#!/bin/bash
# t_cli_errors.sh - every command-line error and every class of malformed
# kernel or initrd ends minivmm before the guest runs with exactly one line
# on stderr, "minivmm: what: why", nothing on stdout, and exit status 1
# (DESIGN.md "Errors").  One case per path; the images are made here:
# truncated and corrupt bzImages from the same layout as the fuzz seeds
# (tests/fuzz/make_seeds.py), an ELF whose segment lies outside RAM.
# Cases that need a non-root user run as `nobody` through setpriv (root
# only); without root they run as the caller, or skip when that cannot
# show the error.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
MINIVMM=${MINIVMM:-$ROOT/minivmm}
PROBE=$ROOT/firmware/probe/out/probe.elf
. tests/lib/results.sh

if [ ! -c /dev/kvm ] || [ ! -w /dev/kvm ]; then
	end_skipped "/dev/kvm missing or not writable"
fi
[ -x "$MINIVMM" ] || make -s minivmm >/dev/null || end_failed "cannot build minivmm"
[ -f "$PROBE" ] || make -s -C firmware/probe >/dev/null || end_failed "cannot build $PROBE"

D=$(mktemp -d /tmp/t_cli_errors.XXXXXX)
trap 'rm -rf "$D"' EXIT
chmod 755 "$D"

# The malformed images.
python3 - "$D" <<'EOF' || end_failed "cannot make images"
import lzma, os, struct, sys
sys.path.insert(0, "tests/fuzz")
import make_seeds as m
d = sys.argv[1]
elf = m.tiny_elf()
def put(name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)
xz = lzma.compress(elf + b"\0" * 4096, format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
good = m.bzimage(xz, len(elf) + 4096)
put("truncated.bz", good[:len(good) - 40])
bad = bytearray(xz)
for i in range(24, len(bad) - 24, 7):      # the LZMA2 data, not the headers
    bad[i] ^= 0x5a
put("corrupt-xz.bz", m.bzimage(bytes(bad), len(elf) + 4096))
far = bytearray(elf)
far[88:96] = struct.pack("<Q", 1 << 40)    # PT_LOAD p_paddr: 1 TiB
put("outside-ram.elf", bytes(far))
EOF
: >"$D/empty"
mkdir "$D/dir"
echo x >"$D/unreadable"
chmod 000 "$D/unreadable"
truncate -s 100M "$D/big.initrd"

# check NAME WANT_LINE -- COMMAND...: one line on stderr, none on stdout, status 1.
check() {
	local name=$1 want=$2 st out err
	shift 3
	timeout 20 "$@" </dev/null >"$D/out" 2>"$D/err"
	st=$?
	out=$(wc -c <"$D/out")
	err=$(tr -d '\r' <"$D/err")
	if [ "$st" = 1 ] && [ "$out" = 0 ] && [ "$err" = "$want" ]; then
		echo "ok   $name: $want"
		count pass
	else
		echo "FAIL $name: status $st (want 1), $out bytes on stdout, stderr:"
		sed 's/^/    /' "$D/err" | head -5
		echo "    wanted: $want"
		count fail
	fi
}

M=$MINIVMM
K=$PROBE
# shellcheck disable=SC2016
TAP_MSG='minivmm: -net: nosuchtap0: no such tap device (make it first: ip tuntap add nosuchtap0 mode tap user $USER; or use -net slirp)'
# shellcheck disable=SC2016
TAP_EPERM_MSG='minivmm: -net: mvroottap: cannot attach: Operation not permitted (need root or a tap owned by you: ip tuntap add NAME mode tap user $USER)'
check no-kernel "minivmm: no kernel given (use -k FILE; see --help)" -- "$M"
check missing-kernel "minivmm: kernel $D/none: No such file or directory" -- "$M" -k "$D/none"
check empty-kernel "minivmm: kernel $D/empty: empty file" -- "$M" -k "$D/empty"
check directory-kernel "minivmm: kernel $D/dir: not a regular file" -- "$M" -k "$D/dir"
check truncated-bzimage \
	"minivmm: kernel $D/truncated.bz: payload (offset 64, length $(( $(stat -c %s "$D/truncated.bz") - 1024 - 64 + 40 ))) outside the kernel image" \
	-- "$M" -k "$D/truncated.bz"
check corrupt-xz-payload "minivmm: kernel $D/corrupt-xz.bz: xz: corrupt data (liblzma error 9)" \
	-- "$M" -k "$D/corrupt-xz.bz"
check elf-outside-ram \
	"minivmm: kernel $D/outside-ram.elf: segment 0 (0x10000000000, 4096 bytes) does not fit in guest RAM (-m too small?)" \
	-- "$M" -k "$D/outside-ram.elf"
check bad-memory "minivmm: -m 5X: expected a size from 8M to 1T, like 512M or 2G" -- "$M" -k "$K" -m 5X
check memory-too-small "minivmm: -m 4M: expected a size from 8M to 1T, like 512M or 2G" -- "$M" -k "$K" -m 4M
check memory-no-value "minivmm: -m needs a value" -- "$M" -k "$K" -m
check bad-cpus "minivmm: -c 0: expected a CPU count from 1 to 64" -- "$M" -k "$K" -c 0
check too-many-cpus "minivmm: -c 65: expected a CPU count from 1 to 64" -- "$M" -k "$K" -c 65
check unknown-option "minivmm: unknown option '--frobnicate' (see --help)" -- "$M" -k "$K" --frobnicate
check flag-with-value "minivmm: --no-seccomp takes no value" -- "$M" -k "$K" --no-seccomp=1
check bad-net-option "minivmm: -net: unknown option 'foo'" -- "$M" -k "$K" -net slirp,foo=bar
check bare-tap "minivmm: -net: tap: give the device's name, e.g. -net tap0 or -net tap=tap0" \
	-- "$M" -k "$K" -net tap
check missing-initrd "minivmm: initrd $D/none: No such file or directory" -- "$M" -k "$K" -i "$D/none"
check initrd-too-big \
	"minivmm: initrd $D/big.initrd: 100 MiB does not fit in guest RAM above the kernel (-m too small?)" \
	-- "$M" -k "$K" -m 64M -i "$D/big.initrd"
# A mistyped name, even as root, is refused: no temporary tap (issue 13).
check missing-tap "$TAP_MSG" -- "$M" -k "$K" -net nosuchtap0
check mistyped-slirp "minivmm: -net: SLIRP: no such tap device (make it first: ip tuntap add SLIRP mode tap user \$USER; or use -net slirp)" \
	-- "$M" -k "$K" -net SLIRP
check bad-cpuid "minivmm: --cpuid: unknown feature 'nosuchfeature' (--cpuid=help lists them)" \
	-- "$M" -k "$K" --cpuid=+nosuchfeature
check bad-cpuid-sign "minivmm: --cpuid: 'popcnt': expected +name or -name" -- "$M" -k "$K" --cpuid=popcnt
check bad-timeout "minivmm: --timeout 2.5: expected whole seconds from 1 to 604800" \
	-- "$M" -k "$K" --timeout 2.5
check zero-timeout "minivmm: --timeout 0: expected whole seconds from 1 to 604800" \
	-- "$M" -k "$K" --timeout=0
check timeout-no-value "minivmm: --timeout needs a value" -- "$M" -k "$K" --timeout
check no-pvpanic-with-value "minivmm: --no-pvpanic takes no value" -- "$M" -k "$K" --no-pvpanic=yes

# As a user without root: an unreadable kernel, no /dev/kvm permission, a
# tap that does not exist.  Root reads anything, so these run as nobody.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 &&
   getent group kvm >/dev/null; then
	AS_KVM=(setpriv --reuid=nobody --regid="$(id -g nobody)" --groups=kvm --inh-caps=-all)
	AS_NOKVM=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --inh-caps=-all)
	check unreadable-kernel "minivmm: kernel $D/unreadable: Permission denied" \
		-- "${AS_KVM[@]}" "$M" -k "$D/unreadable"
	check no-kvm-permission "minivmm: /dev/kvm: permission denied (run as root or join the kvm group)" \
		-- "${AS_NOKVM[@]}" "$M" -k "$K"
	check missing-tap-not-root "$TAP_MSG" \
		-- "${AS_KVM[@]}" "$M" -k "$K" -net nosuchtap0
	# A tap that exists but belongs to root.  Owned explicitly: a tap with
	# no owner and no group may be attached by anyone on the 6.1 kernel
	# (seen in the nested test bed).
	if ip tuntap add mvroottap mode tap user root 2>/dev/null; then
		check tap-not-owned "$TAP_EPERM_MSG" \
			-- "${AS_KVM[@]}" "$M" -k "$K" -net mvroottap
		ip tuntap del mvroottap mode tap
	else
		skip tap-not-owned "cannot make a tap"
	fi
elif [ "$(id -u)" != 0 ]; then
	check unreadable-kernel "minivmm: kernel $D/unreadable: Permission denied" -- "$M" -k "$D/unreadable"
	skip no-kvm-permission "/dev/kvm is writable for this user"
	check missing-tap-not-root "$TAP_MSG" \
		-- "$M" -k "$K" -net nosuchtap0
else
	echo "skip unreadable-kernel, no-kvm-permission, missing-tap-not-root: need setpriv, user nobody, group kvm"
	count skip 3
fi

finish
