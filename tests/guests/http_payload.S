/*
 * http_payload.S - what the iPXE tests fetch over HTTP and boot: a 32-bit
 * ELF (iPXE enters it in flat protected mode) carrying random bytes and two
 * running sums of them computed on the host.  It sums what arrived the same
 * way, prints MINIVMM-HTTP-PAYLOAD-OK or -BAD on COM1 and writes 42 or 1
 * to the test exit port, so a byte lost, changed or moved anywhere between
 * the host's HTTP server and guest memory (slirp, virtio-net, iPXE's TCP)
 * fails the test.
 *
 * Built by tests/integration/t_firmware.sh (linked with elf32.ld), with
 * the assembler's -I naming a directory that holds data.bin (a multiple of
 * 4 bytes) and sums.S, which sets WORDS, SUM_A and SUM_B: over the
 * little-endian 32-bit words w, a += w and b += a, modulo 2^32 (Fletcher's
 * construction: b depends on the order of the words).  Its PVH note lets
 * the test run the checker itself directly under minivmm, on a good and a
 * corrupted copy, before trusting it.
 */
#include "tests/guests/pvh_note.h"

	.text
	.code32
	.include "sums.S"
	.globl pvh_start32
pvh_start32:			/* iPXE's ELF entry and the PVH entry alike */
	cli			/* iPXE's interrupt handlers expect iPXE's own state */
	mov $data, %esi
	mov $WORDS, %ecx
	xor %eax, %eax
	xor %edx, %edx
1:	add (%esi), %eax
	add %eax, %edx
	add $4, %esi
	dec %ecx
	jnz 1b
	mov $ok, %esi
	mov $42, %bl
	cmp $SUM_A, %eax
	jne 2f
	cmp $SUM_B, %edx
	je 3f
2:	mov $bad, %esi
	mov $1, %bl
3:	mov $0x3f8, %dx
4:	lodsb
	test %al, %al
	jz 5f
	out %al, %dx
	jmp 4b
5:	mov %bl, %al
	out %al, $0xf4
6:	hlt
	jmp 6b
ok:	.asciz "\r\nMINIVMM-HTTP-PAYLOAD-OK\r\n"
bad:	.asciz "\r\nMINIVMM-HTTP-PAYLOAD-BAD\r\n"
	.balign 4
data:	.incbin "data.bin"
