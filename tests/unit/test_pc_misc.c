/* Ports 0x80 (POST code) and 0x92 (system control port A). */
#include "check.h"

#include "devices/bus.h"
#include "devices/pc_misc.h"

static void count_reset(void *opaque)
{
	(*(int *)opaque)++;
}

TEST(post_port_keeps_last_code)
{
	struct bus bus;
	int resets = 0;
	uint8_t v = 0x3c;
	bus_init(&bus);
	struct pc_misc *pm = pc_misc_create(&bus, count_reset, &resets, NULL, 0);
	CHECK(pm != NULL);
	CHECK(bus_access(&bus, BUS_PIO, 0x80, &v, 1, true));
	CHECK_EQ(pc_misc_post_code(pm), 0x3c);
	v = 0;
	CHECK(bus_access(&bus, BUS_PIO, 0x80, &v, 1, false));
	CHECK_EQ(v, 0x3c);
	CHECK_EQ(bus.unclaimed, 0);
	/* 0x61 stays unclaimed: the in-kernel PIT answers it. */
	CHECK(!bus_access(&bus, BUS_PIO, 0x61, &v, 1, false));
	CHECK_EQ(resets, 0);
	pc_misc_destroy(pm);
}

TEST(port_a_fast_reset_and_a20)
{
	struct bus bus;
	int resets = 0;
	uint8_t v;
	bus_init(&bus);
	struct pc_misc *pm = pc_misc_create(&bus, count_reset, &resets, NULL, 0);
	bus_access(&bus, BUS_PIO, 0x92, &v, 1, false);
	CHECK_EQ(v, 0x02);			/* A20 on */
	v = 0x00;				/* A20 off */
	bus_access(&bus, BUS_PIO, 0x92, &v, 1, true);
	bus_access(&bus, BUS_PIO, 0x92, &v, 1, false);
	CHECK_EQ(v, 0x00);
	CHECK_EQ(resets, 0);
	v = 0x03;				/* fast reset */
	bus_access(&bus, BUS_PIO, 0x92, &v, 1, true);
	CHECK_EQ(resets, 1);
	bus_access(&bus, BUS_PIO, 0x92, &v, 1, false);
	CHECK_EQ(v, 0x02);			/* reset bit reads 0 */
	pc_misc_destroy(pm);
}

RUN_TESTS()
