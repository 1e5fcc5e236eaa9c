/*
 * platform.h - what vmm/ hands each device: the bus to register on, guest
 * RAM, a way to raise interrupts, the I/O thread's event loop, and a way to
 * bind an eventfd to a guest MMIO/PIO write (KVM_IOEVENTFD) so that queue
 * notifications never stop a vCPU.  Devices see KVM only through this.
 */
#ifndef MINIVMM_PLATFORM_H
#define MINIVMM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "common/evloop.h"
#include "common/guest_mem.h"
#include "devices/bus.h"
#include "devices/irq.h"

struct platform {
	struct bus *bus;
	const struct guest_mem *mem;
	struct irq_sink irq;
	struct evloop *loop;
	/*
	 * Binds (add) or unbinds eventfd `fd` to guest writes of `len` bytes at
	 * `addr` in `space`, any value.  Returns 0, or -errno: the write then
	 * reaches the device through the bus on a vCPU thread, and the device
	 * hands it to the I/O thread through the same eventfd (its handlers
	 * must run where the event loop and backends live).  May be NULL.
	 */
	int (*ioeventfd)(void *opaque, enum bus_space space, uint64_t addr,
			 uint32_t len, int fd, bool add);
	void *ioeventfd_opaque;
};

#endif
