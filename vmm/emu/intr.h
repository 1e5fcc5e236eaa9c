/*
 * intr.h - interrupt and exception delivery through the guest's own
 * 64-bit IDT (SDM vol. 3, 6.14), descriptor loads, and the 32-bit iret,
 * for the instruction fallback.
 */
#ifndef MINIVMM_EMU_INTR_H
#define MINIVMM_EMU_INTR_H

#include "vmm/emu/cpu.h"

#include <stdbool.h>
#include <stdint.h>

/* How an event reaches the IDT (it decides the DPL check and the EXT bit). */
enum emu_event_kind {
	EMU_EV_SOFT,		/* int n, int3: gate DPL checked against CPL */
	EMU_EV_EXCEPTION,	/* a fault raised by the instruction */
};

/*
 * Delivers vector through the 64-bit IDT: reads the gate (16 bytes), checks
 * type, DPL (software interrupts) and presence, loads CS from the GDT,
 * switches to the TSS's RSP0-2 on a privilege change and to IST[n] if the
 * gate names one, aligns the stack to 16, pushes SS, RSP, RFLAGS, CS,
 * return_rip (and the error code), clears TF, NT, RF (and IF for an
 * interrupt gate) and jumps.  Returns EMU_OK, or EMU_EXCEPTION with the
 * fault met on the way in cpu->fault (nothing changed), or EMU_FAIL.
 */
int emu_interrupt64(struct emu_cpu *c, uint8_t vector, enum emu_event_kind kind,
		    bool has_error, uint32_t error, uint64_t return_rip);

/*
 * Delivers cpu->fault (raised by the instruction at fault_rip) through the
 * IDT, turning a fault met on the way into a double fault as the SDM's
 * table 6-5 says, and a fault while delivering #DF into EMU_FAIL (the
 * guest would shut down: a triple fault).
 */
int emu_deliver_fault(struct emu_cpu *c, uint64_t fault_rip);

/*
 * Reads the GDT descriptor for selector into *seg (selector, base, limit,
 * attributes as KVM holds them).  A null selector, an LDT selector or one
 * past the GDT limit is #GP(selector) (the LDT is not supported).
 */
int emu_load_descriptor(struct emu_cpu *c, uint16_t selector, bool ext, struct kvm_segment *seg);

/*
 * iret/iretd in 32-bit (or 16-bit) protected mode, without task switches or
 * returns to virtual-8086 mode (those fail with a reason).
 */
int emu_iret_legacy(struct emu_cpu *c, unsigned opsize);

#endif
