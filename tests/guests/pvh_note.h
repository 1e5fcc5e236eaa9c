/*
 * pvh_note.h - the ELF note that makes a tiny test guest bootable through
 * the PVH entry (minivmm, and QEMU's -kernel): Xen's PHYS32_ENTRY note
 * naming pvh_start32, the 32-bit protected-mode entry point.  Include it
 * in a .S file that defines pvh_start32; link with bench/guest/exit.ld.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a"
	.balign 4
	.long 4, 4, XEN_ELFNOTE_PHYS32_ENTRY	/* namesz, descsz, type */
	.asciz "Xen"
	.balign 4
	.long pvh_start32
