/*
 * cpu.h - the vCPU state the instruction fallback works on.
 *
 * It is KVM's own register layout (struct kvm_regs, kvm_sregs, kvm_fpu), so
 * the KVM glue (kvm.c) copies it in and out with one ioctl each, and the
 * unit tests fill it by hand.  Guest memory is reached only through
 * common/guest_mem.h.
 */
#ifndef MINIVMM_EMU_CPU_H
#define MINIVMM_EMU_CPU_H

#include "common/guest_mem.h"
#include "vmm/x86_arch.h"

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

/* A guest exception the instruction raised, to be delivered through the IDT. */
struct emu_fault {
	bool pending;
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint64_t cr2;		/* for #PF */
};

struct emu_cpu {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	bool fpu_valid;		/* fpu holds the guest's state */
	bool sregs_dirty, fpu_dirty;	/* need KVM_SET_SREGS / KVM_SET_FPU */
	const struct guest_mem *mem;
	struct emu_fault fault;
	char why[160];		/* reason when a step returns EMU_FAIL */
	bool unknown_insn;	/* EMU_FAIL because the bytes at RIP are not ours */
	bool misplaced_frame;	/* iret took a frame from where this host's KVM put it */
};

/* Results of the emulator's steps. */
enum emu_result {
	EMU_OK = 0,		/* done, the guest can resume */
	EMU_EXCEPTION = 1,	/* cpu->fault holds a guest exception to deliver */
	EMU_FAIL = -1,		/* cannot continue; cpu->why says why */
};

/* Records a guest exception; returns EMU_EXCEPTION for "return emu_raise(...)". */
static inline int emu_raise(struct emu_cpu *c, uint8_t vector, bool has_error, uint32_t error)
{
	c->fault = (struct emu_fault){ true, vector, has_error, error, 0 };
	return EMU_EXCEPTION;
}

/* Current privilege level: CS.RPL in protected mode, 0 in real mode, 3 in vm86. */
static inline unsigned emu_cpl(const struct emu_cpu *c)
{
	if (!(c->sregs.cr0 & X86_CR0_PE))
		return 0;
	if (c->regs.rflags & X86_FL_VM)
		return 3;
	return c->sregs.cs.selector & 3;
}

/* 16, 32 or 64: the kind of code segment the vCPU runs. */
static inline unsigned emu_code_mode(const struct emu_cpu *c)
{
	if (!(c->sregs.cr0 & X86_CR0_PE) || (c->regs.rflags & X86_FL_VM))
		return 16;
	if ((c->sregs.efer & X86_EFER_LMA) && c->sregs.cs.l)
		return 64;
	return c->sregs.cs.db ? 32 : 16;
}

#endif
