/* QEMU's debug console port (SeaBIOS's log at 0x402). */
#include "check.h"

#include "devices/bus.h"
#include "devices/debugcon.h"

#define PORT DEBUGCON_PORT_SEABIOS

struct lines {
	char text[8][DEBUGCON_LINE_MAX + 1];
	unsigned n;
};

static void keep_line(void *opaque, const char *line)
{
	struct lines *l = opaque;

	if (l->n < 8)
		snprintf(l->text[l->n], sizeof(l->text[0]), "%s", line);
	l->n++;
}

static void put(struct bus *bus, const char *s)
{
	for (; *s; s++) {
		uint8_t c = (uint8_t)*s;

		bus_access(bus, BUS_PIO, PORT, &c, 1, true);
	}
}

TEST(read_answers_e9_so_seabios_finds_the_port)
{
	struct bus bus;
	struct lines l = { 0 };
	uint8_t v[2] = { 0, 0xff };

	bus_init(&bus);
	struct debugcon *dc = debugcon_create(&bus, PORT, keep_line, &l, NULL, 0);
	CHECK(dc != NULL);
	CHECK(bus_access(&bus, BUS_PIO, PORT, v, 1, false));
	CHECK_EQ(v[0], 0xe9);
	CHECK(bus_access(&bus, BUS_PIO, PORT, v, 2, false));
	CHECK_EQ(v[0], 0xe9);
	CHECK_EQ(v[1], 0);
	CHECK_EQ(l.n, 0);
	debugcon_destroy(dc);
	CHECK(!bus_access(&bus, BUS_PIO, PORT, v, 1, false));
}

TEST(bytes_become_lines_without_carriage_returns)
{
	struct bus bus;
	struct lines l = { 0 };

	bus_init(&bus);
	struct debugcon *dc = debugcon_create(&bus, PORT, keep_line, &l, NULL, 0);
	put(&bus, "SeaBIOS (version 1.16)\r\n\nBooting");
	CHECK_EQ(l.n, 2);
	CHECK(strcmp(l.text[0], "SeaBIOS (version 1.16)") == 0);
	CHECK(strcmp(l.text[1], "") == 0);
	put(&bus, " from ROM\n");
	CHECK_EQ(l.n, 3);
	CHECK(strcmp(l.text[2], "Booting from ROM") == 0);
	debugcon_destroy(dc);
}

TEST(a_long_line_is_cut_and_no_byte_is_lost)
{
	struct bus bus;
	struct lines l = { 0 };
	char text[DEBUGCON_LINE_MAX + 6];

	bus_init(&bus);
	struct debugcon *dc = debugcon_create(&bus, PORT, keep_line, &l, NULL, 0);
	memset(text, 'a', DEBUGCON_LINE_MAX);
	memcpy(text + DEBUGCON_LINE_MAX, "bcd\n", 5);
	put(&bus, text);
	CHECK_EQ(l.n, 2);
	CHECK_EQ(strlen(l.text[0]), DEBUGCON_LINE_MAX);
	CHECK(strcmp(l.text[1], "bcd") == 0);
	debugcon_destroy(dc);
}

TEST(a_taken_port_is_refused)
{
	struct bus bus;
	struct lines l = { 0 };

	bus_init(&bus);
	struct debugcon *dc = debugcon_create(&bus, PORT, keep_line, &l, NULL, 0);
	CHECK(debugcon_create(&bus, PORT, keep_line, &l, NULL, 0) == NULL);
	debugcon_destroy(dc);
}

RUN_TESTS()
