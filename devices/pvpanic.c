/* pvpanic.c - see pvpanic.h. */
#include "devices/pvpanic.h"

#include <linux/pci_regs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic {
	void (*on_event)(void *opaque, uint8_t events);
	void *opaque;
};

static void pvpanic_mmio(void *opaque, uint64_t off, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct pvpanic *p = opaque;
	uint8_t events;

	if (!is_write) {
		memset(data, 0, len);
		if (off == 0)
			data[0] = EVENTS;	/* what we handle */
		return;
	}
	if (off != 0)
		return;
	events = data[0] & EVENTS;
	if (events)
		p->on_event(p->opaque, events);
}

struct pvpanic *pvpanic_create(struct pci_bus *bus,
			       void (*on_event)(void *opaque, uint8_t events),
			       void *opaque, char *err, size_t errlen)
{
	const struct pci_device_info info = {
		.vendor = PVPANIC_VENDOR, .device = PVPANIC_DEVICE,
		/* QEMU's subsystem ids for its own devices. */
		.subsys_vendor = 0x1af4, .subsys_device = 0x1100,
		.revision = 1,
		.class_code = 0x088000,		/* system peripheral, other */
	};
	struct pvpanic *p = calloc(1, sizeof(*p));
	struct pci_device *dev;

	if (!p) {
		snprintf(err, errlen, "pvpanic: out of memory");
		return NULL;
	}
	p->on_event = on_event;
	p->opaque = opaque;
	dev = pci_add_device(bus, &info);
	if (!dev || pci_add_bar(dev, 0, PCI_BAR_MEM32, 16, pvpanic_mmio, p,
				"pvpanic") < 0) {
		free(p);	/* the caller gives up on the machine */
		snprintf(err, errlen, "pvpanic: no free PCI slot or MMIO space");
		return NULL;
	}
	/* No interrupt: Interrupt Pin 0, so no INTx routing is listed. */
	pci_cfg_put(dev, PCI_INTERRUPT_PIN, 1, 0);
	pci_cfg_put(dev, PCI_INTERRUPT_LINE, 1, 0xff);
	return p;
}
