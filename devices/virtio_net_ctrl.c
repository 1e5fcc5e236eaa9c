/*
 * virtio_net_ctrl.c - the control virtqueue (5.1.6.5).
 *
 * A command is { u8 class; u8 command; data } in device-readable buffers
 * and one device-writable ack byte (VIRTIO_NET_OK / VIRTIO_NET_ERR) at the
 * end.  Receive-mode and MAC-filter commands are accepted and recorded
 * (the backends deliver everything anyway; the guest filters), MAC_ADDR_SET
 * changes the config-space MAC, GUEST_OFFLOADS_SET re-mirrors receive
 * offloads onto the backend.  Anything else is answered with ERR.
 */
#include "devices/virtio_net_int.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

#define CTRL_MAX 1024	/* header + 2 tables of VNET_MAC_TABLE_MAX entries */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* 5.1.6.5.2: VIRTIO_NET_CTRL_RX (PROMISC / ALLMULTI with CTRL_RX). */
static uint8_t ctrl_rx(struct virtio_net *n, uint8_t cmd, const uint8_t *d,
		       size_t len)
{
	if (!(n->features & F(VIRTIO_NET_F_CTRL_RX)) || len != 1)
		return VIRTIO_NET_ERR;
	if (cmd == VIRTIO_NET_CTRL_RX_PROMISC)
		n->promisc = d[0] != 0;
	else if (cmd == VIRTIO_NET_CTRL_RX_ALLMULTI)
		n->allmulti = d[0] != 0;
	else
		return VIRTIO_NET_ERR;	/* ALLUNI..: CTRL_RX_EXTRA, not offered */
	return VIRTIO_NET_OK;
}

/*
 * 5.1.6.5.2: MAC_TABLE_SET is two tables, each a le32 count then that many
 * 6-byte addresses, exactly filling the data; MAC_ADDR_SET is 6 bytes.
 */
static uint8_t ctrl_mac(struct virtio_net *n, uint8_t cmd, const uint8_t *d,
			size_t len)
{
	if (cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
		if (!(n->features & F(VIRTIO_NET_F_CTRL_MAC_ADDR)) || len != 6)
			return VIRTIO_NET_ERR;
		memcpy(n->mac, d, 6);
		return VIRTIO_NET_OK;
	}
	if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET &&
	    (n->features & F(VIRTIO_NET_F_CTRL_RX))) {
		uint32_t uni, multi;
		size_t off;

		if (len < 4)
			return VIRTIO_NET_ERR;
		uni = get_le32(d);
		if (uni > VNET_MAC_TABLE_MAX || len < 8 + 6 * (size_t)uni)
			return VIRTIO_NET_ERR;
		off = 4 + 6 * (size_t)uni;
		multi = get_le32(d + off);
		if (uni + multi > VNET_MAC_TABLE_MAX ||
		    len != off + 4 + 6 * (size_t)multi)
			return VIRTIO_NET_ERR;
		memcpy(n->mac_table, d + 4, 6 * (size_t)uni);
		memcpy(n->mac_table[uni], d + off + 4, 6 * (size_t)multi);
		n->n_uni = uni;
		n->n_multi = multi;
		return VIRTIO_NET_OK;
	}
	return VIRTIO_NET_ERR;
}

/*
 * 5.1.6.5.6.2: the driver may only turn on offloads it negotiated; what it
 * asks for becomes what the backend may deliver.
 */
static uint8_t ctrl_offloads(struct virtio_net *n, uint8_t cmd,
			     const uint8_t *d, size_t len)
{
	uint64_t want;

	if (cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || len != 8 ||
	    !(n->features & F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS)))
		return VIRTIO_NET_ERR;
	want = (uint64_t)get_le32(d) | (uint64_t)get_le32(d + 4) << 32;
	if (want & ~(n->features & VNET_GUEST_OFFLOAD_MASK))
		return VIRTIO_NET_ERR;
	n->rx_accepts = vnet_offloads_from_features(want);
	n->be->ops->set_rx_offloads(n->be, n->rx_accepts);
	return VIRTIO_NET_OK;
}

static void ctrl_one(struct virtio_net *n, const struct vq_chain *c)
{
	uint8_t buf[CTRL_MAX];
	uint8_t ack = VIRTIO_NET_ERR;

	if (c->n_in == 0) {
		/* Nowhere to answer: a malformed command. */
		warn_guest("virtio-net: control command without status byte");
		n->st.ctrl_err++;
		return;
	}
	if (c->out_len >= 2 && c->out_len <= sizeof(buf)) {
		size_t len = c->out_len - 2;

		iov_to_buf(c->iov, c->n_out, 0, buf, c->out_len);
		switch (buf[0]) {
		case VIRTIO_NET_CTRL_RX:
			ack = ctrl_rx(n, buf[1], buf + 2, len);
			break;
		case VIRTIO_NET_CTRL_MAC:
			ack = ctrl_mac(n, buf[1], buf + 2, len);
			break;
		case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
			ack = ctrl_offloads(n, buf[1], buf + 2, len);
			break;
		default:
			break;
		}
	}
	if (ack == VIRTIO_NET_OK)
		n->st.ctrl_ok++;
	else
		n->st.ctrl_err++;
	/* The ack is the last writable byte (5.1.6.5). */
	iov_from_buf(&c->iov[c->n_out], c->n_in, c->in_len - 1, &ack, 1);
}

uint32_t vnet_ctrl_chain(struct virtio_net *n, const struct vq_chain *c)
{
	ctrl_one(n, c);
	return c->n_in ? 1 : 0;	/* the ack byte, when there is one */
}
