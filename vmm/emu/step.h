/*
 * step.h - one instruction of the fallback on a state already in memory,
 * without KVM: what kvm.c runs between reading and writing the vCPU, and
 * what the unit tests (tests/unit/test_emulate.c) and the fuzzer
 * (tests/fuzz/fuzz_emulate.c) drive directly.
 */
#ifndef MINIVMM_EMU_STEP_H
#define MINIVMM_EMU_STEP_H

#include "vmm/emu/cpu.h"
#include "vmm/emu/emu.h"

/* Reads the guest's x87/SSE state into c->fpu; 0, or -1 if it cannot. */
typedef int (*emu_load_fpu_fn)(struct emu_cpu *c, void *opaque);

/*
 * Fetches and decodes the instruction at CS:RIP, loads the FPU state
 * through load_fpu if the instruction needs it and cpu->fpu_valid is false
 * (load_fpu may be NULL then), carries it out, and delivers a fault
 * through the 64-bit IDT in long mode.  Returns EMU_OK, EMU_FAIL
 * (cpu->why), or EMU_EXCEPTION for a fault outside long mode, which the
 * caller injects.  stats (may be NULL) counts all three outcomes.
 */
int emu_step(struct emu_cpu *c, struct emu_stats *stats, emu_load_fpu_fn load_fpu, void *opaque);

/*
 * emu_step() that leaves an EMU_FAIL uncounted, for kvm.c: an instruction
 * another vCPU rewrote is handed back to KVM instead, and only a failure
 * that stays one is counted.
 */
int emu_step_uncounted_failure(struct emu_cpu *c, struct emu_stats *stats,
			       emu_load_fpu_fn load_fpu, void *opaque);

#endif
