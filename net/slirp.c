/*
 * slirp.c - the libslirp backend (see slirp.h for what the guest sees).
 *
 * Three pieces of glue:
 *  - slirp's sockets: an evloop hook fills the loop's pollfd array from
 *    slirp_pollfds_fill() before each poll() and hands the results back
 *    through slirp_pollfds_poll() after it;
 *  - slirp's timers (timer_new_opaque/timer_mod/timer_free): a short list
 *    of deadlines on CLOCK_MONOTONIC that lower the poll timeout and fire
 *    through slirp_handle_timer() from the same hook;
 *  - frames: send() strips the virtio header and calls slirp_input(); a
 *    frame slirp emits goes straight into the guest's buffers when the
 *    device takes it (rx_push) and nothing is queued ahead of it, else it
 *    waits in a bounded queue until the device recv()s it.
 */
#include "net/slirp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/virtio_net.h>
#include "common/iov.h"
#include "common/log.h"
#include "net/packet.h"
#include "net/slirp_lib.h"

/* slirp's MTU is 1500: the largest frame it emits is 1514 bytes. */
#define SLIRP_MTU 1500
#define SLOT_SIZE (NET_HDR_LEN + NET_ETH_HLEN + SLIRP_MTU + 4)

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerId id;
	void *cb_opaque;
	int64_t expire_ms;	/* -1: not armed */
};

struct rx_slot {
	size_t len;		/* header + frame */
	uint8_t data[SLOT_SIZE];
};

struct slirp_be {
	struct net_backend be;	/* first: be is the slirp_be */
	const struct slirp_lib *lib;	/* libslirp, loaded on demand */
	Slirp *slirp;
	struct evloop *loop;
	struct slirp_timer *timers;
	struct rx_slot *queue;	/* SLIRP_RX_QUEUE slots */
	unsigned head, count;
	bool notify_pending;	/* frames queued since rx_ready() was called */
	struct slirp_stats stats;
	uint8_t txbuf[NET_MAX_FRAME];
};

static struct slirp_be *to_sb(const struct net_backend *be)
{
	return (struct slirp_be *)(uintptr_t)be;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- callbacks from libslirp ---- */

/*
 * The header in front of every frame slirp emits.  libslirp computed every
 * checksum of the frames it builds, so they count as verified (5.1.6.4);
 * the device passes DATA_VALID on only to a guest that negotiated
 * GUEST_CSUM and clears it for any other.
 */
static void rx_header(uint8_t *hdr)
{
	struct virtio_net_hdr_v1 h;

	memset(&h, 0, sizeof(h));
	h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	h.num_buffers = 1;	/* x86-64: little-endian, as VERSION_1 wants */
	memcpy(hdr, &h, NET_HDR_LEN);
}

/*
 * A frame for the guest: straight into the guest's buffers when nothing
 * is queued ahead of it and the device takes it (rx_push: the one copy),
 * else queued behind its header (one copy now, one at recv()); dropped and
 * counted when the queue is full -- slirp's TCP retransmits, like over a
 * congested wire.
 */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct slirp_be *s = opaque;
	struct rx_slot *slot;

	if (len > SLOT_SIZE - NET_HDR_LEN) {
		s->stats.rx_too_big++;
		return (ssize_t)len;
	}
	if (s->count == 0 && s->be.rx_push) {
		uint8_t hdr[NET_HDR_LEN];
		struct iovec iov[2] = { { hdr, NET_HDR_LEN },
					{ (void *)(uintptr_t)buf, len } };

		rx_header(hdr);
		if (s->be.rx_push(s->be.rx_opaque, iov, 2) == 1) {
			s->stats.rx_frames++;
			s->stats.rx_pushed++;
			s->notify_pending = true;	/* rx_ready(): the interrupt */
			return (ssize_t)len;
		}
	}
	if (s->count == SLIRP_RX_QUEUE) {
		s->stats.rx_queue_full++;
		return (ssize_t)len;
	}
	slot = &s->queue[(s->head + s->count) % SLIRP_RX_QUEUE];
	rx_header(slot->data);
	memcpy(slot->data + NET_HDR_LEN, buf, len);
	slot->len = NET_HDR_LEN + len;
	s->count++;
	s->notify_pending = true;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct slirp_be *s = opaque;

	s->stats.guest_errors++;
	warn_guest("slirp: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct slirp_be *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->id = id;
	t->cb_opaque = cb_opaque;
	t->expire_ms = -1;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct slirp_be *s = opaque;

	for (struct slirp_timer **p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

/* expire_time is in milliseconds of clock_get_ns()'s clock. */
static void cb_timer_mod(void *timer, int64_t expire_time, void *opaque)
{
	struct slirp_timer *t = timer;

	(void)opaque;
	if (t)
		t->expire_ms = expire_time < 0 ? 0 : expire_time;
}

/* Windows-only needs; slirp calls them on every socket, so they exist. */
static void cb_register_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

/* A guestfwd socket can take data again: the next loop turn will see it. */
static void cb_notify(void *opaque)
{
	struct slirp_be *s = opaque;

	evloop_wake(s->loop);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/* ---- the evloop hook ---- */

static int add_poll(int fd, int events, void *opaque)
{
	struct slirp_be *s = opaque;
	short ev = 0;

	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	/* -1 when the loop's array is full: slirp then sees no events. */
	return evloop_poll_add(s->loop, fd, ev);
}

static int get_revents(int idx, void *opaque)
{
	struct slirp_be *s = opaque;
	short re = evloop_revents(s->loop, idx);
	int out = 0;

	if (re & POLLIN)
		out |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		out |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		out |= SLIRP_POLL_PRI;
	if (re & (POLLERR | POLLNVAL))
		out |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		out |= SLIRP_POLL_HUP;
	return out;
}

/* Adds slirp's sockets; lowers the timeout to slirp's and the next timer's. */
static void hook_prepare(void *opaque, struct evloop *loop, int *timeout_ms)
{
	struct slirp_be *s = opaque;
	uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
	int64_t now_ms = now_ns() / 1000000;

	(void)loop;
	s->lib->slirp_pollfds_fill(s->slirp, &t, add_poll, s);
	for (struct slirp_timer *tm = s->timers; tm; tm = tm->next) {
		int64_t left;
		if (tm->expire_ms < 0)
			continue;
		left = tm->expire_ms > now_ms ? tm->expire_ms - now_ms : 0;
		if ((uint64_t)left < t)
			t = (uint32_t)left;
	}
	*timeout_ms = t == UINT32_MAX ? -1 : (t > INT_MAX ? INT_MAX : (int)t);
}

/* Each due timer fires once per loop turn, even if it re-arms in the past. */
static void run_timers(struct slirp_be *s)
{
	int64_t now_ms = now_ns() / 1000000;
	struct slirp_timer *t, *next;

	for (t = s->timers; t; t = next) {
		next = t->next;
		if (t->expire_ms < 0 || t->expire_ms > now_ms)
			continue;
		t->expire_ms = -1;
		s->lib->slirp_handle_timer(s->slirp, t->id, t->cb_opaque);
	}
}

static void hook_dispatch(void *opaque, struct evloop *loop)
{
	struct slirp_be *s = opaque;

	(void)loop;
	s->lib->slirp_pollfds_poll(s->slirp, 0, get_revents, s);
	run_timers(s);
	if (s->notify_pending) {	/* frames queued or pushed */
		s->notify_pending = false;
		if (s->be.rx_ready)
			s->be.rx_ready(s->be.rx_opaque);
	}
}

/* ---- net_backend_ops ---- */

/*
 * One frame from the guest, flattened for slirp_input().  slirp has no
 * offloads (tx_caps = 0), so a header still asking for NEEDS_CSUM or GSO
 * means the device skipped net_offload_fixup(): a minivmm bug, not the
 * guest's; the frame is dropped (slirp would drop the bad sum anyway) and
 * counted so the bug shows.
 */
static int sb_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct slirp_be *s = to_sb(be);
	struct virtio_net_hdr_v1 h;
	size_t len = iov_size(iov, (unsigned)iovcnt);

	if (len > sizeof(s->txbuf)) {
		s->stats.tx_malformed++;
		return -EMSGSIZE;
	}
	iov_to_buf(iov, (unsigned)iovcnt, 0, s->txbuf, len);
	if (len < NET_HDR_LEN + NET_ETH_HLEN) {
		s->stats.tx_malformed++;
		return -EINVAL;
	}
	memcpy(&h, s->txbuf, sizeof(h));
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	    h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		s->stats.tx_offload_bug++;
		warn_guest("slirp: frame with offload flags 0x%x gso %u reached the "
			   "backend (device bug), dropped", h.flags, h.gso_type);
		return -EINVAL;
	}
	s->stats.tx_frames++;
	s->lib->slirp_input(s->slirp, s->txbuf + NET_HDR_LEN, (int)(len - NET_HDR_LEN));
	/* Replies made on the spot (ARP, ICMP, DHCP): tell the device soon. */
	if (s->notify_pending)
		evloop_wake(s->loop);
	return 0;
}

static ssize_t sb_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct slirp_be *s = to_sb(be);
	struct rx_slot *slot;
	size_t cap = 0;

	if (iovcnt < 0 || iovcnt > NET_RECV_MAX_IOV)
		return -EINVAL;		/* backend.h: the frame stays queued */
	if (!s->count)
		return -EAGAIN;
	slot = &s->queue[s->head];
	s->head = (s->head + 1) % SLIRP_RX_QUEUE;
	s->count--;
	cap = iov_size(iov, (unsigned)iovcnt);
	if (cap < slot->len) {
		s->stats.rx_too_big++;
		return -EMSGSIZE;
	}
	iov_from_buf(iov, (unsigned)iovcnt, 0, slot->data, slot->len);
	be->rx_copies = 2;	/* into the queue, and out of it */
	s->stats.rx_frames++;
	return (ssize_t)slot->len;
}

/* slirp emits only complete frames, whatever the guest accepts. */
static int sb_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
	(void)be;
	(void)offloads;
	return 0;
}

static void sb_free(struct net_backend *be)
{
	struct slirp_be *s = to_sb(be);

	if (!s)
		return;
	evloop_remove_hook(s->loop, s);
	if (s->slirp)
		s->lib->slirp_cleanup(s->slirp);	/* frees its timers through us */
	while (s->timers) {
		struct slirp_timer *t = s->timers;
		s->timers = t->next;
		free(t);
	}
	free(s->queue);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.send = sb_send,
	.recv = sb_recv,
	.set_rx_offloads = sb_set_rx_offloads,
	.rx_pause = NULL,	/* rx_ready() comes once per batch, not per turn */
	.free = sb_free,
};

/* ---- creation ---- */

void slirp_spec_default(struct slirp_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->ipv6 = true;
}

static struct in_addr ip4(const char *text)
{
	struct in_addr a;

	inet_pton(AF_INET, text, &a);
	return a;
}

static struct in6_addr ip6(const char *text)
{
	struct in6_addr a;

	inet_pton(AF_INET6, text, &a);
	return a;
}

struct net_backend *slirp_backend_create(struct evloop *loop,
					 const struct slirp_spec *spec,
					 char *err, size_t errlen)
{
	const struct slirp_lib *lib = slirp_lib_load(err, errlen);
	struct ev_hook hook;
	struct slirp_be *s;
	SlirpConfig cfg;

	if (!lib)
		return NULL;	/* err names the package to install */
	s = calloc(1, sizeof(*s));
	if (s)
		s->queue = calloc(SLIRP_RX_QUEUE, sizeof(*s->queue));
	if (!s || !s->queue) {
		free(s);
		snprintf(err, errlen, "slirp: out of memory");
		return NULL;
	}
	s->lib = lib;
	s->loop = loop;
	s->be.ops = &slirp_ops;
	s->be.name = "slirp";
	s->be.tx_caps = 0;
	s->be.rx_caps = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 4;
	cfg.in_enabled = true;
	cfg.vnetwork = ip4("10.0.2.0");
	cfg.vnetmask = ip4("255.255.255.0");
	cfg.vhost = ip4("10.0.2.2");
	cfg.vdhcp_start = ip4("10.0.2.15");
	cfg.vnameserver = ip4("10.0.2.3");
	cfg.in6_enabled = spec->ipv6;
	cfg.vprefix_addr6 = ip6("fec0::");
	cfg.vprefix_len = 64;
	cfg.vhost6 = ip6("fec0::2");
	cfg.vnameserver6 = ip6("fec0::3");
	cfg.if_mtu = SLIRP_MTU;
	cfg.if_mru = SLIRP_MTU;
	cfg.enable_emu = false;		/* libslirp: "not safe" */
	cfg.bootfile = spec->bootfile[0] ? spec->bootfile : NULL;
	s->slirp = s->lib->slirp_new(&cfg, &slirp_callbacks, s);
	if (!s->slirp) {
		snprintf(err, errlen, "slirp: cannot create the network stack");
		sb_free(&s->be);
		return NULL;
	}

	for (unsigned i = 0; i < spec->nhostfwd && i < SLIRP_MAX_HOSTFWD; i++) {
		const struct slirp_hostfwd *f = &spec->hostfwd[i];
		char host[INET_ADDRSTRLEN];

		errno = 0;
		if (s->lib->slirp_add_hostfwd(s->slirp, f->udp, f->host_addr, f->host_port,
				      f->guest_addr, f->guest_port) < 0) {
			int e = errno;
			inet_ntop(AF_INET, &f->host_addr, host, sizeof(host));
			snprintf(err, errlen, "slirp: hostfwd %s %s:%u: cannot listen: %s",
				 f->udp ? "udp" : "tcp", host, f->host_port,
				 e ? strerror(e) : "refused by libslirp");
			sb_free(&s->be);
			return NULL;
		}
	}

	hook = (struct ev_hook){ .prepare = hook_prepare,
				 .dispatch = hook_dispatch, .opaque = s };
	if (evloop_add_hook(loop, &hook) < 0) {
		snprintf(err, errlen, "slirp: event loop has no room for another hook");
		sb_free(&s->be);
		return NULL;
	}
	return &s->be;
}

const struct slirp_stats *slirp_backend_stats(const struct net_backend *be)
{
	return &to_sb(be)->stats;
}
