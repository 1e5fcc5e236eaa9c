/*
 * stream.c - the framed-socket backend (see stream.h for the protocol and
 * what it promises about offloads).
 *
 * Two byte buffers, one each way, hold the stream as it is on the wire
 * (length words and frames).  An evloop hook asks poll() for POLLIN only
 * while the receive buffer has room and the device has not paused, and for
 * POLLOUT only while bytes wait to be sent, so a guest that stops taking
 * frames stops us reading, and passt in turn stops reading its sockets:
 * back-pressure all the way instead of drops.
 */
#include "net/stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "common/iov.h"
#include "common/log.h"
#include "net/packet.h"

struct byte_buf {
	uint8_t *data;		/* STREAM_BUF_SIZE bytes */
	size_t head, tail;	/* bytes [head, tail) are pending */
};

struct stream_be {
	struct net_backend be;	/* first: be is the stream_be */
	int fd;
	struct evloop *loop;
	int pfd_idx;		/* this turn's pollfd index, -1: none */
	bool paused;		/* the device has no buffers (rx_pause) */
	bool dead;		/* peer gone or stream broken: fd idle */
	struct stream_opts opts;
	char name[128];
	struct byte_buf rx, tx;
	struct stream_stats stats;
};

static struct stream_be *to_sb(const struct net_backend *be)
{
	return (struct stream_be *)(uintptr_t)be;
}

int stream_frame_next(const uint8_t *buf, size_t len, uint32_t *frame_len)
{
	uint32_t n;

	if (len < STREAM_LEN_BYTES)
		return 0;
	n = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	    (uint32_t)buf[2] << 8 | buf[3];
	*frame_len = n;
	if (n > STREAM_MAX_FRAME)
		return -1;
	return len - STREAM_LEN_BYTES >= n ? 1 : 0;
}

/*
 * The one line for a peer that is gone (EOF, a socket error, or a length
 * that breaks the framing).  After it the fd is left alone: nothing read,
 * nothing written, sends dropped and counted.
 */
static void go_dead(struct stream_be *s, const char *why)
{
	char extra[200] = "";

	if (s->dead)
		return;
	s->dead = true;
	if (s->opts.why_closed)
		s->opts.why_closed(s->opts.why_opaque, extra, sizeof(extra));
	err("%s: %s%s%s; the guest's network is down", s->name, why,
	    extra[0] ? ": " : "", extra);
}

/* go_dead() for a failed read or write: "cannot read from the socket: ..." */
static void go_dead_errno(struct stream_be *s, const char *what)
{
	char why[96];

	snprintf(why, sizeof(why), "cannot %s the socket: %s", what, strerror(errno));
	go_dead(s, why);
}

/* ---- receiving ---- */

/*
 * One read() into the receive buffer.  The pending bytes move to the front
 * first when the free space at the end could not hold a whole frame.
 * Returns bytes read, 0 when nothing was there (or no room), -1 when the
 * peer is gone (reported).
 */
static ssize_t fill_rx(struct stream_be *s)
{
	struct byte_buf *b = &s->rx;
	ssize_t n;

	if (s->dead)
		return -1;
	if (b->head == b->tail) {
		b->head = b->tail = 0;
	} else if (STREAM_BUF_SIZE - b->tail <
		   STREAM_LEN_BYTES + STREAM_MAX_FRAME) {
		memmove(b->data, b->data + b->head, b->tail - b->head);
		b->tail -= b->head;
		b->head = 0;
	}
	if (b->tail == STREAM_BUF_SIZE)
		return 0;
	n = read(s->fd, b->data + b->tail, STREAM_BUF_SIZE - b->tail);
	if (n > 0) {
		b->tail += (size_t)n;
		return n;
	}
	if (n == 0) {
		go_dead(s, "the peer closed the connection");
		return -1;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	go_dead_errno(s, "read from");
	return -1;
}

/*
 * The next whole frame in the receive buffer, skipping runts: 1 with
 * *off and *len set, 0 when none is complete yet, -1 when the framing broke
 * (reported).
 */
static int next_frame(struct stream_be *s, size_t *off, uint32_t *len)
{
	struct byte_buf *b = &s->rx;

	for (;;) {
		int r = stream_frame_next(b->data + b->head, b->tail - b->head, len);

		if (r < 0) {
			char why[128];

			snprintf(why, sizeof(why), "the peer sent a frame length of "
				 "%u bytes (at most %u): not this protocol, or out "
				 "of step", *len, (unsigned)STREAM_MAX_FRAME);
			go_dead(s, why);
			return -1;
		}
		if (r == 0)
			return 0;
		if (*len >= NET_ETH_HLEN) {
			*off = b->head + STREAM_LEN_BYTES;
			return 1;
		}
		s->stats.rx_runts++;
		b->head += STREAM_LEN_BYTES + *len;
	}
}

static bool rx_frame_pending(struct stream_be *s)
{
	size_t off;
	uint32_t len;

	return !s->dead && next_frame(s, &off, &len) == 1;
}

/*
 * recv: the next whole frame behind a virtio-net header of our own (no
 * offload; DATA_VALID if opts say so; num_buffers 1).  Reads the socket
 * itself when no whole frame is buffered, so the device's loop after
 * rx_ready() drains the socket without a poll() per frame.  The frame is
 * copied once, from the receive buffer into iov (the guest's buffers):
 * reading the socket straight into them would cost a read() for the
 * length word and one for the frame, for every frame, instead of one
 * read() for many.
 */
static ssize_t sb_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct stream_be *s = to_sb(be);
	struct virtio_net_hdr_v1 h;
	size_t off;
	uint32_t len;
	int r;

	if (iovcnt < 0 || iovcnt > NET_RECV_MAX_IOV)
		return -EINVAL;		/* backend.h: the frame stays pending */
	r = next_frame(s, &off, &len);
	if (r == 0 && fill_rx(s) > 0)
		r = next_frame(s, &off, &len);
	if (r <= 0)
		return -EAGAIN;	/* a dead peer has nothing more to give */
	s->rx.head = off + len;
	if (iov_size(iov, (unsigned)iovcnt) < NET_HDR_LEN + (size_t)len) {
		s->stats.rx_too_big++;
		return -EMSGSIZE;
	}
	memset(&h, 0, sizeof(h));
	if (s->opts.data_valid)
		h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	h.num_buffers = 1;	/* x86-64: little-endian, as VERSION_1 wants */
	iov_from_buf(iov, (unsigned)iovcnt, 0, &h, NET_HDR_LEN);
	iov_from_buf(iov, (unsigned)iovcnt, NET_HDR_LEN, s->rx.data + off, len);
	be->rx_copies = 1;	/* out of the receive buffer (read() is the kernel's) */
	s->stats.rx_frames++;
	return (ssize_t)(NET_HDR_LEN + len);
}

/* ---- sending ---- */

/* Writes what waits in the send buffer; false when the peer is gone. */
static bool flush_tx(struct stream_be *s)
{
	struct byte_buf *b = &s->tx;

	while (b->head < b->tail) {
		ssize_t n = send(s->fd, b->data + b->head, b->tail - b->head,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return true;
			go_dead_errno(s, "write to");
			return false;
		}
		b->head += (size_t)n;
	}
	b->head = b->tail = 0;
	return true;
}

/*
 * The bytes of one frame on the wire: the length word, then `len` bytes of
 * the iovec after the virtio header, as up to `max` pieces in v.  Returns
 * the count, or -1 when the iovec has more pieces than that.
 */
static int wire_iov(const uint8_t *word, const struct iovec *iov, int iovcnt,
		    size_t len, struct iovec *v, int max)
{
	unsigned cnt;

	v[0] = (struct iovec){ (void *)(uintptr_t)word, STREAM_LEN_BYTES };
	cnt = iov_slice(v + 1, (unsigned)max - 1, iov, (unsigned)iovcnt,
			NET_HDR_LEN, len);
	if (iov_size(v + 1, cnt) < len)	/* out of pieces (sb_send's len fits) */
		return -1;
	return (int)cnt + 1;
}

/* Appends the wire bytes from byte `from` on to the send buffer. */
static void queue_tx(struct stream_be *s, const uint8_t *word,
		     const struct iovec *iov, int iovcnt, size_t len, size_t from)
{
	if (from < STREAM_LEN_BYTES) {
		memcpy(s->tx.data + s->tx.tail, word + from, STREAM_LEN_BYTES - from);
		s->tx.tail += STREAM_LEN_BYTES - from;
		from = STREAM_LEN_BYTES;
	}
	from -= STREAM_LEN_BYTES;	/* now an offset into the frame */
	if (from < len)
		s->tx.tail += iov_to_buf(iov, (unsigned)iovcnt, NET_HDR_LEN + from,
					 s->tx.data + s->tx.tail, len - from);
}

/*
 * Tries one sendmsg() of the whole frame on the wire.  Returns the bytes
 * the socket took (0 when it was full or the iovec is too long to pass
 * on), -1 when the peer is gone.
 */
#define STREAM_MAX_IOV 64

static ssize_t send_direct(struct stream_be *s, const uint8_t *word,
			   const struct iovec *iov, int iovcnt, size_t len)
{
	struct iovec v[STREAM_MAX_IOV + 1];
	struct msghdr msg;
	int cnt = wire_iov(word, iov, iovcnt, len, v, STREAM_MAX_IOV + 1);
	ssize_t n;

	if (cnt < 0)
		return 0;	/* rare: queue_tx() flattens it */
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = v;
	msg.msg_iovlen = (size_t)cnt;
	n = sendmsg(s->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n >= 0)
		return n;
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	go_dead_errno(s, "write to");
	return -1;
}

/*
 * The frame's length without Ethernet padding.  Guests that pad short
 * frames to the 60-byte minimum, as a wire needs (iPXE does, and so does
 * the probe), put bytes after the IP packet; passt 0.0~git20230309 drops
 * an IPv4 frame whose length is not exactly its IP packet's (seen with
 * UDP datagrams and TCP SYNs under 60 bytes).  A socket has no minimum, so
 * the padding is left off: for IPv4 and IPv6 frames that are longer than
 * their packet, the frame ends where the packet does.  Anything else
 * (other EtherTypes, VLAN tags, a length field past the end) goes as it is.
 */
static size_t unpadded_len(const struct iovec *iov, int iovcnt, size_t len)
{
	uint8_t h[NET_ETH_HLEN + 6];
	size_t ip;

	if (iov_to_buf(iov, (unsigned)iovcnt, NET_HDR_LEN, h, sizeof(h)) < sizeof(h))
		return len;
	if (h[12] == 0x08 && h[13] == 0x00 && (h[14] >> 4) == 4)
		ip = (size_t)h[16] << 8 | h[17];		/* total length */
	else if (h[12] == 0x86 && h[13] == 0xdd && (h[14] >> 4) == 6)
		ip = 40 + ((size_t)h[18] << 8 | h[19]);	/* + payload length */
	else
		return len;
	return ip >= 20 && NET_ETH_HLEN + ip < len ? NET_ETH_HLEN + ip : len;
}

/* The 12-byte header, wherever the iovec splits it. */
static void read_hdr(const struct iovec *iov, int iovcnt,
		     struct virtio_net_hdr_v1 *h)
{
	memset(h, 0, sizeof(*h));
	iov_to_buf(iov, (unsigned)iovcnt, 0, h, sizeof(*h));
}

/*
 * send: one sendmsg() of the length word and the frame (the virtio header
 * stripped, Ethernet padding too) when nothing is queued; what the socket
 * did not take, and every frame while something is queued, goes to the
 * send buffer -- whole, or not at all, so the stream never holds half a
 * frame.  A header still asking for NEEDS_CSUM or GSO means the device
 * skipped net_offload_fixup() (tx_caps is 0): a minivmm bug, so the frame
 * is dropped and counted rather than sent with a wrong checksum.
 */
static int sb_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct stream_be *s = to_sb(be);
	struct virtio_net_hdr_v1 h;
	uint8_t word[STREAM_LEN_BYTES];
	size_t total = iov_size(iov, (unsigned)iovcnt), len;
	ssize_t sent = 0;

	if (total < NET_HDR_LEN + NET_ETH_HLEN || total - NET_HDR_LEN > STREAM_MAX_FRAME) {
		s->stats.tx_malformed++;
		return -EINVAL;
	}
	read_hdr(iov, iovcnt, &h);
	if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
	    h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		s->stats.tx_offload_bug++;
		warn_guest("%s: frame with offload flags 0x%x gso %u reached the "
			   "backend (device bug), dropped", s->name, h.flags,
			   h.gso_type);
		return -EINVAL;
	}
	if (s->dead || !flush_tx(s)) {
		s->stats.tx_dead++;
		return -EPIPE;
	}
	len = unpadded_len(iov, iovcnt, total - NET_HDR_LEN);
	if (len < total - NET_HDR_LEN)
		s->stats.tx_unpadded++;
	word[0] = (uint8_t)(len >> 24);
	word[1] = (uint8_t)(len >> 16);
	word[2] = (uint8_t)(len >> 8);
	word[3] = (uint8_t)len;
	if (s->tx.tail == 0) {
		sent = send_direct(s, word, iov, iovcnt, len);
		if (sent < 0) {
			s->stats.tx_dead++;
			return -EPIPE;
		}
		if ((size_t)sent == STREAM_LEN_BYTES + len) {
			s->stats.tx_frames++;
			return 0;
		}
	}
	if (STREAM_BUF_SIZE - s->tx.tail < STREAM_LEN_BYTES + len - (size_t)sent) {
		s->stats.tx_full++;
		return -EAGAIN;
	}
	queue_tx(s, word, iov, iovcnt, len, (size_t)sent);
	s->stats.tx_frames++;
	if (s->loop)	/* the next poll() must ask for POLLOUT */
		evloop_wake(s->loop);
	return 0;
}

/* ---- the evloop hook ---- */

static void hook_prepare(void *opaque, struct evloop *loop, int *timeout_ms)
{
	struct stream_be *s = opaque;
	short ev = 0;

	s->pfd_idx = -1;
	if (s->dead)
		return;
	if (!s->paused && s->be.rx_ready) {
		/* Frames left over from the last batch: no sleeping. */
		if (rx_frame_pending(s))
			*timeout_ms = 0;
		else
			ev |= POLLIN;
	}
	if (s->tx.head < s->tx.tail)
		ev |= POLLOUT;
	if (ev)
		s->pfd_idx = evloop_poll_add(loop, s->fd, ev);
}

static void hook_dispatch(void *opaque, struct evloop *loop)
{
	struct stream_be *s = opaque;
	short re = s->pfd_idx >= 0 ? evloop_revents(loop, s->pfd_idx) : 0;

	if (s->dead)
		return;
	if (re & POLLOUT)
		flush_tx(s);
	/* POLLHUP/POLLERR too: the read() says what happened, once. */
	if (re & (POLLIN | POLLHUP | POLLERR))
		fill_rx(s);
	if (!s->paused && s->be.rx_ready && rx_frame_pending(s))
		s->be.rx_ready(s->be.rx_opaque);
}

/* ---- net_backend_ops ---- */

/* The peer only ever sends complete frames, whatever the guest accepts. */
static int sb_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
	(void)be;
	(void)offloads;
	return 0;
}

static void sb_rx_pause(struct net_backend *be, bool paused)
{
	to_sb(be)->paused = paused;
}

static void sb_free(struct net_backend *be)
{
	struct stream_be *s = to_sb(be);

	if (!s)
		return;
	if (s->loop)
		evloop_remove_hook(s->loop, s);
	if (s->fd >= 0)
		close(s->fd);	/* passt (-1, one-off) exits on this */
	if (s->opts.release)
		s->opts.release(s->opts.why_opaque);
	free(s->rx.data);
	free(s->tx.data);
	free(s);
}

static const struct net_backend_ops stream_ops = {
	.send = sb_send,
	.recv = sb_recv,
	.set_rx_offloads = sb_set_rx_offloads,
	.rx_pause = sb_rx_pause,
	.free = sb_free,
};

/* ---- creation ---- */

struct net_backend *stream_backend_create(int fd, struct evloop *loop,
					  const struct stream_opts *opts,
					  char *err, size_t errlen)
{
	struct stream_be *s = calloc(1, sizeof(*s));
	struct ev_hook hook;
	int fl;

	if (s) {
		s->rx.data = malloc(STREAM_BUF_SIZE);
		s->tx.data = malloc(STREAM_BUF_SIZE);
	}
	if (!s || !s->rx.data || !s->tx.data) {
		snprintf(err, errlen, "%s: out of memory", opts->name);
		if (s) {
			s->fd = fd;	/* opts not copied yet: no release */
			sb_free(&s->be);
		} else {
			close(fd);
		}
		return NULL;
	}
	s->fd = fd;
	s->opts = *opts;
	s->opts.release = NULL;	/* set once creation cannot fail any more */
	snprintf(s->name, sizeof(s->name), "%s", opts->name);
	s->opts.name = s->name;
	s->pfd_idx = -1;
	s->be.ops = &stream_ops;
	s->be.name = s->name;
	s->be.tx_caps = 0;
	s->be.rx_caps = 0;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		snprintf(err, errlen, "%s: %s", s->name, strerror(errno));
		sb_free(&s->be);
		return NULL;
	}
	if (loop) {
		hook = (struct ev_hook){ .prepare = hook_prepare,
					 .dispatch = hook_dispatch, .opaque = s };
		if (evloop_add_hook(loop, &hook) < 0) {
			snprintf(err, errlen, "%s: event loop has no room for another "
				 "hook", s->name);
			sb_free(&s->be);
			return NULL;
		}
		s->loop = loop;
	}
	s->opts.release = opts->release;
	return &s->be;
}

struct net_backend *stream_connect(const char *path, struct evloop *loop,
				   char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stream_opts o = { .data_valid = false };
	char name[128];
	int fd;

	snprintf(name, sizeof(name), "stream %s", path);
	o.name = name;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: path longer than %zu bytes", name,
			 sizeof(sa.sun_path) - 1);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", name, strerror(errno));
		return NULL;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot connect: %s%s", name, strerror(e),
			 e == ECONNREFUSED || e == ENOENT ? " (is the peer running?)" : "");
		close(fd);
		return NULL;
	}
	return stream_backend_create(fd, loop, &o, err, errlen);
}

const struct stream_stats *stream_backend_stats(const struct net_backend *be)
{
	return &to_sb(be)->stats;
}

void *stream_backend_opaque(const struct net_backend *be)
{
	return to_sb(be)->opts.why_opaque;
}

bool stream_backend_dead(const struct net_backend *be)
{
	return to_sb(be)->dead;
}
