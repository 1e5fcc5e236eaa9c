/* debugcon.c - QEMU's debug console port; see debugcon.h. */
#include "devices/debugcon.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct debugcon {
	struct bus *bus;
	debugcon_line_fn line_fn;
	void *opaque;
	char line[DEBUGCON_LINE_MAX + 1];
	size_t len;
};

/* Ends the current line: hands it on and starts an empty one. */
static void flush_line(struct debugcon *dc)
{
	dc->line[dc->len] = 0;
	dc->line_fn(dc->opaque, dc->line);
	dc->len = 0;
}

static void debugcon_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
			bool is_write)
{
	struct debugcon *dc = opaque;

	(void)off;
	if (!is_write) {
		memset(data, 0, len);
		data[0] = DEBUGCON_READBACK;
		return;
	}
	for (uint32_t i = 0; i < len; i++) {
		char c = (char)data[i];

		if (c == '\n') {
			flush_line(dc);
		} else if (c != '\r') {
			if (dc->len == DEBUGCON_LINE_MAX)
				flush_line(dc);
			dc->line[dc->len++] = c;
		}
	}
}

struct debugcon *debugcon_create(struct bus *bus, uint16_t port,
				 debugcon_line_fn line, void *opaque,
				 char *err, size_t errlen)
{
	struct debugcon *dc = calloc(1, sizeof(*dc));

	if (!dc) {
		snprintf(err, errlen, "debugcon: out of memory");
		return NULL;
	}
	dc->bus = bus;
	dc->line_fn = line;
	dc->opaque = opaque;
	if (bus_claim(bus, BUS_PIO, port, 1, debugcon_io, dc, "debugcon", err,
		      errlen) < 0) {
		free(dc);
		return NULL;
	}
	return dc;
}

void debugcon_destroy(struct debugcon *dc)
{
	if (!dc)
		return;
	bus_move(dc->bus, BUS_PIO, dc, "debugcon", 0, 0);
	free(dc);
}
