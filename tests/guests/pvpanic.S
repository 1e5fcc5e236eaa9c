/*
 * pvpanic.S - a guest that reports a panic the way Linux's pvpanic-pci
 * driver does: it finds PCI device 1b36:0011 on bus 0 through
 * configuration mechanism 1, reads the events it supports from the first
 * byte of BAR 0, and writes PANICKED (1) there.  minivmm must end with
 * status 3.  Codes on the test exit port otherwise:
 *   0x42 no pvpanic device (what --no-pvpanic must give)
 *   0x43 the device does not offer PANICKED   0x44 still running
 */
#include "tests/guests/pvh_note.h"

#define EXIT_PORT 0xf4
#define PVPANIC_ID 0x00111b36	/* device 0x0011, vendor 0x1b36 */

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	xorl	%ecx, %ecx		/* slot */
1:	movl	%ecx, %eax
	shll	$11, %eax
	orl	$0x80000000, %eax	/* enable, bus 0, function 0, offset 0 */
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfc, %dx
	inl	%dx, %eax
	cmpl	$PVPANIC_ID, %eax
	je	2f
	incl	%ecx
	cmpl	$32, %ecx
	jb	1b
	movb	$0x42, %al
	jmp	fail

2:	movl	%ecx, %eax
	shll	$11, %eax
	orl	$0x80000010, %eax	/* BAR 0 */
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfc, %dx
	inl	%dx, %eax
	andl	$0xfffffff0, %eax
	movl	%eax, %esi
	movb	$0x43, %al
	testb	$1, (%esi)
	jz	fail
	movb	$1, (%esi)		/* PANICKED */
	movb	$0x44, %al
fail:
	outb	%al, $EXIT_PORT
3:	hlt
	jmp	3b
