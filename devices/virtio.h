/*
 * virtio.h - the virtio core: what every virtio device does with its
 * queues, whatever its requests (virtio 1.2 sections 2.1, 2.7).
 *
 * A device model supplies a virtio_dev_ops: its features, its config
 * space, and what one chain of each queue means (handle_chain).  The core
 * does the rest of the queue work: it takes chains off the ring, gives a
 * chain that broke the ring rules back empty and counts it, sets
 * DEVICE_NEEDS_RESET when the ring itself cannot be trusted, re-arms the
 * driver's notifications before it stops (EVENT_IDX avail_event, or
 * VRING_USED_F_NO_NOTIFY), and raises the queue's interrupt only when the
 * driver asked for one (used_event, or VRING_AVAIL_F_NO_INTERRUPT).
 * The transport (virtio_pci.c) owns the registers and delivers the
 * interrupt (MSI-X or INTx).
 *
 * Everything here runs on the I/O thread under the device's lock
 * (DESIGN.md "Threads").
 */
#ifndef MINIVMM_VIRTIO_H
#define MINIVMM_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtqueue.h"

struct virtio_pci;

struct virtio_dev_ops {
	/*
	 * Checks the driver's feature set when it sets FEATURES_OK; returns
	 * 0 to accept (the device then applies them) or -1 to refuse.
	 */
	int (*set_features)(void *opaque, uint64_t features);
	/* Device config space (the device keeps it; any size/offset). */
	void (*cfg_read)(void *opaque, unsigned off, uint8_t *data,
			 unsigned len);
	void (*cfg_write)(void *opaque, unsigned off, const uint8_t *data,
			  unsigned len);
	/*
	 * One chain of queue q, already checked (virtqueue.h): carry out the
	 * request and return the bytes written into the chain's writable
	 * buffers, which becomes the used length (2.7.8).  Called by
	 * virtio_queue_drain() only.
	 */
	uint32_t (*handle_chain)(void *opaque, unsigned q,
				 const struct vq_chain *c);
	/*
	 * Optional: a chain of queue q broke the ring rules, or the ring did
	 * (for the device's own counters; the core already acted on it).
	 */
	void (*bad_chain)(void *opaque, unsigned q);
	/*
	 * Optional: the driver notified queue q, which is live (DRIVER_OK,
	 * enabled).  Without it the core drains q through handle_chain; a
	 * device with a queue that is not a request queue (virtio-net's
	 * receive queue) handles the kick itself and calls
	 * virtio_queue_drain() for the others.
	 */
	void (*queue_notify)(void *opaque, unsigned q);
	/* DRIVER_OK was set. */
	void (*driver_ok)(void *opaque);
	/* The driver reset the device: forget everything negotiated. */
	void (*reset)(void *opaque);
};

/*
 * Takes every chain queue q has, through handle_chain, until the ring is
 * empty with notifications re-armed; then one interrupt if the driver
 * wants it.  A chain that broke the rules goes back with length 0 (counted
 * by the virtqueue and bad_chain); a ring that broke them stops the drain
 * (virtio_queue_broken).  When the device is reset meanwhile (a blocking
 * call in handle_chain, virtio_pci_io_begin) it stops at once and touches
 * nothing: the queue is a new one.  Call for a live queue only: the
 * transport checks DRIVER_OK and enabled before any notify reaches the
 * device.
 */
void virtio_queue_drain(struct virtio_pci *vp, unsigned q);

/*
 * After used entries were published on queue q (vq_push, vq_flush):
 * raises its interrupt if the driver wants one (2.7.10) and counts it.
 */
void virtio_queue_interrupt(struct virtio_pci *vp, unsigned q);

/*
 * Queue q broke the ring rules beyond one chain (vq_pop returned -EIO):
 * logs it and sets DEVICE_NEEDS_RESET.
 */
void virtio_queue_broken(struct virtio_pci *vp, unsigned q);

/*
 * Sets DEVICE_NEEDS_RESET (2.1.1) and, once the driver is up, raises a
 * configuration change interrupt so it notices.
 */
void virtio_needs_reset(struct virtio_pci *vp);

#endif
