/*
 * virtqueue.h - the device side of a split virtqueue (virtio 1.2, 2.7).
 *
 * Every guest value is read once into a local and checked before use:
 * the avail index may move forward by at most the queue size, heads and
 * next indices stay below the table size, a chain visits at most queue-size
 * descriptors (so a loop ends), an indirect table is a non-empty multiple
 * of 16 bytes, is never nested and never combined with NEXT, readable
 * descriptors come before writable ones, and every buffer lies wholly in
 * guest RAM (gm_ptr over its full length).
 */
#ifndef MINIVMM_VIRTQUEUE_H
#define MINIVMM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/guest_mem.h"
#include "common/iov.h"

#define VQ_MAX_SIZE 256
/* Largest number of buffers one chain may carry (incl. indirect tables). */
#define VQ_MAX_IOV 256

/* One popped descriptor chain: readable buffers first, then writable. */
struct vq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	size_t out_len, in_len;
	struct iovec iov[VQ_MAX_IOV];	/* [0, n_out) out, then n_in in */
};

struct virtqueue {
	/* Set by the transport (driver-written registers). */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	bool enabled;
	/* Negotiated features that change the ring's behaviour. */
	bool event_idx, indirect;

	/* Private. */
	const struct guest_mem *mem;
	uint8_t *desc;		/* host views, checked at enable */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;	/* next avail entry to take */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;
	bool signalled_valid;
	bool broken;		/* the ring broke the rules: stop using it */
	unsigned long bad_chains;
};

/* Back to the state after device reset (disabled, size = max). */
void vq_reset(struct virtqueue *vq, uint16_t max_size);

/*
 * Checks the driver's ring addresses (alignment, whole size inside RAM,
 * power-of-two size) and starts using the queue.  0 or -EINVAL.
 */
int vq_enable(struct virtqueue *vq, const struct guest_mem *mem);

/*
 * Takes the next available chain.  Returns 1 with *c filled, 0 when the
 * ring is empty, -EBADMSG when the chain broke a rule (it was returned to
 * the used ring with length 0 when its head was usable, and counted), or
 * -EIO when the ring itself can no longer be trusted (vq->broken is set;
 * the transport should set DEVICE_NEEDS_RESET).
 */
int vq_pop(struct virtqueue *vq, struct vq_chain *c);

/* Gives back the last popped chain unused (it will be popped again). */
void vq_unpop(struct virtqueue *vq);

/* Number of chains the driver has made available and we have not taken. */
unsigned vq_pending(const struct virtqueue *vq);

/* Returns a chain with `len` bytes written and publishes used->idx. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);

/*
 * For several chains that must appear at once (one MRG_RXBUF frame):
 * vq_fill() writes used entry `k` past the current index, vq_flush()
 * publishes `count` of them.
 */
void vq_fill(struct virtqueue *vq, unsigned k, uint16_t head, uint32_t len);
void vq_flush(struct virtqueue *vq, unsigned count);

/*
 * After a batch of vq_push(): true when the driver wants an interrupt
 * (VIRTIO_F_EVENT_IDX used_event, else VRING_AVAIL_F_NO_INTERRUPT).
 */
bool vq_should_notify(struct virtqueue *vq);

/*
 * Re-arms driver notifications (avail_event = last_avail, or clears
 * VRING_USED_F_NO_NOTIFY) and returns true when more chains arrived in the
 * meantime, so the caller loops again instead of sleeping.
 */
bool vq_enable_notify(struct virtqueue *vq);

#endif
