/*
 * virtio_net_int.h - state shared by virtio_net.c (set-up, features,
 * config, counters), virtio_net_tx.c, virtio_net_rx.c and virtio_net_ctrl.c.
 * Not for use outside devices/virtio_net*.c (and the unit tests).
 */
#ifndef MINIVMM_VIRTIO_NET_INT_H
#define MINIVMM_VIRTIO_NET_INT_H

#include <linux/virtio_net.h>

#include "devices/virtio_net.h"
#include "devices/virtio_pci.h"
#include "devices/virtqueue.h"
#include "net/offload.h"
#include "net/pcap.h"

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_CTRLQ 2
#define VNET_MAC_TABLE_MAX 64
#define VNET_BUF_SIZE NET_MAX_FRAME
#define VNET_RX_IOV 1024

#define F(bit) (1ull << (bit))
/* The feature bits that are receive offloads (5.1.6.4, 5.1.6.5.6.1). */
#define VNET_GUEST_OFFLOAD_MASK                                              \
	(F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |             \
	 F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN) |              \
	 F(VIRTIO_NET_F_GUEST_UFO))

struct virtio_net_stats {
	unsigned long long tx_packets, tx_bytes, rx_packets, rx_bytes;
	unsigned long long tx_drops[NET_DROP_REASONS];
	unsigned long long rx_drops[NET_DROP_REASONS];
	unsigned long long tx_fixups, rx_fixups;	/* done in software */
	unsigned long long tx_kicks, rx_kicks, ctrl_kicks;
	unsigned long long ctrl_ok, ctrl_err;
};

struct virtio_net {
	struct platform *plat;
	struct net_backend *be;
	struct virtio_pci *vp;
	struct net_card_opts opts;
	uint64_t offered;
	uint64_t features;	/* negotiated (0 before FEATURES_OK) */
	unsigned rx_accepts;	/* NET_OFF_* the guest takes on receive now */

	/* Device config and control-queue state. */
	uint8_t mac[6];
	bool promisc, allmulti;
	unsigned n_uni, n_multi;
	uint8_t mac_table[VNET_MAC_TABLE_MAX][6];

	/* Receive. */
	bool rx_waiting;	/* stopped for lack of guest buffers */
	bool rx_held;		/* rx_chain popped, not yet used */
	size_t rx_pending;	/* a frame in rx_buf waiting for buffers */
	bool rx_paused;		/* told the backend to stop (rx_pause) */
	bool rx_emit_failed;	/* the current fixup ran out of buffers */
	struct vq_chain rx_chain;
	uint8_t *rx_buf;
	/* Chains gathered for one frame (several with MRG_RXBUF). */
	struct vnet_rx_seg {
		uint16_t head;
		unsigned iov_start, iov_n;
		size_t cap;
	} rx_seg[VQ_MAX_SIZE];
	struct iovec rx_iov[VNET_RX_IOV];

	/* Transmit (chains come from the virtio core). */
	struct iovec tx_iov[VQ_MAX_IOV + 1];
	uint8_t *tx_buf;

	struct net_pcap *pcap;	/* both directions, when opts.pcap */
	struct virtio_net_stats st;
};

/*
 * One transmit / control chain, for the virtio core's drain
 * (virtio_dev_ops.handle_chain): returns the used length.
 */
uint32_t vnet_tx_chain(struct virtio_net *n, const struct vq_chain *c);
uint32_t vnet_ctrl_chain(struct virtio_net *n, const struct vq_chain *c);
void vnet_rx_process(struct virtio_net *n);
void vnet_rx_ready(struct virtio_net *n);
void vnet_rx_resume(struct virtio_net *n);
void vnet_rx_reset(struct virtio_net *n);
/* Captures a flat frame (header + Ethernet), completing a partial sum. */
void vnet_capture_flat(struct virtio_net *n, const uint8_t *frame, size_t len);
/* Captures header + frame in iovecs; flat is a scratch of VNET_BUF_SIZE. */
void vnet_capture_iov(struct virtio_net *n, const struct iovec *iov,
		      unsigned cnt, size_t len, uint8_t *flat);
/* Maps GUEST_* feature bits to NET_OFF_* (net/backend.h). */
unsigned vnet_offloads_from_features(uint64_t f);

#endif
