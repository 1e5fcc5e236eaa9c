/*
 * exit.S - the smallest PVH guest: writes 0 to the test exit port (0xf4,
 * QEMU's isa-debug-exit and minivmm's exit port) and halts.  Used by
 * bench/startup.sh to time a VMM from exec to exit with the guest doing
 * nothing, on every machine type including QEMU -M microvm, which has no
 * PCI for the probe.  Three 32-bit instructions in ring 0: on this host's
 * software KVM each is emulated, but three cost microseconds.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.globl pvh_start32
pvh_start32:
	xor	%eax, %eax
	outb	%al, $0xf4
1:	hlt
	jmp	1b
