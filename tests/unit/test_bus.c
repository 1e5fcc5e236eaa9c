/* The I/O bus: dispatch by range, overlap refusal, unclaimed accesses. */
#include "check.h"
#include "devices/bus.h"

struct recorder {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	int calls;
};

static void record(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct recorder *r = opaque;
	r->offset = offset;
	r->len = len;
	r->is_write = is_write;
	r->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

TEST(access_reaches_handler_with_offset)
{
	struct bus bus;
	struct recorder r = { 0 };
	uint8_t data[4];
	bus_init(&bus);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x3f8, 8, record, &r, "uart"), 0);
	CHECK(bus_access(&bus, BUS_PIO, 0x3fd, data, 1, false));
	CHECK_EQ(r.offset, 5);
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(data[0], 0x5a);
	/* The same address in the other space is someone else's. */
	CHECK(!bus_access(&bus, BUS_MMIO, 0x3fd, data, 1, false));
	CHECK_EQ(r.calls, 1);
}

TEST(unclaimed_read_is_all_ones)
{
	struct bus bus;
	uint8_t data[4] = { 0 };
	bus_init(&bus);
	CHECK(!bus_access(&bus, BUS_PIO, 0x80, data, 4, false));
	CHECK_EQ(data[0] & data[1] & data[2] & data[3], 0xff);
	CHECK_EQ(bus.unclaimed, 1);
}

TEST(overlap_is_refused_and_move_works)
{
	struct bus bus;
	struct recorder r = { 0 };
	uint8_t data[1];
	bus_init(&bus);
	CHECK_EQ(bus_register(&bus, BUS_MMIO, 0x1000, 0x100, record, &r, "a"), 0);
	CHECK_EQ(bus_register(&bus, BUS_MMIO, 0x10ff, 0x10, record, &r, "b"), -1);
	CHECK_EQ(bus_register(&bus, BUS_MMIO, UINT64_MAX - 4, 0x10, record, &r, "c"), -1);
	CHECK_EQ(bus_move(&bus, BUS_MMIO, &r, "a", 0x2000, 0x100), 0);
	CHECK(!bus_access(&bus, BUS_MMIO, 0x1000, data, 1, true));
	CHECK(bus_access(&bus, BUS_MMIO, 0x20ff, data, 1, true));
	CHECK_EQ(r.offset, 0xff);
	CHECK(r.is_write);
}

RUN_TESTS()
