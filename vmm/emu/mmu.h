/*
 * mmu.h - guest linear addresses to guest memory, as the CPU would do it:
 * paging off, 32-bit (with 4 MiB pages under CR4.PSE), PAE, and 4-level
 * long-mode paging, honouring present, writable (with CR0.WP), user,
 * no-execute (EFER.NXE), SMEP and SMAP (with RFLAGS.AC), and setting the
 * accessed and dirty bits.  A refused access raises #PF in cpu->fault with
 * the hardware's error code and CR2 (SDM vol. 3, 4.7).
 *
 * Not modelled: reserved-bit faults, protection keys, 5-level paging (the
 * access fails with a reason), PAE's PDPTE registers (read from memory).
 */
#ifndef MINIVMM_EMU_MMU_H
#define MINIVMM_EMU_MMU_H

#include "vmm/emu/cpu.h"

#include <stddef.h>
#include <stdint.h>

/* Access kinds, or-ed together. */
#define EMU_ACC_READ	0u
#define EMU_ACC_WRITE	1u	/* a data write */
#define EMU_ACC_FETCH	2u	/* an instruction fetch */
#define EMU_ACC_SV	4u	/* implicit supervisor access (IDT, GDT, TSS, delivery stack) */

/*
 * Translates one linear address.  Returns EMU_OK with *gpa set,
 * EMU_EXCEPTION with #PF recorded, or EMU_FAIL (cpu->why) when a page-table
 * entry lies outside guest RAM or the paging mode is not supported.
 */
int emu_translate(struct emu_cpu *c, uint64_t la, unsigned acc, uint64_t *gpa);

/*
 * Copies len bytes from/to linear address la, page by page.  A write checks
 * every page before it changes any byte.  The result is as for
 * emu_translate; a page whose address is outside RAM is EMU_FAIL.
 */
int emu_read_linear(struct emu_cpu *c, uint64_t la, void *buf, size_t len, unsigned acc);
int emu_write_linear(struct emu_cpu *c, uint64_t la, const void *buf, size_t len, unsigned acc);

/*
 * Host pointer for [la, la+len) when it lies inside one page (for locked
 * read-modify-write instructions).  EMU_FAIL if it crosses a page.
 */
int emu_map_linear(struct emu_cpu *c, uint64_t la, size_t len, unsigned acc, void **host);

#endif
