/*
 * virtqueue.c - split virtqueue, device side (virtio 1.2 section 2.7).
 * See virtqueue.h for the rules enforced.  The ring is shared with a guest
 * that may change it at any moment, so every read of it goes through
 * ld16/ld32 or a memcpy into a local, exactly once per use.
 */
#include "devices/virtqueue.h"

#include <errno.h>
#include <linux/virtio_ring.h>
#include <stdatomic.h>
#include <string.h>

#include "common/log.h"

#define DESC_SIZE 16
#define AVAIL_RING(i) (4 + 2 * (size_t)(i))
#define USED_RING(i) (4 + 8 * (size_t)(i))

static uint16_t ld16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
			       __ATOMIC_RELAXED);
}

static void st16(uint8_t *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

static void st32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, v, __ATOMIC_RELAXED);
}

void vq_reset(struct virtqueue *vq, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->size = max_size;
}

int vq_enable(struct virtqueue *vq, const struct guest_mem *mem)
{
	uint16_t n = vq->size;

	/* 2.7: sizes are powers of two; 2.7.1/table: ring alignments. */
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)) ||
	    vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4)
		return -EINVAL;
	vq->desc = gm_ptr(mem, vq->desc_gpa, (uint64_t)DESC_SIZE * n);
	vq->avail = gm_ptr(mem, vq->avail_gpa, 6 + 2 * (uint64_t)n);
	vq->used = gm_ptr(mem, vq->used_gpa, 6 + 8 * (uint64_t)n);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EINVAL;
	vq->mem = mem;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->broken = false;
	vq->enabled = true;
	return 0;
}

unsigned vq_pending(const struct virtqueue *vq)
{
	if (!vq->enabled || vq->broken)
		return 0;
	return (uint16_t)(ld16(vq->avail + 2) - vq->last_avail);
}

/* One descriptor, copied out of the (guest-writable) table once. */
struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void read_desc(const uint8_t *table, unsigned i, struct desc *d)
{
	uint8_t raw[DESC_SIZE];

	memcpy(raw, table + (size_t)i * DESC_SIZE, sizeof(raw));
	memcpy(&d->addr, raw, 8);
	memcpy(&d->len, raw + 8, 4);
	memcpy(&d->flags, raw + 12, 2);
	memcpy(&d->next, raw + 14, 2);
}

/*
 * Walks the chain starting at `head`.  0 when it obeys 2.7.5 / 2.7.5.3
 * (see virtqueue.h), else a short reason for the log.
 */
static const char *walk_chain(struct virtqueue *vq, uint16_t head,
			      struct vq_chain *c)
{
	const uint8_t *table = vq->desc;
	unsigned tsize = vq->size, limit = vq->size, visited = 0;
	unsigned idx = head;
	bool indirect = false;

	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct desc d;

		if (++visited > limit)
			return "chain longer than the ring (loop?)";
		read_desc(table, idx, &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: no nesting, no NEXT alongside. */
			if (!vq->indirect)
				return "indirect descriptor not negotiated";
			if (indirect)
				return "nested indirect table";
			if (d.flags & VRING_DESC_F_NEXT)
				return "indirect descriptor with NEXT";
			if (d.len == 0 || d.len % DESC_SIZE ||
			    d.len / DESC_SIZE > VQ_MAX_IOV)
				return "bad indirect table length";
			table = gm_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return "indirect table outside RAM";
			tsize = limit = d.len / DESC_SIZE;
			visited = 0;
			idx = 0;
			indirect = true;
			continue;
		}
		if (d.len) {
			void *p = gm_ptr(vq->mem, d.addr, d.len);
			unsigned n = c->n_out + c->n_in;

			if (!p)
				return "buffer outside RAM";
			if (n >= VQ_MAX_IOV)
				return "too many buffers";
			if (d.flags & VRING_DESC_F_WRITE) {
				c->n_in++;
				c->in_len += d.len;
			} else {
				/* 2.7.4.2: readable ones come first. */
				if (c->n_in)
					return "readable after writable";
				c->n_out++;
				c->out_len += d.len;
			}
			c->iov[n].iov_base = p;
			c->iov[n].iov_len = d.len;
		} else if (!(d.flags & VRING_DESC_F_WRITE) && c->n_in) {
			return "readable after writable";
		}
		if (!(d.flags & VRING_DESC_F_NEXT))
			return NULL;
		if (d.next >= tsize)
			return "next index out of range";
		idx = d.next;
	}
}

int vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	uint16_t avail_idx, head;
	const char *why;

	if (!vq->enabled || vq->broken)
		return vq->broken ? -EIO : 0;
	avail_idx = ld16(vq->avail + 2);
	if ((uint16_t)(avail_idx - vq->last_avail) > vq->size) {
		/* 2.7.13: idx only moves forward by what fits the ring. */
		warn_guest("virtqueue: avail idx jumped from %u to %u (size %u)",
			   vq->last_avail, avail_idx, vq->size);
		vq->broken = true;
		return -EIO;
	}
	if (avail_idx == vq->last_avail)
		return 0;
	/* Read the ring entry only after seeing the index that covers it. */
	atomic_thread_fence(memory_order_acquire);
	head = ld16(vq->avail + AVAIL_RING(vq->last_avail % vq->size));
	vq->last_avail++;
	if (vq->event_idx)	/* 2.7.10: tell the driver how far we got */
		st16(vq->used + USED_RING(vq->size), vq->last_avail);
	if (head >= vq->size) {
		warn_guest("virtqueue: head %u out of range", head);
		vq->bad_chains++;
		return -EBADMSG;
	}
	c->head = head;
	why = walk_chain(vq, head, c);
	if (why) {
		warn_guest("virtqueue: chain %u dropped: %s", head, why);
		vq->bad_chains++;
		vq_push(vq, head, 0);
		return -EBADMSG;
	}
	return 1;
}

void vq_unpop(struct virtqueue *vq)
{
	vq->last_avail--;
	if (vq->event_idx)
		st16(vq->used + USED_RING(vq->size), vq->last_avail);
}

void vq_fill(struct virtqueue *vq, unsigned k, uint16_t head, uint32_t len)
{
	uint16_t i = (uint16_t)(vq->used_idx + k);
	uint8_t *elem = vq->used + USED_RING(i % vq->size);

	st32(elem, head);
	st32(elem + 4, len);
}

void vq_flush(struct virtqueue *vq, unsigned count)
{
	/* The elements must be visible before the index that publishes them. */
	atomic_thread_fence(memory_order_release);
	vq->used_idx = (uint16_t)(vq->used_idx + count);
	st16(vq->used + 2, vq->used_idx);
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	vq_fill(vq, 0, head, len);
	vq_flush(vq, 1);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, new_idx = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	/* Our used->idx store must be ordered before reading the flags. */
	atomic_thread_fence(memory_order_seq_cst);
	old = vq->signalled_used;
	vq->signalled_used = new_idx;
	vq->signalled_valid = true;
	if (!vq->event_idx)
		return !(ld16(vq->avail) & VRING_AVAIL_F_NO_INTERRUPT);
	/* 2.7.10: interrupt once used idx passes used_event. */
	event = ld16(vq->avail + AVAIL_RING(vq->size));
	return !valid || vring_need_event(event, new_idx, old);
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->enabled || vq->broken)
		return false;
	if (vq->event_idx)
		st16(vq->used + USED_RING(vq->size), vq->last_avail);
	else
		st16(vq->used, 0);
	/* Publish the re-arm before looking at the index once more. */
	atomic_thread_fence(memory_order_seq_cst);
	return ld16(vq->avail + 2) != vq->last_avail;
}
