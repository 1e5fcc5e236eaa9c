/* i440fx.c - the 440FX host bridge identity, PIIX3 and its reset register; see i440fx.h. */
#include "devices/i440fx.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reset Control bits (PIIX3 datasheet, RC register; bit 3 as QEMU keeps it). */
#define RCR_SYS_RESET	0x02	/* hard, not soft, reset: kept, the same here */
#define RCR_RESET_CPU	0x04	/* written as 1: the machine resets */
#define RCR_FULL_RESET	0x08	/* kept, no other effect */
#define RCR_WRITABLE	(RCR_SYS_RESET | RCR_RESET_CPU | RCR_FULL_RESET)

struct i440fx {
	struct bus *bus;
	uint8_t rcr;		/* Reset Control register as last written */
	i440fx_reset_fn on_reset;
	void *opaque;
};

static void rcr_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct i440fx *c = opaque;

	(void)off;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = c->rcr;
		return;
	}
	c->rcr = data[0] & RCR_WRITABLE;
	if ((data[0] & RCR_RESET_CPU) && c->on_reset)
		c->on_reset(c->opaque);
}

struct i440fx *i440fx_create(struct pci_bus *bus, i440fx_reset_fn on_reset,
			     void *opaque, char *err, size_t errlen)
{
	const struct pci_device_info piix3 = {
		.vendor = 0x8086, .device = 0x7000,	/* 82371SB PIIX3 ISA */
		.class_code = 0x060100,			/* bridge, ISA */
	};
	struct i440fx *c;
	struct pci_device *isa;

	if (pci_next_slot(bus) != I440FX_PIIX3_SLOT) {
		snprintf(err, errlen, "i440fx: PCI slot %u is taken",
			 I440FX_PIIX3_SLOT);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "i440fx: out of memory");
		return NULL;
	}
	c->bus = bus->plat->bus;
	c->on_reset = on_reset;
	c->opaque = opaque;
	if (bus_claim(c->bus, BUS_PIO, I440FX_RESET_PORT, 1, rcr_io, c,
		      "reset-control", err, errlen) < 0) {
		free(c);
		return NULL;
	}
	isa = pci_add_device(bus, &piix3);
	if (!isa) {
		i440fx_destroy(c);
		snprintf(err, errlen, "i440fx: cannot add the PIIX3 at PCI slot %u",
			 I440FX_PIIX3_SLOT);
		return NULL;
	}
	pci_cfg_put(isa, 0x3d, 1, 0);	/* Interrupt Pin: none */
	pci_cfg_put(isa, 0x3c, 1, 0);
	/* PIRQ route control 0x60-0x63: SeaBIOS writes them; reads back. */
	pci_set_wmask(isa, 0x60, 4, 0xff);
	pci_cfg_put(isa, 0x60, 4, 0x80808080u);	/* routing disabled */
	pci_cfg_put(&bus->host, 0x2c, 2, 0x1af4);	/* subsystem vendor */
	pci_cfg_put(&bus->host, 0x2e, 2, 0x1100);	/* subsystem: QEMU VM */
	/* The PAM registers 0x59-0x5f: plain bytes (see vmm/firmware.h). */
	pci_set_wmask(&bus->host, 0x59, 7, 0xff);
	bus->gsi_follows_line = true;
	return c;
}

void i440fx_destroy(struct i440fx *c)
{
	if (!c)
		return;
	bus_move(c->bus, BUS_PIO, c, "reset-control", 0, 0);
	free(c);
}
