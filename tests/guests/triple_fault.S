/*
 * triple_fault.S - a guest that dies: an empty IDT, then ud2.  The #UD
 * finds no gate (#GP), neither does the #GP (#DF), nor the #DF: a triple
 * fault, which minivmm must report with the registers and status 1.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	lidt	empty_idt
	ud2
1:	hlt
	jmp	1b

	.balign 8
empty_idt:
	.word 0		/* limit 0: no gates at all */
	.long 0
