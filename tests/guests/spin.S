/*
 * spin.S - a guest that never ends and never exits to the host: interrupts
 * off, a tight loop with no instruction KVM intercepts.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	cli
1:	jmp	1b
