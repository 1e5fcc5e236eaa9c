/*
 * The slirp backend, with this test as the guest: frames built by hand go
 * in through send(), the backend's private evloop runs until the expected
 * answer comes out of recv() (every wait bounded, 3 s at most).  Checksums
 * are verified with a naive reference in this file, not with net/csum.c.
 *
 * Expected addresses are QEMU's documented user-network defaults: gateway
 * 10.0.2.2 with MAC 52:55:0a:00:02:02 (52:55 then the IPv4 address, as
 * libslirp answers ARP for its own addresses), DNS 10.0.2.3, first lease
 * 10.0.2.15.
 */
#include "check.h"
#include "frames.h"
#include "ref_csum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "common/evloop.h"
#include "net/slirp.h"

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- helpers: bytes and checksums ---- */

/* ---- the guest side ---- */

struct push_sink;

struct env {
	struct evloop loop;
	struct net_backend *be;
	int ready_calls;
	uint8_t frame[4096];	/* last frame received: header + Ethernet */
	ssize_t len;
	struct push_sink *push;	/* rx_push's, when a test sets one */
};

static void on_ready(void *opaque)
{
	((struct env *)opaque)->ready_calls++;
}

static bool env_up(struct env *e, const struct slirp_spec *spec)
{
	struct slirp_spec def;
	char err[256] = "";

	memset(e, 0, sizeof(*e));
	if (!spec) {
		slirp_spec_default(&def);
		def.ipv6 = false;	/* no router advertisements in the way */
		spec = &def;
	}
	CHECK_EQ(evloop_init(&e->loop, NULL, 0), 0);
	e->be = slirp_backend_create(&e->loop, spec, err, sizeof(err));
	CHECK(e->be != NULL);
	if (!e->be) {
		printf("    slirp_backend_create: %s\n", err);
		evloop_fini(&e->loop);
		return false;
	}
	e->be->rx_ready = on_ready;
	e->be->rx_opaque = e;
	e->be->rx_push = NULL;
	return true;
}

static void env_down(struct env *e)
{
	e->be->ops->free(e->be);
	evloop_fini(&e->loop);
}

/* Sends an Ethernet frame behind a zero header (as the device would). */
static int guest_send(struct env *e, const uint8_t *eth, size_t len, uint8_t flags,
		      uint8_t gso_type)
{
	struct virtio_net_hdr_v1 h = { .flags = flags, .gso_type = gso_type };
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)(uintptr_t)eth, .iov_len = len },
	};
	return e->be->ops->send(e->be, iov, 2);
}

typedef bool (*frame_pred)(const uint8_t *eth, size_t len, const void *arg);

/*
 * Runs the loop until recv() gives a frame that pred accepts (others are
 * skipped); true when found within timeout_ms.  The frame stays in e->frame.
 */
static bool wait_frame(struct env *e, frame_pred pred, const void *arg, int timeout_ms)
{
	long long end = ms_now() + timeout_ms;

	while (ms_now() < end) {
		struct iovec iov = { .iov_base = e->frame, .iov_len = sizeof(e->frame) };
		/* Like the device: run the loop, which calls rx_ready, then read. */
		evloop_run_once(&e->loop, 50);
		while ((e->len = e->be->ops->recv(e->be, &iov, 1)) >= 0) {
			if (e->len >= NET_HDR_LEN + 14 &&
			    pred(e->frame + NET_HDR_LEN, (size_t)e->len - NET_HDR_LEN, arg))
				return true;
		}
	}
	return false;
}

/* Runs the loop until the host socket has a datagram; its length or -1. */
static ssize_t wait_host_socket(struct env *e, int s, void *buf, size_t len,
				struct sockaddr_in *from, int timeout_ms)
{
	long long end = ms_now() + timeout_ms;

	while (ms_now() < end) {
		socklen_t fl = sizeof(*from);
		ssize_t n = recvfrom(s, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (n >= 0)
			return n;
		evloop_run_once(&e->loop, 20);
	}
	return -1;
}

/* The IPv4 header checksum and the UDP/TCP checksum of a frame verify. */
static bool ip_l4_csums_ok(const uint8_t *eth, size_t len)
{
	const uint8_t *ip = eth + 14;
	uint16_t tot = get16(ip + 2);
	size_t ihl = (size_t)(ip[0] & 15) * 4;

	if (len < 14 + 20 || tot > len - 14 || ihl < 20 || ihl > tot)
		return false;
	if (ref_csum(ip, ihl, 0) != 0)
		return false;
	return ref_csum(ip + ihl, tot - ihl, ref_pseudo4(ip, (uint16_t)(tot - ihl))) == 0;
}

static bool is_udp_to(const uint8_t *eth, size_t len, const void *arg)
{
	uint16_t dport = *(const uint16_t *)arg;

	return len >= 42 && get16(eth + 12) == 0x0800 && eth[14 + 9] == 17 &&
	       get16(eth + 34 + 2) == dport;
}

static bool is_arp_reply(const uint8_t *eth, size_t len, const void *arg)
{
	(void)arg;
	return len >= 42 && get16(eth + 12) == 0x0806 && get16(eth + 20) == 2;
}

static bool is_tcp_to(const uint8_t *eth, size_t len, const void *arg)
{
	uint16_t dport = *(const uint16_t *)arg;

	return len >= 54 && get16(eth + 12) == 0x0800 && eth[14 + 9] == 6 &&
	       get16(eth + 34 + 2) == dport;
}

/* ARP request "who has 10.0.2.2? tell 10.0.2.15", broadcast. */
static size_t build_arp_request(uint8_t *f)
{
	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);		/* request */
	memcpy(f + 22, guest_mac, 6);
	inet_pton(AF_INET, "10.0.2.15", f + 28);
	memset(f + 32, 0, 6);
	inet_pton(AF_INET, "10.0.2.2", f + 38);
	memset(f + 42, 0, 18);		/* padding to the 60-byte minimum */
	return 60;
}

/* Does the ARP exchange; slirp learns the guest's MAC from it. */
static bool arp_gateway(struct env *e)
{
	uint8_t f[64];
	size_t len = build_arp_request(f);

	CHECK_EQ(guest_send(e, f, len, 0, 0), 0);
	return wait_frame(e, is_arp_reply, NULL, 3000);
}

/* ---- cases ---- */

TEST(dhcp_discover_gets_offer_of_10_0_2_15)
{
	static const uint8_t cookie[4] = { 0x63, 0x82, 0x53, 0x63 };
	uint8_t f[400], bootp[300];
	uint16_t client_port = 68;
	struct env e;
	const uint8_t *eth, *b, *opt;
	bool saw_type = false, saw_server = false, saw_router = false, saw_dns = false;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	memset(bootp, 0, sizeof(bootp));
	bootp[0] = 1;			/* BOOTREQUEST */
	bootp[1] = 1;			/* Ethernet */
	bootp[2] = 6;
	put16(bootp + 4, 0x1234);	/* xid 0x12345678 */
	put16(bootp + 6, 0x5678);
	put16(bootp + 10, 0x8000);	/* broadcast flag */
	memcpy(bootp + 28, guest_mac, 6);
	memcpy(bootp + 236, cookie, 4);
	bootp[240] = 53;		/* DHCP message type: DISCOVER */
	bootp[241] = 1;
	bootp[242] = 1;
	bootp[243] = 255;
	len = build_udp(f, bcast, "0.0.0.0", 68, "255.255.255.255", 67, bootp,
			sizeof(bootp), false);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);

	CHECK(wait_frame(&e, is_udp_to, &client_port, 3000));
	if (e.len < 0)
		goto out;
	eth = e.frame + NET_HDR_LEN;
	len = (size_t)e.len - NET_HDR_LEN;
	/* Complete checksums, marked as verified (DATA_VALID), never partial. */
	CHECK_EQ(((struct virtio_net_hdr_v1 *)e.frame)->flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(((struct virtio_net_hdr_v1 *)e.frame)->gso_type, 0);
	CHECK(ip_l4_csums_ok(eth, len));
	CHECK(get16(eth + 34 + 6) != 0);	/* a real UDP checksum, not "none" */
	CHECK_EQ(get16(eth + 34), 67);
	b = eth + 42;
	CHECK(len >= 42 + 240);
	CHECK_EQ(b[0], 2);			/* BOOTREPLY */
	CHECK_EQ(get16(b + 4), 0x1234);
	CHECK_EQ(get16(b + 6), 0x5678);
	CHECK_EQ(b[16], 10);			/* yiaddr 10.0.2.15 */
	CHECK_EQ(b[17], 0);
	CHECK_EQ(b[18], 2);
	CHECK_EQ(b[19], 15);
	CHECK_MEM(b + 28, guest_mac, 6);
	CHECK_MEM(b + 236, cookie, 4);
	opt = b + 240;
	while (opt < eth + len && *opt != 255) {
		if (*opt == 0) {		/* pad: one byte */
			opt++;
			continue;
		}
		if (opt + 2 > eth + len || opt + 2 + opt[1] > eth + len)
			break;
		if (opt[0] == 53 && opt[1] == 1 && opt[2] == 2)
			saw_type = true;	/* OFFER */
		if (opt[0] == 54 && opt[1] == 4 && memcmp(opt + 2, "\x0a\x00\x02\x02", 4) == 0)
			saw_server = true;
		if (opt[0] == 3 && opt[1] == 4 && memcmp(opt + 2, "\x0a\x00\x02\x02", 4) == 0)
			saw_router = true;
		if (opt[0] == 6 && opt[1] == 4 && memcmp(opt + 2, "\x0a\x00\x02\x03", 4) == 0)
			saw_dns = true;
		opt += 2 + opt[1];
	}
	CHECK(saw_type);
	CHECK(saw_server);
	CHECK(saw_router);
	CHECK(saw_dns);
	CHECK(e.ready_calls >= 1);
out:
	env_down(&e);
}

TEST(arp_for_gateway_gets_reply_with_slirp_mac)
{
	struct env e;
	const uint8_t *eth;

	if (!env_up(&e, NULL))
		return;
	CHECK(arp_gateway(&e));
	eth = e.frame + NET_HDR_LEN;
	CHECK(e.len >= NET_HDR_LEN + 42);
	CHECK_MEM(eth, guest_mac, 6);
	CHECK_MEM(eth + 6, gw_mac, 6);
	CHECK_MEM(eth + 22, gw_mac, 6);			/* sender MAC */
	CHECK_MEM(eth + 28, "\x0a\x00\x02\x02", 4);	/* sender IP */
	CHECK_MEM(eth + 32, guest_mac, 6);		/* target MAC */
	CHECK_MEM(eth + 38, "\x0a\x00\x02\x0f", 4);	/* target IP */
	CHECK_EQ(e.ready_calls, 1);
	CHECK_EQ(slirp_backend_stats(e.be)->tx_frames, 1);
	env_down(&e);
}

TEST(udp_to_gateway_reaches_host_loopback_and_back)
{
	uint8_t f[256], buf[64];
	struct sockaddr_in from;
	uint16_t port = 0, guest_port = 4000;
	const uint8_t *eth;
	struct env e;
	size_t len;
	int s;

	if (!env_up(&e, NULL))
		return;
	s = loopback_socket(SOCK_DGRAM, &port);
	CHECK(s >= 0);
	CHECK(arp_gateway(&e));

	/* A wrong UDP checksum: slirp drops it, the host socket hears nothing. */
	len = build_udp(f, gw_mac, "10.0.2.15", 4000, "10.0.2.2", port, "bad!", 4, true);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);
	CHECK_EQ(wait_host_socket(&e, s, buf, sizeof(buf), &from, 300), -1);

	len = build_udp(f, gw_mac, "10.0.2.15", 4000, "10.0.2.2", port, "hello", 5, false);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);
	CHECK_EQ(wait_host_socket(&e, s, buf, sizeof(buf), &from, 3000), 5);
	CHECK_MEM(buf, "hello", 5);

	CHECK_EQ(sendto(s, "world!", 6, 0, (struct sockaddr *)&from, sizeof(from)), 6);
	CHECK(wait_frame(&e, is_udp_to, &guest_port, 3000));
	eth = e.frame + NET_HDR_LEN;
	CHECK_EQ(e.len, NET_HDR_LEN + 14 + 20 + 8 + 6);
	CHECK_MEM(eth, guest_mac, 6);
	CHECK_MEM(eth + 26, "\x0a\x00\x02\x02", 4);	/* from the gateway */
	CHECK_MEM(eth + 30, "\x0a\x00\x02\x0f", 4);
	CHECK_EQ(get16(eth + 34), port);
	CHECK_MEM(eth + 42, "world!", 6);
	CHECK(ip_l4_csums_ok(eth, (size_t)e.len - NET_HDR_LEN));
	close(s);
	env_down(&e);
}

TEST(hostfwd_tcp_connection_becomes_syn_to_guest)
{
	struct slirp_spec spec;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	uint16_t guest_port = 22, host_port;
	const uint8_t *eth;
	struct env e;
	int probe, c;

	/* A free port: bound by the kernel, then released for slirp. */
	probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK_EQ(bind(probe, (struct sockaddr *)&a, sizeof(a)), 0);
	CHECK_EQ(getsockname(probe, (struct sockaddr *)&a, &al), 0);
	host_port = ntohs(a.sin_port);
	close(probe);

	slirp_spec_default(&spec);
	spec.ipv6 = false;
	spec.nhostfwd = 1;
	spec.hostfwd[0] = (struct slirp_hostfwd){
		.udp = false, .host_port = host_port, .guest_port = 22,
	};
	inet_pton(AF_INET, "127.0.0.1", &spec.hostfwd[0].host_addr);
	inet_pton(AF_INET, "10.0.2.15", &spec.hostfwd[0].guest_addr);
	if (!env_up(&e, &spec))
		return;
	CHECK(arp_gateway(&e));

	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	CHECK(connect(c, (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS);
	CHECK(wait_frame(&e, is_tcp_to, &guest_port, 3000));
	eth = e.frame + NET_HDR_LEN;
	CHECK_MEM(eth, guest_mac, 6);
	CHECK_MEM(eth + 30, "\x0a\x00\x02\x0f", 4);
	CHECK_EQ(eth[34 + 13] & 0x12, 0x02);		/* SYN, no ACK */
	CHECK(ip_l4_csums_ok(eth, (size_t)e.len - NET_HDR_LEN));
	close(c);
	env_down(&e);
}

TEST(hostfwd_on_busy_port_fails_with_one_line)
{
	struct slirp_spec spec;
	char err[256] = "";
	struct evloop loop;
	uint16_t port = 0;
	int s = loopback_socket(SOCK_DGRAM, &port);
	char want[128];

	CHECK(s >= 0);
	slirp_spec_default(&spec);
	spec.nhostfwd = 1;
	spec.hostfwd[0] = (struct slirp_hostfwd){
		.udp = true, .host_port = port, .guest_port = 53,
	};
	inet_pton(AF_INET, "127.0.0.1", &spec.hostfwd[0].host_addr);
	inet_pton(AF_INET, "10.0.2.15", &spec.hostfwd[0].guest_addr);
	CHECK_EQ(evloop_init(&loop, NULL, 0), 0);
	CHECK(slirp_backend_create(&loop, &spec, err, sizeof(err)) == NULL);
	snprintf(want, sizeof(want),
		 "slirp: hostfwd udp 127.0.0.1:%u: cannot listen: Address already in use",
		 port);
	CHECK(strcmp(err, want) == 0);
	if (strcmp(err, want) != 0)
		printf("    got: %s\n", err);
	CHECK_EQ(loop.nhooks, 0);
	evloop_fini(&loop);
	close(s);
}

TEST(frame_still_asking_for_offload_is_einval)
{
	uint8_t f[256];
	struct env e;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	len = build_udp(f, gw_mac, "10.0.2.15", 4000, "10.0.2.2", 9, "x", 1, false);
	CHECK_EQ(guest_send(&e, f, len, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0), -EINVAL);
	CHECK_EQ(guest_send(&e, f, len, 0, VIRTIO_NET_HDR_GSO_TCPV4), -EINVAL);
	CHECK_EQ(slirp_backend_stats(e.be)->tx_offload_bug, 2);
	CHECK_EQ(slirp_backend_stats(e.be)->tx_frames, 0);
	/* Shorter than header + Ethernet header. */
	CHECK_EQ(guest_send(&e, f, 10, 0, 0), -EINVAL);
	CHECK_EQ(slirp_backend_stats(e.be)->tx_malformed, 1);
	env_down(&e);
}

TEST(recv_empty_is_eagain_and_small_buffer_is_emsgsize)
{
	uint8_t f[64], small[20];
	struct iovec iov = { .iov_base = small, .iov_len = sizeof(small) };
	struct env e;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	CHECK_EQ(e.be->ops->recv(e.be, &iov, 1), -EAGAIN);
	len = build_arp_request(f);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);	/* reply queued at once */
	CHECK_EQ(e.be->ops->recv(e.be, &iov, 1), -EMSGSIZE);
	CHECK_EQ(slirp_backend_stats(e.be)->rx_too_big, 1);
	CHECK_EQ(e.be->ops->recv(e.be, &iov, 1), -EAGAIN);	/* it was dropped */
	env_down(&e);
}

TEST(full_queue_drops_and_counts)
{
	uint8_t f[64];
	struct env e;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	len = build_arp_request(f);
	for (int i = 0; i < SLIRP_RX_QUEUE + 3; i++)
		CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);
	CHECK_EQ(slirp_backend_stats(e.be)->rx_queue_full, 3);
	CHECK(wait_frame(&e, is_arp_reply, NULL, 1000));
	CHECK_EQ(e.ready_calls, 1);	/* the loop told the device once */
	env_down(&e);
}

/*
 * A device that takes frames pushed at it (rx_push) while `room` lasts,
 * keeping the last one, as virtio-net copies it into guest buffers.
 */
struct push_sink {
	int room, pushed;
	uint8_t frame[2048];
	size_t len;
};

static int take_push(void *opaque, const struct iovec *iov, int iovcnt)
{
	struct env *e = opaque;
	struct push_sink *p = e->push;
	size_t len = 0;

	if (p->room == 0)
		return 0;
	for (int i = 0; i < iovcnt; i++) {
		memcpy(p->frame + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	p->len = len;
	p->room--;
	p->pushed++;
	return 1;
}

/*
 * Issue 14: a frame slirp emits goes straight to the device when nothing
 * is queued and the device has room (one copy, the device's), is queued
 * when the device cannot take it, and everything after a queued frame
 * queues too, so frames stay in order.  The loop still calls rx_ready()
 * after a pushed frame: the device raises the interrupt there.
 */
TEST(frames_are_pushed_when_nothing_is_queued_and_queued_otherwise)
{
	struct push_sink p = { .room = 1 };
	uint8_t f[64];
	struct env e;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	e.push = &p;
	e.be->rx_push = take_push;
	len = build_arp_request(f);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);	/* pushed */
	CHECK_EQ(p.pushed, 1);
	CHECK(p.len >= NET_HDR_LEN + 42);
	CHECK_EQ(p.frame[0], VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK(is_arp_reply(p.frame + NET_HDR_LEN, p.len - NET_HDR_LEN, NULL));
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);	/* no room: queued */
	p.room = 5;
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);	/* behind it: queued */
	CHECK_EQ(p.pushed, 1);
	CHECK_EQ(slirp_backend_stats(e.be)->rx_pushed, 1);
	CHECK(wait_frame(&e, is_arp_reply, NULL, 1000));
	CHECK_EQ(e.be->rx_copies, 2);	/* into the queue and out */
	CHECK(wait_frame(&e, is_arp_reply, NULL, 1000));
	CHECK(e.ready_calls >= 1);
	CHECK_EQ(slirp_backend_stats(e.be)->rx_frames, 3);
	env_down(&e);
}

TEST(recv_refuses_more_iovecs_than_the_limit_and_keeps_the_frame)
{
	static struct iovec iov[NET_RECV_MAX_IOV + 1];
	static uint8_t buf[NET_RECV_MAX_IOV + 1][64];
	uint8_t f[64];
	struct env e;
	size_t len;

	if (!env_up(&e, NULL))
		return;
	for (int i = 0; i <= NET_RECV_MAX_IOV; i++)
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
	len = build_arp_request(f);
	CHECK_EQ(guest_send(&e, f, len, 0, 0), 0);
	CHECK_EQ(e.be->ops->recv(e.be, iov, NET_RECV_MAX_IOV + 1), -EINVAL);
	CHECK(e.be->ops->recv(e.be, iov, NET_RECV_MAX_IOV) > 0);
	env_down(&e);
}

RUN_TESTS()
