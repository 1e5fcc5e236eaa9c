#!/bin/sh
# mkinitramfs.sh BUSYBOX MODDIR "MODULES" OUTPUT.cpio.gz
#
# Packs minivmm's test initramfs without root:
#   /bin/busybox (static) and a symlink for every applet it lists,
#   /init (images/init) and /etc/udhcpc.script,
#   /lib/modules/*.ko: the named modules and everything modules.dep says they
#     need, decompressed here (busybox insmod does not read .ko.xz/.ko.zst),
#     and /lib/modules/load-order, dependencies first,
#   /dev/console as a character device (5,1).
# An unprivileged user cannot mknod, so the tree is archived with GNU cpio
# (owner forced to root) and a second, hand-written newc archive holding only
# dev/console is appended; the kernel's initramfs unpacker reads concatenated
# archives one after the other.  /dev/console must exist before /init runs:
# the kernel opens it for init's stdin/stdout/stderr, and devtmpfs is only
# mounted later by /init itself.  Timestamps are fixed, so equal inputs give
# an equal archive.
set -eu

BUSYBOX=$1
MODDIR=$2
MODULES=$3
OUTPUT=$(cd "$(dirname "$4")" && pwd)/$(basename "$4")
HERE=$(cd "$(dirname "$0")" && pwd)
STAGE=$OUTPUT.d

rm -rf "$STAGE"
mkdir -p "$STAGE"
cd "$STAGE"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp run lib/modules

cp "$BUSYBOX" bin/busybox
chmod 755 bin/busybox
# Applet paths as busybox itself lists them (bin/ls, sbin/ip, usr/bin/nproc).
"$BUSYBOX" --list-full | while read -r path; do
	case $path in
	*/*) ;;
	*) continue ;;		# linuxrc: not wanted at the root
	esac
	[ "$path" = bin/busybox ] && continue
	depth=$(echo "$path" | tr -cd / | wc -c)
	up=""
	i=1
	while [ "$i" -lt "$depth" ]; do up="../$up"; i=$((i + 1)); done
	ln -sf "${up}../bin/busybox" "$path"
done
[ -x bin/sh ] || { echo "minivmm: images: busybox has no sh applet" >&2; exit 1; }

cp "${INIT:-$HERE/init}" init
chmod 755 init
cp "$HERE/udhcpc.script" etc/udhcpc.script
chmod 755 etc/udhcpc.script

# Modules in load order: a module's dependencies (from modules.dep) first.
ORDER=""
add_module() {	# $1: path relative to MODDIR, as modules.dep names it
	case " $ORDER " in *" $1 "*) return ;; esac
	deps=$(awk -v m="$1:" '$1 == m { $1 = ""; print }' "$MODDIR/modules.dep")
	for d in $deps; do add_module "$d"; done
	ORDER="$ORDER $1"
}
for name in $MODULES; do
	rel=$(awk -F: -v n="$name" '{ f = $1; sub(/.*\//, "", f); sub(/\.ko(\.(xz|zst|gz))?$/, "", f);
		if (f == n) { print $1; exit } }' "$MODDIR/modules.dep" 2>/dev/null || true)
	if [ -z "$rel" ]; then
		echo "minivmm: images: module $name not found in $MODDIR/modules.dep" >&2
		exit 1
	fi
	add_module "$rel"
done
: > lib/modules/load-order
for rel in $ORDER; do
	base=$(basename "$rel")
	case $base in
	*.ko.xz)  out=${base%.xz};  xz -dc "$MODDIR/$rel" > "lib/modules/$out" ;;
	*.ko.zst) out=${base%.zst}; zstd -qdc "$MODDIR/$rel" > "lib/modules/$out" ;;
	*.ko.gz)  out=${base%.gz};  gzip -dc "$MODDIR/$rel" > "lib/modules/$out" ;;
	*)        out=$base;        cp "$MODDIR/$rel" "lib/modules/$out" ;;
	esac
	echo "$out" >> lib/modules/load-order
done
basename "$MODDIR" > lib/modules/kernel-version

# newc header: magic, then 13 fields of 8 hex digits (ino mode uid gid nlink
# mtime filesize devmajor devminor rdevmajor rdevminor namesize check).
newc_entry() {	# ino mode nlink rdevmajor rdevminor name
	namesize=$((${#6} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
		"$1" "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$namesize" 0
	printf '%s\0' "$6"
	# header (110) + name padded to a multiple of 4; no file data follows
	pad=$(( (4 - (110 + namesize) % 4) % 4 ))
	[ "$pad" -gt 0 ] && head -c "$pad" /dev/zero
	return 0
}

find . -exec touch -h -d @0 {} +
TMP=$OUTPUT.tmp
{
	find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --reproducible --quiet
	# S_IFCHR | 0600 = 0x2180; console is char device 5,1.
	newc_entry $((0xffff01)) $((0x2180)) 1 5 1 dev/console
	newc_entry 0 0 1 0 0 'TRAILER!!!'
} | gzip -n -9 > "$TMP"
mv "$TMP" "$OUTPUT"
cd "$HERE"
rm -rf "$STAGE"
echo "initramfs: $OUTPUT, $(wc -c < "$OUTPUT") bytes, modules:$(echo "$ORDER" | sed 's|[^ ]*/||g')"
