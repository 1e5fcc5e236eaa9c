/*
 * step.c - one instruction of the fallback: fetch and decode, the FPU
 * state when the instruction needs it, carry it out, deliver its fault in
 * long mode, and count what happened.
 */
#include "vmm/emu/step.h"
#include "vmm/emu/exec.h"
#include "vmm/emu/intr.h"
#include "common/log.h"

#include <stdbool.h>
#include <stdio.h>

int emu_step_uncounted_failure(struct emu_cpu *c, struct emu_stats *stats,
			       emu_load_fpu_fn load_fpu, void *opaque)
{
	struct x86_insn insn;
	uint64_t rip = c->regs.rip;
	int r;
	bool decoded;

	c->misplaced_frame = false;
	r = emu_fetch_decode(c, &insn);
	decoded = r == EMU_OK;

	if (r == EMU_OK && x86_class_uses_fpu(insn.cls) && !c->fpu_valid) {
		if (!load_fpu || load_fpu(c, opaque) < 0) {
			snprintf(c->why, sizeof(c->why), "cannot read the FPU state");
			r = EMU_FAIL;
		} else {
			c->fpu_valid = true;
		}
	}
	if (r == EMU_OK) {
		r = emu_execute(c, &insn);
		if (r == EMU_OK && stats) {
			stats->count[insn.cls]++;
			stats->misplaced_frames += c->misplaced_frame;
		}
	}
	if (r == EMU_EXCEPTION) {
		if (stats)
			stats->faults++;
		debug("emulate: %s at %#llx raised exception %u (error %#x)",
		      decoded ? emu_class_name(insn.cls) : "fetch", (unsigned long long)rip,
		      c->fault.vector, c->fault.error);
		if (c->sregs.efer & X86_EFER_LMA)
			r = emu_deliver_fault(c, rip);
	}
	return r;
}

int emu_step(struct emu_cpu *c, struct emu_stats *stats, emu_load_fpu_fn load_fpu, void *opaque)
{
	int r = emu_step_uncounted_failure(c, stats, load_fpu, opaque);

	if (r == EMU_FAIL && stats)
		stats->failures++;
	return r;
}
