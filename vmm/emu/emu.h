/*
 * emu.h - minivmm's fallback for instructions the host's KVM cannot
 * emulate: the one header the rest of vmm/ includes.
 *
 * On a KVM without hardware virtualisation (HOST-KVM.md: a pagetable-based
 * KVM) guest ring-0 code is emulated by KVM, and some instructions stop the
 * vCPU with KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION.  After
 * such an exit the vCPU loop calls emu_handle_failure(), which reads the
 * vCPU state, fetches the instruction at CS:RIP through the guest's page
 * tables, carries it out (the list is the table in vmm/emu/x86_decode.c),
 * delivers the guest's own exception if the instruction faults, writes the
 * state back, and lets the loop call KVM_RUN again.  On hardware
 * virtualisation such exits do not happen and none of this runs.
 *
 * The rest of vmm/emu/ is internal: the vCPU state it works on (cpu.h),
 * the decoder, the page-table walk, interrupt delivery and one step
 * without KVM (step.h, which the unit tests and the fuzzer drive).
 */
#ifndef MINIVMM_EMU_H
#define MINIVMM_EMU_H

#include "common/guest_mem.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* What minivmm carries out; one entry per row of the table in x86_decode.c. */
enum emu_class {
	EMU_INT3,
	EMU_INTN,
	EMU_CLAC,
	EMU_STAC,
	EMU_POPCNT,
	EMU_FWAIT,
	EMU_LDMXCSR,
	EMU_STMXCSR,
	EMU_FXSAVE,
	EMU_FXRSTOR,
	EMU_CMPXCHG16B,		/* and cmpxchg8b (no REX.W) */
	EMU_MOVD_TO_XMM,	/* 66 [REX.W] 0f 6e: movd/movq xmm, r/m */
	EMU_MOVD_FROM_XMM,	/* 66 [REX.W] 0f 7e: movd/movq r/m, xmm */
	EMU_MOVQ_LOAD,		/* f3 0f 7e: movq xmm, xmm/m64 */
	EMU_MOVQ_STORE,		/* 66 0f d6: movq xmm/m64, xmm */
	EMU_MOV128_LOAD,	/* movdqa/movdqu/movaps/movups/movapd/movupd xmm, xmm/m128 */
	EMU_MOV128_STORE,	/* the same, xmm/m128, xmm */
	EMU_PXOR,		/* pxor, xorps, xorpd */
	EMU_IRET,		/* iret/iretd in 32-bit protected mode, same privilege */
	EMU_N_CLASSES
};

/* The instruction's name for statistics and messages. */
const char *emu_class_name(enum emu_class cls);

/* Counts per vCPU (not locked: keep one per vCPU thread, or sum them after). */
struct emu_stats {
	unsigned long count[EMU_N_CLASSES];	/* instructions carried out, by class */
	unsigned long faults;			/* guest exceptions delivered instead */
	unsigned long failures;			/* exits that could not be handled */
	unsigned long retried;			/* resumed for KVM to try again */
	unsigned long misplaced_frames;		/* iret frames found at linear ESP (intr.c) */
};

/*
 * Per vCPU: the address whose instruction was last handed back to KVM
 * unrun, and how many times in a row (kvm.c, retry_allowed()).  Zero it
 * with the vCPU.
 */
struct emu_retry {
	uint64_t rip;
	unsigned run;
};

/* Times one address may be handed back to KVM before it counts as a failure. */
#define EMU_RETRY_MAX 3

/*
 * Called after KVM_RUN returned KVM_EXIT_INTERNAL_ERROR with suberror
 * KVM_INTERNAL_ERROR_EMULATION.  Returns 0 when the guest can resume, or
 * -1 with a one-line reason in why (an unknown instruction names its bytes
 * and RIP; a triple fault says so; a failed ioctl names it).
 */
int emu_handle_failure(int vcpu_fd, const struct guest_mem *mem, struct emu_retry *retry,
		       struct emu_stats *stats, char *why, size_t whylen);

/* Adds one vCPU's counters to a total (the exit summary). */
void emu_stats_add(struct emu_stats *total, const struct emu_stats *one);

/* Prints "emulated: <name> <count>" lines for the non-zero counts (for -v). */
void emu_stats_print(const struct emu_stats *stats, FILE *out);

#endif
