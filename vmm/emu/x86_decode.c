/*
 * x86_decode.c - prefix, ModRM and SIB decoding for the instructions in
 * known_ops[] below, and nothing else.
 *
 * Encodings follow the Intel SDM vol. 2, chapter 2 (instruction format,
 * tables 2-1 to 2-3 for ModRM/SIB, 2.2.1 for REX, 2.3 for VEX).
 */
#include "vmm/emu/x86_decode.h"

#include <string.h>

/* Which of 66/f2/f3 selects the row (the "mandatory prefix" of SSE). */
enum mprefix { P_ANY, P_NONE, P_66, P_F3 };
/* What the ModRM byte may be. */
enum modrm_kind { M_NONE, M_ANY, M_MEM, M_FIXED };

struct op_row {
	uint8_t map, opcode;
	uint8_t prefix;		/* enum mprefix */
	uint8_t modrm;		/* enum modrm_kind */
	int8_t reg;		/* ModRM.reg for group opcodes, -1 if any */
	uint8_t fixed;		/* the whole ModRM byte for M_FIXED */
	uint8_t imm;		/* immediate bytes */
	bool vex_ok;		/* also accepted in the two-byte VEX form */
	bool aligned16;
	enum emu_class cls;
	const char *name;
	const char *why;	/* why minivmm has to carry it out */
};

/*
 * The host list (HOST-KVM.md): every instruction the host's KVM was seen to
 * fail in ring 0, or that belongs to a family it fails.  Its in-kernel
 * emulator handles int/iret only in real mode, and has no clac/stac, popcnt,
 * ldmxcsr/stmxcsr, cmpxchg16b or movd/movq to xmm.
 */
static const struct op_row known_ops[] = {
	{ 0, 0xcc, P_ANY, M_NONE, -1, 0, 0, false, false, EMU_INT3, "int3",
	  "host emulates software interrupts only in real mode; Linux's int3_selftest" },
	{ 0, 0xcd, P_ANY, M_NONE, -1, 0, 1, false, false, EMU_INTN, "int",
	  "host emulates software interrupts only in real mode" },
	{ 0, 0x9b, P_ANY, M_NONE, -1, 0, 0, false, false, EMU_FWAIT, "fwait",
	  "not in the host's emulator; Linux FPU code" },
	{ 0, 0xcf, P_ANY, M_NONE, -1, 0, 0, false, false, EMU_IRET, "iret",
	  "host emulates iret only in real mode; iPXE's BIOS build" },
	{ 1, 0x01, P_NONE, M_FIXED, -1, 0xca, 0, false, false, EMU_CLAC, "clac",
	  "not in the host's emulator; Linux's SMAP user-copy brackets" },
	{ 1, 0x01, P_NONE, M_FIXED, -1, 0xcb, 0, false, false, EMU_STAC, "stac",
	  "not in the host's emulator; Linux's SMAP user-copy brackets" },
	{ 1, 0xb8, P_F3, M_ANY, -1, 0, 0, false, false, EMU_POPCNT, "popcnt",
	  "not in the host's emulator; CPUID cannot hide it from Linux here" },
	{ 1, 0xae, P_NONE, M_MEM, 2, 0, 0, true, false, EMU_LDMXCSR, "ldmxcsr",
	  "not in the host's emulator; kernel_fpu_begin" },
	{ 1, 0xae, P_NONE, M_MEM, 3, 0, 0, true, false, EMU_STMXCSR, "stmxcsr",
	  "not in the host's emulator" },
	{ 1, 0xae, P_NONE, M_MEM, 0, 0, 0, false, true, EMU_FXSAVE, "fxsave",
	  "FPU state family; see the KVM test for whether the host fails it" },
	{ 1, 0xae, P_NONE, M_MEM, 1, 0, 0, false, true, EMU_FXRSTOR, "fxrstor",
	  "FPU state family; see the KVM test for whether the host fails it" },
	{ 1, 0xc7, P_NONE, M_MEM, 1, 0, 0, false, false, EMU_CMPXCHG16B, "cmpxchg16b",
	  "host fails lock cmpxchg16b in ring 0 (Linux uses it if CPUID shows cx16)" },
	{ 1, 0x6e, P_66, M_ANY, -1, 0, 0, false, false, EMU_MOVD_TO_XMM, "movd",
	  "not in the host's emulator; Linux SIMD code (BLAKE2s, CRC)" },
	{ 1, 0x7e, P_66, M_ANY, -1, 0, 0, false, false, EMU_MOVD_FROM_XMM, "movd",
	  "not in the host's emulator; Linux SIMD code" },
	{ 1, 0x7e, P_F3, M_ANY, -1, 0, 0, false, false, EMU_MOVQ_LOAD, "movq",
	  "Linux SIMD code" },
	{ 1, 0xd6, P_66, M_ANY, -1, 0, 0, false, false, EMU_MOVQ_STORE, "movq",
	  "Linux SIMD code" },
	{ 1, 0x6f, P_66, M_ANY, -1, 0, 0, false, true, EMU_MOV128_LOAD, "movdqa",
	  "Linux SIMD code" },
	{ 1, 0x6f, P_F3, M_ANY, -1, 0, 0, false, false, EMU_MOV128_LOAD, "movdqu",
	  "Linux SIMD code" },
	{ 1, 0x7f, P_66, M_ANY, -1, 0, 0, false, true, EMU_MOV128_STORE, "movdqa",
	  "Linux SIMD code" },
	{ 1, 0x7f, P_F3, M_ANY, -1, 0, 0, false, false, EMU_MOV128_STORE, "movdqu",
	  "Linux SIMD code" },
	{ 1, 0x28, P_NONE, M_ANY, -1, 0, 0, false, true, EMU_MOV128_LOAD, "movaps",
	  "Linux SIMD code" },
	{ 1, 0x28, P_66, M_ANY, -1, 0, 0, false, true, EMU_MOV128_LOAD, "movapd",
	  "Linux SIMD code" },
	{ 1, 0x29, P_NONE, M_ANY, -1, 0, 0, false, true, EMU_MOV128_STORE, "movaps",
	  "Linux SIMD code" },
	{ 1, 0x29, P_66, M_ANY, -1, 0, 0, false, true, EMU_MOV128_STORE, "movapd",
	  "Linux SIMD code" },
	{ 1, 0x10, P_NONE, M_ANY, -1, 0, 0, false, false, EMU_MOV128_LOAD, "movups",
	  "Linux SIMD code" },
	{ 1, 0x10, P_66, M_ANY, -1, 0, 0, false, false, EMU_MOV128_LOAD, "movupd",
	  "Linux SIMD code" },
	{ 1, 0x11, P_NONE, M_ANY, -1, 0, 0, false, false, EMU_MOV128_STORE, "movups",
	  "Linux SIMD code" },
	{ 1, 0x11, P_66, M_ANY, -1, 0, 0, false, false, EMU_MOV128_STORE, "movupd",
	  "Linux SIMD code" },
	{ 1, 0xef, P_66, M_ANY, -1, 0, 0, false, true, EMU_PXOR, "pxor",
	  "Linux SIMD code (clearing registers)" },
	{ 1, 0x57, P_NONE, M_ANY, -1, 0, 0, false, true, EMU_PXOR, "xorps",
	  "Linux SIMD code (clearing registers)" },
	{ 1, 0x57, P_66, M_ANY, -1, 0, 0, false, true, EMU_PXOR, "xorpd",
	  "Linux SIMD code (clearing registers)" },
};

static const char *const class_names[EMU_N_CLASSES] = {
	[EMU_INT3] = "int3",
	[EMU_INTN] = "int n",
	[EMU_CLAC] = "clac",
	[EMU_STAC] = "stac",
	[EMU_POPCNT] = "popcnt",
	[EMU_FWAIT] = "fwait",
	[EMU_LDMXCSR] = "ldmxcsr",
	[EMU_STMXCSR] = "stmxcsr",
	[EMU_FXSAVE] = "fxsave",
	[EMU_FXRSTOR] = "fxrstor",
	[EMU_CMPXCHG16B] = "cmpxchg8b/16b",
	[EMU_MOVD_TO_XMM] = "movd/movq to xmm",
	[EMU_MOVD_FROM_XMM] = "movd/movq from xmm",
	[EMU_MOVQ_LOAD] = "movq xmm, xmm/m64",
	[EMU_MOVQ_STORE] = "movq xmm/m64, xmm",
	[EMU_MOV128_LOAD] = "128-bit SSE load",
	[EMU_MOV128_STORE] = "128-bit SSE store",
	[EMU_PXOR] = "pxor/xorps/xorpd",
	[EMU_IRET] = "iret (32-bit)",
};

const char *emu_class_name(enum emu_class cls)
{
	return (unsigned)cls < EMU_N_CLASSES ? class_names[cls] : "?";
}

bool x86_class_uses_fpu(enum emu_class cls)
{
	switch (cls) {
	case EMU_LDMXCSR: case EMU_STMXCSR: case EMU_FXSAVE: case EMU_FXRSTOR:
	case EMU_MOVD_TO_XMM: case EMU_MOVD_FROM_XMM: case EMU_MOVQ_LOAD:
	case EMU_MOVQ_STORE: case EMU_MOV128_LOAD: case EMU_MOV128_STORE:
	case EMU_PXOR:
		return true;
	default:
		return false;
	}
}

/* A cursor over the bytes fetched so far. */
struct cursor {
	const uint8_t *b;
	size_t avail, pos;
	int err;
};

static uint8_t next_byte(struct cursor *c)
{
	if (c->err)
		return 0;
	if (c->pos >= X86_MAX_INSN_LEN) {
		c->err = X86_DEC_UNKNOWN;	/* longer than 15 bytes: #GP on hardware */
		return 0;
	}
	if (c->pos >= c->avail) {
		c->err = c->avail < X86_MAX_INSN_LEN ? X86_DEC_NEED_MORE : X86_DEC_UNKNOWN;
		return 0;
	}
	return c->b[c->pos++];
}

/* Little-endian immediate or displacement of n bytes, sign-extended. */
static int64_t next_signed(struct cursor *c, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)next_byte(c) << (8 * i);
	if (n < 8 && (v & (1ull << (8 * n - 1))))
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

/* ModRM, SIB and displacement in 32- or 64-bit addressing (SDM tables 2-2, 2-3). */
static void decode_modrm(struct cursor *c, struct x86_insn *in)
{
	uint8_t rex_r = (in->rex >> 2) & 1, rex_x = (in->rex >> 1) & 1, rex_b = in->rex & 1;
	uint8_t m = next_byte(c);

	in->has_modrm = true;
	in->modrm = m;
	in->mod = m >> 6;
	in->reg = ((m >> 3) & 7) | (rex_r << 3);
	in->rm = (m & 7) | (rex_b << 3);
	in->base = in->index = X86_REG_NONE;
	in->scale = 1;
	if (in->mod == 3)
		return;
	if (in->addrsize == 2) {
		c->err = X86_DEC_UNKNOWN;	/* 16-bit addressing: not needed so far */
		return;
	}
	if ((m & 7) == 4) {
		uint8_t sib = next_byte(c);
		uint8_t idx = ((sib >> 3) & 7) | (rex_x << 3);

		in->scale = 1 << (sib >> 6);
		in->index = idx == 4 ? X86_REG_NONE : idx;
		if ((sib & 7) == 5 && in->mod == 0)
			in->disp = next_signed(c, 4);
		else
			in->base = (sib & 7) | (rex_b << 3);
	} else if ((m & 7) == 5 && in->mod == 0) {
		in->base = in->mode == 64 ? X86_REG_RIP : X86_REG_NONE;
		in->disp = next_signed(c, 4);
	} else {
		in->base = in->rm;
	}
	if (in->mod == 1)
		in->disp = next_signed(c, 1);
	else if (in->mod == 2)
		in->disp = next_signed(c, 4);
}

static bool prefix_matches(const struct op_row *row, const struct x86_insn *in)
{
	switch (row->prefix) {
	case P_ANY:
		return true;
	case P_NONE:
		return !in->rep && !in->repne && !in->opsize_prefix;
	case P_66:
		return !in->rep && !in->repne && in->opsize_prefix;
	case P_F3:
		return in->rep && !in->repne;	/* 66 may still set the size */
	}
	return false;
}

/* Peeks at ModRM.reg / the whole ModRM without consuming it. */
static const struct op_row *find_row(const struct x86_insn *in, int modrm)
{
	for (size_t i = 0; i < sizeof(known_ops) / sizeof(known_ops[0]); i++) {
		const struct op_row *r = &known_ops[i];

		if (r->map != in->map || r->opcode != in->opcode || !prefix_matches(r, in))
			continue;
		if (in->vex && !r->vex_ok)
			continue;
		if (r->modrm == M_NONE)
			return r;
		if (modrm < 0)
			return r;	/* caller fetches ModRM and asks again */
		if (r->modrm == M_FIXED && modrm != r->fixed)
			continue;
		if (r->modrm == M_MEM && (modrm >> 6) == 3)
			continue;
		if (r->reg >= 0 && ((modrm >> 3) & 7) != r->reg)
			continue;
		return r;
	}
	return NULL;
}

/* Two-byte VEX (c5): only the form of vldmxcsr/vstmxcsr (L=0, pp=0, vvvv=1111). */
static int decode_vex2(struct cursor *c, struct x86_insn *in)
{
	uint8_t v = next_byte(c);

	if (c->err)
		return c->err;
	if (in->rex || in->rep || in->repne || in->opsize_prefix || in->lock)
		return X86_DEC_UNKNOWN;		/* #UD on hardware */
	if ((v & 0x7f) != 0x78)
		return X86_DEC_UNKNOWN;		/* vvvv != 1111, L = 1 or pp != 0 */
	in->vex = true;
	in->rex = (v & 0x80) ? 0 : 0x44;	/* inverted R */
	in->map = 1;
	in->opcode = next_byte(c);
	return c->err;
}

int x86_decode(const uint8_t *bytes, size_t avail, unsigned mode, struct x86_insn *in)
{
	struct cursor c = { bytes, avail, 0, 0 };
	bool addr_prefix = false;
	uint8_t b;

	memset(in, 0, sizeof(*in));
	in->mode = mode;
	in->seg = X86_SEG_NONE;
	for (;;) {
		b = next_byte(&c);
		if (c.err)
			return c.err;
		switch (b) {
		case 0x26: in->seg = X86_ES; break;
		case 0x2e: in->seg = X86_CS; break;
		case 0x36: in->seg = X86_SS; break;
		case 0x3e: in->seg = X86_DS; break;
		case 0x64: in->seg = X86_FS; break;
		case 0x65: in->seg = X86_GS; break;
		case 0x66: in->opsize_prefix = true; break;
		case 0x67: addr_prefix = true; break;
		case 0xf0: in->lock = true; break;
		case 0xf2: in->repne = true; in->rep = false; break;
		case 0xf3: in->rep = true; in->repne = false; break;
		default:
			if (mode == 64 && (b & 0xf0) == 0x40) {
				in->rex = b;	/* counts only if the opcode follows */
				continue;
			}
			goto prefixes_done;
		}
		in->rex = 0;	/* a REX before a legacy prefix is ignored */
	}
prefixes_done:
	if (mode == 64) {
		in->addrsize = addr_prefix ? 4 : 8;
		in->opsize = (in->rex & 8) ? 8 : in->opsize_prefix ? 2 : 4;
	} else {
		in->addrsize = (mode == 32) != addr_prefix ? 4 : 2;
		in->opsize = (mode == 32) != in->opsize_prefix ? 4 : 2;
	}

	if (b == 0xc5) {
		/* In 32-bit code c5 is LDS unless the next byte looks like ModRM mod=3. */
		if (mode != 64 && (c.pos >= avail || (bytes[c.pos] & 0xc0) != 0xc0))
			return c.pos >= avail && avail < X86_MAX_INSN_LEN ?
			       X86_DEC_NEED_MORE : X86_DEC_UNKNOWN;
		int r = decode_vex2(&c, in);
		if (r)
			return r;
	} else if (b == 0x0f) {
		in->map = 1;
		in->opcode = next_byte(&c);
		if (c.err)
			return c.err;
	} else {
		in->map = 0;
		in->opcode = b;
	}

	const struct op_row *row = find_row(in, -1);
	if (!row)
		return X86_DEC_UNKNOWN;
	if (row->modrm != M_NONE) {
		if (c.pos >= avail)
			return avail < X86_MAX_INSN_LEN ? X86_DEC_NEED_MORE : X86_DEC_UNKNOWN;
		row = find_row(in, bytes[c.pos]);
		if (!row)
			return X86_DEC_UNKNOWN;
		decode_modrm(&c, in);
	}
	if (row->imm)
		in->imm = (uint64_t)next_signed(&c, row->imm) & ((1ull << (8 * row->imm)) - 1);
	if (c.err)
		return c.err;
	in->cls = row->cls;
	in->name = row->name;
	in->aligned16 = row->aligned16;
	in->len = c.pos;
	memcpy(in->bytes, bytes, c.pos);
	return X86_DEC_OK;
}
