/*
 * virtio-net reset and the control queue: a reset forgets features and
 * offloads; RX mode, MAC table, MAC address and guest offload commands.
 */
#include "check.h"
#include "vnet_fixture.h"

TEST(reset_turns_offloads_off_and_forgets_everything)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	uint8_t f[200];
	size_t len = build_tcp4(f, 60, false, 0);

	drv_up(e, LINUX);
	CHECK_EQ(e->fb.offloads, ALL_OFF);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(e->fb.offloads, 0);
	CHECK_EQ(status(e), 0);
	CHECK_EQ(e->n->features, 0);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_Q_SIZE, 2), 256);
	/* A kick now does nothing; after bring-up it works again. */
	kick(e, 1);
	drv_up(e, IPXE);
	CHECK_EQ(e->fb.offloads, 0);
	send_tx(e, f, len, false);
	CHECK_EQ(e->fb.nsent, 1);
	tenv_free(e);
}

/* Sends one control command; returns the ack byte (0xee if untouched). */
static uint8_t ctrl_cmd(struct tenv *e, uint8_t cls, uint8_t cmd,
			const void *data, size_t dlen)
{
	uint64_t a = fg_alloc(e->g, 2 + dlen + 1, 8);
	uint8_t *p = fg_ptr(e->g, a);
	struct fbuf b[3] = { { a, 2, false }, { a + 2, (uint32_t)dlen, false },
			     { a + 2 + dlen, 1, true } };

	p[0] = cls;
	p[1] = cmd;
	memcpy(p + 2, data, dlen);
	p[2 + dlen] = 0xee;
	fvq_add(&e->ctrl, b, 3);
	kick(e, 2);
	return p[2 + dlen];
}

TEST(control_queue_commands)
{
	struct tenv *e = tenv_new(ALL_OFF, ALL_OFF);
	const uint8_t on = 1, mac[6] = { 2, 1, 2, 3, 4, 5 };
	uint8_t table[4 + 6 + 4] = { 1, 0, 0, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0 };
	uint64_t off;
	uint8_t f[4000];
	size_t len;

	drv_up(e, LINUX);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			  &on, 1), VIRTIO_NET_OK);
	CHECK(e->n->promisc);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST,
			  &on, 1), VIRTIO_NET_ERR);
	CHECK_EQ(ctrl_cmd(e, 77, 0, &on, 1), VIRTIO_NET_ERR);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
			  table, sizeof(table)), VIRTIO_NET_OK);
	CHECK_EQ(e->n->n_uni, 1);
	CHECK_EQ(e->n->n_multi, 0);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET,
			  table, sizeof(table) - 1), VIRTIO_NET_ERR);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
			  mac, 6), VIRTIO_NET_OK);
	CHECK_EQ(rd(e, 0x2000, 4), 0x03020102);
	/* GUEST_OFFLOADS_SET: only CSUM now, so GSO frames get segmented. */
	off = B(VIRTIO_NET_F_GUEST_CSUM);
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8),
		 VIRTIO_NET_OK);
	CHECK_EQ(e->fb.offloads, NET_OFF_CSUM);
	off = B(VIRTIO_NET_F_MRG_RXBUF);	/* not an offload */
	CHECK_EQ(ctrl_cmd(e, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8),
		 VIRTIO_NET_ERR);
	CHECK_EQ(e->fb.offloads, NET_OFF_CSUM);
	for (int i = 0; i < 4; i++)
		post_rx(e, 2048, false);
	len = build_tcp4(f, 3000, true, 1000);
	backend_delivers(e, f, len);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(rx_take(e), 1);
		CHECK_EQ(e->frame[1], VIRTIO_NET_HDR_GSO_NONE);
	}
	CHECK_EQ(e->n->st.ctrl_ok, 4);
	CHECK_EQ(e->n->st.ctrl_err, 4);
	tenv_free(e);
}

TEST(control_command_without_status_byte_is_counted)
{
	struct tenv *e = tenv_new(0, 0);
	uint64_t a = fg_alloc(e->g, 8, 8);
	struct fbuf b[1] = { { a, 3, false } };
	uint32_t id = 0, len = 0xdead;

	drv_up(e, OPENBSD);
	fvq_add(&e->ctrl, b, 1);
	kick(e, 2);
	CHECK_EQ(e->n->st.ctrl_err, 1);
	CHECK(fvq_used(&e->ctrl, &id, &len));
	CHECK_EQ(len, 0);
	tenv_free(e);
}

RUN_TESTS()
