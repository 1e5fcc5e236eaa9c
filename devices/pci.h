/*
 * pci.h - a PCI host bridge with configuration mechanism 1 (ports
 * 0xcf8/0xcfc), one bus, devices in slots 1..31 (function 0 only).
 *
 * The vmm gives the bus an MMIO window and a port window; each BAR a device
 * adds is assigned from them at once (naturally aligned), registered on the
 * I/O bus, and memory/IO decode is left enabled, as firmware would leave it,
 * so a kernel booted without firmware finds every device ready to use.  When
 * the guest rewrites a BAR or the command register the range is moved on
 * the I/O bus (or removed while decode is off) and the device is told, so
 * it can move anything else bound to the address (ioeventfds).
 *
 * Every device has INTA wired to a GSI the vmm chooses; pci_for_each_device()
 * lists (slot, pin, gsi) for the MP table / ACPI.
 */
#ifndef MINIVMM_PCI_H
#define MINIVMM_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/platform.h"

#define PCI_SLOTS 32
#define PCI_CFG_SPACE 256
#define PCI_NUM_BARS 6

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,	/* takes two BAR registers: index and index + 1 */
};

struct pci_device;

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size;		/* power of two; 0 = unused */
	uint64_t addr;		/* as programmed in config space */
	uint64_t mapped;	/* where it is on the I/O bus, or ~0 when not */
	bus_handler fn;
	void *opaque;
	const char *name;
};

/* Optional hooks a device model supplies (all may be NULL). */
struct pci_device_ops {
	/*
	 * Called before a config read / after a config write that touches
	 * [off, off+len) at or above 0x40 (capabilities), so a device can
	 * refresh or act on capability registers (MSI-X enable, the
	 * virtio PCI_CFG window).
	 */
	void (*cfg_read)(struct pci_device *dev, unsigned off, unsigned len);
	void (*cfg_write)(struct pci_device *dev, unsigned off, unsigned len);
	/* A BAR moved on the bus: old/new are ~0 when unmapped. */
	void (*bar_moved)(struct pci_device *dev, int bar, uint64_t old_addr,
			  uint64_t new_addr);
};

struct pci_device_info {
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_device;
	uint8_t revision;
	uint32_t class_code;	/* 24 bits: class, subclass, prog-if */
	unsigned gsi;		/* INTA is routed here */
	const struct pci_device_ops *ops;
	void *opaque;
	/*
	 * The device's own lock, or NULL for the bus lock the small chips share
	 * (devices/bus.h).  Its BARs, its config space and the hooks above
	 * run under it.
	 */
	pthread_mutex_t *lock;
};

struct pci_bus;

struct pci_device {
	struct pci_bus *bus;
	unsigned slot;
	uint8_t cfg[PCI_CFG_SPACE];
	uint8_t wmask[PCI_CFG_SPACE];	/* bits the guest may write */
	struct pci_bar bar[PCI_NUM_BARS];
	unsigned gsi;
	bool irq_level;		/* INTx line as the device drives it */
	bool irq_out;		/* what was last driven onto the GSI */
	unsigned cap_end;	/* next free config offset for a capability */
	uint8_t last_cap;	/* offset of the last capability, 0 if none */
	const struct pci_device_ops *ops;
	void *opaque;
	pthread_mutex_t *lock;	/* never NULL: the device's or the shared one */
	/* Expansion ROM (pci_set_rom); rom_size 0 = none. */
	const uint8_t *rom;
	uint64_t rom_len, rom_size;	/* image bytes; BAR size (power of 2) */
	uint64_t rom_mapped;		/* where it is on the bus, or ~0 */
};

struct pci_bus {
	struct platform *plat;
	/* 0xcf8/0xcfc run under it: the latch and the slot table.  Each
	 * device's config space is then reached under that device's lock. */
	pthread_mutex_t lock;
	uint32_t cf8;		/* the CONFIG_ADDRESS latch */
	uint64_t mmio_base, mmio_size, mmio_next;
	uint32_t pio_base, pio_size, pio_next;
	struct pci_device *slot[PCI_SLOTS];
	struct pci_device host;	/* 00:00.0 */
	/*
	 * Firmware boots: INTA follows the Interrupt Line register.  A PC
	 * BIOS routes INTx itself (SeaBIOS: PIIX3 PIRQ links to IRQ 10/11)
	 * and records the ISA IRQ in Interrupt Line, which is also what its
	 * MP table gives the OS; so the device drives that line.
	 */
	bool gsi_follows_line;
};

/*
 * Creates the host bridge and registers 0xcf8 (1 byte, so 0xcf9 stays free
 * for a reset-control register) and 0xcfc..0xcff on p->bus.  BARs are
 * placed in [mmio_base, +mmio_size) and [pio_base, +pio_size).  NULL with
 * one line in err on failure.
 */
struct pci_bus *pci_create(struct platform *p, uint64_t mmio_base,
			   uint64_t mmio_size, uint16_t pio_base,
			   uint16_t pio_size, char *err, size_t errlen);
void pci_destroy(struct pci_bus *bus);

/*
 * The slot the next pci_add_device() will take (0 when the bus is full),
 * so the vmm can pick that slot's GSI before creating the device.
 */
unsigned pci_next_slot(const struct pci_bus *bus);

/* Adds a device in the first free slot (1..31). NULL when full. */
struct pci_device *pci_add_device(struct pci_bus *bus,
				  const struct pci_device_info *info);

/*
 * Adds BAR `index` of `size` bytes (a power of two, at least 16 for memory
 * and 4 for I/O) and assigns it an address from the bus windows.  Returns 0
 * or -errno (-ENOSPC: window full, -EINVAL: bad index/size).
 */
int pci_add_bar(struct pci_device *dev, int index, enum pci_bar_type type,
		uint64_t size, bus_handler fn, void *opaque, const char *name);

/*
 * Appends a capability: `body` is `len` bytes starting with the capability
 * id; its "next" byte (body[1]) is filled in.  Returns the config offset of
 * the capability, or -ENOSPC.  Bytes are read-only unless pci_set_wmask()
 * opens them.
 */
int pci_add_capability(struct pci_device *dev, const void *body, unsigned len);
void pci_set_wmask(struct pci_device *dev, unsigned off, unsigned len,
		   uint8_t mask);

/* Drives INTA (honours the command register's INTx disable bit). */
void pci_set_irq(struct pci_device *dev, int level);

/* Config space access as mechanism 1 performs it (for tests, too). */
void pci_cfg_access(struct pci_bus *bus, unsigned slot, unsigned off,
		    uint8_t *data, unsigned len, bool is_write);

/* Little-endian helpers on a device's config bytes. */
uint32_t pci_cfg_get(const struct pci_device *dev, unsigned off, unsigned len);
void pci_cfg_put(struct pci_device *dev, unsigned off, unsigned len,
		 uint32_t val);

/*
 * Calls fn for each device other than the host bridge that has an
 * interrupt pin (INTA = pin 1); devices with Interrupt Pin 0 are skipped.
 */
void pci_for_each_device(struct pci_bus *bus,
			 void (*fn)(void *opaque, unsigned slot, unsigned pin,
				    unsigned gsi),
			 void *opaque);

/*
 * Gives the device an expansion ROM (PCI 3.0 section 6.3.1.2): the ROM BAR
 * at 0x30 sizes as a 32-bit memory BAR of the next power of two >= len (at
 * least 2 KiB) and answers reads of `image` (zeros past len) while its
 * enable bit and the command register's memory bit are set.  No address is
 * assigned: firmware does that.  The image must outlive the device.
 * Returns 0 or -EINVAL (empty, or larger than 16 MiB).
 */
int pci_set_rom(struct pci_device *dev, const uint8_t *image, uint64_t len);

#endif
