/*
 * virtio-net transmit: frames passed through or finished in software,
 * bad headers and rings dropped and counted with the queue working on,
 * NEEDS_RESET on an avail index jump, EVENT_IDX interrupt suppression.
 */
#include "check.h"
#include "vnet_fixture.h"

TEST(tx_passes_header_and_frame_unchanged_to_a_capable_backend)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[4000];
	size_t len = build_tcp4(f, 3000, true, 1000);
	uint32_t id = 0, ulen = 0xdead;

	drv_up(e, LINUX);
	send_tx(e, f, len, true);		/* header in 5 + 7 bytes */
	CHECK_EQ(e->fb.nsent, 1);
	CHECK_EQ(e->fb.sent_len[0], len);
	CHECK_MEM(e->fb.sent[0], f, len);
	CHECK(fvq_used(&e->tx, &id, &ulen));
	CHECK_EQ(ulen, 0);
	CHECK_EQ(e->n->st.tx_packets, 1);
	CHECK_EQ(e->n->st.tx_bytes, len - 12);
	CHECK_EQ(e->n->st.tx_fixups, 0);
	tenv_free(e);
}

TEST(tx_completes_sums_and_segments_for_a_backend_without_offloads)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[4000];
	size_t len = build_tcp4(f, 300, true, 0);

	drv_up(e, LINUX);
	send_tx(e, f, len, false);
	CHECK_EQ(e->fb.nsent, 1);
	CHECK_EQ(e->fb.sent[0][0], 0);		/* NEEDS_CSUM done */
	CHECK(net_frame_csums_ok(e->fb.sent[0] + 12, e->fb.sent_len[0] - 12));
	/* The same frame with the full sum, built independently. */
	build_tcp4(f, 300, false, 0);
	CHECK_MEM(e->fb.sent[0] + 12, f + 12, len - 12);

	len = build_tcp4(f, 3000, true, 1000);
	send_tx(e, f, len, false);
	CHECK_EQ(e->fb.nsent, 4);
	for (unsigned i = 1; i < 4; i++) {
		CHECK_EQ(e->fb.sent_len[i], 12 + 54 + 1000);
		CHECK_EQ(e->fb.sent[i][1], VIRTIO_NET_HDR_GSO_NONE);
		CHECK(net_frame_csums_ok(e->fb.sent[i] + 12,
					 e->fb.sent_len[i] - 12));
	}
	CHECK_EQ(e->n->st.tx_fixups, 2);
	CHECK_EQ(e->n->st.tx_packets, 2);
	tenv_free(e);
}

TEST(tx_bad_headers_are_dropped_and_counted_then_good_frames_pass)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t f[4000];
	size_t len;
	unsigned long long *d = e->n->st.tx_drops;

	drv_up(e, LINUX);
	len = build_tcp4(f, 100, false, 0);
	send_tx(e, f, 8, false);			/* short header */
	CHECK_EQ(d[VNET_DROP_SHORT_HDR], 1);
	send_tx(e, f, 12, false);			/* header only */
	CHECK_EQ(d[VNET_DROP_TRUNCATED], 1);
	len = build_tcp4(f, 100, true, 0);
	put_le16(f + 6, 500);				/* csum_start past end */
	send_tx(e, f, len, false);
	CHECK_EQ(d[VNET_DROP_BAD_CSUM_OFFSET], 1);
	len = build_tcp4(f, 3000, true, 1000);
	put_le16(f + 4, 0);				/* gso_size 0 */
	send_tx(e, f, len, false);
	CHECK_EQ(d[VNET_DROP_BAD_GSO], 1);
	len = build_tcp4(f, 3000, true, 1000);
	send_tx(e, f, 12 + 14 + 10, false);		/* IP header cut */
	CHECK(d[VNET_DROP_TRUNCATED] + d[VNET_DROP_BAD_CSUM_OFFSET] +
	      d[VNET_DROP_BAD_GSO] == 4);
	CHECK_EQ(e->fb.nsent, 0);
	CHECK_EQ(fvq_used_idx(&e->tx), 5);		/* all returned */
	len = build_tcp4(f, 100, true, 0);
	send_tx(e, f, len, false);
	CHECK_EQ(e->fb.nsent, 1);
	CHECK(net_frame_csums_ok(e->fb.sent[0] + 12, e->fb.sent_len[0] - 12));
	tenv_free(e);
}

TEST(tx_offload_not_negotiated_is_dropped)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[4000];
	size_t len = build_tcp4(f, 3000, true, 1000);

	drv_up(e, IPXE);		/* no CSUM, no HOST_TSO4 */
	send_tx(e, f, len, false);
	len = build_tcp4(f, 100, true, 0);
	send_tx(e, f, len, false);
	CHECK_EQ(e->n->st.tx_drops[VNET_DROP_BAD_GSO], 0);
	CHECK_EQ(e->n->st.tx_drops[VNET_DROP_BAD_CSUM_OFFSET], 2);
	CHECK_EQ(e->fb.nsent, 0);
	tenv_free(e);
}

TEST(tx_ring_errors_are_dropped_and_the_queue_keeps_working)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[200];
	size_t len = build_tcp4(f, 60, false, 0);
	uint64_t a = fg_alloc(e->g, 256, 16), t = fg_alloc(e->g, 64, 16);
	struct fake_vq *q = &e->tx;

	drv_up(e, LINUX);
	/* Buffer outside RAM. */
	fvq_desc(q, q->desc, 0, 0x1000, 64, 0, 0);
	fvq_publish(q, 0);
	/* Descriptor loop. */
	fvq_desc(q, q->desc, 1, a, 16, FVQ_NEXT, 2);
	fvq_desc(q, q->desc, 2, a, 16, FVQ_NEXT, 1);
	fvq_publish(q, 1);
	/* Indirect table length not a multiple of 16. */
	fvq_desc(q, q->desc, 3, t, 20, FVQ_INDIRECT, 0);
	fvq_publish(q, 3);
	/* Nested indirect. */
	fvq_desc(q, t, 0, t + 32, 16, FVQ_INDIRECT, 0);
	fvq_desc(q, q->desc, 4, t, 16, FVQ_INDIRECT, 0);
	fvq_publish(q, 4);
	q->next_free = 5;
	kick(e, 1);
	CHECK_EQ(e->n->st.tx_drops[VNET_DROP_BAD_RING], 4);
	CHECK_EQ(e->fb.nsent, 0);
	send_tx(e, f, len, false);
	CHECK_EQ(e->fb.nsent, 1);
	CHECK(!(status(e) & VIRTIO_CONFIG_S_NEEDS_RESET));
	tenv_free(e);
}

TEST(avail_index_jump_sets_needs_reset_with_config_interrupt)
{
	struct tenv *e = tenv_new(0, 0);
	uint8_t isr;

	drv_up(e, OPENBSD);
	rd(e, 0x1000, 1);			/* clear ISR */
	fvq_set16(&e->tx, e->tx.avail + 2, QSIZE + 5);
	kick(e, 1);
	CHECK(status(e) & VIRTIO_CONFIG_S_NEEDS_RESET);
	CHECK_EQ(e->g->line[GSI], 1);
	isr = (uint8_t)rd(e, 0x1000, 1);
	CHECK(isr & VIRTIO_PCI_ISR_CONFIG);
	/* Reset brings the device back. */
	drv_up(e, OPENBSD);
	CHECK_EQ(status(e), 0x0f);
	tenv_free(e);
}

TEST(event_idx_suppresses_tx_interrupts)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[200];
	size_t len = build_tcp4(f, 60, false, 0);
	unsigned long long irqs;

	drv_up(e, LINUX);
	send_tx(e, f, len, false);		/* used idx 1: first, sent */
	irqs = e->n->vp->stats.interrupts;
	CHECK_EQ(irqs, 1);
	fvq_set_used_event(&e->tx, 3);		/* wake me after entry 3 */
	send_tx(e, f, len, false);		/* idx 2 */
	send_tx(e, f, len, false);		/* idx 3 */
	CHECK_EQ(e->n->vp->stats.interrupts, 1);
	send_tx(e, f, len, false);		/* idx 4: entry 3 is used */
	CHECK_EQ(e->n->vp->stats.interrupts, 2);
	/* The device asks to be kicked for the next entry. */
	CHECK_EQ(fvq_avail_event(&e->tx), 4);
	tenv_free(e);
}

RUN_TESTS()
