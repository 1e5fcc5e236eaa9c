/*
 * entry.S - the probe's only ring-0 code.
 *
 * Ring 0 runs emulated, and so very slowly, on the project's KVM (see
 * /work/shared/HOST-KVM.md), so everything that can be static data is
 * static data: the page tables (identity map of the low 8 GiB with 2 MiB
 * pages, user-accessible), the GDT, the TSS and its descriptor (assembled
 * by the linker script).  The entry does the least a 64-bit switch needs
 * and leaves for ring 3 with IOPL=3 and interrupts off; everything else,
 * port I/O included, runs there at native speed.
 *
 * Boot protocol: Xen PVH, as QEMU's -kernel and minivmm load it.  The
 * loader enters pvh_start32 in 32-bit protected mode, paging off, with
 * EBX = physical address of struct hvm_start_info.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x18
#define SEL_UCODE 0x20
#define SEL_TSS   0x28

/* Page-table entry bits: present, writable, user, 2 MiB page. */
#define PTE_PWU 0x7
#define PDE_2M  0x87

	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long pvh_start32

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	mov	%ebx, %esi		/* keep hvm_start_info for C */
	lgdt	gdt_ptr
	mov	$pml4, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* CR4.PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* CR0.PG | CR0.PE */
	mov	%eax, %cr0
	ljmp	$SEL_KCODE, $long_mode

	.code64
long_mode:
	mov	$SEL_KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	mov	$SEL_TSS, %eax
	ltr	%ax
	lidt	idt_ptr
	/* PVH promises no stack: use the ring-0 (TSS RSP0) one for the frame. */
	mov	$trap_stack_top, %rsp
	/* iretq into ring 3: SS, RSP, RFLAGS (IOPL=3, IF=0), CS, RIP. */
	pushq	$(SEL_UDATA | 3)
	pushq	$user_stack_top
	pushq	$0x3002
	pushq	$(SEL_UCODE | 3)
	pushq	$user_entry
	iretq

	.text
/* Ring 3 from here on.  RSI still holds the hvm_start_info address. */
user_entry:
	mov	$(SEL_UDATA | 3), %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%rsi, %rdi
	call	probe_main
1:	jmp	1b

/*
 * Exception stubs (vectors 0-31).  Ring-3 faults arrive here in ring 0 on
 * the TSS's RSP0 stack; trap_report() prints the frame and ends the run.
 * Vectors that push an error code: 8, 10-14, 17, 21, 29, 30.
 */
	.globl trap_stubs
	.balign 16
trap_stubs:
	.set vec, 0
	.rept 32
	.balign 16
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	trap_common
	.set vec, vec + 1
	.endr

trap_common:
	mov	%rsp, %rdi
	call	trap_report
2:	hlt
	jmp	2b

/*
 * Vector 32 (DPL 3): the probe's idle=1 ends here.  Interrupts stay off,
 * so the vCPU sleeps in KVM for good and the test can measure how little
 * CPU minivmm uses meanwhile, then stop it.
 */
	.globl idle_stub
idle_stub:
	hlt
	jmp	idle_stub

	.data
	.balign 16
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad 0x00cf92000000ffff	/* 0x10 kernel data */
	.quad 0x00cff2000000ffff	/* 0x18 user data, DPL 3 */
	.quad 0x00affa000000ffff	/* 0x20 user code, 64-bit, DPL 3 */
	.quad tss_desc_lo		/* 0x28 TSS (linker script) */
	.quad tss_desc_hi
gdt_end:
	.balign 8
	.word 0
gdt_ptr:
	.word gdt_end - gdt - 1
	.quad gdt
	.word 0
idt_ptr:
	.word 33 * 16 - 1
	.quad idt

	.balign 16
	.globl tss
tss:
	.long 0
	.quad trap_stack_top		/* RSP0 */
	.fill 88, 1, 0
	.word 0, 104			/* I/O bitmap right after the TSS */
	/*
	 * All ports allowed for ring 3, plus the terminating 0xff byte.
	 * IOPL=3 alone is not enough here: this KVM (kvm_pvm) runs guest
	 * ring 3 with IOPL forced to 0, but honours the bitmap.
	 */
	.fill 8192, 1, 0
	.byte 0xff

	.section .data.pagetables, "aw"
	.balign 4096
pml4:
	.quad pdpt + PTE_PWU
	.fill 511, 8, 0
pdpt:
	.set i, 0
	.rept 8
	.quad pd + i * 4096 + PTE_PWU
	.set i, i + 1
	.endr
	.fill 504, 8, 0
pd:
	.set addr, 0
	.rept 8 * 512
	.quad addr + PDE_2M
	.set addr, addr + 0x200000
	.endr

	.bss
	.balign 16
	.globl idt
idt:
	.fill 33 * 16, 1, 0	/* vectors 0-31, and 32: the idle gate */

	.section .noinit, "aw", @nobits
	.balign 16
	.fill 16384, 1, 0
trap_stack_top:
	.fill 65536, 1, 0
user_stack_top:
