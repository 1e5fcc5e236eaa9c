/*
 * -net passt end to end without a guest: passt_start() runs the real passt
 * (Debian's package) and this test is the guest, sending frames through
 * the backend and checking what passt sends back.  It needs root: it moves
 * itself into a network namespace of its own (unshare) with a veth pair,
 * 10.79.0.2/24 and a default route via 10.79.0.1, because passt copies its
 * addresses from the interface with the default route and refuses to start
 * without one.  Traffic goes only to the gateway address, which passt maps
 * to this namespace's loopback, where the test's own sockets listen.
 *
 * Shown: passt's DHCP offer (the namespace's address and gateway), ARP,
 * ICMP echo, UDP and TCP both ways, every frame from passt fully
 * checksummed and marked DATA_VALID, never partial or GSO; passt exits when
 * the backend is freed; a passt that cannot start is one line.  (This
 * passt, 0.0~git20230309, sends IPv4 UDP with no checksum at all -- a zero
 * field, which RFC 768 allows -- so "complete" there means "none".)
 */
#include "check.h"
#include "frames.h"
#include "ref_csum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "common/evloop.h"
#include "net/passt.h"
#include "net/stream.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
#define GUEST_IP "10.79.0.2"
#define GW_IP "10.79.0.1"

static const char *skip_why;	/* set once: why nothing here can run */
static bool ns_ready;

/*
 * The namespace, made once for every case: root, passt and ip must be
 * there, else every case skips with the reason.
 */
static bool netns_up(void)
{
	static bool tried;
	int fd;

	if (tried)
		return ns_ready;
	tried = true;
	if (geteuid() != 0) {
		skip_why = "needs root (a network namespace for passt)";
		return false;
	}
	if (system("command -v passt >/dev/null 2>&1") != 0) {
		skip_why = "passt is not installed (scripts/deps.sh)";
		return false;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		skip_why = "unshare(CLONE_NEWNET) failed";
		return false;
	}
	if (system("ip link set lo up && "
		   "ip link add mvp0 type veth peer name mvp1 && "
		   "ip addr add " GUEST_IP "/24 dev mvp0 && "
		   "ip link set mvp0 up && ip link set mvp1 up && "
		   "ip route add default via " GW_IP " && "
		   /* The gateway answers pings: passt sends those to it as they are. */
		   "ip addr add " GW_IP "/32 dev lo") != 0) {
		skip_why = "cannot set up a veth pair with a default route";
		return false;
	}
	/* passt answers the guest's pings with ICMP echo sockets. */
	fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);
	if (fd >= 0) {
		if (write(fd, "0 2147483647", 12) != 12)
			printf("    note: ping_group_range not set\n");
		close(fd);
	}
	ns_ready = true;
	return true;
}

struct env {
	struct evloop loop;
	struct net_backend *be;
	uint8_t frame[NET_MAX_FRAME];
	ssize_t len;
	unsigned frames, not_valid, partial_or_gso, bad_csum, udp_no_csum;
};

static bool env_up(struct env *e)
{
	struct passt_run r = { .program = NULL };
	char err[320] = "";

	memset(e, 0, sizeof(*e));
	CHECK_EQ(evloop_init(&e->loop, NULL, 0), 0);
	e->be = passt_start(&e->loop, &r, err, sizeof(err));
	CHECK(e->be != NULL);
	if (!e->be) {
		printf("    passt_start: %s\n", err);
		evloop_fini(&e->loop);
		return false;
	}
	return true;
}

/* Frees the backend; passt must be gone soon after (it had one client). */
static void env_down(struct env *e)
{
	pid_t pid = passt_pid(e->be);
	long long end;
	int st;
	bool gone = false;

	e->be->ops->free(e->be);
	evloop_fini(&e->loop);
	for (end = ms_now() + 3000; ms_now() < end;) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			gone = true;
			break;
		}
		usleep(10000);
	}
	CHECK(gone);
	if (!gone) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
}

/* The IPv4 header checksum and the L4 checksum verify (TCP, UDP, ICMP). */
static bool csums_ok(const uint8_t *eth, size_t len)
{
	const uint8_t *ip = eth + 14;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	uint16_t tot = get16(ip + 2);

	if (len < 34 || tot > len - 14 || ihl < 20 || ihl > tot || ref_csum(ip, ihl, 0))
		return false;
	if (ip[9] == 1)
		return ref_csum(ip + ihl, tot - ihl, 0) == 0;
	if (ip[9] == 17 && get16(ip + ihl + 6) == 0)
		return true;	/* IPv4 UDP without a checksum (RFC 768) */
	return ref_csum(ip + ihl, tot - ihl, ref_pseudo4(ip, (uint16_t)(tot - ihl))) == 0;
}

typedef bool (*frame_pred)(const uint8_t *eth, size_t len, const void *arg);

/*
 * Runs the loop until recv() gives a frame that pred accepts; every frame
 * seen is checked on the way: DATA_VALID set, no NEEDS_CSUM or GSO, and
 * IPv4 frames' checksums complete.
 */
static bool wait_frame(struct env *e, frame_pred pred, const void *arg, int timeout_ms)
{
	long long end = ms_now() + timeout_ms;

	while (ms_now() < end) {
		struct iovec iov = { e->frame, sizeof(e->frame) };

		evloop_run_once(&e->loop, 20);
		while ((e->len = e->be->ops->recv(e->be, &iov, 1)) >= NET_HDR_LEN + 14) {
			const uint8_t *eth = e->frame + NET_HDR_LEN;
			size_t len = (size_t)e->len - NET_HDR_LEN;
			struct virtio_net_hdr_v1 h;

			memcpy(&h, e->frame, sizeof(h));
			e->frames++;
			e->not_valid += !(h.flags & VIRTIO_NET_HDR_F_DATA_VALID);
			e->partial_or_gso += (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
					     h.gso_type != VIRTIO_NET_HDR_GSO_NONE;
			if (getenv("TEST_PASST_DUMP")) {
				printf("    frame %zu:", len);
				for (size_t i = 0; i < len && i < 80; i++)
					printf(" %02x", eth[i]);
				printf("\n");
			}
			if (get16(eth + 12) == 0x0800) {
				e->bad_csum += !csums_ok(eth, len);
				e->udp_no_csum += len >= 42 && eth[23] == 17 &&
						  get16(eth + 40) == 0;
			}
			if (pred(eth, len, arg))
				return true;
		}
	}
	return false;
}

static int guest_send(struct env *e, const uint8_t *eth, size_t len)
{
	struct virtio_net_hdr_v1 h = { .flags = 0 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)eth, len } };

	return e->be->ops->send(e->be, iov, 2);
}

static size_t build_tcp(uint8_t *f, const uint8_t dst_mac[6], uint16_t sport,
			uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
			const void *payload, size_t plen)
{
	uint16_t tlen = (uint16_t)(20 + plen);
	uint8_t *tcp = put_eth_ip(f, dst_mac, GUEST_IP, GW_IP, 6, tlen);

	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, 65535);
	if (plen)
		memcpy(tcp + 20, payload, plen);
	put16(tcp + 16, ref_csum(tcp, tlen, ref_pseudo4(f + 14, tlen)));
	return 14 + 20 + tlen;
}

static bool is_udp_to(const uint8_t *eth, size_t len, const void *arg)
{
	return len >= 42 && get16(eth + 12) == 0x0800 && eth[23] == 17 &&
	       get16(eth + 36) == *(const uint16_t *)arg;
}

static bool is_tcp_to(const uint8_t *eth, size_t len, const void *arg)
{
	return len >= 54 && get16(eth + 12) == 0x0800 && eth[23] == 6 &&
	       get16(eth + 36) == *(const uint16_t *)arg;
}

static bool is_arp_reply(const uint8_t *eth, size_t len, const void *arg)
{
	(void)arg;
	return len >= 42 && get16(eth + 12) == 0x0806 && get16(eth + 20) == 2;
}

static bool is_echo_reply(const uint8_t *eth, size_t len, const void *arg)
{
	(void)arg;
	return len >= 42 && get16(eth + 12) == 0x0800 && eth[23] == 1 && eth[34] == 0;
}

/* Runs the loop until the host socket s has data; its length or -1. */
static ssize_t host_recv(struct env *e, int s, void *buf, size_t len,
			 struct sockaddr_in *from, socklen_t *fl)
{
	ssize_t n = -1;

	for (long long end = ms_now() + 3000; ms_now() < end && n < 0;) {
		evloop_run_once(&e->loop, 20);
		n = recvfrom(s, buf, len, MSG_DONTWAIT, (struct sockaddr *)from, fl);
	}
	return n;
}

/* The gateway's MAC, from an ARP exchange (every case starts with it). */
static bool arp_gateway(struct env *e, uint8_t gw_mac[6])
{
	uint8_t f[60] = { 0 };

	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	memcpy(f + 22, guest_mac, 6);
	inet_pton(AF_INET, GUEST_IP, f + 28);
	inet_pton(AF_INET, GW_IP, f + 38);
	CHECK_EQ(guest_send(e, f, sizeof(f)), 0);
	if (!wait_frame(e, is_arp_reply, NULL, 3000))
		return false;
	memcpy(gw_mac, e->frame + NET_HDR_LEN + 22, 6);
	return true;
}

#define NEEDS_NETNS()                          \
	do {                                   \
		if (!netns_up())               \
			SKIP(skip_why);        \
	} while (0)

TEST(dhcp_offers_the_namespace_address_and_gateway)
{
	static const uint8_t cookie[4] = { 0x63, 0x82, 0x53, 0x63 };
	uint8_t f[400], bootp[300];
	uint16_t client = 68;
	struct env e;
	const uint8_t *b, *opt, *end;
	bool router = false;

	NEEDS_NETNS();
	if (!env_up(&e))
		return;
	memset(bootp, 0, sizeof(bootp));
	bootp[0] = 1;
	bootp[1] = 1;
	bootp[2] = 6;
	put32(bootp + 4, 0x12345678);
	put16(bootp + 10, 0x8000);
	memcpy(bootp + 28, guest_mac, 6);
	memcpy(bootp + 236, cookie, 4);
	bootp[240] = 53;	/* DISCOVER */
	bootp[241] = 1;
	bootp[242] = 1;
	bootp[243] = 255;
	CHECK_EQ(guest_send(&e, f, build_udp(f, bcast, "0.0.0.0", 68, "255.255.255.255",
					     67, bootp, sizeof(bootp), false)), 0);
	CHECK(wait_frame(&e, is_udp_to, &client, 5000));
	if (e.len > 0) {
		b = e.frame + NET_HDR_LEN + 42;
		end = e.frame + e.len;
		CHECK_EQ(b[0], 2);
		CHECK_EQ(get32(b + 4), 0x12345678);
		CHECK_EQ(get32(b + 16), ntohl(inet_addr(GUEST_IP)));	/* yiaddr */
		for (opt = b + 240; opt + 2 <= end && *opt != 255; opt += 2 + opt[1]) {
			if (*opt == 0) {
				opt -= 1;	/* pad: one byte */
				continue;
			}
			if (*opt == 3 && opt[1] >= 4 &&
			    get32(opt + 2) == ntohl(inet_addr(GW_IP)))
				router = true;
		}
		CHECK(router);
	}
	CHECK_EQ(e.not_valid, 0);
	CHECK_EQ(e.partial_or_gso, 0);
	CHECK_EQ(e.bad_csum, 0);
	env_down(&e);
}

TEST(arp_and_ping_of_the_gateway)
{
	uint8_t gw[6], f[100], *icmp;
	struct env e;

	NEEDS_NETNS();
	if (!env_up(&e))
		return;
	CHECK(arp_gateway(&e, gw));
	icmp = put_eth_ip(f, gw, GUEST_IP, GW_IP, 1, 8 + 32);
	memset(icmp, 0, 8 + 32);
	icmp[0] = 8;		/* echo request */
	put16(icmp + 4, 0x4d56);
	put16(icmp + 6, 1);
	memset(icmp + 8, 0xa5, 32);
	put16(icmp + 2, ref_csum(icmp, 40, 0));
	CHECK_EQ(guest_send(&e, f, 14 + 20 + 40), 0);
	CHECK(wait_frame(&e, is_echo_reply, NULL, 3000));
	CHECK_EQ(e.not_valid, 0);
	CHECK_EQ(e.bad_csum, 0);
	env_down(&e);
}

TEST(udp_both_ways_with_complete_checksums)
{
	uint8_t gw[6], f[1600], payload[1400], buf[2000];
	uint16_t port, gport = 40123;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct env e;
	int s;
	ssize_t n;

	NEEDS_NETNS();
	s = loopback_socket(SOCK_DGRAM, &port);
	CHECK(s >= 0);
	if (s < 0 || !env_up(&e))
		return;
	CHECK(arp_gateway(&e, gw));
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 13);
	CHECK_EQ(guest_send(&e, f, build_udp(f, gw, GUEST_IP, gport, GW_IP, port,
					     payload, sizeof(payload), false)), 0);
	n = host_recv(&e, s, buf, sizeof(buf), &from, &fl);
	CHECK_EQ(n, sizeof(payload));
	CHECK_MEM(buf, payload, sizeof(payload));
	/* The answer goes back to the guest's port. */
	CHECK_EQ(sendto(s, "pong", 4, 0, (struct sockaddr *)&from, fl), 4);
	CHECK(wait_frame(&e, is_udp_to, &gport, 3000));
	CHECK_EQ(e.len, NET_HDR_LEN + 42 + 4);
	CHECK_MEM(e.frame + NET_HDR_LEN + 42, "pong", 4);
	if (e.udp_no_csum)
		printf("    note: %u UDP frame(s) from passt had no checksum (zero)\n",
		       e.udp_no_csum);
	CHECK_EQ(e.not_valid, 0);
	CHECK_EQ(e.partial_or_gso, 0);
	CHECK_EQ(e.bad_csum, 0);
	close(s);
	env_down(&e);
}

/*
 * A guest that pads short frames to 60 bytes (iPXE, the probe): passt
 * 0.0~git20230309 drops such IPv4 frames, so the backend sends them
 * without the padding, and the datagram gets through.
 */
TEST(padded_short_udp_frame_gets_through)
{
	uint8_t gw[6], f[64], buf[16];
	uint16_t port;
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	struct env e;
	size_t len;
	ssize_t n;
	int s;

	NEEDS_NETNS();
	s = loopback_socket(SOCK_DGRAM, &port);
	CHECK(s >= 0);
	if (s < 0 || !env_up(&e))
		return;
	CHECK(arp_gateway(&e, gw));
	len = build_udp(f, gw, GUEST_IP, 40124, GW_IP, port, "pad", 3, false);
	CHECK_EQ(len, 45);
	memset(f + len, 0, 60 - len);
	CHECK_EQ(guest_send(&e, f, 60), 0);
	n = host_recv(&e, s, buf, sizeof(buf), &from, &fl);
	CHECK_EQ(n, 3);
	CHECK_EQ(stream_backend_stats(e.be)->tx_unpadded, 1);
	close(s);
	env_down(&e);
}

TEST(tcp_handshake_and_data_both_ways)
{
	uint8_t gw[6], f[1600], buf[64];
	uint16_t port, gport = 40200;
	uint32_t iss = 1000, peer_seq;
	struct env e;
	int ls, c = -1;
	const uint8_t *tcp;
	long long end;
	ssize_t n = -1;

	NEEDS_NETNS();
	ls = loopback_socket(SOCK_STREAM, &port);
	CHECK(ls >= 0);
	if (ls < 0 || !env_up(&e))
		return;
	CHECK(arp_gateway(&e, gw));
	CHECK_EQ(guest_send(&e, f, build_tcp(f, gw, gport, port, iss, 0, 0x02, NULL, 0)), 0);
	CHECK(wait_frame(&e, is_tcp_to, &gport, 3000));
	tcp = e.frame + NET_HDR_LEN + 34;
	CHECK_EQ(tcp[13] & 0x12, 0x12);	/* SYN-ACK */
	CHECK_EQ(get32(tcp + 8), iss + 1);
	peer_seq = get32(tcp + 4) + 1;
	/* A pure ACK first, as real stacks do: passt takes no data with it. */
	CHECK_EQ(guest_send(&e, f, build_tcp(f, gw, gport, port, iss + 1, peer_seq,
					     0x10, NULL, 0)), 0);
	CHECK_EQ(guest_send(&e, f, build_tcp(f, gw, gport, port, iss + 1, peer_seq,
					     0x18, "hello", 5)), 0);
	for (end = ms_now() + 3000; ms_now() < end && n <= 0;) {
		evloop_run_once(&e.loop, 20);
		if (c < 0)
			c = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0)
			n = read(c, buf, sizeof(buf));
	}
	CHECK_EQ(n, 5);
	CHECK_MEM(buf, "hello", 5);
	if (c >= 0)
		CHECK_EQ(write(c, "world!", 6), 6);
	/* Segments to the guest's port until one carries data. */
	for (end = ms_now() + 3000; ms_now() < end;) {
		if (!wait_frame(&e, is_tcp_to, &gport, 500))
			continue;
		tcp = e.frame + NET_HDR_LEN + 34;
		if ((size_t)e.len > NET_HDR_LEN + 34 + (size_t)(tcp[12] >> 4) * 4)
			break;
	}
	CHECK_EQ((size_t)e.len, NET_HDR_LEN + 34 + (size_t)(tcp[12] >> 4) * 4 + 6);
	CHECK_MEM(e.frame + e.len - 6, "world!", 6);
	CHECK_EQ(e.not_valid, 0);
	CHECK_EQ(e.partial_or_gso, 0);
	CHECK_EQ(e.bad_csum, 0);
	if (c >= 0)
		close(c);
	close(ls);
	env_down(&e);
}

/* passt's refusal is one line, with passt's own last words in it. */
static void expect_start_failure(const char *program, const char *want)
{
	struct passt_run r = { .program = program };
	struct evloop loop;
	char err[320] = "";

	CHECK_EQ(evloop_init(&loop, NULL, 0), 0);
	CHECK(passt_start(&loop, &r, err, sizeof(err)) == NULL);
	if (!strstr(err, want) || strchr(err, '\n'))
		printf("    got: %s\n", err);
	CHECK(strstr(err, want) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(strncmp(err, "passt: ", 7) == 0);
	evloop_fini(&loop);
}

TEST(passt_that_cannot_start_is_one_line)
{
	char script[] = "/tmp/minivmm-fake-passt.XXXXXX";
	int fd;

	expect_start_failure("/nonexistent/passt", "passt: /nonexistent/passt: No such file");
	expect_start_failure("minivmm-no-such-passt", "not found on PATH");
	/* A program that complains and exits, as passt does without a route. */
	fd = mkstemp(script);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(dprintf(fd, "#!/bin/sh\necho 'Failed to send 30 bytes to syslog' >&2\n"
		      "echo 'External interface not usable' >&2\n"
		      "echo 'Failed to send 30 bytes to syslog' >&2\nexit 1\n") > 0);
	fchmod(fd, 0755);
	close(fd);
	expect_start_failure(script, "passt: exited with status 1 before it listened: "
			     "External interface not usable");
	unlink(script);
}

/* Without a default route the real passt refuses, and says why. */
TEST(real_passt_without_a_route_is_one_line)
{
	pid_t pid;
	int st, p[2];
	char err[320] = "";

	NEEDS_NETNS();
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		struct passt_run r = { .program = NULL };
		struct evloop loop;

		/* A namespace of its own with nothing but lo. */
		if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0)
			_exit(2);
		evloop_init(&loop, NULL, 0);
		if (passt_start(&loop, &r, err, sizeof(err)))
			_exit(3);
		if (write(p[1], err, strlen(err)) < 0)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	CHECK(read(p[0], err, sizeof(err) - 1) > 0);
	close(p[0]);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("    %s\n", err);
	CHECK(strncmp(err, "passt: exited with status ", 26) == 0);
	CHECK(strstr(err, "interface") != NULL);
	CHECK(strchr(err, '\n') == NULL);
}

RUN_TESTS()
