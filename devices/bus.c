#include "bus.h"

#include <string.h>

void bus_init(struct bus *bus)
{
	pthread_mutexattr_t attr;

	memset(bus, 0, sizeof(*bus));
	/* Recursive: a handler may call code that also takes the bus lock. */
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&bus->lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

static bool overlaps(const struct bus_range *r, enum bus_space space,
		     uint64_t base, uint64_t len)
{
	return r->space == space && r->len && len &&
	       base < r->base + r->len && r->base < base + len;
}

static bool range_free(struct bus *bus, const struct bus_range *self,
		       enum bus_space space, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < bus->nranges; i++)
		if (&bus->range[i] != self &&
		    overlaps(&bus->range[i], space, base, len))
			return false;
	return true;
}

int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler fn, void *opaque, const char *name)
{
	if (bus->nranges >= BUS_MAX_RANGES || base + len < base ||
	    !range_free(bus, NULL, space, base, len))
		return -1;
	bus->range[bus->nranges++] = (struct bus_range){
		space, base, len, fn, opaque, name };
	return 0;
}

int bus_move(struct bus *bus, enum bus_space space, void *opaque,
	     const char *name, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct bus_range *r = &bus->range[i];
		if (r->space != space || r->opaque != opaque ||
		    strcmp(r->name, name) != 0)
			continue;
		if (base + len < base || !range_free(bus, r, space, base, len))
			return -1;
		r->base = base;
		r->len = len;
		return 0;
	}
	return -1;
}

bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write)
{
	bool claimed = false;

	pthread_mutex_lock(&bus->lock);
	for (unsigned i = 0; i < bus->nranges; i++) {
		const struct bus_range *r = &bus->range[i];
		if (r->space != space || addr < r->base ||
		    addr - r->base >= r->len)
			continue;
		r->fn(r->opaque, addr - r->base, data, len, is_write);
		claimed = true;
		break;
	}
	if (!claimed) {
		bus->unclaimed++;
		if (!is_write)
			memset(data, 0xff, len);
	}
	pthread_mutex_unlock(&bus->lock);
	return claimed;
}

void bus_lock(struct bus *bus)
{
	pthread_mutex_lock(&bus->lock);
}

void bus_unlock(struct bus *bus)
{
	pthread_mutex_unlock(&bus->lock);
}
