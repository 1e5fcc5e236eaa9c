/*
 * kvm.c - the KVM side of the instruction fallback: state in and out
 * with KVM_GET/SET_REGS, _SREGS (only when segments or CR2 changed) and
 * _XSAVE or _FPU (only for SSE/x87-state instructions), a fault injected
 * outside long mode, and the hand-back of rewritten instructions to KVM.
 */
#include "vmm/emu/emu.h"
#include "vmm/emu/step.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

/*
 * The x87/SSE state goes through KVM_GET/SET_XSAVE where the host has it:
 * measured here (tests/unit/test_emulate_kvm.c), MXCSR and xmm values
 * written with KVM_SET_FPU read back as zero on the next exit (ldmxcsr
 * then stmxcsr stored 0; an xmm register set by movq was 0 two
 * instructions later), presumably because the XSAVE header's XSTATE_BV
 * still marked the SSE state as initial.  KVM_SET_XSAVE with XSTATE_BV's
 * x87 and SSE bits set works; KVM_GET/SET_FPU remain the fallback.
 */
struct fpu_io {
	int vcpu_fd;
	bool use_xsave;
	struct kvm_xsave xsave;
};

/* FXSAVE legacy-region offsets (SDM vol. 1, table 10-2). */
static void legacy_to_fpu(const uint8_t *img, struct kvm_fpu *f)
{
	memset(f, 0, sizeof(*f));
	memcpy(&f->fcw, img + 0, 2);
	memcpy(&f->fsw, img + 2, 2);
	f->ftwx = img[4];
	memcpy(&f->last_opcode, img + 6, 2);
	memcpy(&f->last_ip, img + 8, 8);
	memcpy(&f->last_dp, img + 16, 8);
	memcpy(&f->mxcsr, img + 24, 4);
	for (int i = 0; i < 8; i++)
		memcpy(f->fpr[i], img + 32 + 16 * i, 16);
	memcpy(f->xmm, img + 160, 256);
}

static void fpu_to_legacy(const struct kvm_fpu *f, uint8_t *img)
{
	memcpy(img + 0, &f->fcw, 2);
	memcpy(img + 2, &f->fsw, 2);
	img[4] = f->ftwx;
	memcpy(img + 6, &f->last_opcode, 2);
	memcpy(img + 8, &f->last_ip, 8);
	memcpy(img + 16, &f->last_dp, 8);
	memcpy(img + 24, &f->mxcsr, 4);
	for (int i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, f->fpr[i], 16);
	memcpy(img + 160, f->xmm, 256);
}

static int kvm_load_fpu(struct emu_cpu *c, void *opaque)
{
	struct fpu_io *io = opaque;

	if (io->use_xsave && ioctl(io->vcpu_fd, KVM_GET_XSAVE, &io->xsave) == 0) {
		legacy_to_fpu((const uint8_t *)io->xsave.region, &c->fpu);
		return 0;
	}
	io->use_xsave = false;
	return ioctl(io->vcpu_fd, KVM_GET_FPU, &c->fpu);
}

static int kvm_store_fpu(const struct emu_cpu *c, struct fpu_io *io)
{
	if (io->use_xsave) {
		uint8_t *region = (uint8_t *)io->xsave.region;
		uint64_t bv;

		fpu_to_legacy(&c->fpu, region);
		memcpy(&bv, region + 512, 8);
		bv |= 3;	/* XSTATE_BV: x87 and SSE state are in the legacy region */
		memcpy(region + 512, &bv, 8);
		return ioctl(io->vcpu_fd, KVM_SET_XSAVE, &io->xsave);
	}
	return ioctl(io->vcpu_fd, KVM_SET_FPU, &c->fpu);
}

/* Outside long mode a fault goes to KVM, which delivers it itself (CR2 is already set). */
static int inject_fault(int vcpu_fd, const struct emu_cpu *c)
{
	struct kvm_vcpu_events ev;

	if (ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -1;
	ev.exception.injected = 1;
	ev.exception.nr = c->fault.vector;
	ev.exception.has_error_code = c->fault.has_error;
	ev.exception.error_code = c->fault.error;
	ev.flags = 0;
	return ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &ev);
}

/*
 * Cross-modifying code: another vCPU may rewrite the instruction that
 * failed between KVM's attempt and our fetch.  Linux's text_poke_bp()
 * plants an int3, which this KVM cannot run, then writes the final bytes
 * (say a jmp) while the first vCPU is out here; what we fetch is then an
 * instruction KVM runs itself, and the right thing is to let it.  A few
 * tries per address, then it is a real failure.
 */
static bool retry_allowed(struct emu_retry *retry, uint64_t rip)
{
	if (retry->rip != rip) {
		retry->rip = rip;
		retry->run = 0;
	}
	if (retry->run >= EMU_RETRY_MAX)
		return false;
	retry->run++;
	return true;
}

int emu_handle_failure(int vcpu_fd, const struct guest_mem *mem, struct emu_retry *retry,
		       struct emu_stats *stats, char *why, size_t whylen)
{
	struct emu_cpu c;
	struct fpu_io io;	/* 4 KiB on this thread's stack */
	const char *failed = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	c.mem = mem;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &c.regs) < 0)
		failed = "KVM_GET_REGS";
	else if (ioctl(vcpu_fd, KVM_GET_SREGS, &c.sregs) < 0)
		failed = "KVM_GET_SREGS";
	if (failed) {
		snprintf(why, whylen, "%s: %s", failed, strerror(errno));
		return -1;
	}
	io.vcpu_fd = vcpu_fd;
	io.use_xsave = true;
	r = emu_step_uncounted_failure(&c, stats, kvm_load_fpu, &io);
	if (r == EMU_FAIL && c.unknown_insn && retry_allowed(retry, c.regs.rip)) {
		stats->retried++;
		return 0;
	}
	if (r == EMU_FAIL) {
		stats->failures++;
		snprintf(why, whylen, "%s", c.why);
		return -1;
	}
	retry->rip = 0;
	if (r == EMU_EXCEPTION && c.fault.vector == X86_EXC_PF) {
		c.sregs.cr2 = c.fault.cr2;
		c.sregs_dirty = true;
	}
	/* SREGS before REGS (RFLAGS and RIP are read against the segments); the event last. */
	if (c.sregs_dirty && ioctl(vcpu_fd, KVM_SET_SREGS, &c.sregs) < 0)
		failed = "KVM_SET_SREGS";
	else if (c.fpu_dirty && kvm_store_fpu(&c, &io) < 0)
		failed = io.use_xsave ? "KVM_SET_XSAVE" : "KVM_SET_FPU";
	else if (ioctl(vcpu_fd, KVM_SET_REGS, &c.regs) < 0)
		failed = "KVM_SET_REGS";
	else if (r == EMU_EXCEPTION && inject_fault(vcpu_fd, &c) < 0)
		failed = "KVM_SET_VCPU_EVENTS";
	if (failed) {
		snprintf(why, whylen, "%s: %s", failed, strerror(errno));
		return -1;
	}
	return 0;
}
