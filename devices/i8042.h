/*
 * i8042.h - the PC keyboard controller, ports 0x60 (data) and 0x64
 * (status/command), emulated for the one job a VM needs from it: the reset
 * line.  A guest that writes 0xfe to port 0x64 ("pulse output line 0"), or
 * clears bit 0 of the output port through command 0xd1, resets the machine;
 * minivmm ends the guest as a reboot.  Linux does this when ACPI reset is
 * not available (reboot=kbd, the default fallback), as do SeaBIOS and iPXE.
 *
 * The controller itself answers the commands Linux's i8042 driver and
 * firmware issue (read/write the command byte, self tests, enable/disable
 * ports, output port, write output buffer), so probing finds a sane chip.
 * No keyboard or mouse is attached: bytes sent to them get no answer, and
 * the controller raises no interrupts (every controller reply is polled).
 * A20 is recorded but has no effect (KVM does not gate address line 20).
 */
#ifndef MINIVMM_I8042_H
#define MINIVMM_I8042_H

#include "devices/bus.h"

struct i8042;

/*
 * Called from the vCPU thread, with the bus lock held, when the guest
 * pulses the reset line; it should only record the request (and kick the
 * vCPUs out of KVM_RUN), not tear anything down.
 */
typedef void (*i8042_reset_fn)(void *opaque);

/* Registers ports 0x60 and 0x64.  Returns NULL with one line in err if
 * they are taken or on allocation failure. */
struct i8042 *i8042_create(struct bus *bus, i8042_reset_fn reset, void *opaque,
			   char *err, size_t errlen);
void i8042_destroy(struct i8042 *kbc);

/* Bytes the guest sent to the (absent) keyboard or mouse. */
unsigned long i8042_device_bytes(struct i8042 *kbc);

#endif
