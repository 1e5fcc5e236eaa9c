/*
 * emu_cpu.h - the vCPU state the instruction fallback works on.
 *
 * It is KVM's own register layout (struct kvm_regs, kvm_sregs, kvm_fpu), so
 * the KVM glue (emulate.c) copies it in and out with one ioctl each, and the
 * unit tests fill it by hand.  Guest memory is reached only through
 * common/guest_mem.h.
 */
#ifndef MINIVMM_EMU_CPU_H
#define MINIVMM_EMU_CPU_H

#include "common/guest_mem.h"

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

/* Exception vectors (SDM vol. 3, table 6-1). */
enum {
	X86_EXC_DB = 1, X86_EXC_UD = 6, X86_EXC_NM = 7, X86_EXC_DF = 8,
	X86_EXC_TS = 10, X86_EXC_NP = 11, X86_EXC_SS = 12, X86_EXC_GP = 13,
	X86_EXC_PF = 14, X86_EXC_MF = 16, X86_EXC_AC = 17,
};

/* RFLAGS bits. */
#define X86_FL_CF   (1ull << 0)
#define X86_FL_PF   (1ull << 2)
#define X86_FL_AF   (1ull << 4)
#define X86_FL_ZF   (1ull << 6)
#define X86_FL_SF   (1ull << 7)
#define X86_FL_TF   (1ull << 8)
#define X86_FL_IF   (1ull << 9)
#define X86_FL_OF   (1ull << 11)
#define X86_FL_NT   (1ull << 14)
#define X86_FL_RF   (1ull << 16)
#define X86_FL_VM   (1ull << 17)
#define X86_FL_AC   (1ull << 18)

#define X86_CR0_PE  (1ull << 0)
#define X86_CR0_MP  (1ull << 1)
#define X86_CR0_EM  (1ull << 2)
#define X86_CR0_TS  (1ull << 3)
#define X86_CR0_WP  (1ull << 16)
#define X86_CR0_PG  (1ull << 31)
#define X86_CR4_PSE (1ull << 4)
#define X86_CR4_PAE (1ull << 5)
#define X86_CR4_OSFXSR (1ull << 9)
#define X86_CR4_SMEP (1ull << 20)
#define X86_CR4_SMAP (1ull << 21)
#define X86_EFER_LMA (1ull << 10)
#define X86_EFER_NXE (1ull << 11)

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
