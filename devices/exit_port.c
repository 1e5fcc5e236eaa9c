/* exit_port.c - see exit_port.h. */
#include "devices/exit_port.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exit_port {
	struct bus *bus;
	exit_port_fn fn;
	void *opaque;
};

/*
 * An `out` of 1, 2 or 4 bytes to the port.  Only the first port is
 * registered, so a wider write still arrives here at offset 0 with all its
 * bytes; an 8-byte access cannot come from a port instruction.
 */
static void exit_port_io(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct exit_port *ep = opaque;
	uint32_t value = 0;

	(void)offset;
	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	for (uint32_t i = 0; i < len && i < 4; i++)
		value |= (uint32_t)data[i] << (8 * i);
	if (ep->fn)
		ep->fn(ep->opaque, (int)(value & 0xff), value);
}

struct exit_port *exit_port_create(struct bus *bus, uint16_t port,
				   exit_port_fn fn, void *opaque,
				   char *err, size_t errlen)
{
	struct exit_port *ep = calloc(1, sizeof(*ep));

	if (!ep) {
		snprintf(err, errlen, "exit-port: out of memory");
		return NULL;
	}
	ep->bus = bus;
	ep->fn = fn;
	ep->opaque = opaque;
	if (bus_claim(bus, BUS_PIO, port, 1, exit_port_io, ep, "exit-port", err,
		      errlen) < 0) {
		free(ep);
		return NULL;
	}
	return ep;
}

void exit_port_destroy(struct exit_port *ep)
{
	if (!ep)
		return;
	bus_move(ep->bus, BUS_PIO, ep, "exit-port", 0, 0);
	free(ep);
}
