/*
 * pvpanic.h - QEMU's pvpanic PCI device (QEMU docs/specs/pvpanic.rst),
 * the one Linux's pvpanic-pci driver binds: vendor 0x1b36 (Red Hat),
 * device 0x0011, one 16-byte memory BAR.  Reading its first byte gives the
 * events the host handles; the guest kernel writes an event there from
 * its panic notifier, before a panic=N reboot.
 *
 *   bit 0 PANICKED      the guest kernel panicked
 *   bit 1 CRASH_LOADED  it panicked, and a kdump kernel is about to run
 *
 * No interrupt, no other register.
 */
#ifndef MINIVMM_PVPANIC_H
#define MINIVMM_PVPANIC_H

#include <stdint.h>

#include "devices/pci.h"

#define PVPANIC_VENDOR 0x1b36
#define PVPANIC_DEVICE 0x0011
#define PVPANIC_PANICKED 0x01
#define PVPANIC_CRASH_LOADED 0x02

struct pvpanic;

/*
 * Adds the device in the bus's next free slot.  on_event(opaque, events)
 * is called from the vCPU thread with the bus lock held, for every write
 * with a known event bit set.  NULL with one line in err when the bus or
 * its MMIO window is full, or on allocation failure.
 */
struct pvpanic *pvpanic_create(struct pci_bus *bus,
			       void (*on_event)(void *opaque, uint8_t events),
			       void *opaque, char *err, size_t errlen);

#endif
