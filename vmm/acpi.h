/*
 * acpi.h - the ACPI tables minivmm gives a guest it boots directly: an
 * RSDP (revision 2), an RSDT and XSDT, a hardware-reduced FADT, a MADT
 * and a DSDT (ACPI 6.5 chapter 5).  They describe the same machine as the
 * MP table (vmm/mptable.c), which stays for guests booted with acpi=off.
 *
 * Hardware-reduced (FADT flag HW_REDUCED_ACPI) means no PM1 event/control
 * blocks, no PM timer, no GPEs and no SCI: power off and reset go through
 * the FADT's sleep control and reset registers (devices/acpi_pm.h), which
 * is all a guest needs to end a run.  The DSDT holds data objects only,
 * no methods: _S5, the PCI host bridge (bus range, windows, _PRT), COM1,
 * the RTC, the i8042 keyboard controller and one processor device per
 * vCPU.
 */
#ifndef MINIVMM_ACPI_H
#define MINIVMM_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/mptable.h"

struct acpi_machine {
	unsigned ncpus;				/* local APIC ids 0..ncpus-1 */
	const struct mptable_pci_irq *pci;	/* each device's INTx wiring */
	unsigned npci;
};

/* Where each table starts in the buffer acpi_build() filled. */
struct acpi_layout {
	size_t rsdt, xsdt, fadt, madt, dsdt;
};

/*
 * Writes the RSDP (at offset 0) and the tables it leads to into buf, which
 * the caller copies to guest-physical address base (below 4 GiB, 16-byte
 * aligned, so the RSDP is also found by a scan of the BIOS area).  Returns
 * the number of bytes used, or 0 if they do not fit in len.  layout, if
 * not NULL, gets each table's offset (vmm/acpi_loader.c needs them).
 */
size_t acpi_build(uint8_t *buf, size_t len, uint32_t base,
		  const struct acpi_machine *m, struct acpi_layout *layout);

/* Table layout facts the builder and its tests share. */
#define ACPI_RSDP_LEN 36
#define ACPI_HEADER_LEN 36
#define ACPI_FADT_LEN 276		/* revision 6 */
#define ACPI_FADT_DSDT 40
#define ACPI_FADT_FLAGS 112
#define ACPI_FADT_RESET_REG 116
#define ACPI_FADT_RESET_VALUE 128
#define ACPI_FADT_X_DSDT 140
#define ACPI_FADT_SLEEP_CONTROL 244
#define ACPI_FADT_SLEEP_STATUS 256
#define ACPI_FADT_HW_REDUCED (1u << 20)
#define ACPI_FADT_RESET_REG_SUP (1u << 10)

#endif
