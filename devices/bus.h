/*
 * bus.h - one registry for port I/O and MMIO ranges.
 *
 * Devices register (space, base, len, handler, opaque); the vCPU exit path
 * calls bus_access() once per exit.  Nothing else decodes port numbers or
 * MMIO addresses.  Handlers run with the bus lock held, and code outside a
 * vCPU thread that touches device state (the I/O thread) takes the same lock
 * with bus_lock()/bus_unlock(), so a device never sees two callers at once.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum bus_space { BUS_PIO, BUS_MMIO };

/*
 * offset is relative to the registered base.  On a read the handler fills
 * data[0..len); on a write it consumes it.  len is 1, 2, 4 or 8.
 */
typedef void (*bus_handler)(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t len, bool is_write);

struct bus_range {
	enum bus_space space;
	uint64_t base, len;
	bus_handler fn;
	void *opaque;
	const char *name;
};

#define BUS_MAX_RANGES 64

struct bus {
	pthread_mutex_t lock;
	struct bus_range range[BUS_MAX_RANGES];
	unsigned nranges;
	unsigned long unclaimed;	/* accesses no device answered */
};

void bus_init(struct bus *bus);
/* Returns 0, or -1 when the range overlaps another or the table is full. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler fn, void *opaque, const char *name);
/* Moves or removes (len 0) the range registered with this opaque and name. */
int bus_move(struct bus *bus, enum bus_space space, void *opaque,
	     const char *name, uint64_t base, uint64_t len);
/*
 * Dispatches one access.  Reads nobody claims answer all ones, as on a PC;
 * writes nobody claims are ignored.  Returns true if a device claimed it.
 */
bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write);

void bus_lock(struct bus *bus);
void bus_unlock(struct bus *bus);

#endif
