/*
 * virtio_net_rxbuf.c - receive buffers gathered ahead of the frame (see
 * virtio_net_rxbuf.h).
 */
#include "devices/virtio_net_rxbuf.h"

#include <errno.h>
#include <string.h>

void vnet_rxbuf_clear(struct vnet_rxbuf *rb)
{
	rb->nseg = rb->niov = 0;
	rb->cap = 0;
}

int vnet_rxbuf_gather(struct vnet_rxbuf *rb, struct virtqueue *vq,
		      size_t want, unsigned max_chains, size_t min_len)
{
	struct vq_chain *c = &rb->chain;

	while (rb->cap < want) {
		int r;

		if (rb->nseg >= max_chains || rb->nseg >= VQ_MAX_SIZE)
			return 1;
		r = vq_pop(vq, c);

		if (r == 0)
			return 0;
		if (r == -EIO)
			return -EIO;
		if (r < 0) {		/* given back with length 0 already */
			rb->bad++;
			continue;
		}
		if (rb->niov + c->n_in > VNET_RXBUF_IOV) {
			vq_unpop(vq);	/* the next frame's, once these go */
			return 1;
		}
		if (c->n_in == 0 || c->in_len < min_len) {
			vq_push(vq, c->head, 0);
			rb->bad++;
			continue;
		}
		memcpy(&rb->iov[rb->niov], &c->iov[c->n_out],
		       c->n_in * sizeof(struct iovec));
		rb->seg[rb->nseg++] = (struct vnet_rx_seg){ c->head, c->n_in,
							    c->in_len };
		rb->niov += c->n_in;
		rb->cap += c->in_len;
	}
	return 0;
}

unsigned vnet_rxbuf_window(const struct vnet_rxbuf *rb, struct iovec *out,
			   unsigned max_iov, size_t max_bytes, size_t *bytes)
{
	unsigned n = 0;
	size_t total = 0;

	for (unsigned i = 0; i < rb->niov && n < max_iov && total < max_bytes;
	     i++) {
		size_t l = rb->iov[i].iov_len;

		if (l > max_bytes - total)
			l = max_bytes - total;
		out[n++] = (struct iovec){ rb->iov[i].iov_base, l };
		total += l;
	}
	*bytes = total;
	return n;
}

unsigned vnet_rxbuf_chains_for(const struct vnet_rxbuf *rb, size_t len)
{
	size_t have = 0;

	for (unsigned i = 0; i < rb->nseg; i++) {
		have += rb->seg[i].cap;
		if (have >= len)
			return i + 1;
	}
	return 0;
}

void vnet_rxbuf_complete(struct vnet_rxbuf *rb, struct virtqueue *vq,
			 size_t len, unsigned chains)
{
	unsigned pieces = 0;
	size_t done = 0;

	for (unsigned i = 0; i < chains; i++) {
		const struct vnet_rx_seg *s = &rb->seg[i];
		size_t k = i + 1 == chains ? len - done : s->cap;

		vq_fill(vq, i, s->head, (uint32_t)k);
		done += k;
		pieces += s->iov_n;
		rb->cap -= s->cap;
	}
	vq_flush(vq, chains);
	rb->nseg -= chains;
	rb->niov -= pieces;
	memmove(rb->seg, rb->seg + chains, rb->nseg * sizeof(rb->seg[0]));
	memmove(rb->iov, rb->iov + pieces, rb->niov * sizeof(rb->iov[0]));
}
