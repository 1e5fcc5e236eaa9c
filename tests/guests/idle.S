/*
 * idle.S - a guest that does nothing, cheaply: interrupts off, then hlt
 * for ever.  The vCPU sleeps in the host kernel, so a test can keep
 * minivmm running as long as it likes (to look at its descriptors, send it
 * signals, hold its disk locks) at no CPU cost, then end it with a signal.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	cli
1:	hlt
	jmp	1b
