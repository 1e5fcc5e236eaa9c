/*
 * emulate.h - minivmm's fallback for instructions the host's KVM cannot
 * emulate.
 *
 * On a KVM without hardware virtualisation (HOST-KVM.md: a pagetable-based
 * KVM) guest ring-0 code is emulated by KVM, and some instructions stop the
 * vCPU with KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION.  After
 * such an exit the vCPU loop calls emu_handle_failure(), which reads the
 * vCPU state, fetches the instruction at CS:RIP through the guest's page
 * tables, carries it out (the list is the table in vmm/x86_decode.c),
 * delivers the guest's own exception if the instruction faults, writes the
 * state back, and lets the loop call KVM_RUN again.  On hardware
 * virtualisation such exits do not happen and none of this runs.
 */
#ifndef MINIVMM_EMULATE_H
#define MINIVMM_EMULATE_H

#include "common/guest_mem.h"
#include "emu_cpu.h"
#include "x86_decode.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Counts per vCPU (not locked: keep one per vCPU thread, or sum them after). */
struct emu_stats {
	unsigned long count[EMU_N_CLASSES];	/* instructions carried out, by class */
	unsigned long faults;			/* guest exceptions delivered instead */
	unsigned long failures;			/* exits that could not be handled */
	unsigned long retried;			/* resumed for KVM to try again */
	unsigned long misplaced_frames;		/* iret frames found at linear ESP (emu_intr.c) */
	uint64_t retry_rip;			/* where the current retries are */
	unsigned retry_run;			/* how many in a row there */
};

/* Times one address may be handed back to KVM before it counts as a failure. */
#define EMU_RETRY_MAX 3

/*
 * Called after KVM_RUN returned KVM_EXIT_INTERNAL_ERROR with suberror
 * KVM_INTERNAL_ERROR_EMULATION.  Returns 0 when the guest can resume, or
 * -1 with a one-line reason in why (an unknown instruction names its bytes
 * and RIP; a triple fault says so; a failed ioctl names it).
 */
int emu_handle_failure(int vcpu_fd, const struct guest_mem *mem, struct emu_stats *stats,
		       char *why, size_t whylen);

/*
 * The same work on a state already in memory (the unit tests' entry):
 * fetch, decode, load the FPU state through load_fpu if the instruction
 * needs it and cpu->fpu_valid is false (load_fpu may be NULL then), carry
 * it out, and deliver a fault through the 64-bit IDT in long mode.
 * Returns EMU_OK, EMU_FAIL (cpu->why), or EMU_EXCEPTION for a fault
 * outside long mode, which the caller injects.
 */
int emu_step(struct emu_cpu *c, struct emu_stats *stats,
	     int (*load_fpu)(struct emu_cpu *c, void *opaque), void *opaque);

/* Adds one vCPU's counters to a total (the exit summary). */
void emu_stats_add(struct emu_stats *total, const struct emu_stats *one);

/* Prints "emulated: <name> <count>" lines for the non-zero counts (for -v). */
void emu_stats_print(const struct emu_stats *stats, FILE *out);

#endif
