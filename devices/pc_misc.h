/*
 * pc_misc.h - two small PC ports no chip of its own answers:
 *
 *   0x80  POST code / delay port.  Firmware writes progress codes here and
 *         Linux writes it for every outb_p() (its default io_delay), e.g.
 *         around each CMOS and PIC access.  Writes are kept (last POST
 *         code), reads return the last value.
 *   0x92  System control port A: bit 0 written as 1 is a "fast reset"
 *         (same callback as the i8042 reset), bit 1 gates A20 (recorded,
 *         no effect under KVM).
 *
 * Port 0x61 (system control port B: PIT channel 2 gate, speaker, refresh
 * toggle, channel 2 output) is NOT here: with the in-kernel PIT it must be
 * answered in the kernel, which KVM does only when the VM creates the PIT
 * with KVM_CREATE_PIT2 flags = KVM_PIT_SPEAKER_DUMMY (arch/x86/kvm/i8254.c
 * registers its speaker device on port 0x61 under that flag).  Linux's
 * PIT-based TSC calibration gates channel 2 and polls its output there, and
 * only the kernel PIT knows that output.
 */
#ifndef MINIVMM_PC_MISC_H
#define MINIVMM_PC_MISC_H

#include <stdint.h>

#include "devices/bus.h"

struct pc_misc;

/* Called with the bus lock held from the vCPU thread, as for the i8042. */
typedef void (*pc_misc_reset_fn)(void *opaque);

/* Registers ports 0x80 and 0x92.  NULL with one line in err if they are
 * taken or on allocation failure. */
struct pc_misc *pc_misc_create(struct bus *bus, pc_misc_reset_fn reset,
			       void *opaque, char *err, size_t errlen);
void pc_misc_destroy(struct pc_misc *pm);

/* The last byte written to port 0x80. */
uint8_t pc_misc_post_code(struct pc_misc *pm);

#endif
