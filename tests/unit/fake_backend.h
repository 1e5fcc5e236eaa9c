/*
 * fake_backend.h - a net_backend for device tests: it records every frame
 * sent (flattened), delivers frames queued by the test on recv(), and
 * records what set_rx_offloads() and rx_pause() were told.
 */
#ifndef MINIVMM_FAKE_BACKEND_H
#define MINIVMM_FAKE_BACKEND_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/iov.h"
#include "net/backend.h"

#define FB_MAX_FRAMES 64

struct fake_be {
	struct net_backend be;
	/* send() */
	unsigned nsent;
	size_t sent_len[FB_MAX_FRAMES];
	uint8_t *sent[FB_MAX_FRAMES];
	int send_result;
	/* recv() */
	unsigned nrx, rx_next;
	size_t rx_len[FB_MAX_FRAMES];
	uint8_t *rx[FB_MAX_FRAMES];
	unsigned recv_calls;
	unsigned copies;	/* reported as be->rx_copies (tap-like: 0) */
	int max_iovcnt;		/* the most iovecs recv() was given */
	void *last_iov0;	/* where the last recv() was told to write */
	/* set_rx_offloads() / rx_pause() */
	unsigned offloads;
	unsigned offload_calls;
	int paused;
	unsigned pause_calls;
};

static inline struct fake_be *fb_of(struct net_backend *be)
{
	return (struct fake_be *)(void *)be;
}

static inline int fb_send(struct net_backend *be, const struct iovec *iov,
			  int iovcnt)
{
	struct fake_be *f = fb_of(be);
	size_t len = iov_size(iov, (unsigned)iovcnt);

	if (f->send_result)
		return f->send_result;
	if (f->nsent < FB_MAX_FRAMES) {
		uint8_t *p = malloc(len ? len : 1);

		iov_to_buf(iov, (unsigned)iovcnt, 0, p, len);
		f->sent[f->nsent] = p;
		f->sent_len[f->nsent] = len;
	}
	f->nsent++;
	return 0;
}

static inline ssize_t fb_recv(struct net_backend *be, const struct iovec *iov,
			      int iovcnt)
{
	struct fake_be *f = fb_of(be);
	size_t cap, len;
	const uint8_t *src;

	f->recv_calls++;
	if (iovcnt > f->max_iovcnt)
		f->max_iovcnt = iovcnt;
	f->last_iov0 = iovcnt > 0 ? iov[0].iov_base : NULL;
	if (iovcnt < 0 || iovcnt > NET_RECV_MAX_IOV)
		return -EINVAL;		/* the contract, as tap keeps it */
	if (f->rx_next == f->nrx)
		return -EAGAIN;
	cap = iov_size(iov, (unsigned)iovcnt);
	len = f->rx_len[f->rx_next];
	src = f->rx[f->rx_next];
	if (len > cap) {
		f->rx_next++;		/* dropped, as tap would */
		return -EMSGSIZE;
	}
	iov_from_buf(iov, (unsigned)iovcnt, 0, src, len);
	f->rx_next++;
	be->rx_copies = f->copies;
	return (ssize_t)len;
}

static inline int fb_set_rx_offloads(struct net_backend *be, unsigned off)
{
	struct fake_be *f = fb_of(be);

	f->offloads = off;
	f->offload_calls++;
	return 0;
}

static inline void fb_rx_pause(struct net_backend *be, bool paused)
{
	struct fake_be *f = fb_of(be);

	f->paused = paused;
	f->pause_calls++;
}

static const struct net_backend_ops fb_ops = {
	.send = fb_send, .recv = fb_recv,
	.set_rx_offloads = fb_set_rx_offloads, .rx_pause = fb_rx_pause,
};

static inline void fb_init(struct fake_be *f, unsigned tx_caps,
			   unsigned rx_caps)
{
	memset(f, 0, sizeof(*f));
	f->be.ops = &fb_ops;
	f->be.name = "fake";
	f->be.tx_caps = tx_caps;
	f->be.rx_caps = rx_caps;
}

/* Queues a frame (header + Ethernet) for recv(); does not call rx_ready. */
static inline void fb_queue_rx(struct fake_be *f, const uint8_t *frame,
			       size_t len)
{
	f->rx[f->nrx] = malloc(len);
	memcpy(f->rx[f->nrx], frame, len);
	f->rx_len[f->nrx++] = len;
}

/*
 * Slirp-like: offers a frame to the device (be->rx_push) when nothing is
 * queued, else queues it (copied into the queue: 2 copies at recv()).
 * Returns 1 when the device took it.
 */
static inline int fb_push_or_queue(struct fake_be *f, const uint8_t *frame,
				   size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)frame, len };

	if (f->rx_next == f->nrx && f->be.rx_push &&
	    f->be.rx_push(f->be.rx_opaque, &iov, 1) == 1)
		return 1;
	f->copies = 2;
	fb_queue_rx(f, frame, len);
	return 0;
}

static inline void fb_fini(struct fake_be *f)
{
	for (unsigned i = 0; i < f->nsent && i < FB_MAX_FRAMES; i++)
		free(f->sent[i]);
	for (unsigned i = 0; i < f->nrx; i++)
		free(f->rx[i]);
}

#endif
