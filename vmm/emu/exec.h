/*
 * exec.h - fetch, decode and carry out one instruction on an emu_cpu.
 * Pure: no KVM calls, so the unit tests drive it with fake state and memory.
 */
#ifndef MINIVMM_EMU_EXEC_H
#define MINIVMM_EMU_EXEC_H

#include "vmm/emu/cpu.h"
#include "vmm/emu/x86_decode.h"

/*
 * Fetches up to 15 bytes at CS:RIP (crossing into the next page only when
 * the instruction does) and decodes them.  EMU_OK; EMU_EXCEPTION for a
 * fetch fault (#PF); EMU_FAIL with the bytes and RIP in cpu->why for an
 * instruction minivmm does not carry out.
 */
int emu_fetch_decode(struct emu_cpu *c, struct x86_insn *insn);

/*
 * Carries out insn (cpu->fpu must be valid when x86_class_uses_fpu()).
 * On EMU_OK RIP points past it (or at an interrupt handler); on
 * EMU_EXCEPTION nothing has changed and cpu->fault holds the exception.
 */
int emu_execute(struct emu_cpu *c, const struct x86_insn *insn);

/* The largest MXCSR value ldmxcsr/fxrstor accept (all of 0-15, DAZ included). */
#define EMU_MXCSR_MASK 0x0000ffffu

#endif
