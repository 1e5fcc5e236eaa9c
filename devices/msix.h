/*
 * msix.h - an MSI-X function (PCI Local Bus 3.0 section 6.8.2) for any
 * PCI device: the capability in config space, the vector table, the
 * pending-bit array (PBA), per-vector and function masking.
 *
 * The device keeps the table and PBA in one of its BARs and hands accesses
 * to those ranges to msix_table_access() / msix_pba_access(); it passes
 * every config write to msix_cfg_write(), which notices Message Control
 * changes.  An interrupt the device raises while its vector (or the whole
 * function) is masked sets the vector's pending bit and is sent as soon as
 * the mask is lifted (6.8.2.9), whichever way it is lifted.
 *
 * No lock of its own: calls run under the owning device's lock.
 */
#ifndef MINIVMM_MSIX_H
#define MINIVMM_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

/* The table fits the 11-bit Table Size field (6.8.2.3). */
#define MSIX_MAX_VECTORS 2048

struct msix {
	struct pci_device *pci;
	const struct irq_sink *irq;
	unsigned cap;		/* config offset of the capability */
	unsigned nvectors;
	uint8_t *table;		/* nvectors entries of PCI_MSIX_ENTRY_SIZE */
	uint64_t *pending;	/* the PBA, one bit per vector */
	unsigned long sent;	/* messages delivered */
	unsigned long held;	/* raised while masked (pending bit set) */
};

/*
 * Adds the MSI-X capability to `pci` with `nvectors` vectors (1 to
 * MSIX_MAX_VECTORS), table and PBA at the given offsets of BAR `bar`
 * (each 8-byte aligned), every vector masked and MSI-X disabled, as at
 * power-on.  Messages go to `irq`.  0, or -EINVAL / -ENOSPC / -ENOMEM.
 */
int msix_init(struct msix *m, struct pci_device *pci,
	      const struct irq_sink *irq, unsigned nvectors, unsigned bar,
	      uint32_t table_off, uint32_t pba_off);
void msix_fini(struct msix *m);

/* Bytes the table and the PBA take in the BAR. */
unsigned msix_table_size(const struct msix *m);
unsigned msix_pba_size(const struct msix *m);

/* MSI-X Enable is set in Message Control (the device must not use INTx). */
bool msix_enabled(const struct msix *m);

/*
 * Raises vector `vec`: sent now, or held in the PBA while masked.  Returns
 * false when MSI-X is disabled or vec is not a vector (nothing done).
 */
bool msix_notify(struct msix *m, unsigned vec);

/* Drops every pending bit without sending (a device reset). */
void msix_clear_pending(struct msix *m);

/*
 * BAR accesses at offset `off` into the table / the PBA.  Reads outside
 * them read zeros; writes there and to the PBA (read-only) are ignored.
 * A table write may unmask a vector, which then sends what was pending.
 */
void msix_table_access(struct msix *m, unsigned off, uint8_t *data,
		       unsigned len, bool is_write);
void msix_pba_access(struct msix *m, unsigned off, uint8_t *data,
		     unsigned len, bool is_write);

/*
 * After a config write to [off, off + len): true when it touched Message
 * Control (Enable or Function Mask may have changed); then anything no
 * longer masked has been sent.
 */
bool msix_cfg_write(struct msix *m, unsigned off, unsigned len);

#endif
