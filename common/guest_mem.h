/*
 * guest_mem.h - the only way minivmm turns guest-physical addresses into
 * host pointers.
 *
 * Guest RAM is a short list of regions (below the PCI hole, above 4 GiB).
 * gm_ptr() answers a host pointer only when the whole range [gpa, gpa+len)
 * lies inside one region; every check is overflow-safe, so a guest value
 * such as gpa = 0xffff...f000 with len = 0x2000 is refused, not wrapped.
 * Nothing else in minivmm does arithmetic on guest addresses.
 */
#ifndef MINIVMM_GUEST_MEM_H
#define MINIVMM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GM_MAX_REGIONS 4

struct gm_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct gm_region region[GM_MAX_REGIONS];
	unsigned nregions;
	uint64_t ram_size;	/* total bytes of RAM over all regions */
};

/* Adds a region; returns -1 if the table is full or regions overlap. */
int gm_add_region(struct guest_mem *gm, uint64_t gpa, uint64_t size, void *hva);

/* Host pointer for [gpa, gpa+len) or NULL if any byte is outside one region. */
void *gm_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copies between guest and host; return 0, or -1 (nothing copied) if out of range. */
int gm_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int gm_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);

#endif
