/*
 * exec.c - the semantics of each instruction class in x86_decode.c's
 * table, from the SDM vol. 2 pages of the same names.
 *
 * Policy (documented for the lead):
 * - fwait is a no-op except for #NM (CR0.TS and CR0.MP): minivmm never
 *   leaves x87 exceptions pending itself, and the host's FPU state is not
 *   read just to look at FSW.ES.
 * - A lock prefix on anything but cmpxchg8b/16b is #UD, reflected to the
 *   guest as hardware does.
 * - Instructions not in the table are not reflected as #UD: an instruction
 *   the host's KVM failed to emulate is almost always a valid one, so
 *   emu_fetch_decode() fails with its bytes instead.
 * - RFLAGS.TF single-stepping over an emulated instruction is not modelled.
 */
#include "vmm/emu/exec.h"
#include "vmm/emu/intr.h"
#include "vmm/emu/mmu.h"

#include <stdio.h>
#include <string.h>

/* General register n in the encoding's order (rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8-r15). */
static __u64 *gpr(struct emu_cpu *c, unsigned n)
{
	struct kvm_regs *r = &c->regs;
	__u64 *const regs[16] = {
		&r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi, &r->rdi,
		&r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13, &r->r14, &r->r15,
	};
	return regs[n & 15];
}

/* Writes a general register as an operand of size bytes: 4 zero-extends, 2 merges. */
static void set_gpr(struct emu_cpu *c, unsigned n, unsigned size, uint64_t v)
{
	__u64 *p = gpr(c, n);

	if (size == 8)
		*p = v;
	else if (size == 4)
		*p = (uint32_t)v;
	else
		*p = (*p & ~0xffffull) | (v & 0xffff);
}

static const struct kvm_segment *segment(const struct emu_cpu *c, unsigned seg)
{
	switch (seg) {
	case X86_ES: return &c->sregs.es;
	case X86_CS: return &c->sregs.cs;
	case X86_SS: return &c->sregs.ss;
	case X86_FS: return &c->sregs.fs;
	case X86_GS: return &c->sregs.gs;
	default: return &c->sregs.ds;
	}
}

static bool canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

/*
 * The linear address of the memory operand (SDM vol. 1, 3.7.5 and 3.3.7):
 * base + index * scale + displacement, truncated to the address size, plus
 * the segment base (in 64-bit mode only FS and GS have one).  A
 * non-canonical address is #GP(0), or #SS(0) for stack references.
 * Segment limits are not checked in legacy modes.
 */
static int operand_la(struct emu_cpu *c, const struct x86_insn *in, uint64_t *la)
{
	uint64_t ea = (uint64_t)in->disp;
	unsigned seg = in->seg;

	if (in->base == X86_REG_RIP)
		ea += c->regs.rip + in->len;
	else if (in->base != X86_REG_NONE)
		ea += *gpr(c, in->base);
	if (in->index != X86_REG_NONE)
		ea += *gpr(c, in->index) * in->scale;
	if (in->addrsize == 4)
		ea &= 0xffffffffull;
	else if (in->addrsize == 2)
		ea &= 0xffffull;
	if (seg == X86_SEG_NONE)
		seg = (in->base == 4 || in->base == 5) ? X86_SS : X86_DS;
	if (in->mode == 64) {
		*la = ea + ((seg == X86_FS || seg == X86_GS) ? segment(c, seg)->base : 0);
		if (!canonical(*la))
			return emu_raise(c, seg == X86_SS ? X86_EXC_SS : X86_EXC_GP, true, 0);
	} else {
		*la = (segment(c, seg)->base + ea) & 0xffffffffull;
	}
	return EMU_OK;
}

/* Memory operand address, with the alignment check of aligned SSE forms. */
static int mem_la(struct emu_cpu *c, const struct x86_insn *in, unsigned align, uint64_t *la)
{
	int r = operand_la(c, in, la);

	if (r)
		return r;
	if (align > 1 && (*la & (align - 1)))
		return emu_raise(c, X86_EXC_GP, true, 0);
	return EMU_OK;
}

static int read_mem(struct emu_cpu *c, const struct x86_insn *in, void *buf, size_t len)
{
	uint64_t la;
	int r = mem_la(c, in, in->aligned16 ? 16 : 1, &la);

	return r ? r : emu_read_linear(c, la, buf, len, 0);
}

static int write_mem(struct emu_cpu *c, const struct x86_insn *in, const void *buf, size_t len)
{
	uint64_t la;
	int r = mem_la(c, in, in->aligned16 ? 16 : 1, &la);

	return r ? r : emu_write_linear(c, la, buf, len, EMU_ACC_WRITE);
}

int emu_fetch_decode(struct emu_cpu *c, struct x86_insn *insn)
{
	unsigned mode = emu_code_mode(c);
	uint64_t la = mode == 64 ? c->regs.rip : (c->sregs.cs.base + c->regs.rip) & 0xffffffffull;
	uint8_t bytes[X86_MAX_INSN_LEN];
	size_t first = 4096 - (la & 4095), avail;
	struct emu_fault second_fault = { 0 };
	int r;

	if (first > sizeof(bytes))
		first = sizeof(bytes);
	r = emu_read_linear(c, la, bytes, first, EMU_ACC_FETCH);
	if (r)
		return r;
	avail = first;
	if (first < sizeof(bytes)) {
		r = emu_read_linear(c, la + first, bytes + first, sizeof(bytes) - first, EMU_ACC_FETCH);
		if (r == EMU_EXCEPTION)
			second_fault = c->fault;
		else if (r == EMU_OK)
			avail = sizeof(bytes);
		c->fault.pending = false;
	}
	r = x86_decode(bytes, avail, mode, insn);
	if (r == X86_DEC_NEED_MORE && second_fault.pending) {
		c->fault = second_fault;
		return EMU_EXCEPTION;
	}
	if (r != X86_DEC_OK) {
		int n;

		c->unknown_insn = true;
		n = snprintf(c->why, sizeof(c->why), "unknown instruction at rip 0x%llx:",
				 (unsigned long long)c->regs.rip);
		for (size_t i = 0; i < avail && i < 10 && n > 0 && (size_t)n < sizeof(c->why); i++)
			n += snprintf(c->why + n, sizeof(c->why) - n, " %02x", bytes[i]);
		return EMU_FAIL;
	}
	return EMU_OK;
}

/* CR0/CR4 checks shared by the SSE instructions (SDM vol. 2, "SIMD exceptions"). */
static int sse_usable(struct emu_cpu *c, const struct x86_insn *in)
{
	if (in->lock || (c->sregs.cr0 & X86_CR0_EM) || !(c->sregs.cr4 & X86_CR4_OSFXSR))
		return emu_raise(c, X86_EXC_UD, false, 0);
	if (c->sregs.cr0 & X86_CR0_TS)
		return emu_raise(c, X86_EXC_NM, false, 0);
	return EMU_OK;
}

static void advance(struct emu_cpu *c, const struct x86_insn *in)
{
	c->regs.rip += in->len;
	if (in->mode != 64)
		c->regs.rip &= in->mode == 32 ? 0xffffffffull : 0xffffull;
	c->regs.rflags &= ~X86_FL_RF;
}

static int do_popcnt(struct emu_cpu *c, const struct x86_insn *in)
{
	uint64_t src = 0;
	unsigned size = in->opsize;
	int r;

	if (in->lock)
		return emu_raise(c, X86_EXC_UD, false, 0);
	if (x86_has_mem(in)) {
		r = read_mem(c, in, &src, size);
		if (r)
			return r;
	} else {
		src = *gpr(c, in->rm);
	}
	if (size < 8)
		src &= (1ull << (8 * size)) - 1;
	set_gpr(c, in->reg, size, (uint64_t)__builtin_popcountll(src));
	c->regs.rflags &= ~(X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF);
	if (!src)
		c->regs.rflags |= X86_FL_ZF;
	return EMU_OK;
}

struct u128 { uint64_t lo, hi; };

/* lock cmpxchg16b on the host, on the guest's own memory. */
static bool host_cas16(void *p, uint64_t *lo, uint64_t *hi, uint64_t new_lo, uint64_t new_hi)
{
	bool equal;

	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(equal), "+m"(*(struct u128 *)p), "+a"(*lo), "+d"(*hi)
			 : "b"(new_lo), "c"(new_hi)
			 : "memory");
	return equal;
}

/* cmpxchg8b/16b m: compare EDX:EAX / RDX:RAX, store ECX:EBX / RCX:RBX or load. */
static int do_cmpxchg(struct emu_cpu *c, const struct x86_insn *in)
{
	bool wide = in->rex & 8;
	uint64_t la;
	void *p;
	bool equal;
	int r = mem_la(c, in, wide ? 16 : 1, &la);

	if (r)
		return r;
	/* The destination is always written (SDM: "the processor never produces a locked read without also producing a locked write"). */
	r = emu_map_linear(c, la, wide ? 16 : 8, EMU_ACC_WRITE, &p);
	if (r)
		return r;
	if (wide) {
		uint64_t lo = c->regs.rax, hi = c->regs.rdx;

		equal = host_cas16(p, &lo, &hi, c->regs.rbx, c->regs.rcx);
		if (!equal) {
			c->regs.rax = lo;
			c->regs.rdx = hi;
		}
	} else {
		uint64_t expect = (uint32_t)c->regs.rax | ((uint64_t)(uint32_t)c->regs.rdx << 32);
		uint64_t want = (uint32_t)c->regs.rbx | ((uint64_t)(uint32_t)c->regs.rcx << 32);

		equal = __atomic_compare_exchange_n((uint64_t *)p, &expect, want, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		if (!equal) {
			c->regs.rax = (uint32_t)expect;
			c->regs.rdx = expect >> 32;
		}
	}
	if (equal)
		c->regs.rflags |= X86_FL_ZF;
	else
		c->regs.rflags &= ~X86_FL_ZF;
	return EMU_OK;
}

/* FXSAVE image (SDM vol. 1, table 10-2; REX.W selects the 64-bit FIP/FDP layout). */
static void fxsave_image(const struct kvm_fpu *f, bool rex_w, uint8_t img[416])
{
	memset(img, 0, 416);
	memcpy(img + 0, &f->fcw, 2);
	memcpy(img + 2, &f->fsw, 2);
	img[4] = f->ftwx;
	memcpy(img + 6, &f->last_opcode, 2);
	if (rex_w) {
		memcpy(img + 8, &f->last_ip, 8);
		memcpy(img + 16, &f->last_dp, 8);
	} else {
		memcpy(img + 8, &f->last_ip, 4);	/* FCS and FDS read as 0 */
		memcpy(img + 16, &f->last_dp, 4);
	}
	memcpy(img + 24, &f->mxcsr, 4);
	uint32_t mask = EMU_MXCSR_MASK;
	memcpy(img + 28, &mask, 4);
	for (int i = 0; i < 8; i++)
		memcpy(img + 32 + 16 * i, f->fpr[i], 10);
	memcpy(img + 160, f->xmm, 256);
}

static int do_fxsave(struct emu_cpu *c, const struct x86_insn *in, bool restore)
{
	uint8_t img[416];
	uint64_t la;
	unsigned nxmm = in->mode == 64 ? 16 : 8;
	int r;

	if (in->lock)
		return emu_raise(c, X86_EXC_UD, false, 0);
	if (c->sregs.cr0 & (X86_CR0_TS | X86_CR0_EM))
		return emu_raise(c, X86_EXC_NM, false, 0);
	r = mem_la(c, in, 16, &la);
	if (r)
		return r;
	if (!restore) {
		fxsave_image(&c->fpu, in->rex & 8, img);
		/* Bytes 416-511 are reserved or available to software: not written. */
		return emu_write_linear(c, la, img, 160 + 16 * nxmm, EMU_ACC_WRITE);
	}
	r = emu_read_linear(c, la, img, sizeof(img), 0);
	if (r)
		return r;
	struct kvm_fpu f = c->fpu;
	memcpy(&f.mxcsr, img + 24, 4);
	if (f.mxcsr & ~EMU_MXCSR_MASK)
		return emu_raise(c, X86_EXC_GP, true, 0);
	memcpy(&f.fcw, img + 0, 2);
	memcpy(&f.fsw, img + 2, 2);
	f.ftwx = img[4];
	memcpy(&f.last_opcode, img + 6, 2);
	f.last_ip = f.last_dp = 0;
	memcpy(&f.last_ip, img + 8, (in->rex & 8) ? 8 : 4);
	memcpy(&f.last_dp, img + 16, (in->rex & 8) ? 8 : 4);
	for (int i = 0; i < 8; i++) {
		memset(f.fpr[i], 0, 16);
		memcpy(f.fpr[i], img + 32 + 16 * i, 10);
	}
	memcpy(f.xmm, img + 160, 16 * nxmm);
	c->fpu = f;
	c->fpu_dirty = true;
	return EMU_OK;
}

/* The SSE data moves: 32/64/128-bit between xmm, general registers and memory. */
static int do_sse_move(struct emu_cpu *c, const struct x86_insn *in)
{
	uint8_t *dst_xmm = c->fpu.xmm[in->reg & 15];
	uint8_t val[16] = { 0 };
	unsigned size = in->opsize == 8 ? 8 : 4;
	int r;

	switch (in->cls) {
	case EMU_MOVD_TO_XMM:		/* movd/movq xmm, r/m32/64: zero-extends */
		if (x86_has_mem(in)) {
			if ((r = read_mem(c, in, val, size)))
				return r;
		} else {
			uint64_t v = *gpr(c, in->rm);
			memcpy(val, &v, size);
		}
		memcpy(dst_xmm, val, 16);
		break;
	case EMU_MOVD_FROM_XMM:		/* movd/movq r/m32/64, xmm */
		if (x86_has_mem(in))
			return write_mem(c, in, dst_xmm, size);
		{
			uint64_t v = 0;
			memcpy(&v, dst_xmm, size);
			set_gpr(c, in->rm, size, v);
		}
		return EMU_OK;
	case EMU_MOVQ_LOAD:		/* movq xmm, xmm/m64: zero-extends */
		if (x86_has_mem(in)) {
			if ((r = read_mem(c, in, val, 8)))
				return r;
		} else {
			memcpy(val, c->fpu.xmm[in->rm & 15], 8);
		}
		memcpy(dst_xmm, val, 16);
		break;
	case EMU_MOVQ_STORE:		/* movq xmm/m64, xmm: a register target is zero-extended */
		if (x86_has_mem(in))
			return write_mem(c, in, dst_xmm, 8);
		memcpy(val, dst_xmm, 8);
		memcpy(c->fpu.xmm[in->rm & 15], val, 16);
		break;
	case EMU_MOV128_LOAD:
		if (x86_has_mem(in)) {
			if ((r = read_mem(c, in, val, 16)))
				return r;
		} else {
			memcpy(val, c->fpu.xmm[in->rm & 15], 16);
		}
		memcpy(dst_xmm, val, 16);
		break;
	case EMU_MOV128_STORE:
		if (x86_has_mem(in))
			return write_mem(c, in, dst_xmm, 16);
		memcpy(val, dst_xmm, 16);
		memcpy(c->fpu.xmm[in->rm & 15], val, 16);
		break;
	case EMU_PXOR:
		if (x86_has_mem(in)) {
			if ((r = read_mem(c, in, val, 16)))
				return r;
		} else {
			memcpy(val, c->fpu.xmm[in->rm & 15], 16);
		}
		for (int i = 0; i < 16; i++)
			dst_xmm[i] ^= val[i];
		break;
	default:
		return EMU_FAIL;
	}
	c->fpu_dirty = true;
	return EMU_OK;
}

/* Carries out insn; see exec.h.  Sets RIP only when the instruction succeeded. */
int emu_execute(struct emu_cpu *c, const struct x86_insn *in)
{
	uint64_t next = c->regs.rip + in->len;
	int r = EMU_OK;

	switch (in->cls) {
	case EMU_INT3:
	case EMU_INTN:
		if (in->lock)
			return emu_raise(c, X86_EXC_UD, false, 0);
		if (!(c->sregs.efer & X86_EFER_LMA)) {
			snprintf(c->why, sizeof(c->why),
				 "%s outside long mode is left to KVM (rip 0x%llx)",
				 in->name, (unsigned long long)c->regs.rip);
			return EMU_FAIL;
		}
		return emu_interrupt64(c, in->cls == EMU_INT3 ? 3 : (uint8_t)in->imm,
				       EMU_EV_SOFT, false, 0, next);
	case EMU_IRET:
		if (in->lock)
			return emu_raise(c, X86_EXC_UD, false, 0);
		if (in->mode == 64 || !(c->sregs.cr0 & X86_CR0_PE)) {
			snprintf(c->why, sizeof(c->why), "iret in %s mode is left to KVM (rip 0x%llx)",
				 in->mode == 64 ? "64-bit" : "real", (unsigned long long)c->regs.rip);
			return EMU_FAIL;
		}
		return emu_iret_legacy(c, in->opsize);
	case EMU_CLAC:
	case EMU_STAC:
		if (in->lock || emu_cpl(c) > 0)
			return emu_raise(c, X86_EXC_UD, false, 0);
		if (in->cls == EMU_CLAC)
			c->regs.rflags &= ~X86_FL_AC;
		else
			c->regs.rflags |= X86_FL_AC;
		break;
	case EMU_POPCNT:
		r = do_popcnt(c, in);
		break;
	case EMU_FWAIT:
		if ((c->sregs.cr0 & (X86_CR0_TS | X86_CR0_MP)) == (X86_CR0_TS | X86_CR0_MP))
			return emu_raise(c, X86_EXC_NM, false, 0);
		break;
	case EMU_LDMXCSR: {
		uint32_t v;

		if ((r = sse_usable(c, in)) || (r = read_mem(c, in, &v, 4)))
			return r;
		if (v & ~EMU_MXCSR_MASK)
			return emu_raise(c, X86_EXC_GP, true, 0);
		c->fpu.mxcsr = v;
		c->fpu_dirty = true;
		break;
	}
	case EMU_STMXCSR:
		if ((r = sse_usable(c, in)))
			return r;
		r = write_mem(c, in, &c->fpu.mxcsr, 4);
		break;
	case EMU_FXSAVE:
	case EMU_FXRSTOR:
		r = do_fxsave(c, in, in->cls == EMU_FXRSTOR);
		break;
	case EMU_CMPXCHG16B:
		r = do_cmpxchg(c, in);
		break;
	case EMU_MOVD_TO_XMM: case EMU_MOVD_FROM_XMM: case EMU_MOVQ_LOAD:
	case EMU_MOVQ_STORE: case EMU_MOV128_LOAD: case EMU_MOV128_STORE: case EMU_PXOR:
		if ((r = sse_usable(c, in)))
			return r;
		r = do_sse_move(c, in);
		break;
	default:
		snprintf(c->why, sizeof(c->why), "no semantics for class %d", in->cls);
		return EMU_FAIL;
	}
	if (r == EMU_OK)
		advance(c, in);
	return r;
}
