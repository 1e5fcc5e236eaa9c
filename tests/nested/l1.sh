# The nested test bed's L1 guest (README.md here): building its initramfs
# and starting it under QEMU's software emulation.  Source it (bash) from
# the checkout's top; tests/integration/t_nested.sh runs tests in it, and
# scripts/run.sh (`make run`) boots the default guest in it on a host
# without /dev/kvm.
#
# l1_prepare DIR       builds DIR/l1.cpio.gz from Debian's busybox, the
#                      modules and l1-init (images/out must exist); returns
#                      1 with the reason in L1_ERR
# l1_qemu DIR OUT ARGS starts QEMU on that initramfs, with the host's root
#                      and OUT (read-write, the results) shared over 9p and
#                      ARGS on L1's command line (l1-init reads nested.*=);
#                      L1's console on stdin/stdout, its QMP socket at
#                      DIR/qmp.sock (tests/nested/l1-monitor.py)
L1_QEMU=${L1_QEMU:-qemu-system-x86_64}
# The 9p root, its overlay, kvm-amd, and the tap/veth/dummy devices the
# tests make.
L1_MODULES="virtio_pci 9pnet_virtio 9p overlay kvm-amd tun veth dummy"
L1_ERR=

l1_prepare() {
	local dir=$1 kver moddir
	if ! command -v "$L1_QEMU" >/dev/null; then
		L1_ERR="$L1_QEMU missing (package qemu-system-x86)"
		return 1
	fi
	kver=$(cat images/out/kernel-version 2>/dev/null)
	moddir=/lib/modules/$kver
	if [ -z "$kver" ] || [ ! -f "$moddir/modules.dep" ]; then
		L1_ERR="no modules for kernel '${kver}' in $moddir (make -C images first)"
		return 1
	fi
	mkdir -p "$dir"
	if ! INIT=$PWD/tests/nested/l1-init images/mkinitramfs.sh \
		"$(command -v busybox || echo /bin/busybox)" "$moddir" "$L1_MODULES" \
		"$dir/l1.cpio.gz" >"$dir/l1-initramfs.log" 2>&1; then
		L1_ERR="L1 initramfs: $(tail -n 1 "$dir/l1-initramfs.log")"
		return 1
	fi
}

# -cpu max,-xsave: TCG's AMD model with SVM; without -xsave QEMU 7.2 does
# not intercept L1's XSETBV for L2 and L2 warns "XSAVE consistency
# problem".  -smp 1: with -smp 2 (multi-threaded TCG) an L2 vCPU was seen
# never to leave guest mode (L1 reported a soft lockup of minivmm's vCPU
# thread growing past 130 s); L2's two vCPUs share L1's one.  The console
# is a stdio chardev without signals, so Ctrl-C reaches the guest.  Both
# 9p shares use security_model=none: L1 is root and only reads the host's
# files, or writes the result folder.
l1_qemu() {
	local dir=$1 out=$2
	shift 2
	rm -f "$dir/qmp.sock"
	"$L1_QEMU" -accel tcg -machine q35 -cpu max,-xsave -smp 1 -m 3G \
		-display none -monitor none -no-reboot -nodefaults \
		-qmp "unix:$dir/qmp.sock,server=on,wait=off" \
		-chardev stdio,id=con,signal=off -serial chardev:con \
		-kernel images/out/bzImage -initrd "$dir/l1.cpio.gz" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$(cd "$out" && pwd),mount_tag=nestedout,security_model=none" \
		-append "console=ttyS0 quiet panic=-1 nested.dir=$PWD $*"
}
