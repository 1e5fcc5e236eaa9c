/*
 * virtio-net feature offers and negotiation: what each backend gets
 * offered, what options remove, the config space, and which receive
 * offloads each driver profile ends up mirroring onto the backend.
 */
#include "check.h"
#include "vnet_fixture.h"

static const uint64_t BASE_OFFER =
	B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MAC) | B(VIRTIO_NET_F_STATUS) |
	B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX) |
	B(VIRTIO_NET_F_MRG_RXBUF) | B(VIRTIO_NET_F_CTRL_VQ) |
	B(VIRTIO_NET_F_CTRL_RX) | B(VIRTIO_NET_F_CTRL_MAC_ADDR);

TEST(tap_like_backend_gets_every_offload_offered)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);

	CHECK_EQ(e->offered, BASE_OFFER | B(VIRTIO_NET_F_CSUM) |
		 B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_HOST_TSO4) |
		 B(VIRTIO_NET_F_HOST_TSO6) | B(VIRTIO_NET_F_HOST_ECN) |
		 B(VIRTIO_NET_F_HOST_UFO) | B(VIRTIO_NET_F_GUEST_TSO4) |
		 B(VIRTIO_NET_F_GUEST_TSO6) | B(VIRTIO_NET_F_GUEST_ECN) |
		 B(VIRTIO_NET_F_GUEST_UFO) |
		 B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
	/* Bits 0-2, 5, 7-18, 23, 28, 29, 32 (summed with python3). */
	CHECK_EQ(e->offered, 0x13087ffa7ull);
	tenv_free(e);
}

TEST(slirp_like_backend_gets_tx_offloads_and_guest_csum_only)
{
	struct tenv *e = tenv_new(0, 0);

	/*
	 * TX offloads are finished in software; of the GUEST_* bits only
	 * GUEST_CSUM, which asks nothing of a backend that builds complete
	 * frames; no GUEST_TSO, which the backend cannot produce.
	 */
	CHECK_EQ(e->offered, BASE_OFFER | B(VIRTIO_NET_F_CSUM) |
		 B(VIRTIO_NET_F_GUEST_CSUM) | B(VIRTIO_NET_F_HOST_TSO4) |
		 B(VIRTIO_NET_F_HOST_TSO6) | B(VIRTIO_NET_F_HOST_ECN) |
		 B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
	/* Bits 0-2, 5, 11-13, 15-18, 23, 28, 29, 32 (summed with python3). */
	CHECK_EQ(e->offered, 0x13087b827ull);
	tenv_free(e);
}

TEST(options_remove_offloads)
{
	struct net_card_opts o;
	struct tenv *e;

	net_card_default(&o);
	o.tso = false;
	e = tenv_opts(ALL_OFF, ALL_OFF, &o);
	CHECK_EQ(e->offered, BASE_OFFER | B(VIRTIO_NET_F_CSUM) |
		 B(VIRTIO_NET_F_GUEST_CSUM) |
		 B(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS));
	tenv_free(e);
	net_card_default(&o);
	o.csum = false;		/* takes TSO with it */
	o.mrg_rxbuf = o.ctrl_vq = o.event_idx = o.indirect = false;
	e = tenv_opts(ALL_OFF, ALL_OFF, &o);
	CHECK_EQ(e->offered, B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MAC) |
		 B(VIRTIO_NET_F_STATUS));
	/* Two queues only without the control queue. */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_NUMQ, 2), 2);
	tenv_free(e);
}

TEST(config_space_has_mac_link_up_and_one_pair)
{
	struct tenv *e = tenv_new(0, 0);

	CHECK_EQ(rd(e, 0x2000, 4), 0x12005452);
	CHECK_EQ(rd(e, 0x2004, 2), 0x5634);
	CHECK_EQ(rd(e, 0x2006, 2), VIRTIO_NET_S_LINK_UP);
	CHECK_EQ(rd(e, 0x2008, 2), 1);
	CHECK_EQ(rd(e, 0x200a, 2), 0);		/* no MTU offered */
	CHECK_EQ(virtio_net_pci_slot(e->n), 1);
	tenv_free(e);
}

/* The offloads each profile ends up mirroring onto each backend. */
TEST(negotiation_matrix_mirrors_exactly_the_accepted_guest_offloads)
{
	static const struct {
		enum profile p;
		unsigned caps;
		unsigned rx_offloads;
	} m[] = {
		{ IPXE, ALL_OFF, 0 },
		{ IPXE, 0, 0 },
		{ OPENBSD, ALL_OFF, NET_OFF_CSUM },
		{ OPENBSD, 0, NET_OFF_CSUM },
		{ LINUX, ALL_OFF, ALL_OFF },
		{ LINUX, 0, NET_OFF_CSUM },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		struct tenv *e = tenv_new(m[i].caps, m[i].caps);

		drv_up(e, m[i].p);
		CHECK_EQ(status(e), 0x0f);
		CHECK_EQ(e->fb.offloads, m[i].rx_offloads);
		CHECK_EQ(e->n->features, e->accepted);
		tenv_free(e);
	}
}

TEST(features_ok_refused_when_dependencies_break)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	unsigned calls = e->fb.offload_calls;

	/* 5.1.3.1: GUEST_TSO4 needs GUEST_CSUM. */
	CHECK_EQ(negotiate_raw(e, B(VIRTIO_F_VERSION_1) |
			       B(VIRTIO_NET_F_GUEST_TSO4)), 0x03);
	/* HOST_ECN needs HOST_TSO4 or 6; CTRL_RX needs CTRL_VQ. */
	CHECK_EQ(negotiate_raw(e, B(VIRTIO_F_VERSION_1) |
			       B(VIRTIO_NET_F_CSUM) |
			       B(VIRTIO_NET_F_HOST_ECN)), 0x03);
	CHECK_EQ(negotiate_raw(e, B(VIRTIO_F_VERSION_1) |
			       B(VIRTIO_NET_F_CTRL_RX)), 0x03);
	CHECK_EQ(e->fb.offloads, 0);
	/* Only resets (set back to 0) reached the backend. */
	CHECK_EQ(e->fb.offload_calls, calls + 3);
	CHECK_EQ(negotiate_raw(e, B(VIRTIO_F_VERSION_1) |
			       B(VIRTIO_NET_F_GUEST_CSUM) |
			       B(VIRTIO_NET_F_GUEST_TSO4)), 0x0b);
	CHECK_EQ(e->fb.offloads, NET_OFF_CSUM | NET_OFF_TSO4);
	tenv_free(e);
}

RUN_TESTS()
