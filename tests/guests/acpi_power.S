/*
 * acpi_power.S - a guest that powers off the way an ACPI OS does, with
 * nothing but the tables to go on: the RSDP from hvm_start_info (which
 * must also be the one a scan of the BIOS area 0xe0000-0xfffff finds),
 * the XSDT, the FADT in it, and the FADT's sleep control register, to
 * which it writes SLP_EN with SLP_TYP 5 (what the DSDT's _S5 says).  Built
 * with ACPI_RESET (acpi_reset.S) it writes the FADT's reset value to its
 * reset register instead.  minivmm must then end with status 0.
 *
 * If something is missing it writes a code to the test exit port:
 *   0x51 no RSDP in the BIOS area   0x52 the scan found another RSDP
 *   0x53 no FADT in the XSDT        0x54 still running after the write
 */
#include "tests/guests/pvh_note.h"

#define EXIT_PORT 0xf4
#define SIG_RSD 0x20445352	/* "RSD " */
#define SIG_PTR 0x20525450	/* "PTR " */
#define SIG_FACP 0x50434146	/* "FACP" */

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	movl	32(%ebx), %esi		/* hvm_start_info.rsdp_paddr (low half) */

	movl	$0xe0000, %edi		/* the RSDP sits on a 16-byte boundary */
1:	cmpl	$SIG_RSD, (%edi)
	jne	2f
	cmpl	$SIG_PTR, 4(%edi)
	je	3f
2:	addl	$16, %edi
	cmpl	$0x100000, %edi
	jb	1b
	movb	$0x51, %al
	jmp	fail
3:	movb	$0x52, %al
	cmpl	%esi, %edi
	jne	fail

	movl	24(%esi), %esi		/* RSDP.XsdtAddress (low half) */
	movl	4(%esi), %ecx		/* XSDT length */
	addl	%esi, %ecx		/* end of the XSDT */
	leal	36(%esi), %edx		/* first 64-bit entry */
4:	movb	$0x53, %al
	cmpl	%ecx, %edx
	jae	fail
	movl	(%edx), %eax
	cmpl	$SIG_FACP, (%eax)
	je	5f
	addl	$8, %edx
	jmp	4b

5:
#ifdef ACPI_RESET
	movl	120(%eax), %edx		/* RESET_REG, its address (GAS + 4) */
	movb	128(%eax), %al		/* RESET_VALUE */
#else
	movl	248(%eax), %edx		/* SLEEP_CONTROL_REG, its address */
	movb	$(0x20 | 5 << 2), %al	/* SLP_EN | SLP_TYP(5) */
#endif
	outb	%al, %dx
	movb	$0x54, %al
fail:
	outb	%al, $EXIT_PORT
6:	hlt
	jmp	6b
