/*
 * The 440FX chipset parts SeaBIOS looks for: the PIIX3 ISA bridge at
 * 00:01.0, the host bridge's QEMU subsystem ids and PAM bytes, and the
 * Reset Control register at 0xcf9.  Driven through ports, as SeaBIOS does.
 */
#include <linux/pci_regs.h>

#include "check.h"
#include "devices/i440fx.h"
#include "fake_guest.h"

static void count_reset(void *opaque)
{
	(*(int *)opaque)++;
}

static struct pci_bus *new_bus(struct fake_guest *g)
{
	return pci_create(&g->plat, 0xc0000000ull, 0x10000000ull, 0xc000, 0x1000, NULL, 0);
}

TEST(piix3_answers_at_slot_1_as_seabios_expects)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	int resets = 0;
	struct i440fx *c = i440fx_create(bus, count_reset, &resets, NULL, 0);

	CHECK(c != NULL);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_VENDOR_ID, 4), 0x70008086);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_CLASS_DEVICE, 2), 0x0601);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_INTERRUPT_PIN, 1), 0);
	/* PIRQ route control: disabled at reset, and reads back what is written. */
	CHECK_EQ(fg_cfg_read(g, 1, 0x60, 4), 0x80808080u);
	fg_cfg_write(g, 1, 0x60, 4, 0x0b0b0a0au);
	CHECK_EQ(fg_cfg_read(g, 1, 0x60, 4), 0x0b0b0a0au);
	/* The next device goes to slot 2. */
	CHECK_EQ(pci_next_slot(bus), 2);
	CHECK(bus->gsi_follows_line);
	CHECK_EQ(resets, 0);
	i440fx_destroy(c);
	pci_destroy(bus);
	fg_free(g);
}

TEST(host_bridge_shows_qemu_ids_and_writable_pam)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct i440fx *c = i440fx_create(bus, NULL, NULL, NULL, 0);

	CHECK_EQ(fg_cfg_read(g, 0, PCI_SUBSYSTEM_VENDOR_ID, 2), 0x1af4);
	CHECK_EQ(fg_cfg_read(g, 0, PCI_SUBSYSTEM_ID, 2), 0x1100);
	for (unsigned off = 0x59; off <= 0x5f; off++) {
		fg_cfg_write(g, 0, off, 1, 0x33);
		CHECK_EQ(fg_cfg_read(g, 0, off, 1), 0x33);
	}
	/* Outside the PAM bytes the host bridge stays read-only. */
	fg_cfg_write(g, 0, 0x58, 1, 0x33);
	CHECK_EQ(fg_cfg_read(g, 0, 0x58, 1), 0);
	i440fx_destroy(c);
	pci_destroy(bus);
	fg_free(g);
}

TEST(reset_control_resets_on_bit_2_only)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	int resets = 0;
	struct i440fx *c = i440fx_create(bus, count_reset, &resets, NULL, 0);

	fg_io(g, BUS_PIO, I440FX_RESET_PORT, 1, true, 0x02);	/* system reset bit alone */
	CHECK_EQ(resets, 0);
	CHECK_EQ(fg_io(g, BUS_PIO, I440FX_RESET_PORT, 1, false, 0), 0x02);
	fg_io(g, BUS_PIO, I440FX_RESET_PORT, 1, true, 0x06);	/* SeaBIOS: hard reset */
	CHECK_EQ(resets, 1);
	/* Reserved bits 0 and 4-7 are not kept. */
	fg_io(g, BUS_PIO, I440FX_RESET_PORT, 1, true, 0xf1);
	CHECK_EQ(fg_io(g, BUS_PIO, I440FX_RESET_PORT, 1, false, 0), 0);
	CHECK_EQ(resets, 1);
	i440fx_destroy(c);
	pci_destroy(bus);
	fg_free(g);
}

TEST(refused_when_slot_1_is_taken)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	const struct pci_device_info other = { .vendor = 0x1234, .device = 1 };
	char err[80] = "";

	CHECK(pci_add_device(bus, &other) != NULL);
	CHECK(i440fx_create(bus, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "i440fx: PCI slot 1 is taken") == 0);
	/* Nothing was left behind on the port. */
	CHECK(!bus_access(&g->bus, BUS_PIO, I440FX_RESET_PORT, (uint8_t[1]){ 0 }, 1, false));
	pci_destroy(bus);
	fg_free(g);
}

TEST(refused_when_port_0xcf9_is_taken)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	char err[80] = "";

	CHECK_EQ(bus_register(&g->bus, BUS_PIO, I440FX_RESET_PORT, 1, NULL, NULL, "taken"), 0);
	CHECK(i440fx_create(bus, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "reset-control: I/O ports 0xcf9-0xcf9 are taken") == 0);
	CHECK_EQ(pci_next_slot(bus), 1);	/* the ISA bridge was not added */
	pci_destroy(bus);
	fg_free(g);
}

TEST(destroy_frees_the_reset_port)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = new_bus(g);
	struct i440fx *c = i440fx_create(bus, NULL, NULL, NULL, 0);

	CHECK(c != NULL);
	i440fx_destroy(c);
	CHECK_EQ(bus_register(&g->bus, BUS_PIO, I440FX_RESET_PORT, 1, NULL, NULL, "again"), 0);
	pci_destroy(bus);
	fg_free(g);
}

RUN_TESTS()
