#include "bus.h"

#include <stdio.h>
#include <string.h>

void bus_init(struct bus *bus)
{
	pthread_mutexattr_t attr;

	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->table_lock, NULL);
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

int bus_register_locked(struct bus *bus, enum bus_space space, uint64_t base,
			uint64_t len, bus_handler fn, void *opaque,
			const char *name, pthread_mutex_t *lock)
{
	int rc = -1;

	pthread_mutex_lock(&bus->table_lock);
	if (bus->nranges < BUS_MAX_RANGES && base + len >= base &&
	    range_free(bus, NULL, space, base, len)) {
		bus->range[bus->nranges++] = (struct bus_range){
			space, base, len, fn, opaque, name,
			lock ? lock : &bus->lock };
		rc = 0;
	}
	pthread_mutex_unlock(&bus->table_lock);
	return rc;
}

int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler fn, void *opaque, const char *name)
{
	return bus_register_locked(bus, space, base, len, fn, opaque, name,
				   NULL);
}

int bus_claim(struct bus *bus, enum bus_space space, uint64_t base,
	      uint64_t len, bus_handler fn, void *opaque, const char *name,
	      char *err, size_t errlen)
{
	if (bus_register(bus, space, base, len, fn, opaque, name) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s %#llx-%#llx are taken", name,
		 space == BUS_PIO ? "I/O ports" : "MMIO",
		 (unsigned long long)base, (unsigned long long)(base + len - 1));
	return -1;
}

int bus_move(struct bus *bus, enum bus_space space, void *opaque,
	     const char *name, uint64_t base, uint64_t len)
{
	int rc = -1;

	pthread_mutex_lock(&bus->table_lock);
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct bus_range *r = &bus->range[i];
		if (r->space != space || r->opaque != opaque ||
		    strcmp(r->name, name) != 0)
			continue;
		if (base + len >= base && range_free(bus, r, space, base, len)) {
			r->base = base;
			r->len = len;
			rc = 0;
		}
		break;
	}
	pthread_mutex_unlock(&bus->table_lock);
	return rc;
}

/*
 * The range is copied out under the table lock and called after it is let
 * go: a vCPU waiting for one device's lock holds nothing another vCPU
 * needs to reach a different device.  A range moved meanwhile (a BAR
 * reprogrammed by another vCPU) still reaches its device, as a write in
 * flight on a real bus would; devices are freed only after the vCPUs stop.
 */
bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write)
{
	struct bus_range hit = { .fn = NULL };

	pthread_mutex_lock(&bus->table_lock);
	for (unsigned i = 0; i < bus->nranges; i++) {
		const struct bus_range *r = &bus->range[i];
		if (r->space != space || addr < r->base ||
		    addr - r->base >= r->len)
			continue;
		hit = *r;
		break;
	}
	if (!hit.fn)
		bus->unclaimed++;
	pthread_mutex_unlock(&bus->table_lock);
	if (!hit.fn) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	pthread_mutex_lock(hit.lock);
	hit.fn(hit.opaque, addr - hit.base, data, len, is_write);
	pthread_mutex_unlock(hit.lock);
	return true;
}

void bus_lock(struct bus *bus)
{
	pthread_mutex_lock(&bus->lock);
}

void bus_unlock(struct bus *bus)
{
	pthread_mutex_unlock(&bus->lock);
}
