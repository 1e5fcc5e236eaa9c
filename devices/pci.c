/*
 * pci.c - host bridge, configuration mechanism 1, config space and BARs.
 * See pci.h for the model.  Config space is kept as plain bytes plus a
 * per-byte write mask; BAR registers are the exception and are normalised
 * after every write (size mask and type bits), which is what makes the
 * "write all ones, read back the mask" sizing protocol work.
 */
#include "devices/pci.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define NOT_MAPPED UINT64_MAX
#define CF8_ENABLE 0x80000000u

uint32_t pci_cfg_get(const struct pci_device *dev, unsigned off, unsigned len)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < len && off + i < PCI_CFG_SPACE; i++)
		v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

void pci_cfg_put(struct pci_device *dev, unsigned off, unsigned len,
		 uint32_t val)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SPACE; i++)
		dev->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

void pci_set_wmask(struct pci_device *dev, unsigned off, unsigned len,
		   uint8_t mask)
{
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SPACE; i++)
		dev->wmask[off + i] = mask;
}

static void init_header(struct pci_device *dev,
			const struct pci_device_info *info)
{
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	pci_cfg_put(dev, PCI_VENDOR_ID, 2, info->vendor);
	pci_cfg_put(dev, PCI_DEVICE_ID, 2, info->device);
	pci_cfg_put(dev, PCI_REVISION_ID, 1, info->revision);
	pci_cfg_put(dev, PCI_CLASS_PROG, 3, info->class_code);
	pci_cfg_put(dev, PCI_HEADER_TYPE, 1, PCI_HEADER_TYPE_NORMAL);
	pci_cfg_put(dev, PCI_SUBSYSTEM_VENDOR_ID, 2, info->subsys_vendor);
	pci_cfg_put(dev, PCI_SUBSYSTEM_ID, 2, info->subsys_device);
	/* Decode on from the start, as firmware would leave it. */
	pci_cfg_put(dev, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	pci_set_wmask(dev, PCI_COMMAND, 1,
		      PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_set_wmask(dev, PCI_COMMAND + 1, 1, PCI_COMMAND_INTX_DISABLE >> 8);
	pci_set_wmask(dev, PCI_CACHE_LINE_SIZE, 1, 0xff);
	pci_set_wmask(dev, PCI_LATENCY_TIMER, 1, 0xff);
	pci_set_wmask(dev, PCI_INTERRUPT_LINE, 1, 0xff);
	dev->cap_end = 0x40;
	dev->last_cap = 0;
	dev->gsi = info->gsi;
	dev->ops = info->ops;
	dev->opaque = info->opaque;
	dev->lock = info->lock;
	for (int i = 0; i < PCI_NUM_BARS; i++)
		dev->bar[i].mapped = NOT_MAPPED;
	dev->rom_mapped = NOT_MAPPED;
}

/* Mechanism 1 CONFIG_ADDRESS at 0xcf8: only dword accesses latch. */
static void cf8_access(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;

	if (offset != 0 || len != 4) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		uint32_t v = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
			     (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
		bus->cf8 = v & 0x80fffffcu;
	} else {
		for (int i = 0; i < 4; i++)
			data[i] = (uint8_t)(bus->cf8 >> (8 * i));
	}
}

/* CONFIG_DATA at 0xcfc..0xcff: byte, word or dword at any lane. */
static void cfc_access(void *opaque, uint64_t offset, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;
	uint32_t a = bus->cf8;
	unsigned busnr = (a >> 16) & 0xff, slot = (a >> 11) & 0x1f;
	unsigned fn = (a >> 8) & 7;

	if (!(a & CF8_ENABLE) || busnr != 0 || fn != 0) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pci_cfg_access(bus, slot, (a & 0xfc) + (unsigned)offset, data, len,
		       is_write);
}

struct pci_bus *pci_create(struct platform *p, uint64_t mmio_base,
			   uint64_t mmio_size, uint16_t pio_base,
			   uint16_t pio_size, char *err, size_t errlen)
{
	struct pci_bus *bus = calloc(1, sizeof(*bus));
	/* Intel 440FX host bridge ids: every guest knows them. */
	const struct pci_device_info host = {
		.vendor = 0x8086, .device = 0x1237,
		.class_code = 0x060000,	/* bridge, host */
	};

	if (!bus) {
		snprintf(err, errlen, "pci: out of memory");
		return NULL;
	}
	bus->plat = p;
	bus->mmio_base = bus->mmio_next = mmio_base;
	bus->mmio_size = mmio_size;
	bus->pio_base = bus->pio_next = pio_base;
	bus->pio_size = pio_size;
	pthread_mutex_init(&bus->lock, NULL);
	init_header(&bus->host, &host);
	bus->host.lock = &p->bus->lock;
	bus->host.bus = bus;
	bus->host.slot = 0;
	bus->slot[0] = &bus->host;
	if (bus_register_locked(p->bus, BUS_PIO, 0xcf8, 1, cf8_access, bus,
				"pci-addr", &bus->lock) < 0 ||
	    bus_register_locked(p->bus, BUS_PIO, 0xcfc, 4, cfc_access, bus,
				"pci-data", &bus->lock) < 0) {
		free(bus);
		snprintf(err, errlen, "pci: I/O ports 0xcf8 or 0xcfc-0xcff are taken");
		return NULL;
	}
	return bus;
}

void pci_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	for (unsigned s = 1; s < PCI_SLOTS; s++)
		free(bus->slot[s]);
	free(bus);
}

unsigned pci_next_slot(const struct pci_bus *bus)
{
	for (unsigned s = 1; s < PCI_SLOTS; s++)
		if (!bus->slot[s])
			return s;
	return 0;
}

struct pci_device *pci_add_device(struct pci_bus *bus,
				  const struct pci_device_info *info)
{
	for (unsigned s = 1; s < PCI_SLOTS; s++) {
		struct pci_device *dev;

		if (bus->slot[s])
			continue;
		dev = calloc(1, sizeof(*dev));
		if (!dev)
			return NULL;
		init_header(dev, info);
		if (!dev->lock)
			dev->lock = &bus->plat->bus->lock;
		dev->bus = bus;
		dev->slot = s;
		pci_cfg_put(dev, PCI_INTERRUPT_PIN, 1, 1);	/* INTA */
		pci_cfg_put(dev, PCI_INTERRUPT_LINE, 1, info->gsi & 0xff);
		bus->slot[s] = dev;
		return dev;
	}
	return NULL;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Writes the BAR register(s) for the address in bar->addr. */
static void bar_store(struct pci_device *dev, int i)
{
	const struct pci_bar *b = &dev->bar[i];
	unsigned reg = PCI_BASE_ADDRESS_0 + 4 * (unsigned)i;

	switch (b->type) {
	case PCI_BAR_IO:
		pci_cfg_put(dev, reg, 4, (uint32_t)b->addr |
			    PCI_BASE_ADDRESS_SPACE_IO);
		break;
	case PCI_BAR_MEM32:
		pci_cfg_put(dev, reg, 4, (uint32_t)b->addr);
		break;
	case PCI_BAR_MEM64:
		pci_cfg_put(dev, reg, 4, (uint32_t)b->addr |
			    PCI_BASE_ADDRESS_MEM_TYPE_64);
		pci_cfg_put(dev, reg + 4, 4, (uint32_t)(b->addr >> 32));
		break;
	case PCI_BAR_NONE:
		break;
	}
}

int pci_add_bar(struct pci_device *dev, int index, enum pci_bar_type type,
		uint64_t size, bus_handler fn, void *opaque, const char *name)
{
	struct pci_bus *bus = dev->bus;
	struct pci_bar *b;
	uint64_t addr;
	enum bus_space space = type == PCI_BAR_IO ? BUS_PIO : BUS_MMIO;

	if (index < 0 || index >= PCI_NUM_BARS || size == 0 ||
	    (index > 0 && dev->bar[index - 1].type == PCI_BAR_MEM64) ||
	    (size & (size - 1)) || dev->bar[index].type != PCI_BAR_NONE ||
	    (type == PCI_BAR_MEM64 && (index == PCI_NUM_BARS - 1 ||
				       dev->bar[index + 1].type != PCI_BAR_NONE)) ||
	    (type == PCI_BAR_IO && (size < 4 || size > 256)) ||
	    (type != PCI_BAR_IO && (size < 16 || (type == PCI_BAR_MEM32 &&
						  size > (1ull << 31)))))
		return -EINVAL;
	if (type == PCI_BAR_IO) {
		addr = align_up(bus->pio_next, size);
		if (addr + size > (uint64_t)bus->pio_base + bus->pio_size ||
		    addr + size > 0x10000)
			return -ENOSPC;
		bus->pio_next = (uint32_t)(addr + size);
	} else {
		addr = align_up(bus->mmio_next, size);
		if (addr < bus->mmio_next ||
		    addr + size > bus->mmio_base + bus->mmio_size ||
		    (type == PCI_BAR_MEM32 && addr + size > (1ull << 32)))
			return -ENOSPC;
		bus->mmio_next = addr + size;
	}
	if (bus_register_locked(bus->plat->bus, space, addr, size, fn, opaque,
				name, dev->lock) < 0)
		return -EBUSY;
	b = &dev->bar[index];
	*b = (struct pci_bar){ type, size, addr, addr, fn, opaque, name };
	if (type == PCI_BAR_MEM64)
		dev->bar[index + 1].type = PCI_BAR_NONE;	/* upper half */
	bar_store(dev, index);
	return 0;
}

int pci_add_capability(struct pci_device *dev, const void *body, unsigned len)
{
	unsigned off = (dev->cap_end + 3) & ~3u;

	if (len < 2 || off + len > PCI_CFG_SPACE)
		return -ENOSPC;
	memcpy(&dev->cfg[off], body, len);
	dev->cfg[off + 1] = 0;
	if (dev->last_cap)
		dev->cfg[dev->last_cap + 1] = (uint8_t)off;
	else
		dev->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	pci_cfg_put(dev, PCI_STATUS, 2,
		    pci_cfg_get(dev, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
	dev->last_cap = (uint8_t)off;
	dev->cap_end = off + len;
	return (int)off;
}

/* Re-derives each BAR's address from its (just written) register bytes. */
static void bars_normalise(struct pci_device *dev)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bar[i];
		unsigned reg = PCI_BASE_ADDRESS_0 + 4 * (unsigned)i;
		uint64_t lo = pci_cfg_get(dev, reg, 4), hi;

		switch (b->type) {
		case PCI_BAR_NONE:
			/* Unused, or the upper half of a 64-bit BAR. */
			if (i == 0 || dev->bar[i - 1].type != PCI_BAR_MEM64)
				pci_cfg_put(dev, reg, 4, 0);
			continue;
		case PCI_BAR_IO:
			b->addr = lo & ~(b->size - 1) & 0xfffffffcu;
			break;
		case PCI_BAR_MEM32:
			b->addr = lo & ~(b->size - 1) & 0xfffffff0u;
			break;
		case PCI_BAR_MEM64:
			hi = pci_cfg_get(dev, reg + 4, 4);
			b->addr = ((hi << 32) | (lo & 0xfffffff0u)) &
				  ~(b->size - 1);
			break;
		}
		bar_store(dev, i);
	}
}

/*
 * Puts each BAR where config space says, if its decode bit is on and the
 * address is usable; otherwise takes it off the bus.  A BAR that would
 * overlap another range is left off the bus (the guest is mid-sizing or
 * confused; real hardware would conflict).
 */
static void bars_remap(struct pci_device *dev)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(dev, PCI_COMMAND, 2);
	struct bus *iobus = dev->bus->plat->bus;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		struct pci_bar *b = &dev->bar[i];
		bool io = b->type == PCI_BAR_IO;
		enum bus_space space = io ? BUS_PIO : BUS_MMIO;
		uint64_t want = NOT_MAPPED, old = b->mapped;

		if (b->type == PCI_BAR_NONE)
			continue;
		if ((cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) &&
		    b->addr != 0 && b->addr + b->size > b->addr &&
		    (!io || b->addr + b->size <= 0x10000))
			want = b->addr;
		if (want == old)
			continue;
		if (want == NOT_MAPPED ||
		    bus_move(iobus, space, b->opaque, b->name, want,
			     b->size) < 0) {
			bus_move(iobus, space, b->opaque, b->name, 0, 0);
			want = NOT_MAPPED;
		}
		b->mapped = want;
		if (want != old && dev->ops && dev->ops->bar_moved)
			dev->ops->bar_moved(dev, i, old, want);
	}
}

static void irq_update(struct pci_device *dev)
{
	uint16_t cmd = (uint16_t)pci_cfg_get(dev, PCI_COMMAND, 2);
	uint16_t st = (uint16_t)pci_cfg_get(dev, PCI_STATUS, 2);
	bool out = dev->irq_level && !(cmd & PCI_COMMAND_INTX_DISABLE);

	/* The status bit shows the device's request even while disabled. */
	st = dev->irq_level ? (st | PCI_STATUS_INTERRUPT)
			    : (st & ~PCI_STATUS_INTERRUPT);
	pci_cfg_put(dev, PCI_STATUS, 2, st);
	if (out != dev->irq_out && dev->bus && dev->bus->plat->irq.set_line) {
		irq_set_line(&dev->bus->plat->irq, dev->gsi, out);
	}
	dev->irq_out = out;
}

void pci_set_irq(struct pci_device *dev, int level)
{
	dev->irq_level = level != 0;
	irq_update(dev);
}

/* Reads of the expansion ROM; the image is read-only. */
static void rom_access(void *opaque, uint64_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct pci_device *dev = opaque;

	if (is_write)
		return;
	for (uint32_t i = 0; i < len; i++)
		data[i] = off + i < dev->rom_len ? dev->rom[off + i] : 0;
}

/* Maps the ROM where its BAR says, if enabled and memory decode is on. */
static void rom_remap(struct pci_device *dev)
{
	uint32_t v = pci_cfg_get(dev, PCI_ROM_ADDRESS, 4);
	uint16_t cmd = (uint16_t)pci_cfg_get(dev, PCI_COMMAND, 2);
	uint64_t addr = v & PCI_ROM_ADDRESS_MASK & ~(dev->rom_size - 1);
	uint64_t want = NOT_MAPPED;
	struct bus *iobus = dev->bus->plat->bus;

	if (!dev->rom_size)
		return;
	if ((v & PCI_ROM_ADDRESS_ENABLE) && (cmd & PCI_COMMAND_MEMORY) && addr)
		want = addr;
	if (want == dev->rom_mapped)
		return;
	if (want == NOT_MAPPED ||
	    bus_move(iobus, BUS_MMIO, dev, "pci-rom", want, dev->rom_size) < 0) {
		bus_move(iobus, BUS_MMIO, dev, "pci-rom", 0, 0);
		want = NOT_MAPPED;
	}
	dev->rom_mapped = want;
}

/*
 * The expansion ROM BAR: reads as 0 without a ROM; with one, the address
 * bits below the ROM's size read as zero, which is how firmware sizes it.
 */
static void pci_rom_write(struct pci_device *dev)
{
	uint32_t v = pci_cfg_get(dev, PCI_ROM_ADDRESS, 4);

	if (!dev->rom_size) {
		pci_cfg_put(dev, PCI_ROM_ADDRESS, 4, 0);
		return;
	}
	v &= (uint32_t)~(dev->rom_size - 1) | PCI_ROM_ADDRESS_ENABLE;
	pci_cfg_put(dev, PCI_ROM_ADDRESS, 4, v);
	rom_remap(dev);
}

int pci_set_rom(struct pci_device *dev, const uint8_t *image, uint64_t len)
{
	uint64_t size = 2048;

	if (!len || len > (16u << 20) || dev->rom_size)
		return -EINVAL;
	while (size < len)
		size <<= 1;
	/* The image never changes: reads need only the bus lock, which
	 * outlives the device's own. */
	if (bus_register(dev->bus->plat->bus, BUS_MMIO, 0, 0, rom_access, dev,
			 "pci-rom") < 0)
		return -EBUSY;
	dev->rom = image;
	dev->rom_len = len;
	dev->rom_size = size;
	pci_set_wmask(dev, PCI_ROM_ADDRESS, 4, 0xff);
	pci_cfg_put(dev, PCI_ROM_ADDRESS, 4, 0);
	return 0;
}

/* Firmware boots: the guest wrote Interrupt Line; move INTA there. */
static void line_moved(struct pci_device *dev)
{
	unsigned line = (unsigned)pci_cfg_get(dev, PCI_INTERRUPT_LINE, 1);
	struct platform *p = dev->bus->plat;

	/* 0xff means "unknown / not connected" (PCI 3.0 6.2.4). */
	if (line == dev->gsi || line >= 24)
		return;
	if (dev->irq_out && p->irq.set_line) {
		irq_set_line(&p->irq, dev->gsi, 0);
		irq_set_line(&p->irq, line, 1);
	}
	dev->gsi = line;
}

static void cfg_access_locked(struct pci_device *dev, unsigned off,
			      uint8_t *data, unsigned len, bool is_write)
{
	bool bars = false, cmd = false, rom = false, line = false;

	if (!is_write) {
		if (dev->ops && dev->ops->cfg_read && off + len > 0x40)
			dev->ops->cfg_read(dev, off, len);
		for (unsigned i = 0; i < len; i++)
			data[i] = off + i < PCI_CFG_SPACE ? dev->cfg[off + i]
							  : 0xff;
		return;
	}
	for (unsigned i = 0; i < len && off + i < PCI_CFG_SPACE; i++) {
		unsigned b = off + i;

		if (b >= PCI_BASE_ADDRESS_0 && b < PCI_CARDBUS_CIS) {
			dev->cfg[b] = data[i];
			bars = true;
			continue;
		}
		if (b >= PCI_ROM_ADDRESS && b < PCI_ROM_ADDRESS + 4)
			rom = true;
		if (b == PCI_COMMAND || b == PCI_COMMAND + 1)
			cmd = true;
		if (b == PCI_INTERRUPT_LINE)
			line = true;
		dev->cfg[b] = (uint8_t)((dev->cfg[b] & ~dev->wmask[b]) |
					(data[i] & dev->wmask[b]));
	}
	if (bars)
		bars_normalise(dev);
	if (rom)
		pci_rom_write(dev);
	if (bars || cmd)
		bars_remap(dev);
	if (cmd)
		rom_remap(dev);
	if (line && dev->bus->gsi_follows_line && dev != &dev->bus->host)
		line_moved(dev);
	if (cmd)
		irq_update(dev);
	if (dev->ops && dev->ops->cfg_write && off + len > 0x40)
		dev->ops->cfg_write(dev, off, len);
}

/*
 * Under the device's lock: the I/O thread reads the same config bytes
 * (MSI-X enable, INTx disable) and drives INTx under it.
 */
void pci_cfg_access(struct pci_bus *bus, unsigned slot, unsigned off,
		    uint8_t *data, unsigned len, bool is_write)
{
	struct pci_device *dev = slot < PCI_SLOTS ? bus->slot[slot] : NULL;

	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(dev->lock);
	cfg_access_locked(dev, off, data, len, is_write);
	pthread_mutex_unlock(dev->lock);
}

void pci_for_each_device(struct pci_bus *bus,
			 void (*fn)(void *opaque, unsigned slot, unsigned pin,
				    unsigned gsi),
			 void *opaque)
{
	for (unsigned s = 1; s < PCI_SLOTS; s++) {
		unsigned pin;

		if (!bus->slot[s])
			continue;
		/* Pin 0: no interrupt (the ISA bridge, pvpanic). */
		pin = (unsigned)pci_cfg_get(bus->slot[s], PCI_INTERRUPT_PIN, 1);
		if (pin)
			fn(opaque, s, pin, bus->slot[s]->gsi);
	}
}
