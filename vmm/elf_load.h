/*
 * elf_load.h - loading an ELF64 x86-64 kernel into guest memory: a Linux
 * vmlinux (from a host-decompressed bzImage or given directly) or any
 * kernel with a PVH entry note (the probe guest, Linux with CONFIG_PVH).
 */
#ifndef MINIVMM_ELF_LOAD_H
#define MINIVMM_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "common/guest_mem.h"

struct elf_info {
	uint64_t entry;		/* e_entry */
	uint64_t pvh_entry;	/* XEN_ELFNOTE_PHYS32_ENTRY, 0 if none */
	uint64_t lowest, highest;	/* physical range the segments occupy */
	uint16_t type;		/* e_type: ET_EXEC for a kernel */
	/*
	 * Laid out as Linux's x86-64 vmlinux is: a segment linked in the
	 * kernel's half (__START_KERNEL_map, 0xffffffff80000000 and up) and
	 * e_entry a physical address inside a loaded segment.  A program
	 * (linked low, entered at a virtual address) is not.
	 */
	int linux_layout;
};

/*
 * Checks the ELF header and every program header against len, then (if mem
 * is not NULL) copies each PT_LOAD segment to its physical address and
 * zeroes its tail.  Returns 0, or -1 with a one-line reason in err.
 */
int elf_load(const uint8_t *image, size_t len, const struct guest_mem *mem,
	     struct elf_info *info, char *err, size_t errlen);

/*
 * Why the ELF described by info cannot be booted by minivmm, or NULL: it
 * must be ET_EXEC, and have a PVH note or (linux_only: must have) Linux's
 * layout.  A shared object or a program would only triple-fault.
 */
const char *elf_unbootable(const struct elf_info *info, int linux_only);

/* True if the buffer starts with the ELF magic. */
int elf_is_elf(const uint8_t *image, size_t len);

#endif
