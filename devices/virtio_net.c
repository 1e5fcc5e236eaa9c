/*
 * virtio_net.c - virtio-net set-up, feature negotiation, device config,
 * reset and counters.  The data paths are in virtio_net_tx.c,
 * virtio_net_rx.c and virtio_net_ctrl.c.
 */
#include "devices/virtio_net_int.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

unsigned vnet_offloads_from_features(uint64_t f)
{
	unsigned off = 0;

	if (f & F(VIRTIO_NET_F_GUEST_CSUM))
		off |= NET_OFF_CSUM;
	if (f & F(VIRTIO_NET_F_GUEST_TSO4))
		off |= NET_OFF_TSO4;
	if (f & F(VIRTIO_NET_F_GUEST_TSO6))
		off |= NET_OFF_TSO6;
	if (f & F(VIRTIO_NET_F_GUEST_ECN))
		off |= NET_OFF_ECN;
	if (f & F(VIRTIO_NET_F_GUEST_UFO))
		off |= NET_OFF_UFO;
	return off;
}

/*
 * What we offer.  Transmit offloads (CSUM, HOST_TSO4/6, HOST_ECN) can
 * always be offered: net_offload_fixup() finishes whatever the backend's
 * tx_caps lack.  HOST_UFO only when the backend takes UFO itself (we do not
 * fragment).  GUEST_CSUM whenever checksums are on: it only lets the guest
 * take partial checksums and DATA_VALID, and a backend that never produces
 * partial ones (slirp) costs nothing, while the guest may skip verifying
 * what slirp built.  GUEST_TSO/ECN/UFO only when the backend can deliver
 * them (rx_caps); the device never has to produce them itself.  Options
 * remove features, and 5.1.3.1's dependencies are kept: TSO needs CSUM,
 * ECN needs TSO, CTRL_* need CTRL_VQ.
 */
static uint64_t compute_offered(const struct net_card_opts *o,
				const struct net_backend *be)
{
	uint64_t f = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MAC) |
		     F(VIRTIO_NET_F_STATUS);

	if (o->indirect)
		f |= F(VIRTIO_RING_F_INDIRECT_DESC);
	if (o->event_idx)
		f |= F(VIRTIO_RING_F_EVENT_IDX);
	if (o->mrg_rxbuf)
		f |= F(VIRTIO_NET_F_MRG_RXBUF);
	if (o->csum) {
		f |= F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM);
	}
	if (o->csum && o->tso) {
		f |= F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) |
		     F(VIRTIO_NET_F_HOST_ECN);
		if (be->tx_caps & NET_OFF_UFO)
			f |= F(VIRTIO_NET_F_HOST_UFO);
		if (f & F(VIRTIO_NET_F_GUEST_CSUM)) {
			if (be->rx_caps & NET_OFF_TSO4)
				f |= F(VIRTIO_NET_F_GUEST_TSO4);
			if (be->rx_caps & NET_OFF_TSO6)
				f |= F(VIRTIO_NET_F_GUEST_TSO6);
			if ((be->rx_caps & NET_OFF_ECN) &&
			    (f & (F(VIRTIO_NET_F_GUEST_TSO4) |
				  F(VIRTIO_NET_F_GUEST_TSO6))))
				f |= F(VIRTIO_NET_F_GUEST_ECN);
			if (be->rx_caps & NET_OFF_UFO)
				f |= F(VIRTIO_NET_F_GUEST_UFO);
		}
	}
	if (o->ctrl_vq) {
		f |= F(VIRTIO_NET_F_CTRL_VQ) | F(VIRTIO_NET_F_CTRL_RX) |
		     F(VIRTIO_NET_F_CTRL_MAC_ADDR);
		if (f & VNET_GUEST_OFFLOAD_MASK)
			f |= F(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
	}
	return f;
}

unsigned virtio_net_pci_slot(const struct virtio_net *n)
{
	return n->vp->pci->slot;
}

uint64_t virtio_net_offered(const struct virtio_net *n)
{
	return n->offered;
}

/* 5.1.3.1: a feature accepted without what it depends on is refused. */
static const struct {
	unsigned feature;
	uint64_t needs_any;
} deps[] = {
	{ VIRTIO_NET_F_GUEST_TSO4, F(VIRTIO_NET_F_GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_TSO6, F(VIRTIO_NET_F_GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_UFO, F(VIRTIO_NET_F_GUEST_CSUM) },
	{ VIRTIO_NET_F_GUEST_ECN,
	  F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) },
	{ VIRTIO_NET_F_HOST_TSO4, F(VIRTIO_NET_F_CSUM) },
	{ VIRTIO_NET_F_HOST_TSO6, F(VIRTIO_NET_F_CSUM) },
	{ VIRTIO_NET_F_HOST_UFO, F(VIRTIO_NET_F_CSUM) },
	{ VIRTIO_NET_F_HOST_ECN,
	  F(VIRTIO_NET_F_HOST_TSO4) | F(VIRTIO_NET_F_HOST_TSO6) },
	{ VIRTIO_NET_F_CTRL_RX, F(VIRTIO_NET_F_CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, F(VIRTIO_NET_F_CTRL_VQ) },
	{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, F(VIRTIO_NET_F_CTRL_VQ) },
};

static int vnet_set_features(void *opaque, uint64_t f)
{
	struct virtio_net *n = opaque;

	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		if ((f & F(deps[i].feature)) && !(f & deps[i].needs_any)) {
			warn_guest("virtio-net: feature %u accepted without "
				   "what it needs (5.1.3.1); FEATURES_OK refused",
				   deps[i].feature);
			return -1;
		}
	}
	n->features = f;
	/* Mirror exactly what the guest takes on receive onto the backend. */
	n->rx_accepts = vnet_offloads_from_features(f);
	n->be->ops->set_rx_offloads(n->be, n->rx_accepts);
	return 0;
}

/* struct virtio_net_config: mac, status, max_virtqueue_pairs (5.1.4). */
static void vnet_cfg_read(void *opaque, unsigned off, uint8_t *data,
			  unsigned len)
{
	struct virtio_net *n = opaque;
	uint8_t cfg[12] = { 0 };

	memcpy(cfg, n->mac, 6);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	cfg[8] = 1;	/* max_virtqueue_pairs */
	for (unsigned i = 0; i < len; i++)
		data[i] = off + i < sizeof(cfg) ? cfg[off + i] : 0;
}

static void vnet_queue_notify(void *opaque, unsigned q)
{
	struct virtio_net *n = opaque;

	switch (q) {
	case VNET_RXQ:
		n->st.rx_kicks++;
		vnet_rx_resume(n);	/* new buffers: receive again */
		break;
	case VNET_TXQ:
		n->st.tx_kicks++;
		virtio_queue_drain(n->vp, q);
		break;
	case VNET_CTRLQ:
		n->st.ctrl_kicks++;
		if (n->features & F(VIRTIO_NET_F_CTRL_VQ))
			virtio_queue_drain(n->vp, q);
		break;
	}
}

/* Transmit and control chains, from the core's drain. */
static uint32_t vnet_handle_chain(void *opaque, unsigned q,
				  const struct vq_chain *c)
{
	struct virtio_net *n = opaque;

	return q == VNET_TXQ ? vnet_tx_chain(n, c) : vnet_ctrl_chain(n, c);
}

static void vnet_bad_chain(void *opaque, unsigned q)
{
	struct virtio_net *n = opaque;

	if (q == VNET_TXQ)
		n->st.tx_drops[VNET_DROP_BAD_RING]++;
	else
		n->st.ctrl_err++;
}

/* 2.4: a reset forgets everything, and receive offloads go back off. */
static void vnet_reset(void *opaque)
{
	struct virtio_net *n = opaque;

	n->features = 0;
	n->rx_accepts = 0;
	memcpy(n->mac, n->opts.mac, 6);
	n->promisc = n->allmulti = false;
	n->n_uni = n->n_multi = 0;
	vnet_rx_reset(n);
	if (n->be)
		n->be->ops->set_rx_offloads(n->be, 0);
}

static const struct virtio_dev_ops vnet_ops = {
	.set_features = vnet_set_features,
	.cfg_read = vnet_cfg_read,
	.cfg_write = NULL,	/* 5.1.4: nothing is driver-writable */
	.handle_chain = vnet_handle_chain,
	.bad_chain = vnet_bad_chain,
	.queue_notify = vnet_queue_notify,
	/*
	 * Nothing to do at DRIVER_OK: receiving starts at the driver's first
	 * RX kick (it always kicks after posting buffers: avail_event starts
	 * at 0), which keeps backend calls on the I/O thread.
	 */
	.driver_ok = NULL,
	.reset = vnet_reset,
};

void vnet_capture_flat(struct virtio_net *n, const uint8_t *frame, size_t len)
{
	if (n->pcap)
		net_pcap_write_completed(n->pcap, frame, len);
}

/*
 * A frame with a partial checksum is made flat first so the capture shows
 * the checksum the wire will carry; others go out straight from iov.
 */
void vnet_capture_iov(struct virtio_net *n, const struct iovec *iov,
		      unsigned cnt, size_t len, uint8_t *flat)
{
	uint8_t flags;

	if (!n->pcap)
		return;
	iov_to_buf(iov, cnt, 0, &flags, 1);
	if (!(flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || len > VNET_BUF_SIZE) {
		net_pcap_write(n->pcap, iov, (int)cnt, NET_HDR_LEN);
		return;
	}
	iov_to_buf(iov, cnt, 0, flat, len);
	net_pcap_write_completed(n->pcap, flat, len);
}

/* The backend has frames (I/O thread): the device's lock, as its BAR. */
static void vnet_backend_rx_ready(void *opaque)
{
	struct virtio_net *n = opaque;

	virtio_pci_lock(n->vp);
	vnet_rx_ready(n);
	virtio_pci_unlock(n->vp);
}

/* A frame the backend would queue (I/O thread; the lock is recursive). */
static int vnet_backend_rx_push(void *opaque, const struct iovec *iov,
				int iovcnt)
{
	struct virtio_net *n = opaque;
	int r;

	virtio_pci_lock(n->vp);
	r = vnet_rx_push(n, iov, iovcnt);
	virtio_pci_unlock(n->vp);
	return r;
}

struct virtio_net *virtio_net_create(struct pci_bus *bus, struct platform *p,
				     struct net_backend *be,
				     const struct net_card_opts *opts,
				     unsigned gsi, char *err, size_t errlen)
{
	struct virtio_net *n;
	struct virtio_pci_info info = {
		.name = "virtio-net", .virtio_id = VIRTIO_ID_NET, .pci_class = 0x0200,
		.gsi = gsi,
	};
	unsigned qs = opts->queue_size ? opts->queue_size : VQ_MAX_SIZE;

	if (qs < 2 || qs > VQ_MAX_SIZE || (qs & (qs - 1))) {
		snprintf(err, errlen, "virtio-net: queue size %u is not a power of two in 2..%u",
			 qs, VQ_MAX_SIZE);
		net_pcap_close(opts->pcap);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errlen, "virtio-net: out of memory");
		net_pcap_close(opts->pcap);
		return NULL;
	}
	n->plat = p;
	n->be = be;
	n->opts = *opts;
	n->opts.queue_size = qs;
	memcpy(n->mac, opts->mac, 6);
	n->offered = compute_offered(opts, be);
	n->rx_buf = malloc(VNET_BUF_SIZE);
	n->tx_buf = malloc(VNET_BUF_SIZE);
	if (!n->rx_buf || !n->tx_buf) {
		snprintf(err, errlen, "virtio-net: out of memory");
		goto fail;
	}
	n->pcap = opts->pcap;
	info.features = n->offered;
	info.nqueues = opts->ctrl_vq ? 3 : 2;
	info.queue_size = (uint16_t)qs;
	n->vp = virtio_pci_create(bus, p, &info, &vnet_ops, n, err, errlen);
	if (!n->vp)
		goto fail;
	be->rx_ready = vnet_backend_rx_ready;
	be->rx_push = vnet_backend_rx_push;
	be->rx_opaque = n;
	return n;
fail:
	net_pcap_close(n->pcap);
	free(n->rx_buf);
	free(n->tx_buf);
	free(n);
	return NULL;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (!n)
		return;
	if (n->be && n->be->rx_opaque == n) {
		n->be->rx_ready = NULL;
		n->be->rx_push = NULL;
		n->be->rx_opaque = NULL;
	}
	virtio_pci_destroy(n->vp);
	net_pcap_close(n->pcap);
	free(n->rx_buf);
	free(n->tx_buf);
	free(n);
}

void virtio_net_print_stats(struct virtio_net *n, FILE *f)
{
	const struct virtio_net_stats *s = &n->st;
	const struct virtio_pci_stats *t = &n->vp->stats;

	virtio_pci_lock(n->vp);
	fprintf(f, "virtio-net %02x:%02x:%02x:%02x:%02x:%02x (%s) features "
		"%#llx%s", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
		n->mac[4], n->mac[5], n->be->name ? n->be->name : "?",
		(unsigned long long)n->features, log_eol());
	fprintf(f, "  tx %llu packets %llu bytes, %llu fixed up in software%s",
		s->tx_packets, s->tx_bytes, s->tx_fixups, log_eol());
	fprintf(f, "  rx %llu packets %llu bytes, %llu fixed up in software%s",
		s->rx_packets, s->rx_bytes, s->rx_fixups, log_eol());
	fprintf(f, "  rx copies per frame: none %llu, one %llu, two %llu, "
		"three or more %llu%s", s->rx_copies[0], s->rx_copies[1],
		s->rx_copies[2], s->rx_copies[3], log_eol());
	for (int r = 1; r < VNET_DROP_REASONS; r++)
		if (s->tx_drops[r] || s->rx_drops[r])
			fprintf(f, "  drops %-16s tx %llu rx %llu%s",
				vnet_drop_name[r], s->tx_drops[r],
				s->rx_drops[r], log_eol());
	fprintf(f, "  kicks tx %llu rx %llu ctrl %llu; interrupts %lu "
		"(msi-x %lu, intx %lu, masked %lu); ctrl ok %llu err %llu%s",
		s->tx_kicks, s->rx_kicks, s->ctrl_kicks, t->interrupts,
		n->vp->msix.sent, t->irqs_intx, n->vp->msix.held, s->ctrl_ok,
		s->ctrl_err, log_eol());
	virtio_pci_unlock(n->vp);
}
