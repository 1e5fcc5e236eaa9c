/*
 * i440fx.h - the parts of Intel's 440FX PCIset (the chipset QEMU's "pc"
 * machine models) that SeaBIOS looks for, on minivmm's PCI bus:
 *
 *   - the host bridge (00:00.0) shows QEMU's subsystem ids 1af4:1100,
 *     which is how SeaBIOS's qemu_detect() knows it runs on QEMU's
 *     i440FX, and its PAM registers 0x59-0x5f are plain writable bytes
 *     (shadow RAM is not switched; vmm/firmware.h says why);
 *   - the PIIX3 ISA bridge function (8086:7000) at 00:01.0, where
 *     SeaBIOS's PIIX code expects it, with PIRQ route control 0x60-0x63
 *     that reads back what SeaBIOS writes;
 *   - PIIX3's Reset Control register at port 0xcf9: a write with bit 2
 *     (reset CPU) set resets the machine; SeaBIOS's reboot path tries it
 *     first;
 *   - INTx follows what the BIOS writes to Interrupt Line
 *     (pci_bus.gsi_follows_line).
 */
#ifndef MINIVMM_I440FX_H
#define MINIVMM_I440FX_H

#include <stdint.h>

#include "devices/pci.h"

#define I440FX_PIIX3_SLOT 1
#define I440FX_RESET_PORT 0xcf9

struct i440fx;

/* Called from the vCPU thread with the bus lock held, as for the i8042. */
typedef void (*i440fx_reset_fn)(void *opaque);

/*
 * Sets the bus up as above; call it before any other device is added.
 * NULL with one line in err if slot 1 or port 0xcf9 is taken, or on
 * allocation failure.
 */
struct i440fx *i440fx_create(struct pci_bus *bus, i440fx_reset_fn on_reset,
			     void *opaque, char *err, size_t errlen);
void i440fx_destroy(struct i440fx *chipset);

#endif
