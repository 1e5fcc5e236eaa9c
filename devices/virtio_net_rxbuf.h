/*
 * virtio_net_rxbuf.h - receive buffers gathered ahead of the frame
 * (virtio_net_rx.c).
 *
 * The device pops the guest's RX chains before it knows the next frame
 * (as Firecracker's RxBuffers do) and keeps them, in ring order, until a
 * frame needs them: a frame is then read or copied across the front of
 * them, the chains it used go to the used ring as one frame (one chain
 * without MRG_RXBUF, num_buffers of them with it, 5.1.6.3.1/5.1.6.4), and
 * the rest stay gathered for the next frame.  A chain that breaks a rule
 * goes back at once with length 0, on its own: never inside a frame.
 *
 * The gathered chains look like one long buffer: window() gives its first
 * bytes as an iovec array short enough for a backend's recv().
 */
#ifndef MINIVMM_VIRTIO_NET_RXBUF_H
#define MINIVMM_VIRTIO_NET_RXBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtqueue.h"

/* Writable pieces kept at once (a few chains of up to VQ_MAX_IOV each). */
#define VNET_RXBUF_IOV 1024

struct vnet_rxbuf {
	struct vnet_rx_seg {
		uint16_t head;
		unsigned iov_n;		/* its pieces, in order in iov[] */
		size_t cap;		/* its bytes */
	} seg[VQ_MAX_SIZE];
	unsigned nseg, niov;
	size_t cap;			/* bytes of all gathered chains */
	struct iovec iov[VNET_RXBUF_IOV];
	unsigned long long bad;		/* chains given back for breaking rules */
	struct vq_chain chain;		/* scratch for vq_pop */
};

/* Forgets every gathered chain (device reset: the ring is gone). */
void vnet_rxbuf_clear(struct vnet_rxbuf *rb);

/*
 * Pops chains until `want` bytes are gathered, `max_chains` are held, the
 * array of pieces is full or the ring is empty.  A chain with no writable
 * piece (5.1.6.3: receive buffers are device-writable) or, when min_len is
 * non-zero, fewer than min_len bytes, goes back with length 0 and is
 * counted in rb->bad.  Returns 0 (want reached, or the ring is empty), 1
 * when short of want because max_chains or the array of pieces is full,
 * or -EIO when the ring broke (vq->broken).
 */
int vnet_rxbuf_gather(struct vnet_rxbuf *rb, struct virtqueue *vq,
		      size_t want, unsigned max_chains, size_t min_len);

/*
 * The first bytes of the gathered chains as at most max_iov pieces and at
 * most max_bytes bytes (the last piece cut short if need be), in out[].
 * Returns the count; *bytes gets their total.
 */
unsigned vnet_rxbuf_window(const struct vnet_rxbuf *rb, struct iovec *out,
			   unsigned max_iov, size_t max_bytes, size_t *bytes);

/* How many chains from the front hold len bytes; 0 when all do not. */
unsigned vnet_rxbuf_chains_for(const struct vnet_rxbuf *rb, size_t len);

/*
 * Puts the first `chains` chains on the used ring as one frame of len
 * bytes (each filled up before the next; the last gets the rest) and
 * drops them from the front.
 */
void vnet_rxbuf_complete(struct vnet_rxbuf *rb, struct virtqueue *vq,
			 size_t len, unsigned chains);

#endif
