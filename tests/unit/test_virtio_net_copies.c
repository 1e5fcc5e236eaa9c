/*
 * virtio-net receive, issue 14: how many times minivmm copies a frame on
 * its way into the guest (st.rx_copies[], the -v dump's "rx copies per
 * frame"), with a tap-like backend (recv() copies nothing of its own), a
 * slirp-like one (rx_push, else a queue) and the fixup cases; the receive
 * chains gathered ahead and what goes back to the used ring.
 */
#include "check.h"
#include "vnet_fixture.h"

/* Frames by copies, as the device counted them: {none, one, two, 3+}. */
static bool copies_are(struct tenv *e, unsigned long long c0,
		       unsigned long long c1, unsigned long long c2,
		       unsigned long long c3)
{
	const unsigned long long *c = e->n->st.rx_copies;

	if (c[0] == c0 && c[1] == c1 && c[2] == c2 && c[3] == c3)
		return true;
	printf("    rx_copies: %llu %llu %llu %llu\n", c[0], c[1], c[2], c[3]);
	return false;
}

TEST(tap_like_frame_goes_straight_into_guest_buffers_with_and_without_mrg)
{
	static const enum profile ps[2] = { IPXE, LINUX };

	for (int i = 0; i < 2; i++) {
		struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
		uint8_t f[200];
		size_t len = build_tcp4(f, 100, false, 0);

		drv_up(e, ps[i]);
		post_rx(e, 2048, ps[i] == IPXE);
		kick(e, 0);
		backend_delivers(e, f, len);
		/* recv() was handed the guest's buffer itself. */
		CHECK(e->fb.last_iov0 == fg_ptr(e->g, e->rx_gpa[0]));
		CHECK_EQ(rx_take(e), 1);
		CHECK_EQ(e->frame_len, len);
		CHECK_MEM(e->frame + 12, f + 12, len - 12);
		CHECK(copies_are(e, 1, 0, 0, 0));
		CHECK(e->fb.max_iovcnt <= NET_RECV_MAX_IOV);
		tenv_free(e);
	}
}

/*
 * MRG_RXBUF: a frame longer than one buffer is read across two chains
 * (num_buffers 2), still without a copy; the chains it did not use stay
 * gathered, and the next frame starts in the next chain.
 */
TEST(mrg_frame_over_two_chains_is_read_straight_and_the_rest_wait)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[1600], g[200];
	size_t len = build_tcp4(f, 1400, false, 0), glen;
	uint32_t id = 0, ulen = 0;

	drv_up(e, OPENBSD);		/* MRG_RXBUF, no GUEST_TSO */
	for (int i = 0; i < 4; i++)
		post_rx(e, 1024, false);
	kick(e, 0);
	backend_delivers(e, f, len);
	CHECK_EQ(rx_take(e), 2);
	CHECK_EQ(e->frame_len, len);
	CHECK_MEM(e->frame + 12, f + 12, len - 12);
	glen = build_tcp4(g, 60, false, 0);
	backend_delivers(e, g, glen);
	CHECK(fvq_used(&e->rx, &id, &ulen));
	CHECK_EQ(id, 2);		/* the third chain: the second was used */
	CHECK_EQ(ulen, glen);
	CHECK(copies_are(e, 2, 0, 0, 0));
	CHECK_EQ(e->fb.paused, 0);	/* one chain left, still gathered */
	tenv_free(e);
}

/*
 * Slirp-like: a frame the backend offers with rx_push is copied once,
 * straight into the guest's buffers; one that finds no buffers is queued
 * by the backend and copied twice in all (into its queue, then into the
 * guest by recv()).
 */
TEST(slirp_like_push_copies_once_and_a_queued_frame_twice)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[200];
	size_t len = build_tcp4(f, 80, false, 0);

	f[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	drv_up(e, LINUX);
	post_rx(e, 2048, false);
	kick(e, 0);
	CHECK_EQ(fb_push_or_queue(&e->fb, f, len), 1);
	e->fb.be.rx_ready(e->fb.be.rx_opaque);	/* end of the batch */
	CHECK_EQ(rx_take(e), 1);
	CHECK_EQ(e->frame_len, len);
	CHECK_EQ(e->frame[0], VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_MEM(e->frame + 12, f + 12, len - 12);
	CHECK(copies_are(e, 0, 1, 0, 0));
	CHECK(e->g->nmsi + e->g->line_changes > 0);	/* told the guest */
	/* No buffers now: queued, then read when the guest posts one. */
	CHECK_EQ(fb_push_or_queue(&e->fb, f, len), 0);
	e->fb.be.rx_ready(e->fb.be.rx_opaque);
	CHECK_EQ(rx_take(e), 0);
	post_rx(e, 2048, false);
	kick(e, 0);
	CHECK_EQ(rx_take(e), 1);
	CHECK_MEM(e->frame + 12, f + 12, len - 12);
	CHECK(copies_are(e, 0, 1, 1, 0));
	tenv_free(e);
}

/*
 * Fixups.  A partial checksum for a guest without GUEST_CSUM is completed
 * where the frame lies in guest memory: no copy.  A GSO frame the guest
 * did not accept is segmented in rx_buf: copied there once, and each
 * segment once more into the guest (2 each).
 */
TEST(fixup_frames_copies_csum_in_place_none_gso_two)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[4000];
	size_t len = build_tcp4(f, 300, true, 0);

	drv_up(e, IPXE);		/* no GUEST_CSUM, no MRG_RXBUF */
	post_rx(e, 12 + 1514, true);
	kick(e, 0);
	backend_delivers(e, f, len);
	CHECK_EQ(rx_take(e), 1);
	CHECK_EQ(e->frame[0], 0);
	CHECK(net_frame_csums_ok(e->frame + 12, e->frame_len - 12));
	CHECK_EQ(e->n->st.rx_fixups, 1);
	CHECK(copies_are(e, 1, 0, 0, 0));
	tenv_free(e);

	e = tenv_new(ALL_OFF, ALL_OFF);
	drv_up(e, OPENBSD);		/* MRG_RXBUF, GUEST_CSUM, no TSO */
	for (int i = 0; i < 8; i++)
		post_rx(e, 2048, false);
	kick(e, 0);
	len = build_tcp4(f, 3000, true, 1000);
	backend_delivers(e, f, len);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(rx_take(e), 1);
		CHECK_EQ(e->frame_len, 12 + 54 + 1000);
		CHECK_MEM(e->frame + 12 + 54, f + 12 + 54 + 1000 * i, 1000);
	}
	CHECK(copies_are(e, 0, 0, 3, 0));
	tenv_free(e);
}

/*
 * MRG_RXBUF with too few buffers for the frame: it runs past the chains,
 * is made flat in rx_buf and waits there (HOLDING, the backend paused),
 * never dropped; the guest's next buffers take it (2 copies).  A reset
 * while it waits drops it, counted.
 */
TEST(mrg_frame_waits_for_buffers_and_a_reset_drops_it_counted)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[1600];
	size_t len = build_tcp4(f, 1400, false, 0);

	drv_up(e, LINUX);
	post_rx(e, 1024, false);
	kick(e, 0);
	backend_delivers(e, f, len);
	CHECK_EQ(rx_take(e), 0);
	CHECK_EQ(e->n->rx_state, VNET_RX_HOLDING);
	CHECK_EQ(e->fb.paused, 1);
	CHECK_EQ(e->n->st.rx_drops[VNET_DROP_NO_BUFFER], 0);
	post_rx(e, 1024, false);
	kick(e, 0);
	CHECK_EQ(rx_take(e), 2);
	CHECK_EQ(e->frame_len, len);
	CHECK_MEM(e->frame + 12, f + 12, len - 12);
	CHECK(copies_are(e, 0, 0, 1, 0));

	post_rx(e, 1024, false);
	kick(e, 0);
	backend_delivers(e, f, len);
	CHECK_EQ(e->n->rx_state, VNET_RX_HOLDING);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);		/* reset */
	CHECK_EQ(e->n->rx_state, VNET_RX_STOPPED);
	CHECK_EQ(e->n->st.rx_drops[VNET_DROP_NO_BUFFER], 1);
	tenv_free(e);
}

/* A looping chain, as a guest that rewrote its descriptors makes one. */
static void post_loop(struct tenv *e)
{
	uint64_t a = fg_alloc(e->g, 64, 8);
	uint16_t head = e->rx.next_free;

	fvq_desc(&e->rx, e->rx.desc, head, a, 64, FVQ_NEXT | FVQ_WRITE, head);
	e->rx.next_free = (uint16_t)((head + 1) % e->rx.size);
	fvq_publish(&e->rx, head);
}

/*
 * The fuzz finding "len0-entries-then-bad-header" (tests/fuzz/findings/
 * README.md), from the device's side: with MRG_RXBUF, chains that break
 * the rules (loops, read-only) go back with length 0, each on its own
 * and before the frame, never inside it; the frame goes to the good
 * chain with num_buffers 1 and a sanitised header.
 */
TEST(rx_bad_chains_go_back_empty_and_alone)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[300];
	size_t len = build_tcp4(f, 200, false, 0);
	uint64_t ro = fg_alloc(e->g, 2048, 8);
	uint32_t id = 0, ulen = 0;

	drv_up(e, LINUX);
	for (int i = 0; i < 3; i++)
		post_loop(e);
	fvq_add(&e->rx, (struct fbuf[1]){ { ro, 2048, false } }, 1);
	post_rx(e, 2048, false);
	kick(e, 0);
	f[0] = 0x4a;	/* DATA_VALID and bits no guest may see */
	backend_delivers(e, f, len);
	for (uint32_t i = 0; i < 4; i++) {
		CHECK(fvq_used(&e->rx, &id, &ulen));
		CHECK_EQ(id, i);
		CHECK_EQ(ulen, 0);
	}
	CHECK(fvq_used(&e->rx, &id, &ulen));
	CHECK_EQ(id, 4);
	CHECK_EQ(ulen, len);
	memcpy(e->frame, fg_ptr(e->g, e->rx_gpa[4]), ulen);
	CHECK_EQ(e->frame[0], VIRTIO_NET_HDR_F_DATA_VALID);
	CHECK_EQ(e->frame[1], 0);
	CHECK_EQ(e->frame[10] | e->frame[11] << 8, 1);
	CHECK(!fvq_used(&e->rx, &id, &ulen));
	CHECK_EQ(e->n->st.rx_drops[VNET_DROP_BAD_RING], 4);
	tenv_free(e);
}

TEST(stats_print_the_copies_per_frame)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[200];
	size_t len = build_tcp4(f, 60, false, 0);
	char buf[2048] = { 0 };
	FILE *m = fmemopen(buf, sizeof(buf) - 1, "w");

	drv_up(e, LINUX);
	post_rx(e, 2048, false);
	kick(e, 0);
	backend_delivers(e, f, len);
	virtio_net_print_stats(e->n, m);
	fclose(m);
	CHECK(strstr(buf, "rx copies per frame: none 1, one 0, two 0, "
		      "three or more 0") != NULL);
	tenv_free(e);
}

RUN_TESTS()
