/*
 * The tap backend against the real kernel, inside a private network
 * namespace made by this test process (unshare(CLONE_NEWNET)), so nothing
 * leaves the machine.  The tap gets 10.0.0.1/24; the "guest" is 10.0.0.2
 * with MAC 52:54:00:12:34:56 (a static ARP entry, so the kernel sends to it
 * without asking).  Needs root and /dev/net/tun; each case says "skip" with
 * the reason otherwise.
 *
 * Checksums are checked with a naive reference in this file (byte pairs
 * summed in a 64-bit integer), not with net/csum.c.
 */
#include "check.h"
#include "ref_csum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>

#include "common/evloop.h"
#include "net/tap.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
#define HOST_IP "10.0.0.1"
#define GUEST_IP "10.0.0.2"

/* ---- environment ---- */

static const char *skip_reason;

/* Enters a fresh network namespace once; afterwards says why not, or NULL. */
static const char *need_netns(void)
{
	static bool tried;
	int fd;

	if (tried)
		return skip_reason;
	tried = true;
	if (geteuid() != 0)
		return skip_reason = "needs root (CAP_NET_ADMIN) for a tap device";
	if (access("/dev/net/tun", R_OK | W_OK) != 0)
		return skip_reason = "no /dev/net/tun";
	if (unshare(CLONE_NEWNET) != 0)
		return skip_reason = "unshare(CLONE_NEWNET) failed";
	/* No IPv6 chatter (router solicitations, MLD) on the taps. */
	fd = open("/proc/sys/net/ipv6/conf/default/disable_ipv6", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1) {
			/* Only noise; the readers filter frames anyway. */
		}
		close(fd);
	}
	return NULL;
}

#define NEED_NETNS()                                                \
	do {                                                        \
		if (need_netns())                                   \
			SKIP(skip_reason);                          \
	} while (0)

static int ctl_sock(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

/* Brings ifname up with HOST_IP/24 and a static ARP entry for the guest. */
static bool configure_tap(const char *ifname)
{
	struct ifreq ifr;
	struct arpreq arp;
	struct sockaddr_in *sin;
	int s = ctl_sock();
	bool ok = true;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, HOST_IP, &sin->sin_addr);
	ok &= ioctl(s, SIOCSIFADDR, &ifr) == 0;
	inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
	ok &= ioctl(s, SIOCSIFNETMASK, &ifr) == 0;
	ok &= ioctl(s, SIOCGIFFLAGS, &ifr) == 0;
	ifr.ifr_flags |= IFF_UP;
	ok &= ioctl(s, SIOCSIFFLAGS, &ifr) == 0;

	memset(&arp, 0, sizeof(arp));
	sin = (struct sockaddr_in *)&arp.arp_pa;
	sin->sin_family = AF_INET;
	inet_pton(AF_INET, GUEST_IP, &sin->sin_addr);
	arp.arp_ha.sa_family = ARPHRD_ETHER;
	memcpy(arp.arp_ha.sa_data, guest_mac, 6);
	arp.arp_flags = ATF_COM | ATF_PERM;
	snprintf(arp.arp_dev, sizeof(arp.arp_dev), "%s", ifname);
	ok &= ioctl(s, SIOCSARP, &arp) == 0;
	close(s);
	return ok;
}

static void tap_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr;
	int s = ctl_sock();

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFHWADDR, &ifr) == 0)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

/* The legacy ethtool value (ETHTOOL_GTXCSUM, ETHTOOL_GTSO) of a device. */
static int ethtool_value(const char *ifname, uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr;
	int s = ctl_sock(), r;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	r = ioctl(s, SIOCETHTOOL, &ifr);
	close(s);
	return r == 0 ? (int)ev.data : -1;
}

/* A tap attached, configured and ready; NULL (with a failed CHECK) if not. */
static struct net_backend *open_tap(const char *ifname, struct evloop *loop)
{
	char err[256] = "";
	struct net_backend *be = tap_open(ifname, loop, err, sizeof(err));

	CHECK(be != NULL);
	if (!be) {
		printf("    tap_open: %s\n", err);
		return NULL;
	}
	CHECK(configure_tap(ifname));
	return be;
}

static int udp_socket_bound(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, ip, &a.sin_addr);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0) {
		close(s);
		return -1;
	}
	return s;
}

/* Waits up to timeout_ms for one datagram; its length or -1. */
static ssize_t recv_within(int s, void *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = s, .events = POLLIN };

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	return recv(s, buf, len, 0);
}

/* ---- frames, built by hand ---- */


static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

enum udp_csum_mode { CSUM_FULL, CSUM_PARTIAL, CSUM_WRONG };

/*
 * hdr(12) + Ethernet + IPv4 + UDP GUEST_IP:1234 -> HOST_IP:dport with
 * payload bytes 'a'+i%26.  Returns the total length.
 */
static size_t build_udp(uint8_t *f, const uint8_t dst_mac[6], uint16_t dport,
			size_t payload, enum udp_csum_mode mode)
{
	uint8_t *eth = f + NET_HDR_LEN, *ip = eth + 14, *udp = ip + 20;
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)f;
	uint16_t udplen = (uint16_t)(8 + payload);

	memset(f, 0, NET_HDR_LEN + 42);
	memcpy(eth, dst_mac, 6);
	memcpy(eth + 6, guest_mac, 6);
	put16(eth + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + udplen));
	put16(ip + 4, 0x1234);
	ip[8] = 64;
	ip[9] = 17;
	inet_pton(AF_INET, GUEST_IP, ip + 12);
	inet_pton(AF_INET, HOST_IP, ip + 16);
	put16(ip + 10, ref_csum(ip, 20, 0));
	put16(udp, 1234);
	put16(udp + 2, dport);
	put16(udp + 4, udplen);
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)('a' + i % 26);
	if (mode == CSUM_PARTIAL) {
		uint64_t s = ref_pseudo4(ip, udplen);
		while (s >> 16)
			s = (s & 0xffff) + (s >> 16);
		put16(udp + 6, (uint16_t)s);	/* not negated: partial */
		h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h->csum_start = 14 + 20;
		h->csum_offset = 6;
	} else {
		uint16_t c = ref_csum(udp, udplen, ref_pseudo4(ip, udplen));
		put16(udp + 6, mode == CSUM_WRONG ? (uint16_t)(c ^ 0x0101) : c);
	}
	return NET_HDR_LEN + 42 + payload;
}

static int send_flat(struct net_backend *be, uint8_t *f, size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = f, .iov_len = NET_HDR_LEN },	/* header apart, */
		{ .iov_base = f + NET_HDR_LEN, .iov_len = len - NET_HDR_LEN },
	};
	return be->ops->send(be, iov, 2);		/* like the device */
}

/* Sends `payload` bytes of UDP from HOST_IP:5678 to GUEST_IP:7777. */
static void host_sends_to_guest(size_t payload)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7777) };
	int s = udp_socket_bound(HOST_IP, 5678);
	char *buf = malloc(payload);

	for (size_t i = 0; i < payload; i++)
		buf[i] = (char)('A' + i % 26);
	inet_pton(AF_INET, GUEST_IP, &to.sin_addr);
	CHECK(s >= 0);
	CHECK_EQ(sendto(s, buf, payload, 0, (struct sockaddr *)&to, sizeof(to)),
		 (ssize_t)payload);
	close(s);
	free(buf);
}

/*
 * Reads frames from the tap until the IPv4 UDP one for port 7777 (anything
 * else the kernel sends is skipped); its length, or a negative recv() value.
 */
static ssize_t recv_udp_7777(struct net_backend *be, uint8_t *buf, size_t cap)
{
	for (int tries = 0; tries < 20; tries++) {
		struct pollfd p = { .fd = tap_fd(be), .events = POLLIN };
		struct iovec iov = { .iov_base = buf, .iov_len = cap };
		ssize_t n;

		if (poll(&p, 1, 1000) != 1)
			return -ETIMEDOUT;
		n = be->ops->recv(be, &iov, 1);
		if (n < 0)
			return n;
		if (n >= NET_HDR_LEN + 42 && get16(buf + NET_HDR_LEN + 12) == 0x0800 &&
		    buf[NET_HDR_LEN + 14 + 9] == 17 &&
		    get16(buf + NET_HDR_LEN + 34 + 2) == 7777)
			return n;
	}
	return -ETIMEDOUT;
}

/* ---- cases ---- */

TEST(open_rejects_invalid_name_with_one_line)
{
	char err[256] = "";

	CHECK(tap_open("a-name-far-too-long", NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a valid interface name") != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(tap_open("tap%d", NULL, err, sizeof(err)) == NULL);
}

/* Issue 13, item 8: -net SLIRP (a typo) must not become a new tap. */
TEST(missing_interface_is_named_with_how_to_make_it)
{
	char err[256] = "";

	CHECK_EQ(tap_check_exists("nosuchtap0", err, sizeof(err)), -1);
	CHECK(strcmp(err, "nosuchtap0: no such tap device (make it first: ip "
		     "tuntap add nosuchtap0 mode tap user $USER; or use -net "
		     "slirp)") == 0);
	CHECK_EQ(tap_check_exists("lo", err, sizeof(err)), 0);
}

TEST(second_attach_is_busy_with_reason)
{
	char err[256] = "";
	struct net_backend *a, *b;

	NEED_NETNS();
	a = tap_open("mvbusy", NULL, err, sizeof(err));
	CHECK(a != NULL);
	b = tap_open("mvbusy", NULL, err, sizeof(err));
	CHECK(b == NULL);
	CHECK(strcmp(err, "mvbusy: cannot attach: Device or resource busy "
		      "(another process has it open)") == 0);
	if (b)
		b->ops->free(b);
	if (a)
		a->ops->free(a);
}

TEST(caps_are_what_the_kernel_takes)
{
	struct net_backend *be;

	NEED_NETNS();
	be = open_tap("mvcaps", NULL);
	if (!be)
		return;
	CHECK_EQ(be->tx_caps, NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 |
				      NET_OFF_ECN | NET_OFF_UFO);
	CHECK_EQ(be->rx_caps & (NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN),
		 NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN);
	/* Probing leaves receive offloads off until the guest says otherwise. */
	CHECK_EQ(tap_rx_offloads(be), 0);
	CHECK_EQ(ethtool_value("mvcaps", ETHTOOL_GTXCSUM), 0);
	be->ops->free(be);
}

TEST(tx_partial_csum_frame_reaches_host_socket)
{
	static uint8_t f[2048];
	uint8_t mac[6], got[256];
	struct net_backend *be;
	int s;
	size_t len;

	NEED_NETNS();
	be = open_tap("mvtx", NULL);
	if (!be)
		return;
	tap_mac("mvtx", mac);
	s = udp_socket_bound(HOST_IP, 5555);
	CHECK(s >= 0);

	/* Control: a full but wrong checksum is dropped by the host stack... */
	len = build_udp(f, mac, 5555, 100, CSUM_WRONG);
	CHECK_EQ(send_flat(be, f, len), 0);
	CHECK_EQ(recv_within(s, got, sizeof(got), 200), -1);
	/* ...a partial one, as the header says, is taken. */
	len = build_udp(f, mac, 5555, 100, CSUM_PARTIAL);
	CHECK_EQ(send_flat(be, f, len), 0);
	CHECK_EQ(recv_within(s, got, sizeof(got), 1000), 100);
	CHECK(got[0] == 'a' && got[25] == 'z' && got[99] == 'a' + 99 % 26);
	/* ...and so is a correct full one. */
	len = build_udp(f, mac, 5555, 10, CSUM_FULL);
	CHECK_EQ(send_flat(be, f, len), 0);
	CHECK_EQ(recv_within(s, got, sizeof(got), 1000), 10);
	CHECK_EQ(tap_get_stats(be)->tx_frames, 3);
	close(s);
	be->ops->free(be);
}

TEST(tx_ufo_datagram_is_fragmented_by_host)
{
	static uint8_t f[8192], got[8192];
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)f;
	uint8_t mac[6];
	struct net_backend *be;
	int s;
	size_t len;

	NEED_NETNS();
	be = open_tap("mvufo", NULL);
	if (!be)
		return;
	tap_mac("mvufo", mac);
	s = udp_socket_bound(HOST_IP, 5556);
	len = build_udp(f, mac, 5556, 4000, CSUM_PARTIAL);
	h->gso_type = VIRTIO_NET_HDR_GSO_UDP;
	h->gso_size = 1480;
	h->hdr_len = 14 + 20 + 8;
	CHECK_EQ(send_flat(be, f, len), 0);
	CHECK_EQ(recv_within(s, got, sizeof(got), 1000), 4000);
	CHECK(got[3999] == 'a' + 3999 % 26);
	close(s);
	be->ops->free(be);
}

TEST(tx_csum_start_beyond_frame_is_counted_einval)
{
	static uint8_t f[2048];
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)f;
	uint8_t mac[6];
	struct net_backend *be;
	size_t len;

	NEED_NETNS();
	be = open_tap("mvinval", NULL);
	if (!be)
		return;
	tap_mac("mvinval", mac);
	len = build_udp(f, mac, 5557, 20, CSUM_PARTIAL);
	h->csum_start = 1000;	/* the frame is 62 bytes */
	CHECK_EQ(send_flat(be, f, len), -EINVAL);
	CHECK_EQ(tap_get_stats(be)->tx_invalid, 1);
	CHECK_EQ(tap_get_stats(be)->tx_frames, 0);
	be->ops->free(be);
}

TEST(rx_without_offloads_has_complete_checksum)
{
	static uint8_t buf[70000];
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)buf;
	uint8_t mac[6], *eth = buf + NET_HDR_LEN, *ip = eth + 14;
	struct net_backend *be;
	ssize_t n;

	NEED_NETNS();
	be = open_tap("mvrx0", NULL);
	if (!be)
		return;
	tap_mac("mvrx0", mac);
	CHECK_EQ(be->ops->set_rx_offloads(be, 0), 0);
	memset(buf, 0xee, NET_HDR_LEN);
	host_sends_to_guest(300);
	n = recv_udp_7777(be, buf, sizeof(buf));
	CHECK_EQ(n, NET_HDR_LEN + 14 + 20 + 8 + 300);
	if (n < 0)
		goto out;
	CHECK_EQ(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	CHECK_EQ(h->gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(h->num_buffers, 1);
	CHECK_MEM(eth, guest_mac, 6);
	CHECK_MEM(eth + 6, mac, 6);
	CHECK_EQ(ref_csum(ip, 20, 0), 0);
	CHECK_EQ(ref_csum(ip + 20, 308, ref_pseudo4(ip, 308)), 0);
	CHECK_EQ(ip[20 + 8], 'A');
	CHECK_EQ(tap_get_stats(be)->rx_frames >= 1, 1);
out:
	be->ops->free(be);
}

TEST(rx_with_csum_offload_delivers_partial_checksum)
{
	static uint8_t buf[70000];
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)buf;
	uint8_t *ip = buf + NET_HDR_LEN + 14;
	struct net_backend *be;
	ssize_t n;

	NEED_NETNS();
	be = open_tap("mvrx1", NULL);
	if (!be)
		return;
	CHECK_EQ(be->ops->set_rx_offloads(be, NET_OFF_CSUM), 0);
	CHECK_EQ(tap_rx_offloads(be), NET_OFF_CSUM);
	CHECK_EQ(ethtool_value("mvrx1", ETHTOOL_GTXCSUM), 1);
	host_sends_to_guest(300);
	n = recv_udp_7777(be, buf, sizeof(buf));
	CHECK_EQ(n, NET_HDR_LEN + 14 + 20 + 8 + 300);
	if (n < 0)
		goto out;
	CHECK_EQ(h->flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK_EQ(h->csum_start, 14 + 20);
	CHECK_EQ(h->csum_offset, 6);
	/* The field holds the pseudo-header sum: summing from csum_start
	 * without the pseudo header and storing the result completes it. */
	CHECK(ref_csum(ip + 20, 308, ref_pseudo4(ip, 308)) != 0);
	put16(ip + 26, ref_csum(ip + 20, 308, 0));
	CHECK_EQ(ref_csum(ip + 20, 308, ref_pseudo4(ip, 308)), 0);
out:
	be->ops->free(be);
}

TEST(rx_offload_mapping_follows_tun_rules)
{
	struct net_backend *be;

	NEED_NETNS();
	be = open_tap("mvmap", NULL);
	if (!be)
		return;
	/* TSO without CSUM means nothing (virtio 1.2 5.1.3.1): all off. */
	CHECK_EQ(be->ops->set_rx_offloads(be, NET_OFF_TSO4), 0);
	CHECK_EQ(tap_rx_offloads(be), 0);
	CHECK_EQ(ethtool_value("mvmap", ETHTOOL_GTSO), 0);
	CHECK_EQ(be->ops->set_rx_offloads(be, NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_ECN), 0);
	CHECK_EQ(tap_rx_offloads(be), NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_ECN);
	CHECK_EQ(ethtool_value("mvmap", ETHTOOL_GTSO), 1);
	CHECK_EQ(ethtool_value("mvmap", ETHTOOL_GTXCSUM), 1);
	/* ECN without a TSO bit is dropped rather than refused. */
	CHECK_EQ(be->ops->set_rx_offloads(be, NET_OFF_CSUM | NET_OFF_ECN), 0);
	CHECK_EQ(tap_rx_offloads(be), NET_OFF_CSUM);
	CHECK_EQ(ethtool_value("mvmap", ETHTOOL_GTSO), 0);
	/* Reset: everything off. */
	CHECK_EQ(be->ops->set_rx_offloads(be, 0), 0);
	CHECK_EQ(tap_rx_offloads(be), 0);
	CHECK_EQ(ethtool_value("mvmap", ETHTOOL_GTXCSUM), 0);
	be->ops->free(be);
}

TEST(rx_frame_larger_than_buffers_is_emsgsize)
{
	static uint8_t buf[70000];
	uint8_t small[64];
	struct iovec iov = { .iov_base = small, .iov_len = sizeof(small) };
	struct pollfd p;
	struct net_backend *be;

	NEED_NETNS();
	be = open_tap("mvbig", NULL);
	if (!be)
		return;
	host_sends_to_guest(1000);
	p = (struct pollfd){ .fd = tap_fd(be), .events = POLLIN };
	CHECK_EQ(poll(&p, 1, 1000), 1);
	CHECK_EQ(be->ops->recv(be, &iov, 1), -EMSGSIZE);
	CHECK_EQ(tap_get_stats(be)->rx_too_big, 1);
	/* Nothing left (IPv6 noise is off), the next read says so. */
	iov = (struct iovec){ .iov_base = buf, .iov_len = sizeof(buf) };
	CHECK_EQ(be->ops->recv(be, &iov, 1), -EAGAIN);
	be->ops->free(be);
}

static int ready_calls;
static void count_ready(void *opaque)
{
	(void)opaque;
	ready_calls++;
}

TEST(rx_ready_comes_from_loop_and_pause_stops_it)
{
	struct evloop loop;
	struct net_backend *be;

	NEED_NETNS();
	CHECK_EQ(evloop_init(&loop, NULL, 0), 0);
	be = open_tap("mvloop", &loop);
	if (!be) {
		evloop_fini(&loop);
		return;
	}
	be->rx_ready = count_ready;
	ready_calls = 0;
	host_sends_to_guest(50);
	for (int i = 0; i < 10 && ready_calls == 0; i++)
		evloop_run_once(&loop, 200);
	CHECK_EQ(ready_calls, 1);
	be->ops->rx_pause(be, true);
	evloop_run_once(&loop, 100);
	CHECK_EQ(ready_calls, 1);	/* the frame waits, nobody is told */
	be->ops->rx_pause(be, false);
	evloop_run_once(&loop, 100);
	CHECK_EQ(ready_calls, 2);
	be->ops->free(be);
	evloop_fini(&loop);
}

RUN_TESTS()
