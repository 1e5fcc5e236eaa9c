/*
 * virtio_net_tx.c - guest to network (5.1.6.2).
 *
 * Each chain is a 12-byte virtio_net_hdr_v1 (split across descriptors any
 * way the driver likes; iPXE and OpenBSD give it its own descriptor)
 * followed by the Ethernet frame.  The header is copied once into a local
 * and checked against what was negotiated.  When the backend can take the
 * frame as it is, the guest's buffers go to send() unchanged behind our
 * copy of the header (no copy of the payload, and the guest cannot change
 * the header after we checked it); otherwise the frame is copied into
 * tx_buf and net_offload_fixup() completes the checksum or segments it.
 */
#include "devices/virtio_net_int.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

/*
 * 5.1.6.2.1: the driver must not ask for an offload it did not negotiate.
 * Returns the drop reason, or VNET_DROP_NONE.
 */
static enum vnet_drop_reason check_hdr(const struct virtio_net *n,
				      const struct virtio_net_hdr_v1 *h)
{
	uint8_t gso = h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	unsigned need;

	if ((h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !(n->features & F(VIRTIO_NET_F_CSUM)))
		return VNET_DROP_BAD_CSUM_OFFSET;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return (h->gso_type & VIRTIO_NET_HDR_GSO_ECN) ? VNET_DROP_BAD_GSO
							     : VNET_DROP_NONE;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		need = VIRTIO_NET_F_HOST_TSO4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		need = VIRTIO_NET_F_HOST_TSO6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		need = VIRTIO_NET_F_HOST_UFO;
		break;
	default:
		return VNET_DROP_BAD_GSO;
	}
	if (!(n->features & F(need)) ||
	    ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	     !(n->features & F(VIRTIO_NET_F_HOST_ECN))))
		return VNET_DROP_BAD_GSO;
	return VNET_DROP_NONE;
}

/* net_offload_fixup() output: one finished frame for the backend. */
static int tx_emit(void *opaque, uint8_t *frame, size_t len)
{
	struct virtio_net *n = opaque;
	struct iovec iov = { frame, len };

	return n->be->ops->send(n->be, &iov, 1);
}

static enum vnet_drop_reason tx_one(struct virtio_net *n,
				   const struct vq_chain *c)
{
	struct virtio_net_hdr_v1 h;
	size_t len = c->out_len;
	enum vnet_drop_reason why;
	unsigned cnt;
	int r;

	if (len < NET_HDR_LEN)
		return VNET_DROP_SHORT_HDR;
	if (len < NET_HDR_LEN + NET_ETH_HLEN)
		return VNET_DROP_TRUNCATED;
	if (len > VNET_BUF_SIZE)
		return VNET_DROP_TOO_BIG;
	iov_to_buf(c->iov, c->n_out, 0, &h, NET_HDR_LEN);
	why = check_hdr(n, &h);
	if (why != VNET_DROP_NONE)
		return why;
	if (net_offload_needs_fixup((const uint8_t *)&h, n->be->tx_caps)) {
		memcpy(n->tx_buf, &h, NET_HDR_LEN);
		iov_to_buf(c->iov, c->n_out, NET_HDR_LEN,
			   n->tx_buf + NET_HDR_LEN, len - NET_HDR_LEN);
		vnet_capture_flat(n, n->tx_buf, len);
		r = net_offload_fixup(n->tx_buf, len, n->be->tx_caps, tx_emit,
				      n);
		if (r < 0)	/* malformed, or the backend refused (-ECANCELED) */
			return vnet_drop_from_errno(r);
		n->st.tx_fixups++;
	} else {
		/* Our checked header, then the guest's bytes after it. */
		n->tx_iov[0].iov_base = &h;
		n->tx_iov[0].iov_len = NET_HDR_LEN;
		cnt = 1 + iov_slice(n->tx_iov + 1, VQ_MAX_IOV, c->iov, c->n_out,
				    NET_HDR_LEN, len - NET_HDR_LEN);
		vnet_capture_iov(n, n->tx_iov, cnt, len, n->tx_buf);
		if (n->be->ops->send(n->be, n->tx_iov, (int)cnt) < 0)
			return VNET_DROP_BACKEND;
	}
	n->st.tx_packets++;
	n->st.tx_bytes += len - NET_HDR_LEN;
	return VNET_DROP_NONE;
}

/* One transmit chain: sent, or dropped and counted by reason. */
uint32_t vnet_tx_chain(struct virtio_net *n, const struct vq_chain *c)
{
	enum vnet_drop_reason why = tx_one(n, c);

	if (why != VNET_DROP_NONE) {
		n->st.tx_drops[why]++;
		warn_guest("virtio-net: tx frame dropped: %s", vnet_drop_name[why]);
	}
	return 0;	/* 5.1.6.2.2: TX buffers go back with length 0. */
}
