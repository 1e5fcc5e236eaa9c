/*
 * pci.c - configuration mechanism #1 (ports 0xcf8/0xcfc).
 */
#include "pci.h"
#include "arch.h"
#include "lib.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

static void pci_select(const struct pci_dev *d, uint8_t off)
{
	outl(PCI_ADDR, 0x80000000u | (uint32_t)d->bus << 16 |
		       (uint32_t)d->slot << 11 | (uint32_t)d->fn << 8 |
		       (off & 0xfc));
}

uint32_t pci_read32(const struct pci_dev *d, uint8_t off)
{
	pci_select(d, off);
	return inl(PCI_DATA);
}

uint16_t pci_read16(const struct pci_dev *d, uint8_t off)
{
	return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, uint8_t off)
{
	return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, uint8_t off, uint32_t v)
{
	pci_select(d, off);
	outl(PCI_DATA, v);
}

void pci_write16(const struct pci_dev *d, uint8_t off, uint16_t v)
{
	uint32_t old = pci_read32(d, off & 0xfc);
	unsigned sh = (off & 2) * 8;

	old &= ~(0xffffu << sh);
	pci_write32(d, off & 0xfc, old | (uint32_t)v << sh);
}

bool pci_find(uint16_t vendor, const uint16_t *ids, unsigned nids,
	      bool (*accept)(const struct pci_dev *), struct pci_dev *out)
{
	for (uint8_t slot = 0; slot < 32; slot++) {
		for (uint8_t fn = 0; fn < 8; fn++) {
			struct pci_dev d = { 0, slot, fn, 0, 0 };
			uint32_t id = pci_read32(&d, 0);
			if ((id & 0xffff) == 0xffff) {
				if (fn == 0)
					break;
				continue;
			}
			d.vendor = (uint16_t)id;
			d.device = (uint16_t)(id >> 16);
			for (unsigned i = 0; i < nids; i++) {
				if (d.vendor == vendor && d.device == ids[i] &&
				    (!accept || accept(&d))) {
					*out = d;
					return true;
				}
			}
			/* Header type bit 7: multi-function device. */
			if (fn == 0 && !(pci_read8(&d, 0x0e) & 0x80))
				break;
		}
	}
	return false;
}

/* Where the probe puts BARs that firmware left at 0 (minivmm may). */
static uint64_t next_free_mmio = 0xc0000000u;

uint64_t pci_bar_addr(const struct pci_dev *d, unsigned n)
{
	uint8_t off = (uint8_t)(0x10 + 4 * n);
	uint32_t lo = pci_read32(d, off);
	if (lo & 1)
		return 0;	/* I/O BAR */
	bool is64 = ((lo >> 1) & 3) == 2;
	uint64_t addr = lo & ~0xfull;
	if (is64)
		addr |= (uint64_t)pci_read32(d, (uint8_t)(off + 4)) << 32;

	if (addr == 0) {
		/* Size it (all ones, read back), then align and place it. */
		pci_write32(d, off, 0xffffffffu);
		uint32_t mask = pci_read32(d, off) & ~0xfu;
		uint64_t size = (uint64_t)(~mask) + 1;
		size &= 0xffffffffu;
		if (size == 0)
			return 0;
		next_free_mmio = (next_free_mmio + size - 1) & ~(size - 1);
		addr = next_free_mmio;
		next_free_mmio += size;
		pci_write32(d, off, (uint32_t)addr);
		if (is64)
			pci_write32(d, (uint8_t)(off + 4), 0);
	}
	/* Command: memory space + bus master. */
	pci_write16(d, 0x04, (uint16_t)(pci_read16(d, 0x04) | 0x6));
	return addr;
}
