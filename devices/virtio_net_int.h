/*
 * virtio_net_int.h - state shared by virtio_net.c (set-up, features,
 * config, counters), virtio_net_tx.c, virtio_net_rx.c and virtio_net_ctrl.c.
 * Not for use outside devices/virtio_net*.c (and the unit tests).
 */
#ifndef MINIVMM_VIRTIO_NET_INT_H
#define MINIVMM_VIRTIO_NET_INT_H

#include <linux/virtio_net.h>

#include "devices/virtio_net.h"
#include "devices/virtio_net_drops.h"
#include "devices/virtio_pci.h"
#include "devices/virtio_net_rxbuf.h"
#include "devices/virtqueue.h"
#include "net/offload.h"
#include "net/pcap.h"

#define VNET_RXQ 0
#define VNET_TXQ 1
#define VNET_CTRLQ 2
#define VNET_MAC_TABLE_MAX 64
#define VNET_BUF_SIZE NET_MAX_FRAME
/* Copies per received frame are counted up to this many (the last: more). */
#define VNET_RX_COPIES_MAX 3

#define F(bit) (1ull << (bit))
/* The feature bits that are receive offloads (5.1.6.4, 5.1.6.5.6.1). */
#define VNET_GUEST_OFFLOAD_MASK                                              \
	(F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |             \
	 F(VIRTIO_NET_F_GUEST_TSO6) | F(VIRTIO_NET_F_GUEST_ECN) |              \
	 F(VIRTIO_NET_F_GUEST_UFO))

struct virtio_net_stats {
	unsigned long long tx_packets, tx_bytes, rx_packets, rx_bytes;
	unsigned long long tx_drops[VNET_DROP_REASONS];
	unsigned long long rx_drops[VNET_DROP_REASONS];
	unsigned long long tx_fixups, rx_fixups;	/* done in software */
	/*
	 * Received frames by how many times minivmm copied their bytes on the
	 * way into the guest (the backend's own copies included, the
	 * kernel's not): [VNET_RX_COPIES_MAX] counts that many or more.
	 */
	unsigned long long rx_copies[VNET_RX_COPIES_MAX + 1];
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

	/* Receive (virtio_net_rx.c; the states are described there). */
	enum vnet_rx_state {
		VNET_RX_STOPPED,	/* no driver, queue off or broken */
		VNET_RX_RUNNING,	/* taking frames when the backend has them */
		VNET_RX_NO_BUFFERS,	/* the guest has no buffers; backend paused */
		VNET_RX_HOLDING,	/* a frame in rx_buf waits for buffers */
	} rx_state;
	bool rx_paused;		/* what the backend was last told (rx_pause) */
	bool rx_unsignalled;	/* frames pushed (rx_push), no interrupt check yet */
	size_t rx_held_len;	/* VNET_RX_HOLDING: the frame in rx_buf */
	unsigned rx_held_copies;	/* and the copies it took to get there */
	unsigned rx_copies_now;	/* copies of the frame (or fixup input) in hand */
	uint8_t *rx_buf;	/* the bounce buffer (VNET_BUF_SIZE) */
	struct vnet_rxbuf rxb;	/* the guest's RX chains, gathered ahead */

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
/* be->rx_push (net/backend.h), with the device's lock held. */
int vnet_rx_push(struct virtio_net *n, const struct iovec *iov, int iovcnt);
/* Captures a flat frame (header + Ethernet), completing a partial sum. */
void vnet_capture_flat(struct virtio_net *n, const uint8_t *frame, size_t len);
/* Captures header + frame in iovecs; flat is a scratch of VNET_BUF_SIZE. */
void vnet_capture_iov(struct virtio_net *n, const struct iovec *iov,
		      unsigned cnt, size_t len, uint8_t *flat);
/* Maps GUEST_* feature bits to NET_OFF_* (net/backend.h). */
unsigned vnet_offloads_from_features(uint64_t f);

#endif
