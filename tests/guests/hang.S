/*
 * hang.S - a guest that never ends: interrupts off, halted for good.
 * Only --timeout (status 124) or a signal (128+N) can end the run.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	cli
1:	hlt
	jmp	1b
