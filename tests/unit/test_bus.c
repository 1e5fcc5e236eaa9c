/*
 * The I/O bus: dispatch by range, overlap refusal, unclaimed accesses, and
 * which lock a handler runs under.
 */
#include "check.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

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

/* A device whose handler blocks, as a virtio device's work on a disk can. */
struct slow_dev {
	pthread_mutex_t lock;	/* the device's own */
	pthread_mutex_t gate;	/* held by the test: the "disk" is slow */
	bool *entered;
};

static void slow_handler(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct slow_dev *d = opaque;
	(void)offset, (void)data, (void)len, (void)is_write;
	__atomic_store_n(d->entered, true, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&d->gate);
	pthread_mutex_unlock(&d->gate);
}

struct vcpu_arg {
	struct bus *bus;
	uint64_t addr;
};

static void *vcpu_access(void *opaque)
{
	struct vcpu_arg *a = opaque;
	uint8_t v = 0;

	bus_access(a->bus, BUS_MMIO, a->addr, &v, 1, true);
	return NULL;
}

/*
 * One "vCPU" is stuck in a device with a lock of its own; another reaches
 * a chip under the shared lock, moves a range and takes the shared lock
 * as the I/O thread would, all without waiting for the first.
 */
TEST(a_handler_blocked_in_its_own_device_stops_no_other_device)
{
	struct bus bus;
	struct recorder r = { 0 };
	struct slow_dev d;
	bool entered = false;
	struct vcpu_arg a = { &bus, 0x1000 };
	pthread_t t;
	uint8_t v = 0;

	bus_init(&bus);
	pthread_mutex_init(&d.lock, NULL);
	pthread_mutex_init(&d.gate, NULL);
	d.entered = &entered;
	CHECK_EQ(bus_register_locked(&bus, BUS_MMIO, 0x1000, 0x100, slow_handler,
				     &d, "slow", &d.lock), 0);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x3f8, 8, record, &r, "uart"), 0);
	pthread_mutex_lock(&d.gate);
	CHECK_EQ(pthread_create(&t, NULL, vcpu_access, &a), 0);
	while (!__atomic_load_n(&entered, __ATOMIC_SEQ_CST))
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	/* The slow device's lock is held (its handler runs)... */
	CHECK_EQ(pthread_mutex_trylock(&d.lock), EBUSY);
	/* ...and neither the shared lock nor the table is. */
	CHECK(bus_access(&bus, BUS_PIO, 0x3fd, &v, 1, false));
	CHECK_EQ(r.calls, 1);
	CHECK_EQ(bus_move(&bus, BUS_PIO, &r, "uart", 0x2f8, 8), 0);
	CHECK_EQ(pthread_mutex_trylock(&bus.lock), 0);
	pthread_mutex_unlock(&bus.lock);
	pthread_mutex_unlock(&d.gate);
	pthread_join(t, NULL);
	/* The handler ran under the device's lock, which is free again. */
	CHECK_EQ(pthread_mutex_trylock(&d.lock), 0);
	pthread_mutex_unlock(&d.lock);
}

/* A range without a lock of its own runs under the shared one, and the
 * table lock is never held while a handler runs. */
static void check_table_free(void *opaque, uint64_t offset, uint8_t *data,
			     uint32_t len, bool is_write)
{
	struct bus *bus = opaque;
	int rc = pthread_mutex_trylock(&bus->table_lock);
	(void)offset, (void)len, (void)is_write;
	if (rc == 0)
		pthread_mutex_unlock(&bus->table_lock);
	data[0] = rc == 0;
}

static void *try_shared(void *opaque)
{
	struct bus *bus = opaque;
	int rc = pthread_mutex_trylock(&bus->lock);

	if (rc == 0)
		pthread_mutex_unlock(&bus->lock);
	return (void *)(intptr_t)rc;
}

static void check_shared_from_thread(void *opaque, uint64_t offset,
				     uint8_t *data, uint32_t len, bool is_write)
{
	struct bus *bus = opaque;
	pthread_t t;
	void *rc = NULL;
	(void)offset, (void)len, (void)is_write;
	pthread_create(&t, NULL, try_shared, bus);
	pthread_join(t, &rc);
	data[0] = (uint8_t)(intptr_t)rc == EBUSY;
}

TEST(default_ranges_run_under_the_shared_lock_not_the_table_lock)
{
	struct bus bus;
	uint8_t v = 0xff;

	bus_init(&bus);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x70, 1, check_table_free, &bus,
			      "a"), 0);
	CHECK_EQ(bus_register(&bus, BUS_PIO, 0x71, 1, check_shared_from_thread,
			      &bus, "b"), 0);
	CHECK(bus_access(&bus, BUS_PIO, 0x70, &v, 1, false));
	CHECK_EQ(v, 1);		/* the table lock was free meanwhile */
	CHECK(bus_access(&bus, BUS_PIO, 0x71, &v, 1, false));
	CHECK_EQ(v, 1);		/* another thread found the shared lock held */
}

RUN_TESTS()
