/*
 * The instruction fallback against a fake vCPU state and fake guest memory
 * holding real page tables (4-level, 4 KiB and 2 MiB pages, plus 32-bit and
 * PAE walks).  Every expected value is worked out by hand in the comment
 * next to it (popcounts checked with python3's bin(x).count('1')).
 */
#include "check.h"
#include "vmm/emu/exec.h"
#include "vmm/emu/mmu.h"
#include "vmm/emu/step.h"

#include <stdlib.h>

#define MEM_SIZE	(4u << 20)
#define PML4		0x1000
#define PDPT		0x2000
#define PD		0x3000
#define PT		0x4000		/* 4 KiB pages for 0-2 MiB */
#define PDPT_HI		0x5000
#define PD_HI		0x6000
#define GDT		0x7000
#define IDT		0x8000
#define TSS		0x9000
#define KSTACK		0x40000		/* ring-0 stack top */
#define RSP0		0x50000		/* TSS.RSP0 */
#define IST1		0x60008		/* TSS.IST1, not 16-byte aligned */
#define USER_PAGE	0x100000	/* present, writable, user */
#define RO_PAGE		0x101000	/* present, read-only, supervisor */
#define NP_PAGE		0x102000	/* not present */
#define NX_PAGE		0x103000	/* present, supervisor, no-execute */
#define DATA		0x104000	/* supervisor data */
#define KTEXT		0xffffffff80000000ull	/* 2 MiB page at physical 0x200000 */
#define KTEXT_PHYS	0x200000
#define CODE		(KTEXT + 0x1000)
#define HANDLER(v)	(KTEXT + 0x10000 + (v) * 0x10)

static uint8_t *ram;
static struct guest_mem gm;
static struct emu_cpu cpu;
static struct emu_stats stats;

static uint64_t *q(uint64_t gpa) { return (uint64_t *)(ram + gpa); }
static uint32_t d32(uint64_t gpa) { uint32_t v; memcpy(&v, ram + gpa, 4); return v; }

static void set_gate(unsigned vec, uint64_t handler, unsigned type, unsigned dpl, unsigned ist)
{
	q(IDT + vec * 16)[0] = (handler & 0xffff) | (0x08ull << 16) | ((uint64_t)ist << 32) |
			       ((uint64_t)(0x80 | dpl << 5 | type) << 40) |
			       (((handler >> 16) & 0xffff) << 48);
	q(IDT + vec * 16)[1] = handler >> 32;
}

static struct kvm_segment seg(uint16_t sel, unsigned type, unsigned dpl, bool l, bool db)
{
	return (struct kvm_segment){ .selector = sel, .limit = 0xffffffff, .type = type,
				     .present = 1, .dpl = dpl, .s = 1, .l = l, .db = db, .g = 1 };
}

/* A fresh machine: long mode, ring 0, every exception vector with a gate. */
static void machine(void)
{
	if (!ram)
		ram = calloc(1, MEM_SIZE);
	memset(ram, 0, MEM_SIZE);
	memset(&gm, 0, sizeof(gm));
	gm_add_region(&gm, 0, MEM_SIZE, ram);
	memset(&cpu, 0, sizeof(cpu));
	memset(&stats, 0, sizeof(stats));

	q(PML4)[0] = PDPT | 7;
	q(PDPT)[0] = PD | 7;
	q(PD)[0] = PT | 7;
	q(PD)[1] = KTEXT_PHYS | 0x83;		/* 2-4 MiB: a 2 MiB page, supervisor */
	for (uint64_t i = 0; i < 512; i++)
		q(PT)[i] = (i << 12) | 3;
	q(PT)[USER_PAGE >> 12] = USER_PAGE | 7;
	q(PT)[RO_PAGE >> 12] = RO_PAGE | 1;
	q(PT)[NP_PAGE >> 12] = 0;
	q(PT)[NX_PAGE >> 12] = NX_PAGE | 3 | (1ull << 63);
	q(PML4)[511] = PDPT_HI | 3;
	q(PDPT_HI)[510] = PD_HI | 3;
	q(PD_HI)[0] = KTEXT_PHYS | 0x83;

	q(GDT)[1] = 0x00af9a000000ffffull;	/* 0x08 code64 */
	q(GDT)[2] = 0x00cf92000000ffffull;	/* 0x10 data */
	q(GDT)[3] = 0x00cf9a000000ffffull;	/* 0x18 code32 */
	q(GDT)[4] = 0x00cffa000000ffffull;	/* 0x23 code32, DPL 3 */
	q(GDT)[5] = 0x00cff2000000ffffull;	/* 0x2b data, DPL 3 */
	q(GDT)[6] = 0x00affa000000ffffull;	/* 0x33 code64, DPL 3 */
	memcpy(ram + TSS + 4, &(uint64_t){ RSP0 }, 8);
	memcpy(ram + TSS + 0x24, &(uint64_t){ IST1 }, 8);
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, HANDLER(v), 0xe, 0, 0);

	struct kvm_sregs *s = &cpu.sregs;
	s->cs = seg(0x08, 11, 0, true, false);
	s->ds = s->es = s->fs = s->gs = s->ss = seg(0x10, 3, 0, false, true);
	s->tr = (struct kvm_segment){ .base = TSS, .limit = 0x67, .selector = 0x40, .type = 11,
				      .present = 1 };
	s->gdt.base = GDT; s->gdt.limit = 0x37;
	s->idt.base = IDT; s->idt.limit = 0xfff;
	s->cr0 = 0x80050033;		/* PG WP NE ET MP PE */
	s->cr3 = PML4;
	s->cr4 = 0x620;			/* PAE OSFXSR OSXMMEXCPT */
	s->efer = 0xd00;		/* NXE LMA LME */
	cpu.regs.rflags = 0x2;
	cpu.regs.rsp = KSTACK;
	cpu.regs.rip = CODE;
	cpu.mem = &gm;
	cpu.fpu_valid = true;
	cpu.fpu.mxcsr = 0x1f80;
	cpu.fpu.fcw = 0x37f;
}

/* Puts code at the guest's RIP (which must be in the 2 MiB kernel page) and runs one step. */
static int step(const void *code, size_t len)
{
	memcpy(ram + KTEXT_PHYS + (cpu.regs.rip - KTEXT), code, len);
	return emu_step(&cpu, &stats, NULL, NULL);
}

/* Runs code placed at a physical address that the current RIP maps to. */
static int step_at_phys(uint64_t phys, const void *code, size_t len)
{
	memcpy(ram + phys, code, len);
	return emu_step(&cpu, &stats, NULL, NULL);
}

static void to_ring3(uint64_t rip)
{
	cpu.sregs.cs = seg(0x33, 11, 3, true, false);
	cpu.sregs.ss = seg(0x2b, 3, 3, false, true);
	cpu.regs.rip = rip;
	cpu.regs.rsp = USER_PAGE + 0xf00;
}

/* ---- decoding --------------------------------------------------------------- */

TEST(decode_popcnt_rex_w_sib_disp8)
{
	struct x86_insn in;
	const uint8_t b[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x44, 0x8b, 0x10 };	/* popcnt rax, [rbx+rcx*4+0x10] */

	CHECK_EQ(x86_decode(b, sizeof(b), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.cls, EMU_POPCNT);
	CHECK_EQ(in.len, 7);
	CHECK_EQ(in.opsize, 8);
	CHECK_EQ(in.reg, 0);
	CHECK_EQ(in.base, 3);
	CHECK_EQ(in.index, 1);
	CHECK_EQ(in.scale, 4);
	CHECK_EQ(in.disp, 0x10);
}

TEST(decode_movd_xmm15_rip_relative)
{
	struct x86_insn in;
	const uint8_t b[] = { 0x66, 0x44, 0x0f, 0x6e, 0x3d, 0xf0, 0xff, 0xff, 0xff };

	CHECK_EQ(x86_decode(b, sizeof(b), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.cls, EMU_MOVD_TO_XMM);
	CHECK_EQ(in.reg, 15);
	CHECK_EQ(in.base, X86_REG_RIP);
	CHECK_EQ(in.disp, -16);
	CHECK_EQ(in.len, 9);
}

TEST(decode_gs_override_absolute_sib_and_r13_base)
{
	struct x86_insn in;
	const uint8_t b[] = { 0x65, 0xf3, 0x0f, 0xb8, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00 };
	const uint8_t r13[] = { 0xf3, 0x49, 0x0f, 0xb8, 0x45, 0x00 };	/* popcnt rax, [r13+0] */

	CHECK_EQ(x86_decode(b, sizeof(b), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.seg, X86_GS);
	CHECK_EQ(in.base, X86_REG_NONE);
	CHECK_EQ(in.index, X86_REG_NONE);
	CHECK_EQ(in.disp, 0x1000);
	CHECK_EQ(in.opsize, 4);
	CHECK_EQ(x86_decode(r13, sizeof(r13), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.base, 13);
	CHECK_EQ(in.mod, 1);
}

TEST(decode_refuses_what_it_does_not_know)
{
	struct x86_insn in;
	const uint8_t ud2[] = { 0x0f, 0x0b }, pshufb[] = { 0x66, 0x0f, 0x38, 0x00, 0xc1 };
	const uint8_t mmx_movd[] = { 0x0f, 0x6e, 0xc1 }, movss[] = { 0xf3, 0x0f, 0x10, 0xc1 };
	const uint8_t ldmxcsr_reg[] = { 0x0f, 0xae, 0xd0 };	/* mod=3: not ldmxcsr */
	const uint8_t vex_l1[] = { 0xc5, 0xfc, 0xae, 0x10 };	/* VEX.L=1 */
	uint8_t long_insn[16];

	CHECK_EQ(x86_decode(ud2, sizeof(ud2), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(pshufb, sizeof(pshufb), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(mmx_movd, sizeof(mmx_movd), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(movss, sizeof(movss), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(ldmxcsr_reg, sizeof(ldmxcsr_reg), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(vex_l1, sizeof(vex_l1), 64, &in), X86_DEC_UNKNOWN);
	memset(long_insn, 0x66, sizeof(long_insn));	/* 15 prefixes and more */
	CHECK_EQ(x86_decode(long_insn, 15, 64, &in), X86_DEC_UNKNOWN);
}

TEST(decode_asks_for_more_bytes_when_cut_short)
{
	struct x86_insn in;
	const uint8_t b[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x44, 0x8b, 0x10 };

	for (size_t n = 0; n < sizeof(b); n++)
		CHECK_EQ(x86_decode(b, n, 64, &in), X86_DEC_NEED_MORE);
}

TEST(decode_vex_ldmxcsr_and_rex_before_legacy_prefix_is_ignored)
{
	struct x86_insn in;
	const uint8_t vldmxcsr[] = { 0xc5, 0xf8, 0xae, 0x10 };		/* vldmxcsr [rax] */
	const uint8_t vstmxcsr_r8[] = { 0xc4, 0xc1, 0x78, 0xae, 0x18 };	/* 3-byte VEX: refused */
	const uint8_t rex_then_66[] = { 0x48, 0x66, 0x0f, 0x6e, 0xc1 };	/* movd xmm0, ecx */

	CHECK_EQ(x86_decode(vldmxcsr, sizeof(vldmxcsr), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.cls, EMU_LDMXCSR);
	CHECK_EQ(in.base, 0);
	CHECK_EQ(x86_decode(vstmxcsr_r8, sizeof(vstmxcsr_r8), 64, &in), X86_DEC_UNKNOWN);
	CHECK_EQ(x86_decode(rex_then_66, sizeof(rex_then_66), 64, &in), X86_DEC_OK);
	CHECK_EQ(in.rex, 0);
	CHECK(in.opsize != 8);
}

/* ---- interrupts ---------------------------------------------------------- */

TEST(int3_pushes_exact_frame_and_clears_if_for_interrupt_gate)
{
	const uint8_t int3[] = { 0xcc };

	machine();
	cpu.regs.rflags = 0x40302;	/* AC, IF, TF */
	cpu.regs.rsp = KSTACK - 8;	/* not aligned to 16: aligned down */
	CHECK_EQ(step(int3, 1), EMU_OK);
	/* Frame at (KSTACK-8 & ~15) - 40 = KSTACK - 0x10 - 0x28 = KSTACK - 0x38. */
	CHECK_EQ(cpu.regs.rsp, KSTACK - 0x38);
	CHECK_EQ(q(KSTACK - 0x38)[0], CODE + 1);	/* RIP after int3 */
	CHECK_EQ(q(KSTACK - 0x38)[1], 0x08);		/* CS */
	CHECK_EQ(q(KSTACK - 0x38)[2], 0x40302);		/* RFLAGS as it was */
	CHECK_EQ(q(KSTACK - 0x38)[3], KSTACK - 8);	/* RSP as it was */
	CHECK_EQ(q(KSTACK - 0x38)[4], 0x10);		/* SS */
	CHECK_EQ(cpu.regs.rip, HANDLER(3));
	CHECK_EQ(cpu.regs.rflags, 0x40002);		/* IF and TF cleared, AC kept */
	CHECK_EQ(stats.count[EMU_INT3], 1);
	CHECK(!cpu.sregs_dirty);			/* same CS: no KVM_SET_SREGS */
}

TEST(int_n_trap_gate_with_ist_keeps_if)
{
	const uint8_t int40[] = { 0xcd, 0x40 };

	machine();
	set_gate(0x40, HANDLER(0x40), 0xf, 0, 1);
	cpu.regs.rflags = 0x202;
	CHECK_EQ(step(int40, 2), EMU_OK);
	CHECK_EQ(cpu.regs.rsp, 0x60000 - 40);		/* IST1 0x60008 aligned down */
	CHECK_EQ(q(0x60000 - 40)[0], CODE + 2);
	CHECK_EQ(q(0x60000 - 40)[3], KSTACK);
	CHECK_EQ(cpu.regs.rflags, 0x202);
	CHECK_EQ(cpu.regs.rip, HANDLER(0x40));
}

TEST(int_n_from_ring3_switches_to_rsp0)
{
	const uint8_t int80[] = { 0xcd, 0x80 };

	machine();
	set_gate(0x80, HANDLER(0x80), 0xe, 3, 0);
	to_ring3(USER_PAGE + 0x800);
	cpu.regs.rflags = 0x3202;
	CHECK_EQ(step_at_phys(USER_PAGE + 0x800, int80, 2), EMU_OK);
	CHECK_EQ(cpu.regs.rsp, RSP0 - 40);
	CHECK_EQ(q(RSP0 - 40)[0], USER_PAGE + 0x802);
	CHECK_EQ(q(RSP0 - 40)[1], 0x33);
	CHECK_EQ(q(RSP0 - 40)[2], 0x3202);
	CHECK_EQ(q(RSP0 - 40)[3], USER_PAGE + 0xf00);
	CHECK_EQ(q(RSP0 - 40)[4], 0x2b);
	CHECK_EQ(cpu.sregs.cs.selector, 0x08);
	CHECK_EQ(cpu.sregs.ss.selector, 0);		/* null SS, RPL 0 */
	CHECK_EQ(emu_cpl(&cpu), 0);
	CHECK(cpu.sregs_dirty);
}

TEST(int_n_from_ring3_through_dpl0_gate_is_gp_with_idt_error_code)
{
	const uint8_t int40[] = { 0xcd, 0x40 };

	machine();
	to_ring3(USER_PAGE + 0x800);
	CHECK_EQ(step_at_phys(USER_PAGE + 0x800, int40, 2), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(13));
	CHECK_EQ(cpu.regs.rsp, RSP0 - 48);
	CHECK_EQ(q(RSP0 - 48)[0], 0x40 * 8 + 2);	/* IDT bit, vector 0x40 */
	CHECK_EQ(q(RSP0 - 48)[1], USER_PAGE + 0x800);	/* the int instruction itself */
	CHECK_EQ(stats.faults, 1);
	CHECK_EQ(stats.count[EMU_INTN], 0);
}

TEST(fault_while_pushing_gp_frame_becomes_double_fault_on_ist)
{
	const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x14, 0x25, 0x00, 0x40, 0x10, 0x00 };	/* [0x104000] */

	machine();
	memcpy(ram + DATA, &(uint32_t){ 0x10000 }, 4);	/* reserved bit: #GP */
	cpu.regs.rsp = NP_PAGE + 0x800;			/* #GP's frame cannot be pushed: #PF */
	set_gate(8, HANDLER(8), 0xe, 0, 1);
	CHECK_EQ(step(ldmxcsr, sizeof(ldmxcsr)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(8));
	CHECK_EQ(cpu.regs.rsp, 0x60000 - 48);
	CHECK_EQ(q(0x60000 - 48)[0], 0);		/* #DF error code */
	CHECK_EQ(q(0x60000 - 48)[1], CODE);
	CHECK_EQ(cpu.sregs.cr2, NP_PAGE + 0x800 - 8);	/* the #PF's CR2 stays */
}

TEST(fault_while_delivering_double_fault_is_triple_fault)
{
	const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x14, 0x25, 0x00, 0x40, 0x10, 0x00 };

	machine();
	memcpy(ram + DATA, &(uint32_t){ 0x10000 }, 4);
	cpu.regs.rsp = NP_PAGE + 0x800;
	CHECK_EQ(step(ldmxcsr, sizeof(ldmxcsr)), EMU_FAIL);
	CHECK(strstr(cpu.why, "triple fault") != NULL);
}

/* ---- simple instructions ------------------------------------------------ */

TEST(clac_stac_flip_ac_and_are_ud_in_ring3)
{
	const uint8_t stac[] = { 0x0f, 0x01, 0xcb }, clac[] = { 0x0f, 0x01, 0xca };

	machine();
	CHECK_EQ(step(stac, 3), EMU_OK);
	CHECK_EQ(cpu.regs.rflags, 0x40002);
	CHECK_EQ(cpu.regs.rip, CODE + 3);
	CHECK_EQ(step(clac, 3), EMU_OK);
	CHECK_EQ(cpu.regs.rflags, 0x2);
	CHECK_EQ(cpu.regs.rip, CODE + 6);
	to_ring3(USER_PAGE + 0x800);
	CHECK_EQ(step_at_phys(USER_PAGE + 0x800, stac, 3), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(6));		/* #UD */
	CHECK_EQ(q(RSP0 - 40)[0], USER_PAGE + 0x800);
}

TEST(popcnt_sizes_flags_and_memory)
{
	const uint8_t p64[] = { 0xf3, 0x48, 0x0f, 0xb8, 0xc1 };	/* popcnt rax, rcx */
	const uint8_t p32[] = { 0xf3, 0x0f, 0xb8, 0xd1 };		/* popcnt edx, ecx */
	const uint8_t p16[] = { 0x66, 0xf3, 0x0f, 0xb8, 0xd9 };	/* popcnt bx, cx */
	const uint8_t pmem[] = { 0xf3, 0x4c, 0x0f, 0xb8, 0x44, 0x9e, 0x08 };	/* popcnt r8, [rsi+rbx*4+8] */
	const uint8_t pfs[] = { 0x64, 0xf3, 0x48, 0x0f, 0xb8, 0x3c, 0x25, 0x10, 0x00, 0x00, 0x00 };

	machine();
	cpu.regs.rflags = 0x8d7;		/* CF PF AF ZF SF OF set */
	cpu.regs.rcx = 0xffff0000000000f1ull;	/* 16 + 5 = 21 bits */
	CHECK_EQ(step(p64, sizeof(p64)), EMU_OK);
	CHECK_EQ(cpu.regs.rax, 21);
	CHECK_EQ(cpu.regs.rflags, 0x2);
	cpu.regs.rdx = ~0ull;
	CHECK_EQ(step(p32, sizeof(p32)), EMU_OK);
	CHECK_EQ(cpu.regs.rdx, 5);		/* low 32 bits 0x000000f1, upper half cleared */
	cpu.regs.rbx = 0xaaaaaaaaaaaaaaaaull;
	cpu.regs.rcx = 0x0000000000000000ull;
	CHECK_EQ(step(p16, sizeof(p16)), EMU_OK);
	CHECK_EQ(cpu.regs.rbx, 0xaaaaaaaaaaaa0000ull);	/* merged 16-bit result 0 */
	CHECK_EQ(cpu.regs.rflags, 0x42);	/* ZF only */
	q(DATA + 0x28)[0] = 0x0123456789abcdefull;	/* 32 bits */
	cpu.regs.rsi = DATA;
	cpu.regs.rbx = 8;			/* DATA + 8*4 + 8 = DATA + 0x28 */
	CHECK_EQ(step(pmem, sizeof(pmem)), EMU_OK);
	CHECK_EQ(cpu.regs.r8, 32);
	q(DATA + 0x110)[0] = 0x7;
	cpu.sregs.fs.base = DATA + 0x100;	/* fs:[0x10] */
	CHECK_EQ(step(pfs, sizeof(pfs)), EMU_OK);
	CHECK_EQ(cpu.regs.rdi, 3);
	CHECK_EQ(stats.count[EMU_POPCNT], 5);
	CHECK_EQ(cpu.regs.rip, CODE + 5 + 4 + 5 + 7 + 11);
}

TEST(fwait_is_a_no_op_unless_ts_and_mp)
{
	const uint8_t fwait[] = { 0x9b };

	machine();
	CHECK_EQ(step(fwait, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, CODE + 1);
	cpu.sregs.cr0 |= X86_CR0_TS;
	CHECK_EQ(step(fwait, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(7));	/* #NM */
}

/* ---- MXCSR, FXSAVE, SSE moves -------------------------------------------- */

TEST(ldmxcsr_stmxcsr_and_reserved_bits_gp)
{
	const uint8_t ld[] = { 0x0f, 0xae, 0x16 };		/* ldmxcsr [rsi] */
	const uint8_t st[] = { 0x0f, 0xae, 0x5e, 0x04 };	/* stmxcsr [rsi+4] */
	const uint8_t vst[] = { 0xc5, 0xf8, 0xae, 0x5e, 0x08 };	/* vstmxcsr [rsi+8] */

	machine();
	cpu.regs.rsi = DATA;
	memcpy(ram + DATA, &(uint32_t){ 0xffc0 }, 4);
	CHECK_EQ(step(ld, sizeof(ld)), EMU_OK);
	CHECK_EQ(cpu.fpu.mxcsr, 0xffc0);
	CHECK(cpu.fpu_dirty);
	CHECK_EQ(step(st, sizeof(st)), EMU_OK);
	CHECK_EQ(d32(DATA + 4), 0xffc0);
	CHECK_EQ(step(vst, sizeof(vst)), EMU_OK);
	CHECK_EQ(d32(DATA + 8), 0xffc0);
	memcpy(ram + DATA, &(uint32_t){ 0x20000 }, 4);
	uint64_t rip = cpu.regs.rip;
	CHECK_EQ(step(ld, sizeof(ld)), EMU_OK);
	CHECK_EQ(cpu.fpu.mxcsr, 0xffc0);		/* unchanged */
	CHECK_EQ(cpu.regs.rip, HANDLER(13));
	CHECK_EQ(q(KSTACK - 48)[0], 0);			/* #GP(0) */
	CHECK_EQ(q(KSTACK - 48)[1], rip);
	CHECK_EQ(q(KSTACK - 48)[3] & X86_FL_RF, X86_FL_RF);	/* faults push RF = 1 */
}

TEST(sse_is_nm_with_ts_and_ud_without_osfxsr)
{
	const uint8_t st[] = { 0x0f, 0xae, 0x1e };	/* stmxcsr [rsi] */

	machine();
	cpu.regs.rsi = DATA;
	cpu.sregs.cr0 |= X86_CR0_TS;
	CHECK_EQ(step(st, sizeof(st)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(7));
	machine();
	cpu.regs.rsi = DATA;
	cpu.sregs.cr4 &= ~X86_CR4_OSFXSR;
	CHECK_EQ(step(st, sizeof(st)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(6));
}

TEST(fxsave64_image_and_fxrstor_round_trip)
{
	const uint8_t fxsave64[] = { 0x48, 0x0f, 0xae, 0x06 };	/* fxsave64 [rsi] */
	const uint8_t fxrstor64[] = { 0x48, 0x0f, 0xae, 0x0f };	/* fxrstor64 [rdi] */
	const uint8_t fxsave_bad[] = { 0x0f, 0xae, 0x46, 0x08 };	/* fxsave [rsi+8]: misaligned */

	machine();
	cpu.regs.rsi = DATA;
	cpu.fpu.fcw = 0x027f;
	cpu.fpu.mxcsr = 0x1fa0;
	cpu.fpu.last_ip = 0x1122334455667788ull;
	for (int i = 0; i < 16; i++)
		memset(cpu.fpu.xmm[i], i + 1, 16);
	CHECK_EQ(step(fxsave64, sizeof(fxsave64)), EMU_OK);
	CHECK_EQ(ram[DATA] | ram[DATA + 1] << 8, 0x027f);
	CHECK_EQ(q(DATA + 8)[0], 0x1122334455667788ull);	/* 64-bit FIP */
	CHECK_EQ(d32(DATA + 24), 0x1fa0);
	CHECK_EQ(d32(DATA + 28), 0xffff);			/* MXCSR_MASK */
	CHECK_EQ(ram[DATA + 160], 1);				/* xmm0 */
	CHECK_EQ(ram[DATA + 160 + 15 * 16 + 15], 16);		/* xmm15's last byte */

	memcpy(ram + DATA + 0x200, ram + DATA, 512);
	memset(ram + DATA + 0x200 + 160 + 3 * 16, 0xee, 16);	/* xmm3 */
	cpu.regs.rdi = DATA + 0x200;
	CHECK_EQ(step(fxrstor64, sizeof(fxrstor64)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[3][7], 0xee);
	CHECK_EQ(cpu.fpu.xmm[2][7], 3);
	CHECK_EQ(cpu.fpu.mxcsr, 0x1fa0);
	CHECK_EQ(step(fxsave_bad, sizeof(fxsave_bad)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(13));
}

TEST(movd_movq_zero_extend_and_moves_between_xmm_gpr_memory)
{
	const uint8_t movd_to[] = { 0x66, 0x44, 0x0f, 0x6e, 0xf9 };	/* movd xmm15, ecx */
	const uint8_t movq_from[] = { 0x66, 0x4c, 0x0f, 0x7e, 0xfa };	/* movq rdx, xmm15 */
	const uint8_t movd_from_mem[] = { 0x66, 0x0f, 0x7e, 0x0e };	/* movd [rsi], xmm1 */
	const uint8_t movq_load[] = { 0xf3, 0x0f, 0x7e, 0x56, 0x10 };	/* movq xmm2, [rsi+16] */
	const uint8_t movq_store_reg[] = { 0x66, 0x0f, 0xd6, 0xd3 };	/* movq xmm3, xmm2 */
	const uint8_t movdqa_bad[] = { 0x66, 0x0f, 0x6f, 0x66, 0x01 };	/* movdqa xmm4, [rsi+1] */
	const uint8_t movdqu[] = { 0xf3, 0x0f, 0x6f, 0x66, 0x01 };	/* movdqu xmm4, [rsi+1] */
	const uint8_t pxor[] = { 0x66, 0x0f, 0xef, 0xe3 };		/* pxor xmm4, xmm3 */
	const uint8_t movaps_st[] = { 0x0f, 0x29, 0x66, 0x40 };		/* movaps [rsi+0x40], xmm4 */

	machine();
	memset(cpu.fpu.xmm[15], 0xff, 16);
	memset(cpu.fpu.xmm[3], 0xff, 16);
	cpu.regs.rcx = 0x1234567889abcdefull;
	CHECK_EQ(step(movd_to, sizeof(movd_to)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[15][0], 0xef);
	CHECK_EQ(cpu.fpu.xmm[15][4], 0);		/* zero-extended */
	CHECK_EQ(cpu.fpu.xmm[15][15], 0);
	CHECK_EQ(step(movq_from, sizeof(movq_from)), EMU_OK);
	CHECK_EQ(cpu.regs.rdx, 0x89abcdefull);

	cpu.regs.rsi = DATA;
	memset(cpu.fpu.xmm[1], 0x5a, 16);
	q(DATA)[0] = ~0ull;
	CHECK_EQ(step(movd_from_mem, sizeof(movd_from_mem)), EMU_OK);
	CHECK_EQ(q(DATA)[0], 0xffffffff5a5a5a5aull);	/* only 4 bytes written */
	for (int i = 0; i < 16; i++)
		ram[DATA + 16 + i] = 0x10 + i;
	CHECK_EQ(step(movq_load, sizeof(movq_load)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[2][7], 0x17);
	CHECK_EQ(cpu.fpu.xmm[2][8], 0);			/* upper half zeroed */
	CHECK_EQ(step(movq_store_reg, sizeof(movq_store_reg)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[3][0], 0x10);
	CHECK_EQ(cpu.fpu.xmm[3][8], 0);			/* register target zero-extended */
	uint64_t rip = cpu.regs.rip;
	CHECK_EQ(step(movdqa_bad, sizeof(movdqa_bad)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(13));		/* misaligned movdqa: #GP(0) */
	machine();
	cpu.regs.rip = rip;
	cpu.regs.rsi = DATA;
	for (int i = 0; i < 32; i++)
		ram[DATA + i] = i;
	memset(cpu.fpu.xmm[3], 0x01, 16);
	CHECK_EQ(step(movdqu, sizeof(movdqu)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[4][0], 1);
	CHECK_EQ(cpu.fpu.xmm[4][15], 16);
	CHECK_EQ(step(pxor, sizeof(pxor)), EMU_OK);
	CHECK_EQ(cpu.fpu.xmm[4][0], 0);			/* 1 ^ 1 */
	CHECK_EQ(cpu.fpu.xmm[4][15], 17);		/* 16 ^ 1 */
	CHECK_EQ(step(movaps_st, sizeof(movaps_st)), EMU_OK);
	CHECK_EQ(ram[DATA + 0x40 + 15], 17);
}

TEST(cmpxchg16b_match_mismatch_and_alignment)
{
	const uint8_t cx16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0e };	/* lock cmpxchg16b [rsi] */
	const uint8_t cx8[] = { 0xf0, 0x0f, 0xc7, 0x0e };		/* lock cmpxchg8b [rsi] */

	machine();
	cpu.regs.rsi = DATA;
	q(DATA)[0] = 0x1111; q(DATA)[1] = 0x2222;
	cpu.regs.rax = 0x1111; cpu.regs.rdx = 0x2222;
	cpu.regs.rbx = 0x3333; cpu.regs.rcx = 0x4444;
	CHECK_EQ(step(cx16, sizeof(cx16)), EMU_OK);
	CHECK_EQ(cpu.regs.rflags & X86_FL_ZF, X86_FL_ZF);
	CHECK_EQ(q(DATA)[0], 0x3333);
	CHECK_EQ(q(DATA)[1], 0x4444);
	cpu.regs.rax = 0x5555;
	CHECK_EQ(step(cx16, sizeof(cx16)), EMU_OK);
	CHECK_EQ(cpu.regs.rflags & X86_FL_ZF, 0);
	CHECK_EQ(cpu.regs.rax, 0x3333);
	CHECK_EQ(cpu.regs.rdx, 0x4444);
	cpu.regs.rax = 0xffffffff00003333ull; cpu.regs.rdx = 0;	/* EDX:EAX = 0:0x3333 */
	cpu.regs.rbx = 0x77; cpu.regs.rcx = 0x88;
	CHECK_EQ(step(cx8, sizeof(cx8)), EMU_OK);
	CHECK_EQ(cpu.regs.rflags & X86_FL_ZF, X86_FL_ZF);
	CHECK_EQ(q(DATA)[0], 0x0000008800000077ull);
	cpu.regs.rsi = DATA + 8;
	CHECK_EQ(step(cx16, sizeof(cx16)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(13));		/* misaligned m128 */
}

/* ---- paging and page faults ---------------------------------------------- */

TEST(write_to_readonly_page_is_pf_with_w_p_and_cr2_unless_wp_clear)
{
	const uint8_t st[] = { 0x0f, 0xae, 0x5e, 0x24 };	/* stmxcsr [rsi+0x24] */

	machine();
	cpu.regs.rsi = RO_PAGE;
	CHECK_EQ(step(st, sizeof(st)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(14));
	CHECK_EQ(q(KSTACK - 48)[0], X86_PF_P | X86_PF_W);
	CHECK_EQ(q(KSTACK - 48)[1], CODE);
	CHECK_EQ(cpu.sregs.cr2, RO_PAGE + 0x24);
	CHECK(cpu.sregs_dirty);
	CHECK_EQ(d32(RO_PAGE + 0x24), 0);
	machine();
	cpu.sregs.cr0 &= ~X86_CR0_WP;
	cpu.regs.rsi = RO_PAGE;
	CHECK_EQ(step(st, sizeof(st)), EMU_OK);
	CHECK_EQ(d32(RO_PAGE + 0x24), 0x1f80);
	CHECK_EQ(q(PT)[RO_PAGE >> 12] & 0x60, 0x60);	/* accessed and dirty set */
}

TEST(user_access_to_supervisor_page_is_pf_with_u_p)
{
	const uint8_t p[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x06 };	/* popcnt rax, [rsi] */

	machine();
	to_ring3(USER_PAGE + 0x800);
	cpu.regs.rsi = DATA + 0x10;
	CHECK_EQ(step_at_phys(USER_PAGE + 0x800, p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(14));
	CHECK_EQ(q(RSP0 - 48)[0], X86_PF_U | X86_PF_P);
	CHECK_EQ(cpu.sregs.cr2, DATA + 0x10);
	/* Not present, from ring 3: U only. */
	machine();
	to_ring3(USER_PAGE + 0x800);
	cpu.regs.rsi = NP_PAGE;
	CHECK_EQ(step_at_phys(USER_PAGE + 0x800, p, sizeof(p)), EMU_OK);
	CHECK_EQ(q(RSP0 - 48)[0], X86_PF_U);
}

TEST(smap_blocks_supervisor_reads_of_user_pages_unless_ac)
{
	const uint8_t p[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x06 };	/* popcnt rax, [rsi] */

	machine();
	cpu.sregs.cr4 |= X86_CR4_SMAP;
	cpu.regs.rsi = USER_PAGE;
	q(USER_PAGE)[0] = 0xff;
	CHECK_EQ(step(p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(14));
	CHECK_EQ(q(KSTACK - 48)[0], X86_PF_P);
	machine();
	cpu.sregs.cr4 |= X86_CR4_SMAP;
	cpu.regs.rflags |= X86_FL_AC;
	cpu.regs.rsi = USER_PAGE;
	q(USER_PAGE)[0] = 0xff;
	CHECK_EQ(step(p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rax, 8);
}

TEST(fetch_from_nx_page_and_across_into_missing_page)
{
	const uint8_t p[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x06 };
	const uint8_t fwait[] = { 0x9b };

	machine();
	cpu.regs.rip = NX_PAGE;
	CHECK_EQ(step_at_phys(NX_PAGE, p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(14));
	CHECK_EQ(q(KSTACK - 48)[0], X86_PF_P | X86_PF_I);
	CHECK_EQ(cpu.sregs.cr2, NX_PAGE);
	/* popcnt starting 3 bytes before the not-present page: #PF on the second page. */
	machine();
	cpu.regs.rip = NP_PAGE - 3;
	CHECK_EQ(step_at_phys(NP_PAGE - 3, p, 3), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(14));
	CHECK_EQ(q(KSTACK - 48)[0], X86_PF_I);
	CHECK_EQ(q(KSTACK - 48)[1], NP_PAGE - 3);
	CHECK_EQ(cpu.sregs.cr2, NP_PAGE);
	/* A one-byte instruction on the last byte before it is fine. */
	machine();
	cpu.regs.rip = NP_PAGE - 1;
	CHECK_EQ(step_at_phys(NP_PAGE - 1, fwait, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, NP_PAGE);
	/* And one split over two present pages decodes whole. */
	machine();
	cpu.regs.rip = DATA + 0x1000 - 2;
	cpu.regs.rsi = DATA;
	q(DATA)[0] = 3;
	CHECK_EQ(step_at_phys(DATA + 0x1000 - 2, p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rax, 2);
}

TEST(non_canonical_operand_is_gp)
{
	const uint8_t p[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x06 };

	machine();
	cpu.regs.rsi = 0x0000800000000000ull;
	CHECK_EQ(step(p, sizeof(p)), EMU_OK);
	CHECK_EQ(cpu.regs.rip, HANDLER(13));
}

TEST(unknown_instruction_fails_with_bytes_and_rip)
{
	const uint8_t pshufb[] = { 0x66, 0x0f, 0x38, 0x00, 0xc1 };

	machine();
	CHECK_EQ(step(pshufb, sizeof(pshufb)), EMU_FAIL);
	CHECK(strstr(cpu.why, "ffffffff80001000") != NULL);
	CHECK(strstr(cpu.why, "66 0f 38 00 c1") != NULL);
	CHECK_EQ(stats.failures, 1);
}

TEST(page_table_outside_ram_fails_instead_of_reading_host_memory)
{
	const uint8_t p[] = { 0xf3, 0x48, 0x0f, 0xb8, 0x06 };

	machine();
	q(PML4)[1] = 0x7fff0000000ull | 3;	/* PDPT far outside RAM */
	cpu.regs.rsi = 1ull << 39;
	CHECK_EQ(step(p, sizeof(p)), EMU_FAIL);
	CHECK(strstr(cpu.why, "outside RAM") != NULL);
}

TEST(translate_32bit_4m_pages_and_pae)
{
	uint64_t gpa = 0;

	machine();
	/* 32-bit paging: PD at 0x10000, 4 MiB page 1 -> 0x00400000 | PSE; PT for page 0. */
	cpu.sregs.efer = 0;
	cpu.sregs.cr4 = X86_CR4_PSE;
	cpu.sregs.cr3 = 0x10000;
	memcpy(ram + 0x10000 + 4 * 1, &(uint32_t){ 0x00000083 }, 4);	/* 4M-8M -> 0 */
	memcpy(ram + 0x10000, &(uint32_t){ 0x11003 }, 4);		/* PT at 0x11000 */
	memcpy(ram + 0x11000 + 4 * 5, &(uint32_t){ 0x3000 | 3 }, 4);	/* 0x5000 -> 0x3000 */
	CHECK_EQ(emu_translate(&cpu, 0x00512345, 0, &gpa), EMU_OK);
	CHECK_EQ(gpa, 0x112345);
	CHECK_EQ(emu_translate(&cpu, 0x5abc, 0, &gpa), EMU_OK);
	CHECK_EQ(gpa, 0x3abc);
	CHECK_EQ(emu_translate(&cpu, 0x6000, EMU_ACC_WRITE, &gpa), EMU_EXCEPTION);
	CHECK_EQ(cpu.fault.error, X86_PF_W);
	/* PAE: PDPT at 0x12000 (32-byte aligned), entry 3 -> PD 0x13000, 2 MiB page. */
	cpu.sregs.cr4 = X86_CR4_PAE;
	cpu.sregs.cr3 = 0x12000;
	q(0x12000)[3] = 0x13001;
	q(0x13000)[1] = 0x200000 | 0x83;
	CHECK_EQ(emu_translate(&cpu, 0xc0234567, 0, &gpa), EMU_OK);
	CHECK_EQ(gpa, 0x234567);
	/* Paging off: identity. */
	cpu.sregs.cr0 &= ~X86_CR0_PG;
	CHECK_EQ(emu_translate(&cpu, 0x1234, 0, &gpa), EMU_OK);
	CHECK_EQ(gpa, 0x1234);
}

TEST(iret_32bit_same_level_and_to_ring3)
{
	const uint8_t iret[] = { 0xcf };

	machine();
	cpu.sregs.efer = 0;
	cpu.sregs.cr0 = 0x11;			/* PE, no paging */
	cpu.sregs.cr4 = 0;
	cpu.sregs.cs = seg(0x18, 11, 0, false, true);
	cpu.regs.rip = 0x20000;
	cpu.regs.rsp = 0x30000 - 12;
	memcpy(ram + 0x30000 - 12, (uint32_t[]){ 0x21234, 0x18, 0x246 }, 12);
	CHECK_EQ(step_at_phys(0x20000, iret, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, 0x21234);
	CHECK_EQ(cpu.regs.rsp, 0x30000);
	CHECK_EQ(cpu.regs.rflags, 0x246);
	CHECK_EQ(stats.count[EMU_IRET], 1);
	/* To ring 3: EIP, CS, EFLAGS, ESP, SS; IOPL cannot change from ring 3 later. */
	cpu.regs.rsp = 0x30000 - 20;
	memcpy(ram + 0x30000 - 20, (uint32_t[]){ 0x40000, 0x23, 0x3202, 0x50000, 0x2b }, 20);
	CHECK_EQ(step_at_phys(0x21234, iret, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, 0x40000);
	CHECK_EQ(cpu.regs.rsp, 0x50000);
	CHECK_EQ(cpu.sregs.cs.selector, 0x23);
	CHECK_EQ(cpu.sregs.ss.selector, 0x2b);
	CHECK_EQ(cpu.regs.rflags, 0x3202);
	CHECK_EQ(emu_cpl(&cpu), 3);
	/* Outside long mode a fault is handed back for KVM to inject: return to a null CS. */
	cpu.regs.rsp = 0x30000 - 12;
	memcpy(ram + 0x30000 - 12, (uint32_t[]){ 0x1, 0x0, 0x2 }, 12);
	CHECK_EQ(step_at_phys(0x40000, iret, 1), EMU_EXCEPTION);
	CHECK_EQ(cpu.fault.vector, X86_EXC_GP);
}

/*
 * This host's KVM pushes a 32-bit interrupt frame at linear ESP, without
 * the SS base (docs/HOST-KVM.md).  With SS based at 0x100000, the frame
 * belongs at 0x100000 + ESP; iret takes it from linear ESP only when the
 * words where it belongs cannot be a frame and the ones at ESP can.
 */
TEST(iret_32bit_takes_frame_from_linear_esp_only_when_it_must)
{
	const uint8_t iret[] = { 0xcf };
	const uint32_t esp = 0x30000 - 12, base = 0x100000;
	const uint32_t stale[3] = { 0x138ef, 0x800, 0x1396e };	/* what iPXE's stack held */

	machine();
	cpu.sregs.efer = 0;
	cpu.sregs.cr0 = 0x11;
	cpu.sregs.cr4 = 0;
	cpu.sregs.cs = seg(0x18, 11, 0, false, true);
	cpu.sregs.ss = seg(0x10, 3, 0, false, true);
	cpu.sregs.ss.base = base;
	cpu.regs.rip = 0x20000;
	cpu.regs.rsp = esp;
	memcpy(ram + base + esp, stale, 12);
	memcpy(ram + esp, (uint32_t[]){ 0x21234, 0x18, 0x246 }, 12);
	CHECK_EQ(step_at_phys(0x20000, iret, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, 0x21234);
	CHECK_EQ(cpu.regs.rsp, 0x30000);
	CHECK_EQ(cpu.regs.rflags, 0x246);
	CHECK_EQ(stats.misplaced_frames, 1);

	/* A frame where the SDM puts it wins, though linear ESP holds one too. */
	cpu.regs.rsp = esp;
	memcpy(ram + base + esp, (uint32_t[]){ 0x22222, 0x18, 0x202 }, 12);
	CHECK_EQ(step_at_phys(0x21234, iret, 1), EMU_OK);
	CHECK_EQ(cpu.regs.rip, 0x22222);
	CHECK_EQ(stats.misplaced_frames, 1);

	/* Neither place holds a frame: #GP for the selector where the SDM looks. */
	cpu.regs.rsp = esp;
	memcpy(ram + base + esp, stale, 12);
	memcpy(ram + esp, (uint32_t[]){ 0x21234, 0x18, 0x8246 }, 12);	/* EFLAGS bit 15 */
	CHECK_EQ(step_at_phys(0x22222, iret, 1), EMU_EXCEPTION);
	CHECK_EQ(cpu.fault.vector, X86_EXC_GP);
	CHECK_EQ(cpu.fault.error, 0x800);
	CHECK_EQ(cpu.regs.rip, 0x22222);

	/* An EIP past the code segment's limit, a DPL 3 selector: not frames either. */
	cpu.sregs.cs.limit = 0xfffff;
	q(GDT)[3] = 0x000f9a000000ffffull;	/* 0x18: byte-granular, limit 0xfffff */
	memcpy(ram + esp, (uint32_t[]){ 0x100000, 0x18, 0x246 }, 12);
	CHECK_EQ(step_at_phys(0x22222, iret, 1), EMU_EXCEPTION);
	memcpy(ram + esp, (uint32_t[]){ 0x21234, 0x23, 0x246 }, 12);	/* ring 3 code, RPL 3 */
	memcpy(ram + base + esp, (uint32_t[]){ 0x1, 0x0, 0x2 }, 12);
	q(GDT)[3] = 0x00cf9a000000ffffull;
	cpu.sregs.cs.limit = 0xffffffff;
	CHECK_EQ(step_at_phys(0x22222, iret, 1), EMU_EXCEPTION);	/* ring 3 needs ESP, SS too: taken as found */
	CHECK_EQ(stats.misplaced_frames, 1);

	/* With SS based at 0 both places are one: nothing to recover. */
	cpu.sregs.ss.base = 0;
	memcpy(ram + esp, stale, 12);
	memcpy(ram + base + esp, (uint32_t[]){ 0x21234, 0x18, 0x246 }, 12);
	CHECK_EQ(step_at_phys(0x22222, iret, 1), EMU_EXCEPTION);
	CHECK_EQ(stats.misplaced_frames, 1);
}

TEST(stats_print_lists_only_non_zero_counts)
{
	struct emu_stats s = { 0 };
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	s.count[EMU_CLAC] = 7;
	s.faults = 2;
	emu_stats_print(&s, f);
	fclose(f);
	CHECK(strstr(buf, "clac") != NULL);
	CHECK(strstr(buf, " 7\n") != NULL);
	CHECK(strstr(buf, "faults delivered") != NULL);
	CHECK(strstr(buf, "popcnt") == NULL);
}

RUN_TESTS()
