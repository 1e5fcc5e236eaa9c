/*
 * mptable.h - the Intel MultiProcessor Specification 1.4 table, which tells
 * a guest without ACPI how many CPUs there are, where the IOAPIC is and how
 * ISA and PCI interrupts reach its pins.
 */
#ifndef MINIVMM_MPTABLE_H
#define MINIVMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

struct mptable_pci_irq {
	uint8_t slot;		/* device number on bus 0 */
	uint8_t pin;		/* 0 = INTA .. 3 = INTD */
	uint8_t gsi;		/* IOAPIC input it is wired to */
};

/*
 * Writes the floating pointer and configuration table into buf, which the
 * caller copies to guest-physical address base.  Returns the number of
 * bytes used, or 0 if they do not fit in len.
 */
size_t mptable_build(uint8_t *buf, size_t len, uint32_t base, unsigned ncpus,
		     const struct mptable_pci_irq *pci, unsigned npci);

#endif
