/*
 * tap.c - the tap backend (see tap.h for what it promises).
 *
 * The frame format on /dev/net/tun with IFF_VNET_HDR is exactly the one
 * net/backend.h uses (virtio_net_hdr_v1, 12 bytes after TUNSETVNETHDRSZ),
 * so send() and recv() are one writev()/readv() each, with no copy.
 */
#include "net/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>

#include "common/iov.h"
#include "common/log.h"

#define TAP_ALL_OFFLOADS \
	(NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN | NET_OFF_UFO)

_Static_assert(NET_OFF_CSUM == TUN_F_CSUM && NET_OFF_TSO4 == TUN_F_TSO4 &&
	       NET_OFF_TSO6 == TUN_F_TSO6 && NET_OFF_ECN == TUN_F_TSO_ECN &&
	       NET_OFF_UFO == TUN_F_UFO,
	       "NET_OFF_* must equal TUN_F_* (net/backend.h)");

struct tap {
	struct net_backend be;	/* first: be is the tap */
	int fd;
	char ifname[IFNAMSIZ];
	struct evloop *loop;
	bool watching;		/* fd registered with the loop */
	bool gone;		/* the device reported an error; stop polling */
	unsigned rx_offloads;	/* TUNSETOFFLOAD value in effect */
	struct tap_stats stats;
};

static struct tap *to_tap(const struct net_backend *be)
{
	return (struct tap *)(uintptr_t)be;
}

/*
 * Writes the little-endian value 1 into num_buffers (bytes 10-11 of the
 * header), wherever the iovec split them.  The kernel skips those bytes
 * (it writes a 10-byte header and advances over the rest of vnet_hdr_sz).
 * virtio 1.2 5.1.6.4: without MRG_RXBUF the device sets num_buffers to 1.
 */
static void set_num_buffers_one(const struct iovec *iov, int iovcnt)
{
	static const uint8_t one[2] = { 1, 0 };

	iov_from_buf(iov, (unsigned)iovcnt, 10, one, sizeof(one));
}

/*
 * send: one writev().  The kernel finishes NEEDS_CSUM and GSO itself.
 * EAGAIN/ENOBUFS: the host's queue is full, drop like a full wire.  EINVAL:
 * the kernel refused the header (csum_start/offset or hdr_len beyond the
 * frame, unknown gso_type): a guest-made frame, counted and dropped.
 */
static int tap_send(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct tap *t = to_tap(be);
	ssize_t n = writev(t->fd, iov, iovcnt);

	if (n >= 0) {
		t->stats.tx_frames++;
		return 0;
	}
	switch (errno) {
	case EAGAIN:
	case ENOBUFS:
		t->stats.tx_full++;
		return -EAGAIN;
	case EINVAL:
		t->stats.tx_invalid++;
		return -EINVAL;
	default:
		t->stats.tx_error++;
		return -errno;
	}
}

/*
 * recv: one readv().  tun copies what fits and silently drops the rest of a
 * longer frame, so one spare byte goes after the caller's buffers: a frame
 * that reaches it did not fit, is gone from the device queue, and is
 * reported as -EMSGSIZE.  Buffers shorter than the header make tun fail
 * with EINVAL, also after dequeuing the frame.
 */
#define TAP_MAX_IOV NET_RECV_MAX_IOV

static ssize_t tap_recv(struct net_backend *be, const struct iovec *iov, int iovcnt)
{
	struct tap *t = to_tap(be);
	struct iovec v[TAP_MAX_IOV + 1];
	uint8_t spare;
	size_t cap;
	ssize_t n;

	if (iovcnt < 0 || iovcnt > TAP_MAX_IOV)
		return -EINVAL;
	cap = iov_size(iov, (unsigned)iovcnt);
	memcpy(v, iov, (size_t)iovcnt * sizeof(*iov));
	v[iovcnt] = (struct iovec){ .iov_base = &spare, .iov_len = 1 };
	n = readv(t->fd, v, iovcnt + 1);
	if (n < 0) {
		if (errno == EAGAIN)
			return -EAGAIN;
		if (errno == EINVAL && cap < NET_HDR_LEN) {
			t->stats.rx_too_big++;
			return -EMSGSIZE;
		}
		return -errno;
	}
	if ((size_t)n > cap) {
		t->stats.rx_too_big++;
		return -EMSGSIZE;
	}
	if (n < NET_HDR_LEN)
		return -EIO;	/* tun never does this */
	set_num_buffers_one(iov, iovcnt);
	be->rx_copies = 0;	/* readv(): the kernel's copy, none of ours */
	t->stats.rx_frames++;
	return n;
}

/*
 * The TUNSETOFFLOAD value for a set of guest receive features.  The kernel
 * (tun.c set_offload) only takes TSO4/TSO6/ECN/UFO together with CSUM and
 * ECN only with a TSO bit, and answers EINVAL otherwise; the virtio rules
 * match (virtio 1.2 5.1.3.1: GUEST_TSO4/6 and GUEST_UFO require
 * GUEST_CSUM, GUEST_ECN requires GUEST_TSO4 or GUEST_TSO6).
 */
static unsigned tun_offload_value(unsigned offloads)
{
	offloads &= TAP_ALL_OFFLOADS;
	if (!(offloads & NET_OFF_CSUM))
		return 0;
	if (!(offloads & (NET_OFF_TSO4 | NET_OFF_TSO6)))
		offloads &= ~(unsigned)NET_OFF_ECN;
	return offloads;
}

/*
 * Mirrors the guest's receive features onto the device.  A kernel that does
 * not know a flag answers EINVAL for the whole call; then the value is
 * retried without flags it refused when probed at open (rx_caps), then with
 * nothing.  What ends up in effect is kept in rx_offloads.
 */
static int tap_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
	struct tap *t = to_tap(be);

#ifdef MINIVMM_TEST_FORCE_TAP_OFFLOADS
	/*
	 * Test builds only (Makefile: build/minivmm-force-offloads and
	 * build/minivmm-no-rx-fixup, for t_probe_minivmm.sh): CSUM and TSO
	 * stay on whatever the guest accepted, so the host kernel sends
	 * partial checksums and GSO frames, and the device's receive fixup
	 * (virtio_net_rx.c) is all that stands between them and the guest.
	 */
	offloads |= NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6;
#endif
	unsigned want = tun_offload_value(offloads);
	unsigned tries[3] = { want, tun_offload_value(want & be->rx_caps), 0 };

	for (int i = 0; i < 3; i++) {
		if (i > 0 && tries[i] == tries[i - 1])
			continue;
		if (ioctl(t->fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
			t->rx_offloads = tries[i];
			return 0;
		}
		if (errno != EINVAL)
			return -errno;
	}
	return -EINVAL;
}

static void tap_readable(void *opaque, short revents);

static void tap_watch(struct tap *t, bool on)
{
	if (on && !t->watching && !t->gone) {
		if (evloop_watch(t->loop, t->fd, POLLIN, tap_readable, t) == 0)
			t->watching = true;
		else
			err("%s: event loop full, cannot receive", t->ifname);
	} else if (!on && t->watching) {
		evloop_unwatch(t->loop, t->fd);
		t->watching = false;
	}
}

/* The fd is readable (level-triggered): tell the device, unless it is gone. */
static void tap_readable(void *opaque, short revents)
{
	struct tap *t = opaque;

	if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
		err("%s: the tap device failed (deleted?); no more frames from it",
		    t->ifname);
		tap_watch(t, false);
		t->gone = true;
		return;
	}
	if (!t->be.rx_ready) {
		tap_watch(t, false);	/* nobody to tell: do not spin */
		return;
	}
	t->be.rx_ready(t->be.rx_opaque);
}

static void tap_rx_pause(struct net_backend *be, bool paused)
{
	tap_watch(to_tap(be), !paused);
}

static void tap_free(struct net_backend *be)
{
	struct tap *t = to_tap(be);

	if (!t)
		return;
	tap_watch(t, false);
	close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.send = tap_send,
	.recv = tap_recv,
	.set_rx_offloads = tap_set_rx_offloads,
	.rx_pause = tap_rx_pause,
	.free = tap_free,
};

/* Why TUNSETIFF failed, in words a user can act on. */
static const char *attach_hint(int e)
{
	switch (e) {
	case EPERM:
		return " (need root or a tap owned by you: "
		       "ip tuntap add NAME mode tap user $USER)";
	case EBUSY:
		return " (another process has it open)";
	case EINVAL:
		return " (is it a tun device, or a multi_queue tap? "
		       "minivmm needs a single-queue tap)";
	default:
		return "";
	}
}

/* The largest accepted set among the candidates, then offloads off again. */
static unsigned probe_rx_caps(int fd)
{
	static const unsigned candidates[] = {
		TAP_ALL_OFFLOADS,
		NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN,
		NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6,
		NET_OFF_CSUM,
	};
	unsigned caps = 0;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)candidates[i]) == 0) {
			caps = candidates[i];
			break;
		}
	}
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		caps = 0;
	return caps;
}

bool tap_ifname_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= IFNAMSIZ)
		return false;
	/*
	 * The kernel's dev_valid_name(): no '/', ':' or white space, not "."
	 * or "..".  '%' would make it pick a name of its own.
	 */
	for (size_t i = 0; i < len; i++)
		if (name[i] == '%' || name[i] == '/' || name[i] == ':' ||
		    (unsigned char)name[i] <= ' ' || name[i] == 0x7f)
			return false;
	return strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

int tap_check_exists(const char *ifname, char *err, size_t errlen)
{
	if (tap_ifname_valid(ifname) && if_nametoindex(ifname) != 0)
		return 0;
	snprintf(err, errlen, "%s: no such tap device (make it first: ip tuntap "
		 "add %s mode tap user $USER; or use -net slirp)", ifname, ifname);
	return -1;
}

struct net_backend *tap_open(const char *ifname, struct evloop *loop,
			     char *err, size_t errlen)
{
	struct ifreq ifr;
	struct tap *t;
	bool existed;
	int fd, hdr_len = NET_HDR_LEN;
	unsigned features = 0;

	if (!tap_ifname_valid(ifname)) {
		snprintf(err, errlen, "tap '%s': not a valid interface name "
			 "(1 to %d characters, no '/', ':', '%%' or spaces)",
			 ifname, IFNAMSIZ - 1);
		return NULL;
	}
	existed = if_nametoindex(ifname) != 0;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot open /dev/net/tun: %s%s", ifname,
			 strerror(e),
			 e == ENOENT || e == ENODEV ? " (load the tun module: modprobe tun)" :
			 e == EACCES ? " (no permission on /dev/net/tun)" : "");
		return NULL;
	}
	if (ioctl(fd, TUNGETFEATURES, &features) == 0 && !(features & IFF_VNET_HDR)) {
		snprintf(err, errlen, "%s: the kernel's tun driver has no IFF_VNET_HDR",
			 ifname);
		close(fd);
		return NULL;
	}

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: cannot attach: %s%s", ifname,
			 strerror(e), attach_hint(e));
		close(fd);
		return NULL;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) < 0) {
		snprintf(err, errlen, "%s: cannot set the virtio-net header size: %s",
			 ifname, strerror(errno));
		close(fd);
		return NULL;
	}

	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "%s: out of memory", ifname);
		close(fd);
		return NULL;
	}
	t->fd = fd;
	t->loop = loop;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	t->be.ops = &tap_ops;
	t->be.name = t->ifname;
	/* Written frames: the kernel takes every header flag (tun_get_user). */
	t->be.tx_caps = TAP_ALL_OFFLOADS;
	t->be.rx_caps = probe_rx_caps(fd);
	t->rx_offloads = 0;
	if (loop)
		tap_watch(t, true);
	if (!existed)
		warn("%s: no such tap device, created a temporary one "
		     "(down, no address; it goes away when minivmm exits)", ifname);
	return &t->be;
}

const struct tap_stats *tap_get_stats(const struct net_backend *be)
{
	return &to_tap(be)->stats;
}

unsigned tap_rx_offloads(const struct net_backend *be)
{
	return to_tap(be)->rx_offloads;
}

int tap_fd(const struct net_backend *be)
{
	return to_tap(be)->fd;
}
