/*
 * debugcon.h - QEMU's debug console: one I/O port that a guest writes text
 * to, a byte at a time.  SeaBIOS (Debian builds it with CONFIG_DEBUG_IO)
 * writes its log to port 0x402; before it does, it reads the port, and the
 * answer 0xe9 tells it the port is there (QEMU's debugcon "readback").
 *
 * The device collects the bytes into lines (carriage returns dropped, a
 * line longer than DEBUGCON_LINE_MAX cut into pieces) and hands each one
 * to the callback.
 */
#ifndef MINIVMM_DEBUGCON_H
#define MINIVMM_DEBUGCON_H

#include <stdint.h>

#include "devices/bus.h"

#define DEBUGCON_PORT_SEABIOS 0x402
#define DEBUGCON_READBACK 0xe9
#define DEBUGCON_LINE_MAX 199		/* characters in one callback */

struct debugcon;

/* One finished line, without its newline; called from the vCPU thread. */
typedef void (*debugcon_line_fn)(void *opaque, const char *line);

/* Registers the port.  NULL with one line in err if it is taken or on
 * allocation failure. */
struct debugcon *debugcon_create(struct bus *bus, uint16_t port,
				 debugcon_line_fn line, void *opaque,
				 char *err, size_t errlen);
void debugcon_destroy(struct debugcon *dc);

#endif
