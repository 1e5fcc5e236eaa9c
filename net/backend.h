/*
 * backend.h - what virtio-net (devices/) needs from a network backend
 * (net/tap.c, net/slirp.c, and fakes in tests), and nothing more.
 *
 * Every frame crossing this interface starts with a 12-byte
 * struct virtio_net_hdr_v1 (the VERSION_1 layout, <linux/virtio_net.h>),
 * followed by the Ethernet frame, in both directions.
 *
 * Offload bits (NET_OFF_*) say what may appear in that header:
 *  - tx_caps: what the backend accepts from the guest.  A frame whose header
 *    asks for more (NEEDS_CSUM without NET_OFF_CSUM, GSO without the matching
 *    TSO bit) must be finished in software before send(); see net/offload.h.
 *  - set_rx_offloads(): what the guest can take on receive.  The backend
 *    must not produce more than that (tap mirrors it with TUNSETOFFLOAD);
 *    the device still checks every received frame, so a backend that gets
 *    this wrong cannot hurt a strict guest.
 */
#ifndef MINIVMM_NET_BACKEND_H
#define MINIVMM_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "net/packet.h"

/* The same values as TUN_F_*, so tap passes them through unchanged. */
#define NET_OFF_CSUM 0x01	/* partial checksums (NEEDS_CSUM) */
#define NET_OFF_TSO4 0x02
#define NET_OFF_TSO6 0x04
#define NET_OFF_ECN  0x08	/* TSO frames with ECN/CWR */
#define NET_OFF_UFO  0x10

#define NET_HDR_LEN 12		/* sizeof(struct virtio_net_hdr_v1) */
/*
 * The most iovecs recv() takes in one call, for every backend: readv()
 * takes at most IOV_MAX, and tap adds one of its own behind the caller's
 * to catch frames that do not fit.  Both sides keep it: the device never
 * passes more (its window of guest buffers is NET_RECV_MAX_IOV - 1 pieces
 * and one overflow buffer of its own, devices/virtio_net_rx.c), and every
 * backend refuses more with -EINVAL, leaving the frame pending.
 */
#define NET_RECV_MAX_IOV 64
#define NET_MAX_FRAME (NET_HDR_LEN + 65536 + NET_ETH_HLEN + 4)

struct net_backend;

struct net_backend_ops {
	/*
	 * Sends one frame (header + Ethernet frame).  Returns 0, or -errno when
	 * the frame was dropped (the device counts it).  Never blocks for long:
	 * a full host queue is a drop, like a full wire.
	 */
	int (*send)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/*
	 * Reads one pending frame (header + Ethernet frame) into iov.  Returns
	 * its length, -EAGAIN when none is pending, -EMSGSIZE (frame dropped)
	 * when it did not fit, or another -errno.  iovcnt is at most
	 * NET_RECV_MAX_IOV: more is refused with -EINVAL and the frame stays
	 * pending, so the caller must never pass more.  -EINVAL is not
	 * "nothing pending".  iov is usually the guest's own buffers: the
	 * bytes written there are the frame the guest will get.  Sets
	 * be->rx_copies.
	 */
	ssize_t (*recv)(struct net_backend *be, const struct iovec *iov, int iovcnt);
	/* Tells the backend what the guest accepts on receive (NET_OFF_*). */
	int (*set_rx_offloads)(struct net_backend *be, unsigned offloads);
	/*
	 * Optional (NULL when the backend has no use for it).  paused = true:
	 * the device cannot take frames now (the guest posted no buffers), so
	 * stop calling rx_ready(); false: buffers are back, watch again.  A
	 * backend with a level-triggered source (tap) needs this, or it would
	 * call rx_ready() on every loop turn while frames wait.  A backend
	 * starts unpaused.  Called from the I/O thread only.  After resuming,
	 * the device calls recv() itself: it must not count on a fresh
	 * rx_ready() for frames that were already pending.
	 */
	void (*rx_pause)(struct net_backend *be, bool paused);
	void (*free)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	const char *name;
	unsigned tx_caps;	/* NET_OFF_* accepted on send() */
	unsigned rx_caps;	/* NET_OFF_* it can deliver if the guest accepts */
	/*
	 * Set by the device: the backend calls rx_ready() from the I/O thread
	 * when recv() has something; the device then calls recv() until
	 * -EAGAIN or until the guest has no buffers.  When the guest posts new
	 * buffers the device calls recv() again itself.
	 */
	void (*rx_ready)(void *opaque);
	void *rx_opaque;
	/*
	 * Set by the device, optional (NULL: not offered): takes one frame
	 * (header + Ethernet frame) into the guest's buffers now, for a
	 * backend that builds frames in its own memory (slirp) and would
	 * otherwise queue them, so the frame is copied once instead of twice.
	 * Returns 1 when the device took the frame (delivered, or dropped and
	 * counted), 0 when it cannot now (no buffers, or a frame of its own
	 * waiting): the backend queues it then, and calls rx_ready() as for
	 * any queued frame.  Call it only while nothing of yours is queued,
	 * so frames stay in order, and from the I/O thread (inside send() too:
	 * the device's lock is recursive).  After a 1, call rx_ready() once
	 * the batch is done: the device raises the guest's interrupt there.
	 */
	int (*rx_push)(void *opaque, const struct iovec *iov, int iovcnt);
	/*
	 * Set by recv(): how many times the backend copied the frame's bytes
	 * itself (0: tap, whose readv() copies in the kernel; 1: stream, out
	 * of its receive buffer; 2: slirp, into its queue and out of it).
	 * The device adds its own copies (the -v stats: copies per frame).
	 */
	unsigned rx_copies;
};

#endif
