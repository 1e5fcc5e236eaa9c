/*
 * vnet.h - the probe's virtio-net driver, in three guest-driver profiles.
 */
#ifndef PROBE_VNET_H
#define PROBE_VNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>
#include "virtio.h"

enum profile { PROFILE_IPXE, PROFILE_OPENBSD, PROFILE_LINUX };

#define VNET_HDR_LEN sizeof(struct virtio_net_hdr_v1)
/* Largest frame either way: a 64 KiB GSO frame plus headers. */
#define VNET_MAX_FRAME 65550u

struct vnet_stats {
	uint64_t rx_frames, rx_bufs, rx_bad_used, tx_frames, tx_full_waits;
};

struct vnet {
	struct virtio_dev dev;
	enum profile profile;
	uint64_t offered, device_features, features;
	uint8_t mac[6];
	uint16_t mtu;
	struct vq rxq, txq, ctrlq;
	bool has_ctrl;
	bool tx_hdr_separate;	/* header in its own descriptor on TX */
	bool rx_hdr_separate;	/* ... and on RX */
	bool mrg_rxbuf;
	uint32_t rx_buf_len;	/* bytes per posted RX buffer incl. header */
	uint16_t rx_entries, tx_slots;
	struct vnet_stats st;
};

/* The one device the probe drives. */
extern struct vnet vnet;

const char *profile_name(enum profile p);
/* Features the profile's real driver offers (see vnet.c for sources). */
uint64_t profile_features(enum profile p);

/*
 * Finds and initialises the device through DRIVER_OK with the profile's
 * features minus mask; qmax caps the queue sizes.  Returns 0 or prints
 * why not and returns -1.
 */
int vnet_init(enum profile p, uint64_t mask, uint16_t qmax);
bool vnet_has(uint64_t feature_bit);

/*
 * Receives one frame if one is ready: copies the header and the (merged)
 * frame into the caller's buffers (frame must hold VNET_MAX_FRAME) and
 * returns the frame length, or 0 if none is waiting.
 */
size_t vnet_rx(struct virtio_net_hdr_v1 *hdr, uint8_t *frame);

/* True if the device has put a received buffer on the used ring. */
bool vnet_rx_pending(void);

/*
 * TX in two steps: vnet_tx_buf() returns space for one frame (up to
 * VNET_MAX_FRAME bytes), waiting for a free slot (NULL after ~1 s);
 * vnet_tx_send() posts it with the given header and notifies as needed.
 */
uint8_t *vnet_tx_buf(void);
/* How long vnet_tx_buf waits for a free slot before it gives up (1000 ms). */
void vnet_set_tx_wait(unsigned ms);
void vnet_tx_send(size_t len, const struct virtio_net_hdr_v1 *hdr);
/* Reclaims finished TX slots; returns how many are in flight. */
unsigned vnet_tx_reclaim(void);

/* Sends one control command (5.1.6.5); returns the ack (0 = OK) or -1. */
int vnet_ctrl(uint8_t class, uint8_t cmd, const void *data, size_t len);

/* Prints the feature bits by name into buf. */
void vnet_feature_names(uint64_t f, char *buf, size_t size);

#endif
