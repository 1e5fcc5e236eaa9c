/*
 * pci.h - PCI configuration space through ports 0xcf8/0xcfc (bus 0 only).
 */
#ifndef PROBE_PCI_H
#define PROBE_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct pci_dev {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
};

uint32_t pci_read32(const struct pci_dev *d, uint8_t off);
uint16_t pci_read16(const struct pci_dev *d, uint8_t off);
uint8_t pci_read8(const struct pci_dev *d, uint8_t off);
void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v);

/*
 * Finds the first function on bus 0 matching vendor and one of the device
 * ids for which accept() returns true (accept may be NULL).
 */
bool pci_find(uint16_t vendor, const uint16_t *ids, unsigned nids,
	      bool (*accept)(const struct pci_dev *), struct pci_dev *out);
/*
 * Returns the CPU address of memory BAR n (64-bit BARs included), giving
 * it an address first if firmware left it unassigned; 0 if it is not a
 * memory BAR.  Enables memory decoding and bus mastering.
 */
uint64_t pci_bar_addr(const struct pci_dev *d, unsigned n);

#endif
