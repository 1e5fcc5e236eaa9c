/*
 * PCI host bridge: configuration mechanism 1, BAR assignment, sizing and
 * moving, decode enables, capabilities, INTx.  Everything is driven through
 * port I/O on 0xcf8/0xcfc and MMIO on the bus, as a guest would.
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include "check.h"
#include "devices/pci.h"
#include "fake_guest.h"

#define MMIO_BASE 0xc0000000ull
#define MMIO_SIZE 0x10000000ull
#define PIO_BASE 0xc000
#define PIO_SIZE 0x1000

struct rec {
	uint64_t off;
	int calls;
};

static void handler(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		    bool is_write)
{
	struct rec *r = opaque;

	r->off = off;
	r->calls++;
	if (!is_write)
		memset(data, 0xab, len);
}

struct moved {
	int calls, bar;
	uint64_t old_addr, new_addr;
};

static void bar_moved(struct pci_device *dev, int bar, uint64_t o, uint64_t n)
{
	struct moved *m = dev->opaque;

	m->calls++;
	m->bar = bar;
	m->old_addr = o;
	m->new_addr = n;
}

static const struct pci_device_ops ops = { .bar_moved = bar_moved };

static struct pci_bus *new_bus(struct fake_guest *g)
{
	return pci_create(&g->plat, MMIO_BASE, MMIO_SIZE, PIO_BASE, PIO_SIZE, NULL, 0);
}

static struct pci_device *new_dev(struct pci_bus *bus, struct moved *m,
				  unsigned gsi)
{
	struct pci_device_info info = {
		.vendor = 0x1234, .device = 0x5678, .revision = 2,
		.class_code = 0x020000, .subsys_vendor = 0x1af4,
		.subsys_device = 0x1100, .gsi = gsi, .ops = &ops, .opaque = m,
	};
	return pci_add_device(bus, &info);
}

TEST(host_bridge_answers_at_slot_0)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);

	CHECK(bus != NULL);
	CHECK_EQ(fg_cfg_read(g, 0, 0, 4), 0x12378086);
	CHECK_EQ(fg_cfg_read(g, 0, PCI_CLASS_DEVICE, 2), 0x0600);
	/* Byte and word reads at every lane of 0xcfc. */
	CHECK_EQ(fg_cfg_read(g, 0, 1, 1), 0x80);
	CHECK_EQ(fg_cfg_read(g, 0, 2, 2), 0x1237);
	CHECK_EQ(fg_cfg_read(g, 0, 3, 1), 0x12);
	/* The address latch reads back. */
	CHECK_EQ(fg_io(g, BUS_PIO, 0xcf8, 4, false, 0), 0x80000000);
	pci_destroy(bus);
	fg_free(g);
}

TEST(absent_functions_read_all_ones)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);

	CHECK_EQ(fg_cfg_read(g, 5, 0, 4), 0xffffffff);
	/* Function 1 of slot 0, bus 1, and the enable bit clear. */
	fg_io(g, BUS_PIO, 0xcf8, 4, true, 0x80000100);
	CHECK_EQ(fg_io(g, BUS_PIO, 0xcfc, 4, false, 0), 0xffffffff);
	fg_io(g, BUS_PIO, 0xcf8, 4, true, 0x80010000);
	CHECK_EQ(fg_io(g, BUS_PIO, 0xcfc, 4, false, 0), 0xffffffff);
	fg_io(g, BUS_PIO, 0xcf8, 4, true, 0x00000000);
	CHECK_EQ(fg_io(g, BUS_PIO, 0xcfc, 4, false, 0), 0xffffffff);
	pci_destroy(bus);
	fg_free(g);
}

TEST(device_header_and_enumeration)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 }, m2 = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10), *d2 = new_dev(bus, &m2, 11);
	unsigned seen = 0;

	CHECK_EQ(d->slot, 1);
	CHECK_EQ(d2->slot, 2);
	CHECK_EQ(fg_cfg_read(g, 1, 0, 4), 0x56781234);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_REVISION_ID, 4), 0x02000002);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_INTERRUPT_PIN, 1), 1);
	CHECK_EQ(fg_cfg_read(g, 2, PCI_INTERRUPT_LINE, 1), 11);
	/* Vendor id is read-only. */
	fg_cfg_write(g, 1, 0, 2, 0xffff);
	CHECK_EQ(fg_cfg_read(g, 1, 0, 2), 0x1234);
	for (unsigned s = 1; s < PCI_SLOTS; s++)
		if (bus->slot[s])
			seen |= 1u << s;
	CHECK_EQ(seen, 0x6);
	pci_destroy(bus);
	fg_free(g);
}

static void count_dev(void *opaque, unsigned slot, unsigned pin, unsigned gsi)
{
	unsigned *acc = opaque;

	*acc += slot * 1000 + pin * 100 + gsi;
}

TEST(enumeration_lists_slot_pin_and_gsi)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	unsigned acc = 0;

	CHECK_EQ(pci_next_slot(bus), 1);
	new_dev(bus, &m, 10);
	CHECK_EQ(pci_next_slot(bus), 2);
	new_dev(bus, &m, 11);
	pci_for_each_device(bus, count_dev, &acc);
	/* (1*1000 + 100 + 10) + (2*1000 + 100 + 11) */
	CHECK_EQ(acc, 3221);
	pci_destroy(bus);
	fg_free(g);
}

TEST(mem32_bar_is_preassigned_sized_and_moved)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	struct rec r = { 0 };

	CHECK_EQ(pci_add_bar(d, 0, PCI_BAR_MEM32, 0x4000, handler, &r, "b0"), 0);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_0, 4), MMIO_BASE);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_COMMAND, 2) & 3, 3);	/* IO|MEM on */
	CHECK_EQ(fg_mmio_read(g, MMIO_BASE + 0x10, 4), 0xabababab);
	CHECK_EQ(r.off, 0x10);
	/* Sizing: with decode off, write all ones and read the mask back. */
	fg_cfg_write(g, 1, PCI_COMMAND, 2, 0);
	CHECK_EQ(m.calls, 1);
	CHECK_EQ(m.new_addr, UINT64_MAX);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_0, 4, 0xffffffff);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_0, 4), 0xffffc000);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_0, 4, 0xd0001234);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_0, 4), 0xd0000000);
	r.calls = 0;
	fg_mmio_read(g, 0xd0000000, 4);
	CHECK_EQ(r.calls, 0);		/* decode still off */
	fg_cfg_write(g, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(m.calls, 2);
	CHECK_EQ(m.old_addr, UINT64_MAX);
	CHECK_EQ(m.new_addr, 0xd0000000);
	fg_mmio_read(g, 0xd0000008, 4);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(r.off, 8);
	fg_mmio_read(g, MMIO_BASE, 4);
	CHECK_EQ(r.calls, 1);		/* the old address is free */
	pci_destroy(bus);
	fg_free(g);
}

TEST(mem64_bar_sizes_both_halves_and_moves_above_4g)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	struct rec r = { 0 };

	CHECK_EQ(pci_add_bar(d, 2, PCI_BAR_MEM64, 0x100000, handler, &r, "b2"), 0);
	/* Naturally aligned in the window, type bits 10b (64-bit). */
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_2, 4), MMIO_BASE | 4);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_3, 4), 0);
	CHECK_EQ(pci_add_bar(d, 3, PCI_BAR_MEM32, 0x1000, handler, &r, "x"),
		 -EINVAL);	/* upper half is taken */
	fg_cfg_write(g, 1, PCI_COMMAND, 2, 0);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_2, 4, 0xffffffff);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_3, 4, 0xffffffff);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_2, 4), 0xfff00004);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_3, 4), 0xffffffff);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_2, 4, 0x00200000);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_3, 4, 0x1);
	fg_cfg_write(g, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(d->bar[2].mapped, 0x100200000ull);
	CHECK_EQ(m.bar, 2);
	fg_mmio_write(g, 0x100200040ull, 4, 1);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(r.off, 0x40);
	pci_destroy(bus);
	fg_free(g);
}

TEST(io_bar_follows_io_decode)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	struct rec r = { 0 };

	CHECK_EQ(pci_add_bar(d, 1, PCI_BAR_IO, 0x40, handler, &r, "io"), 0);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_1, 4), PIO_BASE | 1);
	fg_io(g, BUS_PIO, PIO_BASE + 3, 1, false, 0);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(r.off, 3);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_1, 4, 0xffffffff);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_1, 4), 0xffffffc1);
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_1, 4, 0xe000);
	fg_io(g, BUS_PIO, 0xe010, 2, true, 5);
	CHECK_EQ(r.calls, 2);
	CHECK_EQ(r.off, 0x10);
	/* Memory decode off does not matter to an I/O BAR; IO off does. */
	fg_cfg_write(g, 1, PCI_COMMAND, 2, PCI_COMMAND_IO);
	fg_io(g, BUS_PIO, 0xe000, 1, false, 0);
	CHECK_EQ(r.calls, 3);
	fg_cfg_write(g, 1, PCI_COMMAND, 2, 0);
	fg_io(g, BUS_PIO, 0xe000, 1, false, 0);
	CHECK_EQ(r.calls, 3);
	pci_destroy(bus);
	fg_free(g);
}

TEST(bars_come_from_the_window_and_run_out)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = pci_create(&g->plat, MMIO_BASE, 0x3000, PIO_BASE,
					 PIO_SIZE, NULL, 0);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	struct rec r = { 0 };

	CHECK_EQ(pci_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, handler, &r, "a"), 0);
	/* 0x2000 needs 0x2000 alignment: base + 0x2000..0x4000 > window. */
	CHECK_EQ(pci_add_bar(d, 1, PCI_BAR_MEM32, 0x2000, handler, &r, "b"),
		 -ENOSPC);
	CHECK_EQ(pci_add_bar(d, 1, PCI_BAR_MEM32, 0x1000, handler, &r, "c"), 0);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_BASE_ADDRESS_1, 4), MMIO_BASE + 0x1000);
	CHECK_EQ(pci_add_bar(d, 4, PCI_BAR_MEM32, 0x1800, handler, &r, "d"),
		 -EINVAL);	/* not a power of two */
	pci_destroy(bus);
	fg_free(g);
}

TEST(capability_list_links_and_write_masks)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	const uint8_t c1[6] = { 0x09, 0xee, 6, 1, 2, 3 };
	const uint8_t c2[4] = { 0x11, 0, 0x55, 0x66 };
	int o1 = pci_add_capability(d, c1, sizeof(c1));
	int o2 = pci_add_capability(d, c2, sizeof(c2));

	CHECK_EQ(o1, 0x40);
	CHECK_EQ(o2, 0x48);		/* 0x46 rounded up to a dword */
	CHECK(fg_cfg_read(g, 1, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_CAPABILITY_LIST, 1), 0x40);
	CHECK_EQ(fg_cfg_read(g, 1, 0x40, 4), 0x01064809);
	CHECK_EQ(fg_cfg_read(g, 1, 0x48, 4), 0x66550011);
	fg_cfg_write(g, 1, 0x4a, 1, 0x77);
	CHECK_EQ(fg_cfg_read(g, 1, 0x4a, 1), 0x55);	/* read-only */
	pci_set_wmask(d, 0x4a, 1, 0x0f);
	fg_cfg_write(g, 1, 0x4a, 1, 0x77);
	CHECK_EQ(fg_cfg_read(g, 1, 0x4a, 1), 0x57);
	pci_destroy(bus);
	fg_free(g);
}

TEST(intx_drives_the_gsi_and_honours_disable)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);

	pci_set_irq(d, 1);
	CHECK_EQ(g->line[10], 1);
	CHECK(fg_cfg_read(g, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	fg_cfg_write(g, 1, PCI_COMMAND, 2,
		     PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	CHECK_EQ(g->line[10], 0);
	/* The status bit still shows the request. */
	CHECK(fg_cfg_read(g, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	fg_cfg_write(g, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(g->line[10], 1);
	pci_set_irq(d, 0);
	CHECK_EQ(g->line[10], 0);
	CHECK(!(fg_cfg_read(g, 1, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT));
	/* The guest may rewrite the line register (firmware does). */
	fg_cfg_write(g, 1, PCI_INTERRUPT_LINE, 1, 5);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_INTERRUPT_LINE, 1), 5);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), 0);	/* no ROM */
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, 0xffffffff);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), 0);
	pci_destroy(bus);
	fg_free(g);
}

TEST(overlapping_bar_is_taken_off_the_bus)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct moved m = { 0 };
	struct pci_device *d = new_dev(bus, &m, 10);
	struct rec r = { 0 }, other = { 0 };

	bus_register(&g->bus, BUS_MMIO, 0xfec00000, 0x1000, handler, &other,
		     "ioapic");
	pci_add_bar(d, 0, PCI_BAR_MEM32, 0x1000, handler, &r, "b0");
	fg_cfg_write(g, 1, PCI_BASE_ADDRESS_0, 4, 0xfec00000);
	CHECK_EQ(d->bar[0].mapped, UINT64_MAX);
	fg_mmio_read(g, 0xfec00000, 4);
	CHECK_EQ(other.calls, 1);
	CHECK_EQ(r.calls, 0);
	pci_destroy(bus);
	fg_free(g);
}

RUN_TESTS()
