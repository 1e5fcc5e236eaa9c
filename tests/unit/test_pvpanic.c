/*
 * The pvpanic PCI device as Linux's pvpanic-pci driver sees it: the ids it
 * binds, a memory BAR whose first byte offers PANICKED and CRASH_LOADED,
 * a write of an event reported once, and no interrupt (so no INTx is
 * listed for the MP table or _PRT).
 */
#include <linux/pci_regs.h>

#include "check.h"
#include "devices/pci.h"
#include "devices/pvpanic.h"
#include "fake_guest.h"

struct seen {
	int calls;
	uint8_t events;
};

static void on_event(void *opaque, uint8_t events)
{
	struct seen *s = opaque;

	s->calls++;
	s->events = events;
}

static void count_irq(void *opaque, unsigned slot, unsigned pin, unsigned gsi)
{
	(void)slot;
	(void)pin;
	(void)gsi;
	(*(int *)opaque)++;
}

TEST(ids_bar_and_events_as_the_linux_driver_reads_them)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = pci_create(&g->plat, 0xc0000000ull, 0x10000000ull,
					 0xc000, 0x1000, NULL, 0);
	struct seen s = { 0 };
	struct pvpanic *p = pvpanic_create(bus, on_event, &s, NULL, 0);
	uint32_t bar;
	int irqs = 0;

	CHECK(p != NULL);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_VENDOR_ID, 2), 0x1b36);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_DEVICE_ID, 2), 0x0011);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_CLASS_DEVICE, 2), 0x0880);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_INTERRUPT_PIN, 1), 0);
	pci_for_each_device(bus, count_irq, &irqs);
	CHECK_EQ(irqs, 0);

	bar = fg_cfg_read(g, 1, PCI_BASE_ADDRESS_0, 4);
	CHECK(bar != 0 && !(bar & PCI_BASE_ADDRESS_SPACE_IO));
	bar &= PCI_BASE_ADDRESS_MEM_MASK;
	CHECK_EQ(fg_mmio_read(g, bar, 1), PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	CHECK_EQ(s.calls, 0);
	fg_mmio_write(g, bar + 1, 1, PVPANIC_PANICKED);	/* not the register */
	fg_mmio_write(g, bar, 1, 0x80);			/* no known event */
	CHECK_EQ(s.calls, 0);
	fg_mmio_write(g, bar, 1, PVPANIC_PANICKED);
	CHECK_EQ(s.calls, 1);
	CHECK_EQ(s.events, PVPANIC_PANICKED);
	fg_mmio_write(g, bar, 1, PVPANIC_CRASH_LOADED | 0x40);
	CHECK_EQ(s.calls, 2);
	CHECK_EQ(s.events, PVPANIC_CRASH_LOADED);
	pci_destroy(bus);
	free(p);
	fg_free(g);
}

RUN_TESTS()
