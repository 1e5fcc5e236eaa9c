/*
 * bus.h - one registry for port I/O and MMIO ranges.
 *
 * Devices register (space, base, len, handler, opaque); the vCPU exit path
 * calls bus_access() once per exit.  Nothing else decodes port numbers or
 * MMIO addresses.
 *
 * Two kinds of lock, so that no vCPU waits on another device's I/O:
 *   - the table lock guards the ranges only: a lookup, a register, a move.
 *     It is never held while a handler runs.
 *   - each range names the lock its handler runs under: the device's own
 *     (bus_register_locked: the virtio devices, whose I/O thread work may
 *     block on a disk) or, by default, "the bus lock": one recursive lock
 *     the small chips share (UART, RTC, i8042, ...), whose handlers make
 *     no blocking system call.  Code outside a vCPU thread that touches
 *     such a chip's state takes it with bus_lock()/bus_unlock(), so a
 *     device never sees two callers at once.
 */
#ifndef MINIVMM_BUS_H
#define MINIVMM_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
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
	pthread_mutex_t *lock;	/* held while fn runs */
};

#define BUS_MAX_RANGES 64

struct bus {
	pthread_mutex_t table_lock;	/* range[], nranges, unclaimed */
	pthread_mutex_t lock;		/* the bus lock, shared (recursive) */
	struct bus_range range[BUS_MAX_RANGES];
	unsigned nranges;
	unsigned long unclaimed;	/* accesses no device answered */
};

void bus_init(struct bus *bus);
/* Returns 0, or -1 when the range overlaps another or the table is full. */
int bus_register(struct bus *bus, enum bus_space space, uint64_t base,
		 uint64_t len, bus_handler fn, void *opaque, const char *name);
/*
 * bus_register() for a constructor: on failure, one line "NAME: I/O ports
 * 0x60-0x60 are taken" (or MMIO) in err, as constructors report
 * (docs/DESIGN.md "Errors").
 */
int bus_claim(struct bus *bus, enum bus_space space, uint64_t base,
	      uint64_t len, bus_handler fn, void *opaque, const char *name,
	      char *err, size_t errlen);
/* The same with the device's own lock (recursive if the device re-enters). */
int bus_register_locked(struct bus *bus, enum bus_space space, uint64_t base,
			uint64_t len, bus_handler fn, void *opaque,
			const char *name, pthread_mutex_t *lock);
/* Moves or removes (len 0) the range registered with this opaque and name. */
int bus_move(struct bus *bus, enum bus_space space, void *opaque,
	     const char *name, uint64_t base, uint64_t len);
/*
 * Dispatches one access under the range's lock (the table lock is let go
 * first).  Reads nobody claims answer all ones, as on a PC; writes nobody
 * claims are ignored.  Returns true if a device claimed it.
 */
bool bus_access(struct bus *bus, enum bus_space space, uint64_t addr,
		uint8_t *data, uint32_t len, bool is_write);

/* The bus lock, shared by the chips without a lock of their own. */
void bus_lock(struct bus *bus);
void bus_unlock(struct bus *bus);

#endif
