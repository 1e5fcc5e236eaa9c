/*
 * The instruction fallback against real tiny guests under /dev/kvm.
 *
 * Each case is a few instructions of 64-bit ring-0 guest code (assembled
 * here, below) that executes one instruction class and reports results by
 * writing 32-bit words to port 0x500 (REPORT), then writes port 0x501
 * (DONE).  Each case runs twice: once without the fallback, to show what
 * the host's KVM does on its own (printed, and the results checked too if
 * it gets through, as on hardware virtualisation), and once with
 * emu_handle_failure() after every emulation failure, which must reach
 * DONE with the expected reports.  Without /dev/kvm every case is skipped
 * with the reason.
 */
#include "check.h"
#include "vmm/emu/emu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* Guest physical layout (identity-mapped, 2 MiB pages, 4 KiB pages in 2-4 MiB). */
#define MEM_SIZE	(4u << 20)
#define GDT		0x0500
#define IDT		0x1000
#define PML4		0x2000
#define PT		0x5000
#define TSS		0x6000
#define IST1_TOP	0x9008		/* deliberately not 16-byte aligned */
#define CODE		0x10000
#define DATA		0x30000
#define STACK_TOP	0x80000
#define RO_PAGE		0x201000	/* mapped present, read-only */
#define PORT_REPORT	0x500
#define PORT_DONE	0x501

/* ---- guest code ---------------------------------------------------------- */

__asm__(
	".pushsection .rodata.emu_guests, \"a\"\n"
	".code64\n"
	".macro REPORT src\n"
	"  mov \\src, %rax\n"
	"  mov $0x500, %dx\n"
	"  out %eax, %dx\n"
	"  shr $32, %rax\n"
	"  out %eax, %dx\n"
	".endm\n"
	".macro DONE\n"
	"  mov $0x501, %dx\n"
	"  out %al, %dx\n"
	"  hlt\n"
	".endm\n"

	/* int3 through an interrupt gate, no IST; the handler returns with iretq. */
	"g_int3: push $0x202; popfq\n"
	"  mov $0x1234, %rbx\n"
	"  int3\n"
	"g_int3_after: REPORT %rbx\n"
	"  DONE\n"
	"g_int3_handler: pushfq; pop %r12\n"
	"  REPORT %rsp\n"
	"  REPORT 0(%rsp); REPORT 8(%rsp); REPORT 16(%rsp); REPORT 24(%rsp); REPORT 32(%rsp)\n"
	"  REPORT %r12\n"
	"  mov $0x5678, %rbx\n"
	"  iretq\n"
	"g_int3_end:\n"

	/* int $0x40 through a trap gate with IST 1. */
	"g_intn: push $0x202; popfq\n"
	"  int $0x40\n"
	"g_intn_after: REPORT %rbx\n"
	"  DONE\n"
	"g_intn_handler: pushfq; pop %r12\n"
	"  REPORT %rsp\n"
	"  REPORT 0(%rsp); REPORT 16(%rsp); REPORT 24(%rsp)\n"
	"  REPORT %r12\n"
	"  mov $0x4040, %rbx\n"
	"  iretq\n"
	"g_intn_end:\n"

	/* stac / clac, RFLAGS read back. */
	"g_clac: push $2; popfq\n"
	"  stac\n"
	"  pushfq; REPORT (%rsp); popfq\n"
	"  clac\n"
	"  pushfq; REPORT (%rsp); popfq\n"
	"  DONE\n"
	"g_clac_end:\n"

	/* popcnt: 64, 32 (zero-extends), 16 (merges), absolute and RIP-relative memory, zero. */
	"g_popcnt: push $0x8d7; popfq\n"
	"  mov $0xf0f0f0f0f0f0f0f0, %rcx\n"
	"  popcnt %rcx, %rax\n"
	"  pushfq; pop %rbx\n"
	"  REPORT %rax; REPORT %rbx\n"
	"  mov $-1, %rax; mov $0xffffffff00000007, %rcx\n"
	"  popcnt %ecx, %eax\n"
	"  REPORT %rax\n"
	"  mov $0x1111111111111111, %rax; mov $0x8001, %ecx\n"
	"  popcnt %cx, %ax\n"
	"  REPORT %rax\n"
	"  popcntq 0x30000, %rax\n"
	"  REPORT %rax\n"
	"  popcntq g_popcnt_data(%rip), %rsi\n"
	"  REPORT %rsi\n"
	"  xor %ecx, %ecx\n"
	"  push $0x8d7; popfq\n"
	"  popcnt %rcx, %r9\n"
	"  pushfq; pop %rbx\n"
	"  REPORT %r9; REPORT %rbx\n"
	"  DONE\n"
	"  .balign 8\n"
	"g_popcnt_data: .quad 0x8000000000000001\n"
	"g_popcnt_end:\n"

	/* fwait: nothing to observe but getting past it. */
	"g_fwait: fwait\n"
	"  REPORT $0x77\n"
	"  DONE\n"
	"g_fwait_end:\n"

	/* ldmxcsr / stmxcsr through memory. */
	"g_mxcsr: ldmxcsr 0x30010\n"
	"  stmxcsr 0x30014\n"
	"  movl 0x30014, %eax\n"
	"  REPORT %rax\n"
	"  DONE\n"
	"g_mxcsr_end:\n"

	/* ldmxcsr with a reserved bit: #GP(0) through vector 13. */
	"g_mxcsr_gp: ldmxcsr 0x30018\n"
	"  REPORT $0xbad\n"
	"  DONE\n"
	"g_fault_handler:\n"
	"  REPORT 0(%rsp); REPORT 8(%rsp)\n"
	"  mov %cr2, %rax; REPORT %rax\n"
	"  DONE\n"
	"g_mxcsr_gp_end:\n"

	/* stmxcsr to a read-only page: #PF with error code P|W and CR2. */
	"g_pf: stmxcsr 0x201010\n"
	"  REPORT $0xbad\n"
	"  DONE\n"
	"g_pf_end:\n"

	/* fxrstor64 a prepared image, fxsave64 it elsewhere. */
	"g_fx: fxrstor64 0x30100\n"
	"  fxsave64 0x30400\n"
	"  DONE\n"
	"g_fx_end:\n"

	/* lock cmpxchg16b: one that matches, one that does not. */
	"g_cx16: mov $0x1111, %rax; mov $0x2222, %rdx\n"
	"  mov $0x3333, %rbx; mov $0x4444, %rcx\n"
	"  lock cmpxchg16b 0x30200\n"
	"  pushfq; REPORT (%rsp); popfq\n"
	"  mov $0x5555, %rax; mov $0x6666, %rdx\n"
	"  lock cmpxchg16b 0x30200\n"
	"  mov %rax, %r8; mov %rdx, %r9\n"
	"  pushfq; REPORT (%rsp); popfq\n"
	"  REPORT %r8; REPORT %r9\n"
	"  DONE\n"
	"g_cx16_end:\n"

	/* movd/movq/movdqu/pxor/movdqa between registers, xmm and memory. */
	"g_sse: mov $0x1234567889abcdef, %rcx\n"
	"  movd %ecx, %xmm15\n"
	"  movq %xmm15, %rax\n"
	"  REPORT %rax\n"
	"  movq 0x30300, %xmm1\n"
	"  movdqu 0x30310, %xmm2\n"
	"  pxor %xmm1, %xmm2\n"
	"  movdqa %xmm2, 0x30320\n"
	"  movq %xmm1, 0x30330\n"
	"  DONE\n"
	"g_sse_end:\n"

	/* 10000 clac in a loop, and the same loop without it, for the cost per exit. */
	"g_perf: mov $10000, %ecx\n"
	"1: clac\n"
	"  dec %ecx\n"
	"  jnz 1b\n"
	"  DONE\n"
	"g_perf_end:\n"
	"g_base: mov $10000, %ecx\n"
	"1: nop; nop; nop\n"
	"  dec %ecx\n"
	"  jnz 1b\n"
	"  DONE\n"
	"g_base_end:\n"
	".popsection\n");

#define GUEST(name) \
	extern const uint8_t g_##name[], g_##name##_end[]
GUEST(int3); GUEST(intn); GUEST(clac); GUEST(popcnt); GUEST(fwait); GUEST(mxcsr);
GUEST(mxcsr_gp); GUEST(pf); GUEST(fx); GUEST(cx16); GUEST(sse); GUEST(perf); GUEST(base);
extern const uint8_t g_int3_after[], g_int3_handler[], g_intn_after[], g_intn_handler[],
	g_fault_handler[];

/* Guest address of a label inside the blob that starts at blob. */
#define GADDR(blob, label) ((uint64_t)CODE + (uint64_t)((label) - (blob)))

/* ---- a tiny VM ----------------------------------------------------------- */

struct tvm {
	int kvm, vm, cpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t run_size;
	struct guest_mem gm;
	uint32_t rep[64];
	unsigned nrep;
	unsigned long exits;
	struct emu_retry retry;	/* the fallback's hand-backs, as a vCPU's */
};

static const char *skip_reason;

static uint64_t *q(struct tvm *t, uint64_t gpa) { return (uint64_t *)(t->mem + gpa); }

/* 64-bit gate: selector 0x08, type (0x8e interrupt, 0x8f trap), IST. */
static void set_gate(struct tvm *t, unsigned vec, uint64_t handler, unsigned type, unsigned ist)
{
	q(t, IDT + vec * 16)[0] = (handler & 0xffff) | (0x08ull << 16) | ((uint64_t)ist << 32) |
				  ((uint64_t)type << 40) | (((handler >> 16) & 0xffff) << 48);
	q(t, IDT + vec * 16)[1] = handler >> 32;
}

static void tvm_close(struct tvm *t)
{
	if (t->run)
		munmap(t->run, t->run_size);
	if (t->mem)
		munmap(t->mem, MEM_SIZE);
	if (t->cpu >= 0) close(t->cpu);
	if (t->vm >= 0) close(t->vm);
	if (t->kvm >= 0) close(t->kvm);
}

/* Long mode, ring 0, flat segments, guest code copied to CODE. 0 or -1 (skip_reason). */
static int tvm_open(struct tvm *t, const uint8_t *code, const uint8_t *end)
{
	memset(t, 0, sizeof(*t));
	t->vm = t->cpu = -1;
	t->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (t->kvm < 0) {
		skip_reason = "/dev/kvm cannot be opened";
		return -1;
	}
	t->vm = ioctl(t->kvm, KVM_CREATE_VM, 0);
	t->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t->vm < 0 || t->mem == MAP_FAILED) {
		t->mem = NULL;
		skip_reason = "KVM_CREATE_VM or mmap failed";
		return -1;
	}
	struct kvm_userspace_memory_region r = { .memory_size = MEM_SIZE,
						 .userspace_addr = (uint64_t)t->mem };
	ioctl(t->vm, KVM_SET_USER_MEMORY_REGION, &r);
	gm_add_region(&t->gm, 0, MEM_SIZE, t->mem);
	t->cpu = ioctl(t->vm, KVM_CREATE_VCPU, 0);
	t->run_size = ioctl(t->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	t->run = mmap(NULL, t->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, t->cpu, 0);
	if (t->cpu < 0 || t->run == MAP_FAILED) {
		t->run = NULL;
		skip_reason = "KVM_CREATE_VCPU failed";
		return -1;
	}
	struct kvm_cpuid2 *cp = calloc(1, sizeof(*cp) + 128 * sizeof(struct kvm_cpuid_entry2));
	cp->nent = 128;
	if (ioctl(t->kvm, KVM_GET_SUPPORTED_CPUID, cp) == 0)
		ioctl(t->cpu, KVM_SET_CPUID2, cp);
	free(cp);

	uint64_t *gdt = q(t, GDT);
	gdt[1] = 0x00af9a000000ffffull;		/* 0x08 code64 */
	gdt[2] = 0x00cf92000000ffffull;		/* 0x10 data */
	q(t, PML4)[0] = (PML4 + 0x1000) | 3;
	q(t, PML4 + 0x1000)[0] = (PML4 + 0x2000) | 3;
	q(t, PML4 + 0x2000)[0] = 0x83;			/* 0-2 MiB, 2 MiB page */
	q(t, PML4 + 0x2000)[1] = PT | 3;		/* 2-4 MiB in 4 KiB pages */
	for (int i = 0; i < 512; i++)
		q(t, PT)[i] = (0x200000ull + i * 4096ull) | 3;
	q(t, PT)[(RO_PAGE - 0x200000) / 4096] = RO_PAGE | 1;
	memcpy(t->mem + TSS + 0x24, &(uint64_t){ IST1_TOP }, 8);	/* TSS.IST1: not 8-aligned */
	memcpy(t->mem + CODE, code, end - code);

	struct kvm_sregs s;
	ioctl(t->cpu, KVM_GET_SREGS, &s);
	struct kvm_segment cs = { .limit = 0xffffffff, .present = 1, .type = 11, .s = 1,
				  .g = 1, .l = 1, .selector = 0x08 };
	struct kvm_segment ds = cs;
	ds.type = 3; ds.l = 0; ds.db = 1; ds.selector = 0x10;
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.tr = (struct kvm_segment){ .base = TSS, .limit = 0x67, .selector = 0x28, .type = 11,
				     .present = 1 };
	s.gdt.base = GDT; s.gdt.limit = 0x37;
	s.idt.base = IDT; s.idt.limit = 0xfff;
	s.cr3 = PML4;
	s.cr4 = 0x620;			/* PAE, OSFXSR, OSXMMEXCPT */
	s.cr0 = 0x80050033;		/* PG, AM, WP, NE, ET, MP, PE */
	s.efer = 0x500;			/* LME, LMA */
	ioctl(t->cpu, KVM_SET_SREGS, &s);
	struct kvm_regs g = { .rip = CODE, .rflags = 2, .rsp = STACK_TOP };
	ioctl(t->cpu, KVM_SET_REGS, &g);
	struct kvm_fpu f;
	ioctl(t->cpu, KVM_GET_FPU, &f);
	f.mxcsr = 0x1f80;
	f.fcw = 0x37f;
	ioctl(t->cpu, KVM_SET_FPU, &f);
	return 0;
}

/*
 * Runs the guest to DONE.  With stats, every emulation failure goes to
 * emu_handle_failure(); without, the first one ends the run.  0 on DONE,
 * -1 with why.
 */
static int tvm_run(struct tvm *t, struct emu_stats *stats, char *why, size_t whylen)
{
	for (unsigned long i = 0; i < 1000000; i++) {
		if (ioctl(t->cpu, KVM_RUN, 0) < 0) {
			snprintf(why, whylen, "KVM_RUN: %s", strerror(errno));
			return -1;
		}
		t->exits++;
		switch (t->run->exit_reason) {
		case KVM_EXIT_IO:
			if (t->run->io.port == PORT_DONE)
				return 0;
			if (t->run->io.port == PORT_REPORT && t->run->io.size == 4 &&
			    t->nrep < 64)
				memcpy(&t->rep[t->nrep++], (uint8_t *)t->run + t->run->io.data_offset, 4);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			if (t->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION) {
				snprintf(why, whylen, "internal error, suberror %u",
					 t->run->internal.suberror);
				return -1;
			}
			if (!stats) {
				snprintf(why, whylen, "emulation failure");
				return -1;
			}
			if (emu_handle_failure(t->cpu, &t->gm, &t->retry, stats, why, whylen) < 0)
				return -1;
			break;
		case KVM_EXIT_HLT:
			snprintf(why, whylen, "hlt before DONE");
			return -1;
		case KVM_EXIT_SHUTDOWN:
			snprintf(why, whylen, "shutdown (triple fault)");
			return -1;
		default:
			snprintf(why, whylen, "exit reason %u", t->run->exit_reason);
			return -1;
		}
	}
	snprintf(why, whylen, "no DONE");
	return -1;
}

/* The 64-bit value reported n-th (two 32-bit port writes each). */
static uint64_t rep64(const struct tvm *t, unsigned n)
{
	if (2 * n + 1 >= t->nrep)
		return 0xdeadbeefdeadbeefull;
	return t->rep[2 * n] | ((uint64_t)t->rep[2 * n + 1] << 32);
}

struct kvm_case {
	const char *name;
	const uint8_t *code, *end;
	void (*setup)(struct tvm *t);
	void (*check)(struct tvm *t);
	unsigned class_expected;	/* the emu_stats class that must have been counted */
};

/*
 * Runs one case natively and with the fallback, checking the results of
 * every run that reaches DONE.  The native outcome is printed: that is the
 * record of what this host's KVM cannot do.
 */
static void run_case(const struct kvm_case *kc)
{
	struct tvm t;
	struct emu_stats st;
	char why[200] = "";

	if (tvm_open(&t, kc->code, kc->end) < 0) {
		tvm_close(&t);
		SKIP(skip_reason);
	}
	if (kc->setup)
		kc->setup(&t);
	bool native_ok = tvm_run(&t, NULL, why, sizeof(why)) == 0;
	if (native_ok) {
		printf("    %s: host KVM runs it natively\n", kc->name);
		kc->check(&t);
	} else {
		printf("    %s: host KVM alone: %s\n", kc->name, why);
	}
	tvm_close(&t);

	memset(&st, 0, sizeof(st));
	CHECK(tvm_open(&t, kc->code, kc->end) == 0);
	if (kc->setup)
		kc->setup(&t);
	int rc = tvm_run(&t, &st, why, sizeof(why));
	emu_stats_print(&st, stdout);
	if (rc)
		printf("    %s: with fallback: %s\n", kc->name, why);
	CHECK_EQ(rc, 0);
	if (rc == 0) {
		kc->check(&t);
		printf("    %s: with fallback: ok\n", kc->name);
		/* What the host failed, the fallback must have carried out. */
		if (!native_ok)
			CHECK(st.count[kc->class_expected] > 0 || st.faults > 0);
	}
	tvm_close(&t);
}

/* ---- the cases ------------------------------------------------------------ */

static void setup_int3(struct tvm *t)
{
	set_gate(t, 3, GADDR(g_int3, g_int3_handler), 0x8e, 0);
}

static void check_int3(struct tvm *t)
{
	CHECK_EQ(t->nrep, 16);
	CHECK_EQ(rep64(t, 0), STACK_TOP - 40);			/* handler's RSP */
	CHECK_EQ(rep64(t, 1), GADDR(g_int3, g_int3_after));	/* RIP after int3 */
	CHECK_EQ(rep64(t, 2), 0x08);				/* CS */
	CHECK_EQ(rep64(t, 3), 0x202);				/* RFLAGS before */
	CHECK_EQ(rep64(t, 4), STACK_TOP);			/* RSP before */
	CHECK_EQ(rep64(t, 5), 0x10);				/* SS */
	CHECK_EQ(rep64(t, 6), 0x002);				/* IF cleared by the interrupt gate */
	CHECK_EQ(rep64(t, 7), 0x5678);				/* handler ran, iretq came back */
}

static void setup_intn(struct tvm *t)
{
	set_gate(t, 0x40, GADDR(g_intn, g_intn_handler), 0x8f, 1);
}

static void check_intn(struct tvm *t)
{
	CHECK_EQ(t->nrep, 12);
	CHECK_EQ(rep64(t, 0), (IST1_TOP & ~15) - 40);		/* IST1, aligned down to 16 */
	CHECK_EQ(rep64(t, 1), GADDR(g_intn, g_intn_after));
	CHECK_EQ(rep64(t, 2), 0x202);
	CHECK_EQ(rep64(t, 3), STACK_TOP);
	CHECK_EQ(rep64(t, 4), 0x202);				/* trap gate keeps IF */
	CHECK_EQ(rep64(t, 5), 0x4040);
}

static void check_clac(struct tvm *t)
{
	CHECK_EQ(t->nrep, 4);
	CHECK_EQ(rep64(t, 0), 0x40002);				/* AC set */
	CHECK_EQ(rep64(t, 1), 0x00002);				/* AC clear */
}

static void setup_popcnt(struct tvm *t)
{
	*q(t, DATA) = 0x0123456789abcdefull;	/* 32 bits set (python3: bin(x).count('1')) */
}

static void check_popcnt(struct tvm *t)
{
	CHECK_EQ(t->nrep, 16);
	CHECK_EQ(rep64(t, 0), 32);
	CHECK_EQ(rep64(t, 1), 0x002);				/* CF PF AF ZF SF OF all cleared */
	CHECK_EQ(rep64(t, 2), 3);				/* 32-bit: upper half cleared */
	CHECK_EQ(rep64(t, 3), 0x1111111111110002ull);		/* 16-bit: merged */
	CHECK_EQ(rep64(t, 4), 32);
	CHECK_EQ(rep64(t, 5), 2);
	CHECK_EQ(rep64(t, 6), 0);
	CHECK_EQ(rep64(t, 7), 0x042);				/* only ZF */
}

static void check_fwait(struct tvm *t)
{
	CHECK_EQ(t->nrep, 2);
	CHECK_EQ(rep64(t, 0), 0x77);
}

static void setup_mxcsr(struct tvm *t)
{
	*(uint32_t *)(t->mem + DATA + 0x10) = 0xffc0;	/* FZ, RC=11, all masks, DAZ */
	*(uint32_t *)(t->mem + DATA + 0x18) = 0x11f80;	/* bit 16 reserved */
	set_gate(t, 13, GADDR(g_mxcsr_gp, g_fault_handler), 0x8e, 0);
}

static void check_mxcsr(struct tvm *t)
{
	CHECK_EQ(t->nrep, 2);
	CHECK_EQ(rep64(t, 0), 0xffc0);
}

static void check_mxcsr_gp(struct tvm *t)
{
	CHECK_EQ(t->nrep, 6);
	CHECK_EQ(rep64(t, 0), 0);				/* #GP(0) */
	CHECK_EQ(rep64(t, 1), CODE);				/* RIP of the ldmxcsr */
}

static void setup_pf(struct tvm *t)
{
	/* The handler lives in the g_mxcsr_gp blob: put it after this case's code. */
	memcpy(t->mem + CODE + 0x800, g_mxcsr_gp, g_mxcsr_gp_end - g_mxcsr_gp);
	set_gate(t, 14, CODE + 0x800 + (uint64_t)(g_fault_handler - g_mxcsr_gp), 0x8e, 0);
}

static void check_pf(struct tvm *t)
{
	CHECK_EQ(t->nrep, 6);
	CHECK_EQ(rep64(t, 0), 0x3);				/* present | write, supervisor */
	CHECK_EQ(rep64(t, 1), CODE);
	CHECK_EQ(rep64(t, 2), RO_PAGE + 0x10);			/* CR2 */
}

static void setup_fx(struct tvm *t)
{
	uint8_t *img = t->mem + DATA + 0x100;

	memset(img, 0, 512);
	img[0] = 0x7f; img[1] = 0x02;				/* FCW 0x027f */
	img[4] = 0x00;						/* FTW: all empty */
	*(uint32_t *)(img + 24) = 0x1fa0;			/* MXCSR */
	*(uint32_t *)(img + 28) = 0xffff;
	for (int i = 0; i < 256; i++)
		img[160 + i] = (uint8_t)(i * 7 + 1);		/* XMM0-15 */
}

static void check_fx(struct tvm *t)
{
	const uint8_t *in = t->mem + DATA + 0x100, *out = t->mem + DATA + 0x400;

	CHECK_EQ(out[0] | out[1] << 8, 0x027f);
	CHECK_EQ(out[4], 0);
	CHECK_EQ(out[24] | out[25] << 8 | out[26] << 16 | out[27] << 24, 0x1fa0);
	CHECK_MEM(out + 160, in + 160, 256);
}

static void setup_cx16(struct tvm *t)
{
	q(t, DATA + 0x200)[0] = 0x1111;
	q(t, DATA + 0x200)[1] = 0x2222;
}

static void check_cx16(struct tvm *t)
{
	CHECK_EQ(t->nrep, 8);
	CHECK_EQ(rep64(t, 0) & 0x40, 0x40);			/* matched: ZF */
	CHECK_EQ(rep64(t, 1) & 0x40, 0);			/* no match */
	CHECK_EQ(rep64(t, 2), 0x3333);				/* RDX:RAX loaded */
	CHECK_EQ(rep64(t, 3), 0x4444);
	CHECK_EQ(q(t, DATA + 0x200)[0], 0x3333);
	CHECK_EQ(q(t, DATA + 0x200)[1], 0x4444);
}

static void setup_sse(struct tvm *t)
{
	q(t, DATA + 0x300)[0] = 0x0102030405060708ull;
	q(t, DATA + 0x300)[1] = 0xffffffffffffffffull;	/* movq must not load this */
	q(t, DATA + 0x310)[0] = 0x1010101010101010ull;
	q(t, DATA + 0x310)[1] = 0x2020202020202020ull;
}

static void check_sse(struct tvm *t)
{
	CHECK_EQ(t->nrep, 2);
	CHECK_EQ(rep64(t, 0), 0x89abcdefull);			/* movd: low 32 bits only */
	CHECK_EQ(q(t, DATA + 0x320)[0], 0x1112131415161718ull);	/* xor, by hand */
	CHECK_EQ(q(t, DATA + 0x320)[1], 0x2020202020202020ull);	/* upper half of xmm1 was zeroed */
	CHECK_EQ(q(t, DATA + 0x330)[0], 0x0102030405060708ull);
}

static const struct kvm_case cases[] = {
	{ "int3", g_int3, g_int3_end, setup_int3, check_int3, EMU_INT3 },
	{ "int_0x40_trap_gate_ist1", g_intn, g_intn_end, setup_intn, check_intn, EMU_INTN },
	{ "stac_clac", g_clac, g_clac_end, NULL, check_clac, EMU_CLAC },
	{ "popcnt", g_popcnt, g_popcnt_end, setup_popcnt, check_popcnt, EMU_POPCNT },
	{ "fwait", g_fwait, g_fwait_end, NULL, check_fwait, EMU_FWAIT },
	{ "ldmxcsr_stmxcsr", g_mxcsr, g_mxcsr_end, setup_mxcsr, check_mxcsr, EMU_LDMXCSR },
	{ "ldmxcsr_reserved_bit_gp", g_mxcsr_gp, g_mxcsr_gp_end, setup_mxcsr, check_mxcsr_gp,
	  EMU_LDMXCSR },
	{ "stmxcsr_readonly_page_pf", g_pf, g_pf_end, setup_pf, check_pf, EMU_STMXCSR },
	{ "fxrstor_fxsave", g_fx, g_fx_end, setup_fx, check_fx, EMU_FXSAVE },
	{ "lock_cmpxchg16b", g_cx16, g_cx16_end, setup_cx16, check_cx16, EMU_CMPXCHG16B },
	{ "movd_movq_movdqu_pxor_movdqa", g_sse, g_sse_end, setup_sse, check_sse,
	  EMU_MOVD_TO_XMM },
};

/* One test per case, so the closing line counts them. */
TEST(int3_pushes_frame_and_handler_returns) { run_case(&cases[0]); }
TEST(int_n_trap_gate_uses_ist1) { run_case(&cases[1]); }
TEST(stac_clac_set_and_clear_ac) { run_case(&cases[2]); }
TEST(popcnt_all_sizes_and_memory) { run_case(&cases[3]); }
TEST(fwait_is_passed) { run_case(&cases[4]); }
TEST(ldmxcsr_stmxcsr_round_trip) { run_case(&cases[5]); }
TEST(ldmxcsr_reserved_bit_raises_gp) { run_case(&cases[6]); }
TEST(stmxcsr_to_readonly_page_raises_pf) { run_case(&cases[7]); }
TEST(fxrstor_fxsave_round_trip) { run_case(&cases[8]); }
TEST(lock_cmpxchg16b_match_and_mismatch) { run_case(&cases[9]); }
TEST(sse_moves_and_pxor) { run_case(&cases[10]); }

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* tvm_open() on the plain guest; false (the case counted as skipped) if not. */
static bool tvm_open_or_skip(struct tvm *t)
{
	if (tvm_open(t, g_base, g_base_end) == 0)
		return true;
	tvm_close(t);
	printf("    skip: %s\n", skip_reason);
	test_skipped_ = 1;
	return false;
}

/* Cost per handled exit: 10000 clac against the same loop with nops. */
TEST(clac_loop_exits_per_second)
{
	struct tvm t;
	struct emu_stats st;
	char why[200];
	double t0, with, without;

	if (!tvm_open_or_skip(&t))
		return;
	memset(&st, 0, sizeof(st));
	t0 = now();
	CHECK_EQ(tvm_run(&t, &st, why, sizeof(why)), 0);
	without = now() - t0;
	tvm_close(&t);

	CHECK(tvm_open(&t, g_perf, g_perf_end) == 0);
	t0 = now();
	CHECK_EQ(tvm_run(&t, &st, why, sizeof(why)), 0);
	with = now() - t0;
	tvm_close(&t);
	printf("    10000 clac: %.3f s (loop alone %.3f s): %.0f handled exits/s, "
	       "%.1f us each beyond the loop\n", with, without,
	       st.count[EMU_CLAC] / with, (with - without) / 10000 * 1e6);
	/* Either the host ran clac itself or the fallback did every one. */
	CHECK(st.count[EMU_CLAC] == 0 || st.count[EMU_CLAC] == 10000);
}

/*
 * An emulation failure whose instruction is, by the time minivmm looks,
 * one KVM runs itself (another vCPU rewrote it: Linux's text_poke_bp) is
 * handed back to KVM a few times for that address, then it is a failure.
 */
TEST(rewritten_instruction_is_handed_back_to_kvm_a_few_times)
{
	struct tvm t;
	struct emu_stats st;
	struct kvm_regs r;
	char why[200] = "";

	if (!tvm_open_or_skip(&t))
		return;
	memset(&st, 0, sizeof(st));
	t.mem[CODE] = 0xeb;	/* jmp $: KVM's own business */
	t.mem[CODE + 1] = 0xfe;
	for (int i = 0; i < EMU_RETRY_MAX; i++)
		CHECK_EQ(emu_handle_failure(t.cpu, &t.gm, &t.retry, &st, why, sizeof(why)), 0);
	CHECK_EQ(st.retried, EMU_RETRY_MAX);
	CHECK_EQ(st.failures, 0);
	CHECK_EQ(emu_handle_failure(t.cpu, &t.gm, &t.retry, &st, why, sizeof(why)), -1);
	CHECK(strstr(why, "unknown instruction at rip 0x") != NULL);
	CHECK(strstr(why, ": eb fe") != NULL);
	CHECK_EQ(st.failures, 1);
	/* Nothing was changed: RIP still at the instruction. */
	CHECK_EQ(ioctl(t.cpu, KVM_GET_REGS, &r), 0);
	CHECK_EQ(r.rip, CODE);
	tvm_close(&t);
}

/*
 * An interrupt in 32-bit protected mode with SS based above 0 (as iPXE's
 * stack is), injected with KVM_INTERRUPT, handler returning with iret.
 * Here the host's KVM writes the frame at linear ESP, without the SS base,
 * and cannot run the iret: the fallback finds the frame there.  Where KVM
 * is hardware-backed both happen natively.  Either way the guest must
 * come back after its nop with ESP restored.
 */
TEST(interrupt_in_32bit_mode_with_based_stack_returns)
{
	/* Code at CODE, CS flat 32-bit (0x18), SS based at SS_BASE (0x20); the
	 * test injects vector 0x20 after the guest's write to INJECT_PORT. */
	enum { SS_BASE = 0x100000, ESP0 = 0x8000, HANDLER = 0x40, INJECT_PORT = 0x502 };
	struct tvm t;
	struct emu_stats st;
	struct kvm_sregs sr;
	struct kvm_regs r;
	char why[200] = "";
	bool injected = false, done = false;
	uint8_t *c;

	if (!tvm_open_or_skip(&t))
		return;
	memset(&st, 0, sizeof(st));
	c = t.mem + CODE;
	memset(c, 0x90, 0x80);
	/* mov $ESP0,%esp; sti; mov $0x502,%dx; out %al,(%dx); nop; mov %esp,%eax;
	 * mov $0x500,%dx; out %eax,(%dx); inc %dx; out %al,(%dx) */
	static const uint8_t main_code[] = {
		0xbc, ESP0 & 0xff, ESP0 >> 8, 0, 0, 0xfb,
		0x66, 0xba, INJECT_PORT & 0xff, INJECT_PORT >> 8, 0xee, 0x90,
		0x89, 0xe0, 0x66, 0xba, PORT_REPORT & 0xff, PORT_REPORT >> 8, 0xef,
		0x66, 0x42, 0xee,
	};
	memcpy(c, main_code, sizeof(main_code));
	/* handler: mov $0x1234,%eax; mov $0x500,%dx; out %eax,(%dx); iret */
	static const uint8_t handler[] = {
		0xb8, 0x34, 0x12, 0, 0, 0x66, 0xba, PORT_REPORT & 0xff, PORT_REPORT >> 8, 0xef, 0xcf,
	};
	memcpy(c + HANDLER, handler, sizeof(handler));
	q(&t, GDT)[3] = 0x00cf9a000000ffffull;				/* 0x18 code32 */
	q(&t, GDT)[4] = 0x00cf92100000ffffull;				/* 0x20 data, base 1 MiB */
	q(&t, IDT)[0x20] = ((CODE + HANDLER) & 0xffff) | (0x18ull << 16) | (0x8eull << 40) |
			   ((uint64_t)((CODE + HANDLER) >> 16) << 48);	/* 32-bit interrupt gate */
	CHECK_EQ(ioctl(t.cpu, KVM_GET_SREGS, &sr), 0);
	sr.cs = (struct kvm_segment){ .limit = 0xffffffff, .present = 1, .type = 11, .s = 1,
				      .g = 1, .db = 1, .selector = 0x18 };
	sr.ds = sr.es = sr.fs = sr.gs = (struct kvm_segment){ .limit = 0xffffffff, .present = 1,
				      .type = 3, .s = 1, .g = 1, .db = 1, .selector = 0x20 };
	sr.ds.base = sr.es.base = sr.fs.base = sr.gs.base = 0;
	sr.ss = sr.ds;
	sr.ss.base = SS_BASE;
	sr.idt.limit = 0x7ff;
	sr.cr0 = 0x11;
	sr.cr4 = 0;
	sr.efer = 0;
	CHECK_EQ(ioctl(t.cpu, KVM_SET_SREGS, &sr), 0);
	r = (struct kvm_regs){ .rip = CODE, .rflags = 2 };
	CHECK_EQ(ioctl(t.cpu, KVM_SET_REGS, &r), 0);

	for (int i = 0; i < 1000 && !done; i++) {
		t.run->request_interrupt_window = injected ? 0 : 1;
		if (!injected && t.run->ready_for_interrupt_injection && i > 0) {
			CHECK_EQ(ioctl(t.cpu, KVM_INTERRUPT, &(struct kvm_interrupt){ 0x20 }), 0);
			injected = true;
		}
		if (ioctl(t.cpu, KVM_RUN, 0) < 0) {
			snprintf(why, sizeof(why), "KVM_RUN: %s", strerror(errno));
			break;
		}
		switch (t.run->exit_reason) {
		case KVM_EXIT_IO:
			if (t.run->io.port == PORT_DONE)
				done = true;
			else if (t.run->io.port == PORT_REPORT && t.nrep < 64)
				memcpy(&t.rep[t.nrep++], (uint8_t *)t.run + t.run->io.data_offset, 4);
			break;
		case KVM_EXIT_IRQ_WINDOW_OPEN:
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			if (emu_handle_failure(t.cpu, &t.gm, &t.retry, &st, why, sizeof(why)) < 0)
				i = 1000;
			break;
		default:
			snprintf(why, sizeof(why), "exit reason %u", t.run->exit_reason);
			i = 1000;
		}
	}
	if (!done)
		printf("    interrupt_in_32bit_mode: %s\n", why);
	CHECK(done);
	CHECK(injected);
	CHECK_EQ(t.nrep, 2);
	CHECK_EQ(t.rep[0], 0x1234);		/* the handler ran */
	CHECK_EQ(t.rep[1], ESP0);		/* and came back with ESP restored */
	emu_stats_print(&st, stdout);
	/* A recovered frame is only ever one the fallback's iret took. */
	CHECK(st.misplaced_frames <= st.count[EMU_IRET]);
	printf("    interrupt_in_32bit_mode: %lu iret(s) by the fallback, %lu frame(s) at linear ESP\n",
	       st.count[EMU_IRET], st.misplaced_frames);
	tvm_close(&t);
}

RUN_TESTS()
