/*
 * fuzz_emulate - the instruction fallback (vmm/emu/: emu_step, with
 * x86_decode.c, exec.c, intr.c, mmu.c) on instruction bytes, register state, page tables, descriptor tables and stacks that
 * the input controls: exactly what a guest controls when its instruction
 * fails in the host's KVM.
 *
 * The machine starts like tests/unit/test_emulate.c's: 1 MiB of RAM at 0,
 * 4-level page tables (0-2 MiB identity-mapped with 4 KiB pages, of which
 * only the first MiB is RAM; the kernel text at 0xffffffff80000000 a 2 MiB
 * page over physical 0), a GDT, an IDT with a gate for every exception, a
 * TSS.  Input:
 *   mode byte    long mode ring 0 / ring 3, 32-bit paging, PAE, protected
 *                mode without paging, real mode
 *   flags byte   FPU state loaded, CR0.TS, CR0.WP, CR4.SMAP/SMEP,
 *                EFER.NXE, RFLAGS.AC, RFLAGS.IF
 *   16 bytes     the instruction stream at CS:RIP
 *   operations until the input ends:
 *     op % 4 == 0  general register (index byte) = u64
 *     op % 4 == 1  page-table / GDT / IDT / TSS / stack entry (area
 *                  byte, u16 index) = u64
 *     op % 4 == 2  control or segment register field (which byte) = u64
 *     op % 4 == 3  FPU image for a later load_fpu callback
 * then up to 4 steps while each returns EMU_OK.
 *
 * Checked besides sanitizers: every result is EMU_OK, EMU_EXCEPTION (with
 * a vector below 32) or EMU_FAIL with a reason.
 */
#include "fuzz_input.h"
#include "vmm/emu/step.h"

#define MEM_SIZE (1u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define PT 0x4000
#define PDPT_HI 0x5000
#define PD_HI 0x6000
#define GDT 0x7000
#define IDT 0x8000
#define TSS 0x9000
#define USER_PAGE 0x10000
#define DATA 0x11000
#define KSTACK 0x40000
#define RSP0 0x50000
#define IST1 0x60008
#define KTEXT 0xffffffff80000000ull
#define CODE_PHYS 0x80000ull

static uint8_t ram[MEM_SIZE] __attribute__((aligned(4096)));
static struct kvm_fpu fpu_image;
static int fpu_load_fails;

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static struct kvm_segment seg(uint16_t sel, unsigned type, unsigned dpl, bool l, bool db)
{
	return (struct kvm_segment){ .selector = sel, .limit = 0xffffffff, .type = (uint8_t)type,
				     .present = 1, .dpl = (uint8_t)dpl, .s = 1, .l = l,
				     .db = db, .g = 1 };
}

static void machine(struct emu_cpu *c, struct guest_mem *gm)
{
	memset(ram, 0, sizeof(ram));
	memset(gm, 0, sizeof(*gm));
	gm_add_region(gm, 0, MEM_SIZE, ram);
	memset(c, 0, sizeof(*c));
	put64(PML4, PDPT | 7);
	put64(PDPT, PD | 7);
	put64(PD, PT | 7);
	for (uint64_t i = 0; i < 512; i++)
		put64(PT + 8 * i, i << 12 | 3);
	put64(PT + 8 * (USER_PAGE >> 12), USER_PAGE | 7);
	put64(PML4 + 8 * 511, PDPT_HI | 3);
	put64(PDPT_HI + 8 * 510, PD_HI | 3);
	put64(PD_HI, 0x83);			/* 2 MiB page at 0 */
	put64(GDT + 8, 0x00af9a000000ffffull);	/* 0x08 code64 */
	put64(GDT + 16, 0x00cf92000000ffffull);	/* 0x10 data */
	put64(GDT + 24, 0x00cf9a000000ffffull);	/* 0x18 code32 */
	put64(GDT + 32, 0x00cffa000000ffffull);	/* 0x23 code32 DPL 3 */
	put64(GDT + 40, 0x00cff2000000ffffull);	/* 0x2b data DPL 3 */
	put64(GDT + 48, 0x00affa000000ffffull);	/* 0x33 code64 DPL 3 */
	memcpy(ram + TSS + 4, &(uint64_t){ RSP0 }, 8);
	memcpy(ram + TSS + 0x24, &(uint64_t){ IST1 }, 8);
	for (unsigned v = 0; v < 256; v++) {
		uint64_t h = KTEXT + 0x90000 + v * 16;

		put64(IDT + v * 16, (h & 0xffff) | 0x08ull << 16 |
		      (uint64_t)(0x80 | (v >= 32 ? 0x60 : 0) | 0xe) << 40 |
		      ((h >> 16) & 0xffff) << 48);
		put64(IDT + v * 16 + 8, h >> 32);
	}
	c->sregs.cs = seg(0x08, 11, 0, true, false);
	c->sregs.ds = c->sregs.es = c->sregs.fs = c->sregs.gs = c->sregs.ss =
		seg(0x10, 3, 0, false, true);
	c->sregs.tr = (struct kvm_segment){ .base = TSS, .limit = 0x67, .selector = 0x40,
					    .type = 11, .present = 1 };
	c->sregs.gdt.base = GDT;
	c->sregs.gdt.limit = 0x37;
	c->sregs.idt.base = IDT;
	c->sregs.idt.limit = 0xfff;
	c->sregs.cr0 = 0x80050033;
	c->sregs.cr3 = PML4;
	c->sregs.cr4 = 0x620;
	c->sregs.efer = 0xd00;
	c->regs.rflags = 2;
	c->regs.rsp = KSTACK;
	c->regs.rip = KTEXT + CODE_PHYS;
	c->mem = gm;
	c->fpu.mxcsr = 0x1f80;
	c->fpu.fcw = 0x37f;
}

/* The paging and segment set-ups a guest can be in when its instruction fails. */
static void set_mode(struct emu_cpu *c, uint8_t mode)
{
	switch (mode % 6) {
	case 0:		/* long mode, ring 0 */
		break;
	case 1:		/* long mode, ring 3 */
		c->sregs.cs = seg(0x33, 11, 3, true, false);
		c->sregs.ss = seg(0x2b, 3, 3, false, true);
		c->regs.rip = USER_PAGE + 0x100;
		c->regs.rsp = USER_PAGE + 0xf00;
		break;
	case 2:		/* 32-bit paging (the PML4 page read as a page directory) */
	case 3:		/* PAE */
		c->sregs.efer = 0;
		c->sregs.cr4 = mode % 6 == 2 ? 0x610 : 0x620;
		c->sregs.cs = seg(0x18, 11, 0, false, true);
		c->regs.rip = CODE_PHYS;
		break;
	case 4:		/* protected mode, no paging */
		c->sregs.efer = 0;
		c->sregs.cr0 = 0x50033;
		c->sregs.cr4 = 0x600;
		c->sregs.cs = seg(0x18, 11, 0, false, true);
		c->regs.rip = CODE_PHYS;
		break;
	case 5:		/* real mode */
		c->sregs.efer = 0;
		c->sregs.cr0 = 0x10;
		c->sregs.cr4 = 0;
		c->sregs.cs = (struct kvm_segment){ .base = 0x80000, .selector = 0x8000,
						    .limit = 0xffff, .type = 11, .present = 1,
						    .s = 1 };
		c->regs.rip = 0;
		c->regs.rsp = 0x7000;
		break;
	}
}

static void set_flags(struct emu_cpu *c, uint8_t f)
{
	c->fpu_valid = f & 1;
	if (f & 2)
		c->sregs.cr0 |= X86_CR0_TS;
	if (f & 4)
		c->sregs.cr0 &= ~X86_CR0_WP;
	if (f & 8)
		c->sregs.cr4 |= X86_CR4_SMAP;
	if (f & 16)
		c->sregs.cr4 |= X86_CR4_SMEP;
	if (f & 32)
		c->sregs.efer &= ~X86_EFER_NXE;
	if (f & 64)
		c->regs.rflags |= X86_FL_AC;
	if (f & 128)
		c->regs.rflags |= X86_FL_IF;
}

static void set_reg(struct emu_cpu *c, uint8_t which, uint64_t v)
{
	__u64 *r[] = { &c->regs.rax, &c->regs.rbx, &c->regs.rcx, &c->regs.rdx,
			  &c->regs.rsi, &c->regs.rdi, &c->regs.rsp, &c->regs.rbp,
			  &c->regs.r8, &c->regs.r9, &c->regs.r10, &c->regs.r11,
			  &c->regs.r12, &c->regs.r13, &c->regs.r14, &c->regs.r15,
			  &c->regs.rip, &c->regs.rflags };

	*r[which % (sizeof(r) / sizeof(r[0]))] = v;
}

static void set_entry(uint8_t area, uint16_t index, uint64_t v)
{
	static const uint32_t base[] = { PML4, PDPT, PD, PT, PDPT_HI, PD_HI, GDT, IDT,
					 TSS, KSTACK - 0x1000, RSP0 - 0x1000,
					 IST1 - 0x1008, USER_PAGE, DATA };

	put64(base[area % (sizeof(base) / sizeof(base[0]))] + 8u * (index % 512), v);
}

static void set_sreg(struct emu_cpu *c, uint8_t which, uint64_t v)
{
	struct kvm_segment *s[] = { &c->sregs.cs, &c->sregs.ss, &c->sregs.ds,
				    &c->sregs.es, &c->sregs.fs, &c->sregs.gs,
				    &c->sregs.tr, &c->sregs.ldt };

	switch (which % 12) {
	case 0: c->sregs.cr0 = v; break;
	case 1: c->sregs.cr3 = v; break;
	case 2: c->sregs.cr4 = v; break;
	case 3: c->sregs.efer = v; break;
	case 4: c->sregs.idt.base = v; c->sregs.idt.limit = (uint16_t)(v >> 48); break;
	case 5: c->sregs.gdt.base = v; c->sregs.gdt.limit = (uint16_t)(v >> 48); break;
	default: {
		/* A segment: base, or the selector/limit/attribute bits. */
		struct kvm_segment *g = s[(which / 12 + which) % 8];

		if (v & 1) {
			g->base = v;
		} else {
			g->selector = (uint16_t)(v >> 8);
			g->limit = (uint32_t)(v >> 24);
			g->type = (v >> 56) & 15;
			g->dpl = (v >> 60) & 3;
			g->db = (v >> 62) & 1;
			g->l = (v >> 63) & 1;
			g->present = (v >> 1) & 1;
			g->s = (v >> 2) & 1;
			g->g = (v >> 3) & 1;
		}
	}
	}
}

static int load_fpu(struct emu_cpu *c, void *opaque)
{
	(void)opaque;
	if (fpu_load_fails)
		return -1;
	c->fpu = fpu_image;
	c->fpu_valid = true;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct emu_cpu c;
	static struct guest_mem gm;
	static struct emu_stats stats;
	struct fin in = fin_make(data, size);
	uint8_t mode = fin_u8(&in), flags = fin_u8(&in);
	uint8_t code[16];
	uint64_t code_gpa;

	machine(&c, &gm);
	set_mode(&c, mode);
	set_flags(&c, flags);
	fin_copy(&in, code, sizeof(code));
	memset(&fpu_image, 0, sizeof(fpu_image));
	fpu_image.mxcsr = 0x1f80;
	fpu_load_fails = 0;
	while (fin_left(&in)) {
		uint8_t op = fin_u8(&in);

		switch (op % 4) {
		case 0: set_reg(&c, fin_u8(&in), fin_u64(&in)); break;
		case 1: {
			uint8_t area = fin_u8(&in);
			uint16_t idx = fin_u16(&in);

			set_entry(area, idx, fin_u64(&in));
			break;
		}
		case 2: set_sreg(&c, fin_u8(&in), fin_u64(&in)); break;
		case 3:
			fin_copy(&in, &fpu_image, sizeof(fpu_image));
			fpu_load_fails = op & 4;
			break;
		}
	}
	/* The code goes where the starting CS:RIP maps (identity or the 2 MiB page). */
	code_gpa = mode % 6 == 1 ? USER_PAGE + 0x100 : CODE_PHYS;
	memcpy(ram + code_gpa, code, sizeof(code));

	for (int i = 0; i < 4; i++) {
		int r;

		memset(c.why, 0, sizeof(c.why));
		c.fault.pending = false;
		r = emu_step(&c, &stats, load_fpu, NULL);
		FZ_ASSERT(r == EMU_OK || r == EMU_EXCEPTION || r == EMU_FAIL, "r %d", r);
		if (r == EMU_FAIL)
			FZ_ASSERT(c.why[0], "failed without a reason");
		if (r == EMU_EXCEPTION)
			FZ_ASSERT(c.fault.pending && c.fault.vector < 32, "vector %u",
				  c.fault.vector);
		if (r != EMU_OK)
			break;
	}
	return 0;
}
