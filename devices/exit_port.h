/*
 * exit_port.h - the test exit port: a guest ends minivmm with a status of
 * its choice by writing it to one I/O port (0xf4 by convention, the port
 * QEMU's isa-debug-exit uses).  A byte, word or dword write all count; the
 * status handed on is the value written, truncated to 0-255 as exit(3)
 * would.  QEMU's isa-debug-exit makes the same write exit with
 * (value << 1) | 1, so a script that runs the same guest under both maps
 * QEMU's status s back with (s - 1) / 2.  Reads return all ones, as for a
 * port nobody decodes.
 *
 * The port is for test guests; `make run` guests never touch it.  The
 * Linux initramfs in images/ uses it only when it cannot power off.
 */
#ifndef MINIVMM_EXIT_PORT_H
#define MINIVMM_EXIT_PORT_H

#include <stdint.h>

#include "devices/bus.h"

#define EXIT_PORT_DEFAULT 0xf4

struct exit_port;

/*
 * Called from the vCPU thread with the bus lock held; like the i8042 reset
 * callback it should record the status and stop the vCPUs, not exit()
 * from inside the bus handler.  `value` is the full value written (1, 2 or
 * 4 bytes, little-endian); `status` is value & 0xff.
 */
typedef void (*exit_port_fn)(void *opaque, int status, uint32_t value);

/* Registers one port at `port`.  NULL with one line in err if it is taken
 * or on allocation failure. */
struct exit_port *exit_port_create(struct bus *bus, uint16_t port,
				   exit_port_fn fn, void *opaque,
				   char *err, size_t errlen);
void exit_port_destroy(struct exit_port *ep);

#endif
