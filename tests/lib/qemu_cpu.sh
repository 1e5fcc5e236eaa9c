# The CPU model QEMU can start a KVM guest with on this machine (source it;
# bash).  Used by t_probe_qemu.sh and bench/lib.sh, which compare minivmm
# with QEMU on the same guest.
#
# qemu_kvm_cpu QEMU   prints the first model of QEMU_CPU_MODELS that
#                     `QEMU -enable-kvm` starts with, or returns 1 with
#                     QEMU's own message for the last one in QEMU_CPU_ERR.
#
# Why not simply `-cpu host`: on an AMD EPYC host of this project's kind,
# QEMU 7.2 aborts at start with "failed to set MSR 0x10a to 0x69" under
# `-cpu host` and `-cpu max`: the host's KVM reports the
# IA32_ARCH_CAPABILITIES MSR as supported and then refuses QEMU's write to
# it.  Without that feature (`-arch-capabilities`) QEMU starts; on Intel
# hosts plain `host` works.  The check starts QEMU paused (-S) and quits it
# through its monitor, so it costs one QEMU start per model tried.
QEMU_CPU_MODELS=${QEMU_CPU_MODELS:-"host host,-arch-capabilities max,-arch-capabilities"}
QEMU_CPU_ERR=

qemu_kvm_cpu() {
	local qemu=$1 model out
	for model in $QEMU_CPU_MODELS; do
		if out=$(echo quit | timeout 60 "$qemu" -enable-kvm -M pc -cpu "$model" \
			-m 64 -nodefaults -display none -S -monitor stdio 2>&1 >/dev/null); then
			echo "$model"
			return 0
		fi
		QEMU_CPU_ERR=$(grep -m 1 . <<<"$out")
		QEMU_CPU_ERR=${QEMU_CPU_ERR:-"exited without a message"}
	done
	return 1
}
