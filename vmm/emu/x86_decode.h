/*
 * x86_decode.h - decodes the few x86 instructions minivmm carries out itself
 * when the host's KVM cannot emulate them (see vmm/emu/emu.h and
 * docs/HOST-KVM.md).
 *
 * The decoder knows prefixes (66, 67, f2, f3, f0, segment overrides, REX,
 * a two-byte VEX for vldmxcsr/vstmxcsr), ModRM/SIB/disp8/disp32 and
 * RIP-relative addressing, and only the opcodes listed in one table in
 * x86_decode.c.  Anything else is refused, never guessed.
 */
#ifndef MINIVMM_X86_DECODE_H
#define MINIVMM_X86_DECODE_H

#include "vmm/emu/emu.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define X86_MAX_INSN_LEN 15

enum x86_seg { X86_ES, X86_CS, X86_SS, X86_DS, X86_FS, X86_GS, X86_SEG_NONE };

#define X86_REG_NONE (-1)
#define X86_REG_RIP 16

struct x86_insn {
	uint8_t bytes[X86_MAX_INSN_LEN];
	uint8_t len;
	uint8_t mode;		/* 16, 32 or 64: the code segment's kind */
	uint8_t opsize;		/* operand size in bytes: 2, 4 or 8 */
	uint8_t addrsize;	/* address size in bytes: 2, 4 or 8 */
	uint8_t seg;		/* segment override, or X86_SEG_NONE */
	bool lock, rep, repne, opsize_prefix;
	uint8_t rex;		/* 0x40-0x4f, or 0 */
	bool vex;
	uint8_t map;		/* 0: one-byte opcodes, 1: 0f */
	uint8_t opcode;
	bool has_modrm;
	uint8_t modrm, mod;
	uint8_t reg;		/* ModRM.reg with REX.R (0-15) */
	uint8_t rm;		/* ModRM.rm with REX.B, for mod == 3 */
	/* The memory operand, when has_modrm and mod != 3. */
	int8_t base, index;	/* register number, X86_REG_RIP, X86_REG_NONE */
	uint8_t scale;		/* 1, 2, 4, 8 */
	int64_t disp;
	uint64_t imm;
	bool aligned16;		/* a memory operand must be 16-byte aligned (#GP) */
	enum emu_class cls;
	const char *name;	/* mnemonic, for messages */
};

enum x86_decode_result {
	X86_DEC_OK = 0,
	X86_DEC_UNKNOWN = -1,	/* not an instruction minivmm carries out */
	X86_DEC_NEED_MORE = -2,	/* ran past the bytes available */
};

/*
 * Decodes the instruction at bytes[0..avail).  mode is 16, 32 or 64 (the
 * code segment's kind).  Returns X86_DEC_OK with *out filled,
 * X86_DEC_NEED_MORE if the instruction continues past avail (avail below 15),
 * or X86_DEC_UNKNOWN.
 */
int x86_decode(const uint8_t *bytes, size_t avail, unsigned mode, struct x86_insn *out);

/* True for instructions that read or write the x87/SSE state (KVM_GET_FPU). */
bool x86_class_uses_fpu(enum emu_class cls);

/* True if the instruction has a memory operand. */
static inline bool x86_has_mem(const struct x86_insn *insn)
{
	return insn->has_modrm && insn->mod != 3;
}

#endif
