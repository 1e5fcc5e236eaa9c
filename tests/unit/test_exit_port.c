/* The test exit port: the value written becomes minivmm's exit status. */
#include "check.h"

#include "devices/bus.h"
#include "devices/exit_port.h"

struct seen {
	int calls;
	int status;
	uint32_t value;
};

static void on_exit_write(void *opaque, int status, uint32_t value)
{
	struct seen *s = opaque;
	s->calls++;
	s->status = status;
	s->value = value;
}

TEST(byte_write_passes_status)
{
	struct bus bus;
	struct seen s = { 0 };
	uint8_t v = 42;
	bus_init(&bus);
	struct exit_port *ep = exit_port_create(&bus, 0xf4, on_exit_write, &s, NULL, 0);
	CHECK(ep != NULL);
	CHECK(bus_access(&bus, BUS_PIO, 0xf4, &v, 1, true));
	CHECK_EQ(s.calls, 1);
	CHECK_EQ(s.status, 42);
	CHECK_EQ(s.value, 42);
	v = 0;
	bus_access(&bus, BUS_PIO, 0xf4, &v, 1, true);
	CHECK_EQ(s.calls, 2);
	CHECK_EQ(s.status, 0);
	exit_port_destroy(ep);
}

TEST(dword_write_is_little_endian_and_status_is_low_byte)
{
	struct bus bus;
	struct seen s = { 0 };
	uint8_t d[4] = { 0x34, 0x12, 0x00, 0x80 };	/* 0x80001234 */
	bus_init(&bus);
	struct exit_port *ep = exit_port_create(&bus, 0xf4, on_exit_write, &s, NULL, 0);
	CHECK(bus_access(&bus, BUS_PIO, 0xf4, d, 4, true));
	CHECK_EQ(s.value, 0x80001234u);
	CHECK_EQ(s.status, 0x34);
	uint8_t w[2] = { 0x01, 0x02 };			/* 0x0201 */
	bus_access(&bus, BUS_PIO, 0xf4, w, 2, true);
	CHECK_EQ(s.value, 0x0201);
	CHECK_EQ(s.status, 1);
	exit_port_destroy(ep);
}

TEST(reads_are_all_ones_and_neighbours_are_not_claimed)
{
	struct bus bus;
	struct seen s = { 0 };
	uint8_t v[2] = { 0, 0 };
	bus_init(&bus);
	struct exit_port *ep = exit_port_create(&bus, 0xf4, on_exit_write, &s, NULL, 0);
	CHECK(bus_access(&bus, BUS_PIO, 0xf4, v, 2, false));
	CHECK_EQ(v[0], 0xff);
	CHECK_EQ(v[1], 0xff);
	CHECK_EQ(s.calls, 0);
	CHECK(!bus_access(&bus, BUS_PIO, 0xf5, v, 1, true));
	CHECK(!bus_access(&bus, BUS_PIO, 0xf3, v, 1, true));
	CHECK_EQ(s.calls, 0);
	/* Taken port: a second device is refused with one line naming the
	 * port; after destroy it is free. */
	char err[80] = "";
	CHECK(exit_port_create(&bus, 0xf4, on_exit_write, &s, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "exit-port: I/O ports 0xf4-0xf4 are taken") == 0);
	exit_port_destroy(ep);
	CHECK(!bus_access(&bus, BUS_PIO, 0xf4, v, 1, true));
	ep = exit_port_create(&bus, 0xf4, on_exit_write, &s, NULL, 0);
	CHECK(ep != NULL);
	exit_port_destroy(ep);
}

RUN_TESTS()
