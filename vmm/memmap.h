/*
 * memmap.h - where minivmm puts things in guest-physical memory at boot,
 * and the e820 map that tells the guest which ranges are RAM.
 */
#ifndef MINIVMM_MEMMAP_H
#define MINIVMM_MEMMAP_H

#include <stdint.h>

/* Boot-time structures in low memory (below 1 MiB, outside the EBDA). */
#define BOOT_GDT_ADDR     0x0500ull
#define BOOT_INFO_ADDR    0x6000ull	/* PVH hvm_start_info + memory map */
#define BOOT_PARAMS_ADDR  0x7000ull	/* Linux zero page */
#define BOOT_PML4_ADDR    0x9000ull	/* identity page tables: 4 GiB, 2 MiB pages */
#define BOOT_PDPT_ADDR    0xa000ull
#define BOOT_PD_ADDR      0xb000ull	/* four page directories, 0xb000-0xefff */
#define BOOT_CMDLINE_ADDR 0x20000ull
#define BOOT_CMDLINE_MAX  0x10000u
#define EBDA_ADDR         0x9fc00ull
#define BIOS_AREA_ADDR    0xf0000ull	/* reserved: MP table, then ACPI */
#define MPTABLE_ADDR      0xf0000ull
#define MPTABLE_MAX       0x8000u
#define ACPI_TABLES_ADDR  0xf8000ull	/* RSDP first, where a BIOS-area scan finds it */
#define ACPI_TABLES_MAX   0x8000u
#define KERNEL_LOAD_ADDR  0x1000000ull	/* 16 MiB: Linux's LOAD_PHYSICAL_ADDR */

#define E820_TYPE_RAM 1
#define E820_TYPE_RESERVED 2

struct e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

#define E820_MAX 16

/*
 * Fills out[] with the PC memory map for ram_size bytes of RAM laid out as
 * vmm/vm.h describes.  Returns the number of entries.
 */
unsigned e820_build(uint64_t ram_size, struct e820_entry out[E820_MAX]);

/* RAM below the PCI hole, in bytes. */
uint64_t memmap_low_ram(uint64_t ram_size);

#endif
