/*
 * The framed-socket backend (net/stream.c) over a socketpair: this test is
 * the peer (passt's end), writing length words and frames in whatever
 * pieces a case wants, and reading what the backend sends.  minivmm's
 * messages go to a temporary file for the cases that count its lines.
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "common/evloop.h"
#include "net/stream.h"

struct env {
	struct evloop loop;
	struct net_backend *be;
	int peer;		/* the test's end of the socketpair */
	int ready_calls;
	uint8_t frame[NET_MAX_FRAME + 64];
};

static void on_ready(void *opaque)
{
	((struct env *)opaque)->ready_calls++;
}

static bool env_up(struct env *e, bool data_valid)
{
	struct stream_opts o = { .name = "test-peer", .data_valid = data_valid };
	char err[256] = "";
	int sv[2];

	memset(e, 0, sizeof(*e));
	CHECK_EQ(evloop_init(&e->loop, NULL, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	e->peer = sv[1];
	e->be = stream_backend_create(sv[0], &e->loop, &o, err, sizeof(err));
	CHECK(e->be != NULL);
	if (!e->be) {
		printf("    stream_backend_create: %s\n", err);
		return false;
	}
	e->be->rx_ready = on_ready;
	e->be->rx_opaque = e;
	return true;
}

static void env_down(struct env *e)
{
	e->be->ops->free(e->be);
	if (e->peer >= 0)
		close(e->peer);
	evloop_fini(&e->loop);
}

static void put_word(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* An Ethernet frame of len bytes whose bytes say which frame it is. */
static void make_eth(uint8_t *f, size_t len, uint8_t tag)
{
	for (size_t i = 0; i < len; i++)
		f[i] = (uint8_t)(tag + i * 7);
}

/* The peer writes exactly these bytes (the socket has room in these tests). */
static void peer_write(struct env *e, const void *buf, size_t len)
{
	CHECK_EQ(write(e->peer, buf, len), (ssize_t)len);
}

static ssize_t be_recv(struct env *e)
{
	struct iovec iov = { e->frame, sizeof(e->frame) };

	return e->be->ops->recv(e->be, &iov, 1);
}

/* Sends an Ethernet frame behind a virtio header (the header in its own piece). */
static int be_send(struct env *e, const uint8_t *eth, size_t len, uint8_t flags,
		   uint8_t gso)
{
	struct virtio_net_hdr_v1 h = { .flags = flags, .gso_type = gso };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)(uintptr_t)eth, len } };

	return e->be->ops->send(e->be, iov, 2);
}

/* Reads n bytes from the peer's end, waiting at most a second. */
static bool peer_read(struct env *e, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		struct pollfd p = { .fd = e->peer, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 1000) != 1)
			return false;
		r = read(e->peer, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* stderr into a file, so a case can count minivmm's lines. */
static int capture_start(FILE **f)
{
	int saved = dup(STDERR_FILENO);

	fflush(stderr);
	*f = tmpfile();
	dup2(fileno(*f), STDERR_FILENO);
	return saved;
}

static int capture_end(FILE *f, int saved, char *text, size_t len)
{
	int lines = 0;
	size_t n;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(text, 1, len - 1, f);
	text[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < n; i++)
		lines += text[i] == '\n';
	return lines;
}

TEST(frame_next_reads_big_endian_lengths)
{
	uint8_t b[8] = { 0, 0, 0, 3, 'a', 'b', 'c', 0 };
	uint32_t len = 0;

	CHECK_EQ(stream_frame_next(b, 3, &len), 0);	/* no length yet */
	CHECK_EQ(stream_frame_next(b, 6, &len), 0);	/* 2 of 3 bytes */
	CHECK_EQ(stream_frame_next(b, 7, &len), 1);
	CHECK_EQ(len, 3);
	put_word(b, 0x00010000);
	CHECK_EQ(stream_frame_next(b, 8, &len), 0);
	CHECK_EQ(len, 65536);
	put_word(b, STREAM_MAX_FRAME + 1);
	CHECK_EQ(stream_frame_next(b, 8, &len), -1);
	CHECK_EQ(len, STREAM_MAX_FRAME + 1);
	put_word(b, 0xffffffffu);
	CHECK_EQ(stream_frame_next(b, 4, &len), -1);
}

TEST(send_strips_the_header_and_writes_length_then_frame)
{
	struct env e;
	uint8_t eth[1514], got[4 + 1514], word[4];

	if (!env_up(&e, false))
		return;
	CHECK_EQ(e.be->tx_caps, 0);	/* the device finishes offloads, as for slirp */
	CHECK_EQ(e.be->rx_caps, 0);
	make_eth(eth, sizeof(eth), 1);
	CHECK_EQ(be_send(&e, eth, sizeof(eth), 0, 0), 0);
	CHECK(peer_read(&e, got, sizeof(got)));
	put_word(word, sizeof(eth));
	CHECK_MEM(got, word, 4);
	CHECK_MEM(got + 4, eth, sizeof(eth));
	CHECK_EQ(stream_backend_stats(e.be)->tx_frames, 1);
	env_down(&e);
}

/*
 * A 60-byte frame holding a 46-byte IPv4 packet (a guest that pads to the
 * wire minimum): the peer gets the packet's 46 bytes, because passt
 * 0.0~git20230309 drops IPv4 frames with padding.  IPv6 the same way; a
 * frame that is not IP, or whose length field points past its end, goes
 * as it is.
 */
TEST(send_leaves_ethernet_padding_off)
{
	struct env e;
	uint8_t f[60], got[4 + 60];

	if (!env_up(&e, false))
		return;
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 32;		/* IPv4 total length 32: frame of 46 */
	CHECK_EQ(be_send(&e, f, sizeof(f), 0, 0), 0);
	CHECK(peer_read(&e, got, 4 + 46));
	CHECK_EQ(got[3], 46);
	memset(f + 12, 0, 8);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 4;		/* IPv6 payload length 4: frame of 58 */
	CHECK_EQ(be_send(&e, f, sizeof(f), 0, 0), 0);
	CHECK(peer_read(&e, got, 4 + 58));
	CHECK_EQ(got[3], 58);
	memset(f + 12, 0, 8);
	f[12] = 0x08;
	f[13] = 0x06;		/* ARP: as it is */
	CHECK_EQ(be_send(&e, f, sizeof(f), 0, 0), 0);
	CHECK(peer_read(&e, got, 4 + 60));
	CHECK_EQ(got[3], 60);
	f[13] = 0;
	f[14] = 0x45;
	f[16] = 1;		/* IPv4 total length 256, past the end: as it is */
	CHECK_EQ(be_send(&e, f, sizeof(f), 0, 0), 0);
	CHECK(peer_read(&e, got, 4 + 60));
	CHECK_EQ(got[3], 60);
	CHECK_MEM(got + 4, f, 60);
	CHECK_EQ(stream_backend_stats(e.be)->tx_unpadded, 2);
	env_down(&e);
}

TEST(send_refuses_partial_checksums_and_gso_as_a_device_bug)
{
	struct env e;
	uint8_t eth[60];

	if (!env_up(&e, false))
		return;
	make_eth(eth, sizeof(eth), 2);
	CHECK_EQ(be_send(&e, eth, sizeof(eth), VIRTIO_NET_HDR_F_NEEDS_CSUM, 0), -EINVAL);
	CHECK_EQ(be_send(&e, eth, sizeof(eth), 0, VIRTIO_NET_HDR_GSO_TCPV4), -EINVAL);
	CHECK_EQ(be_send(&e, eth, 10, 0, 0), -EINVAL);	/* no Ethernet header */
	CHECK_EQ(stream_backend_stats(e.be)->tx_offload_bug, 2);
	CHECK_EQ(stream_backend_stats(e.be)->tx_malformed, 1);
	CHECK_EQ(stream_backend_stats(e.be)->tx_frames, 0);
	env_down(&e);
}

TEST(recv_puts_a_header_with_data_valid_and_one_buffer)
{
	struct env e;
	uint8_t wire[4 + 100], eth[100];
	struct virtio_net_hdr_v1 h;

	if (!env_up(&e, true))
		return;
	make_eth(eth, sizeof(eth), 3);
	put_word(wire, sizeof(eth));
	memcpy(wire + 4, eth, sizeof(eth));
	peer_write(&e, wire, sizeof(wire));
	CHECK_EQ(be_recv(&e), NET_HDR_LEN + 100);
	memcpy(&h, e.frame, sizeof(h));
	CHECK_EQ(h.flags, VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	CHECK_EQ(h.num_buffers, 1);
	CHECK_MEM(e.frame + NET_HDR_LEN, eth, sizeof(eth));
	CHECK_EQ(be_recv(&e), -EAGAIN);
	env_down(&e);
}

/* backend.h: more iovecs than NET_RECV_MAX_IOV are refused, the frame kept. */
TEST(recv_refuses_more_iovecs_than_the_limit_and_keeps_the_frame)
{
	static struct iovec iov[NET_RECV_MAX_IOV + 1];
	static uint8_t buf[NET_RECV_MAX_IOV + 1][8];
	uint8_t wire[4 + 60] = { 0, 0, 0, 60 };
	struct env e;

	if (!env_up(&e, false))
		return;
	for (int i = 0; i <= NET_RECV_MAX_IOV; i++)
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
	peer_write(&e, wire, sizeof(wire));
	CHECK_EQ(e.be->ops->recv(e.be, iov, NET_RECV_MAX_IOV + 1), -EINVAL);
	CHECK_EQ(e.be->ops->recv(e.be, iov, NET_RECV_MAX_IOV), NET_HDR_LEN + 60);
	CHECK_EQ(e.be->rx_copies, 1);	/* out of its receive buffer */
	env_down(&e);
}

TEST(recv_without_data_valid_for_an_unknown_peer)
{
	struct env e;
	uint8_t wire[4 + 60] = { 0, 0, 0, 60 };

	if (!env_up(&e, false))
		return;
	peer_write(&e, wire, sizeof(wire));
	CHECK_EQ(be_recv(&e), NET_HDR_LEN + 60);
	CHECK_EQ(e.frame[0], 0);	/* flags */
	env_down(&e);
}

TEST(partial_frames_wait_across_reads_byte_by_byte)
{
	struct env e;
	uint8_t wire[2 * (4 + 300)], eth[300];

	if (!env_up(&e, false))
		return;
	make_eth(eth, sizeof(eth), 4);
	for (int i = 0; i < 2; i++) {
		put_word(wire + i * 304, 300);
		memcpy(wire + i * 304 + 4, eth, 300);
		wire[i * 304 + 4] = (uint8_t)i;	/* tell them apart */
	}
	for (size_t i = 0; i < sizeof(wire); i++) {
		ssize_t r;

		peer_write(&e, wire + i, 1);
		r = be_recv(&e);
		if (i == 303 || i == sizeof(wire) - 1) {
			CHECK_EQ(r, NET_HDR_LEN + 300);
			CHECK_EQ(e.frame[NET_HDR_LEN], i == 303 ? 0 : 1);
			CHECK_MEM(e.frame + NET_HDR_LEN + 1, eth + 1, 299);
		} else if (r != -EAGAIN) {
			CHECK_EQ(r, -EAGAIN);
			break;
		}
	}
	CHECK_EQ(stream_backend_stats(e.be)->rx_frames, 2);
	env_down(&e);
}

/*
 * Frames of every size up to the largest, back to back in one big write
 * (more than the receive buffer holds), read in order with the length word
 * of one frame and the bytes of the next split across reads.
 */
TEST(many_frames_of_every_size_arrive_whole_and_in_order)
{
	static const uint32_t sizes[] = { 14, 60, 1514, 9000, 65535,
					  STREAM_MAX_FRAME, 15, 4097, 65521, 1 };
	static uint8_t wire[8 * (4 + STREAM_MAX_FRAME)];
	struct env e;
	size_t n = 0, sent = 0, frames = 0;
	int fl;

	if (!env_up(&e, false))
		return;
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (n + 4 + sizes[i] > sizeof(wire))
				break;
			put_word(wire + n, sizes[i]);
			make_eth(wire + n + 4, sizes[i], (uint8_t)(i + round));
			n += 4 + sizes[i];
		}
	fl = fcntl(e.peer, F_GETFL);
	fcntl(e.peer, F_SETFL, fl | O_NONBLOCK);
	for (size_t at = 0, want = 0; frames < 64;) {
		ssize_t w = sent < n ? write(e.peer, wire + sent, n - sent) : 0;
		ssize_t r;
		uint32_t len;

		if (w > 0)
			sent += (size_t)w;
		r = be_recv(&e);
		if (r == -EAGAIN) {
			if (sent == n)
				break;
			continue;
		}
		/* The next frame on the wire, runts (under 14) skipped. */
		for (;;) {
			len = (uint32_t)wire[at] << 24 | (uint32_t)wire[at + 1] << 16 |
			      (uint32_t)wire[at + 2] << 8 | wire[at + 3];
			if (len >= 14)
				break;
			at += 4 + len;
		}
		CHECK_EQ(r, NET_HDR_LEN + len);
		if (r != (ssize_t)(NET_HDR_LEN + len))
			break;
		CHECK_MEM(e.frame + NET_HDR_LEN, wire + at + 4, len);
		at += 4 + len;
		want++;
		frames = want;
	}
	CHECK_EQ(sent, n);
	CHECK_EQ(frames, 18);	/* 20 frames less the two 1-byte runts */
	CHECK_EQ(stream_backend_stats(e.be)->rx_runts, 2);
	CHECK(!stream_backend_dead(e.be));
	env_down(&e);
}

TEST(frame_larger_than_the_guests_buffers_is_dropped_and_the_next_arrives)
{
	struct env e;
	uint8_t wire[4 + 2000 + 4 + 64];
	uint8_t small[NET_HDR_LEN + 1500];
	struct iovec iov = { small, sizeof(small) };

	if (!env_up(&e, false))
		return;
	put_word(wire, 2000);
	make_eth(wire + 4, 2000, 5);
	put_word(wire + 2004, 64);
	make_eth(wire + 2008, 64, 6);
	peer_write(&e, wire, sizeof(wire));
	CHECK_EQ(e.be->ops->recv(e.be, &iov, 1), -EMSGSIZE);
	CHECK_EQ(e.be->ops->recv(e.be, &iov, 1), NET_HDR_LEN + 64);
	CHECK_MEM(small + NET_HDR_LEN, wire + 2008, 64);
	CHECK_EQ(stream_backend_stats(e.be)->rx_too_big, 1);
	env_down(&e);
}

TEST(oversize_length_stops_the_backend_with_one_line)
{
	struct env e;
	uint8_t wire[4 + 60 + 4];
	char text[1024];
	FILE *f;
	int saved;

	if (!env_up(&e, false))
		return;
	put_word(wire, 60);
	make_eth(wire + 4, 60, 7);
	put_word(wire + 64, 0x7fffffff);
	peer_write(&e, wire, sizeof(wire));
	saved = capture_start(&f);
	CHECK_EQ(be_recv(&e), NET_HDR_LEN + 60);	/* the good one first */
	CHECK_EQ(be_recv(&e), -EAGAIN);
	CHECK_EQ(be_recv(&e), -EAGAIN);
	CHECK_EQ(be_send(&e, wire + 4, 60, 0, 0), -EPIPE);
	CHECK_EQ(capture_end(f, saved, text, sizeof(text)), 1);
	CHECK(strstr(text, "minivmm: test-peer: the peer sent a frame length of "
		     "2147483647 bytes") == text);
	CHECK(stream_backend_dead(e.be));
	CHECK_EQ(stream_backend_stats(e.be)->tx_dead, 1);
	env_down(&e);
}

TEST(dead_peer_is_one_line_and_sends_are_dropped_without_sigpipe)
{
	struct env e;
	uint8_t eth[60];
	char text[1024];
	FILE *f;
	int saved;

	if (!env_up(&e, false))
		return;
	make_eth(eth, sizeof(eth), 8);
	close(e.peer);
	e.peer = -1;
	saved = capture_start(&f);
	for (int i = 0; i < 5; i++)
		evloop_run_once(&e.loop, 100);
	CHECK_EQ(be_send(&e, eth, sizeof(eth), 0, 0), -EPIPE);
	CHECK_EQ(be_recv(&e), -EAGAIN);
	evloop_run_once(&e.loop, 10);
	CHECK_EQ(capture_end(f, saved, text, sizeof(text)), 1);
	CHECK(strstr(text, "minivmm: test-peer: the peer closed the connection; "
		     "the guest's network is down") == text);
	CHECK(stream_backend_dead(e.be));
	CHECK_EQ(e.ready_calls, 0);
	env_down(&e);
}

TEST(rx_ready_comes_from_the_loop_and_not_while_paused)
{
	struct env e;
	uint8_t wire[4 + 60] = { 0, 0, 0, 60 };

	if (!env_up(&e, false))
		return;
	evloop_run_once(&e.loop, 10);
	CHECK_EQ(e.ready_calls, 0);
	e.be->ops->rx_pause(e.be, true);
	peer_write(&e, wire, sizeof(wire));
	evloop_run_once(&e.loop, 50);
	CHECK_EQ(e.ready_calls, 0);
	e.be->ops->rx_pause(e.be, false);
	/* After resuming the device reads by itself (backend.h). */
	CHECK_EQ(be_recv(&e), NET_HDR_LEN + 60);
	peer_write(&e, wire, sizeof(wire));
	evloop_run_once(&e.loop, 500);
	CHECK_EQ(e.ready_calls, 1);
	CHECK_EQ(be_recv(&e), NET_HDR_LEN + 60);
	env_down(&e);
}

/*
 * A peer that stops reading: frames queue in the send buffer until it is
 * full, then are dropped whole and counted; once the peer reads again,
 * everything queued goes out, and the stream holds only whole frames.
 */
TEST(full_socket_queues_whole_frames_then_drops_and_drains_in_order)
{
	struct env e;
	static uint8_t eth[9000], got[4 + 9000];
	unsigned sent = 0, seen = 0;
	int r = 0;

	if (!env_up(&e, false))
		return;
	for (int i = 0; i < 1000 && r == 0; i++) {
		make_eth(eth, sizeof(eth), (uint8_t)i);
		r = be_send(&e, eth, sizeof(eth), 0, 0);
		if (r == 0)
			sent++;
	}
	CHECK_EQ(r, -EAGAIN);
	CHECK_EQ(stream_backend_stats(e.be)->tx_full, 1);
	CHECK(sent > STREAM_BUF_SIZE / sizeof(eth));
	/* The peer reads; the loop writes the rest as the socket drains. */
	while (seen < sent) {
		evloop_run_once(&e.loop, 10);
		if (!peer_read(&e, got, sizeof(got)))
			break;
		make_eth(eth, sizeof(eth), (uint8_t)seen);
		CHECK_EQ(got[0] << 24 | got[1] << 16 | got[2] << 8 | got[3], 9000);
		if (memcmp(got + 4, eth, sizeof(eth)) != 0) {
			CHECK_MEM(got + 4, eth, sizeof(eth));
			break;
		}
		seen++;
	}
	CHECK_EQ(seen, sent);
	CHECK_EQ(stream_backend_stats(e.be)->tx_frames, sent);
	env_down(&e);
}

TEST(connect_to_a_missing_socket_is_one_line)
{
	struct evloop loop;
	char err[256] = "";

	CHECK_EQ(evloop_init(&loop, NULL, 0), 0);
	CHECK(stream_connect("/nonexistent/minivmm-test.sock", &loop, err,
			     sizeof(err)) == NULL);
	CHECK(strcmp(err, "stream /nonexistent/minivmm-test.sock: cannot connect: "
		     "No such file or directory (is the peer running?)") == 0);
	if (strchr(err, '\n'))
		CHECK(!"one line");
	evloop_fini(&loop);
}

RUN_TESTS()
