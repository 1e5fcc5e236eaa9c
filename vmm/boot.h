/*
 * boot.h - putting a kernel into guest memory and describing how the boot
 * vCPU must start: Linux through its 64-bit boot protocol (bzImage or
 * vmlinux), or any ELF with a PVH note through the PVH 32-bit entry.
 */
#ifndef MINIVMM_BOOT_H
#define MINIVMM_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/mptable.h"

struct vm;

struct boot_opts {
	const char *kernel;		/* -k */
	const char *initrd;		/* -i, may be NULL */
	const char *cmdline;		/* -a, may be NULL */
	bool guest_decompress;		/* run the kernel's own decompressor */
	bool software_kvm;		/* add what this host's KVM needs */
};

enum boot_mode {
	BOOT_LINUX64,		/* long mode, RSI = boot_params */
	BOOT_PVH32,		/* 32-bit protected mode, EBX = hvm_start_info */
};

struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t arg;		/* RSI or EBX */
	const char *how;	/* for -v: "bzImage, xz payload decompressed on the host" */
	double decompress_seconds;
};

/*
 * Loads everything into vm's memory (kernel, initrd, command line, e820,
 * MP table and ACPI tables with the given PCI interrupt wiring, page
 * tables) and fills
 * *entry.  Set-up errors die() with one line naming the file.
 */
void boot_load(struct vm *vm, const struct boot_opts *opts,
	       const struct mptable_pci_irq *pci, unsigned npci,
	       struct boot_entry *entry);

/*
 * Where the initrd goes: as high as possible below low_ram and addr_max
 * (the kernel's initrd_addr_max, inclusive; 0 = none), 4 KiB aligned, not
 * below floor (the end of the kernel).  Returns 0, or -1 if it cannot fit.
 */
int boot_place_initrd(uint64_t low_ram, uint64_t floor, uint64_t addr_max,
		      uint64_t len, uint64_t *at);

/* The command line minivmm passes: the user's, plus defaults it lacks. */
void boot_cmdline(const char *user, bool software_kvm, char *out, size_t len);

#endif
