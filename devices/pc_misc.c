/* pc_misc.c - ports 0x80 and 0x92; see pc_misc.h. */
#include "devices/pc_misc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POST_PORT	0x80
#define PORT_A		0x92
#define PORT_A_RESET	0x01	/* write 1: reset the CPU */
#define PORT_A_A20	0x02

struct pc_misc {
	struct bus *bus;
	pc_misc_reset_fn reset;
	void *opaque;
	uint8_t post;
	uint8_t port_a;
};

static void post_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		    bool is_write)
{
	struct pc_misc *pm = opaque;

	(void)offset;
	if (is_write) {
		pm->post = data[0];
	} else {
		memset(data, 0, len);
		data[0] = pm->post;
	}
}

/* Port A: the reset bit reads back as 0 (the reset has happened). */
static void port_a_io(void *opaque, uint64_t offset, uint8_t *data,
		      uint32_t len, bool is_write)
{
	struct pc_misc *pm = opaque;

	(void)offset;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = pm->port_a;
		return;
	}
	pm->port_a = data[0] & (uint8_t)~PORT_A_RESET;
	if ((data[0] & PORT_A_RESET) && pm->reset)
		pm->reset(pm->opaque);
}

struct pc_misc *pc_misc_create(struct bus *bus, pc_misc_reset_fn reset,
			       void *opaque, char *err, size_t errlen)
{
	struct pc_misc *pm = calloc(1, sizeof(*pm));

	if (!pm) {
		snprintf(err, errlen, "pc-misc: out of memory");
		return NULL;
	}
	pm->bus = bus;
	pm->reset = reset;
	pm->opaque = opaque;
	pm->port_a = PORT_A_A20;
	if (bus_claim(bus, BUS_PIO, POST_PORT, 1, post_io, pm, "post", err,
		      errlen) < 0) {
		free(pm);
		return NULL;
	}
	if (bus_claim(bus, BUS_PIO, PORT_A, 1, port_a_io, pm, "port-a", err,
		      errlen) < 0) {
		bus_move(bus, BUS_PIO, pm, "post", 0, 0);
		free(pm);
		return NULL;
	}
	return pm;
}

void pc_misc_destroy(struct pc_misc *pm)
{
	if (!pm)
		return;
	bus_move(pm->bus, BUS_PIO, pm, "post", 0, 0);
	bus_move(pm->bus, BUS_PIO, pm, "port-a", 0, 0);
	free(pm);
}

uint8_t pc_misc_post_code(struct pc_misc *pm)
{
	uint8_t v;

	bus_lock(pm->bus);
	v = pm->post;
	bus_unlock(pm->bus);
	return v;
}
