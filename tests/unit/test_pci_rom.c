/*
 * The expansion ROM BAR (pci_set_rom) and firmware-mode INTx routing,
 * driven the way SeaBIOS's pciinit.c and optionrom.c drive them: size the
 * ROM BAR by writing ~enable and reading back, assign an address, enable,
 * read the image through MMIO, disable.
 */
#include <linux/pci_regs.h>

#include "check.h"
#include "devices/pci.h"
#include "fake_guest.h"

#define ROM_AT 0xfeb00000u

static struct pci_device *dev_with_rom(struct fake_guest *g, struct pci_bus **bus,
				       const uint8_t *img, uint64_t len)
{
	const struct pci_device_info info = { .vendor = 0x1af4, .device = 0x1041,
					      .class_code = 0x020000, .gsi = 17 };
	struct pci_device *d;

	*bus = pci_create(&g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	d = pci_add_device(*bus, &info);
	CHECK_EQ(pci_set_rom(d, img, len), 0);
	return d;
}

TEST(rom_bar_sizes_as_next_power_of_two_and_reads_zero_until_assigned)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus;
	static uint8_t img[75776];	/* pxe-virtio.rom's size: 74 KiB -> 128 KiB BAR */

	dev_with_rom(g, &bus, img, sizeof(img));
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), 0);
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, ~(uint32_t)PCI_ROM_ADDRESS_ENABLE);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), 0xfffe0000u);
	pci_destroy(bus);
	fg_free(g);
}

TEST(enabled_rom_answers_mmio_reads_and_disabling_unmaps_it)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus;
	uint8_t img[3000];

	for (unsigned i = 0; i < sizeof(img); i++)
		img[i] = (uint8_t)(i ^ 0x5a);
	img[0] = 0x55;
	img[1] = 0xaa;
	dev_with_rom(g, &bus, img, sizeof(img));	/* 4 KiB BAR */
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, ROM_AT);
	/* Address set, enable bit clear: nothing decodes there. */
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 2), 0xffff);
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, ROM_AT | PCI_ROM_ADDRESS_ENABLE);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), ROM_AT | 1);
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 2), 0xaa55);
	CHECK_EQ(fg_mmio_read(g, ROM_AT + 100, 1), 100 ^ 0x5a);
	/* Past the image, inside the BAR: zeros. */
	CHECK_EQ(fg_mmio_read(g, ROM_AT + 3000, 4), 0);
	/* Writes to a ROM change nothing. */
	fg_mmio_write(g, ROM_AT, 1, 0);
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 1), 0x55);
	/* Memory decode off in the command register unmaps it too. */
	fg_cfg_write(g, 1, PCI_COMMAND, 2, 0);
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 1), 0xff);
	fg_cfg_write(g, 1, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 1), 0x55);
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, ROM_AT);
	CHECK_EQ(fg_mmio_read(g, ROM_AT, 1), 0xff);
	pci_destroy(bus);
	fg_free(g);
}

TEST(device_without_rom_keeps_a_zero_rom_bar)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus = pci_create(&g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	const struct pci_device_info info = { .vendor = 0x1af4, .device = 0x1041 };

	pci_add_device(bus, &info);
	fg_cfg_write(g, 1, PCI_ROM_ADDRESS, 4, 0xffffffff);
	CHECK_EQ(fg_cfg_read(g, 1, PCI_ROM_ADDRESS, 4), 0);
	pci_destroy(bus);
	fg_free(g);
}

TEST(firmware_mode_moves_an_asserted_intx_to_the_new_interrupt_line)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus;
	static uint8_t img[2048];
	struct pci_device *d = dev_with_rom(g, &bus, img, sizeof(img));

	bus->gsi_follows_line = true;
	pci_set_irq(d, 1);
	CHECK_EQ(g->line[17], 1);
	/* SeaBIOS writes the PIRQ-routed ISA IRQ. */
	fg_cfg_write(g, 1, PCI_INTERRUPT_LINE, 1, 11);
	CHECK_EQ(g->line[17], 0);
	CHECK_EQ(g->line[11], 1);
	pci_set_irq(d, 0);
	CHECK_EQ(g->line[11], 0);
	/* 0xff ("unknown") leaves the routing alone. */
	fg_cfg_write(g, 1, PCI_INTERRUPT_LINE, 1, 0xff);
	pci_set_irq(d, 1);
	CHECK_EQ(g->line[11], 1);
	pci_destroy(bus);
	fg_free(g);
}

TEST(without_firmware_mode_interrupt_line_is_only_a_scratch_byte)
{
	struct fake_guest *g = fg_new();
	struct pci_bus *bus;
	static uint8_t img[2048];
	struct pci_device *d = dev_with_rom(g, &bus, img, sizeof(img));

	fg_cfg_write(g, 1, PCI_INTERRUPT_LINE, 1, 11);
	pci_set_irq(d, 1);
	CHECK_EQ(g->line[17], 1);
	CHECK_EQ(g->line[11], 0);
	pci_destroy(bus);
	fg_free(g);
}

RUN_TESTS()
