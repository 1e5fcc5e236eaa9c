/*
 * virtio.h - virtio 1.x PCI transport (modern, MMIO capabilities) and split
 * virtqueues, driven by polling.
 */
#ifndef PROBE_VIRTIO_H
#define PROBE_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>
#include "pci.h"

struct virtio_dev {
	struct pci_dev pci;
	uintptr_t common, notify, isr, device;
	uint32_t notify_mult;
	uint64_t features;	/* negotiated */
};

struct vq {
	struct virtio_dev *dev;
	uint16_t index, size;
	struct vring ring;
	uint16_t avail_idx;	/* next avail->idx to publish */
	uint16_t kicked_idx;	/* avail idx at the last notification */
	uint16_t last_used;	/* next used entry to consume */
	uintptr_t notify_addr;
	bool event_idx;
	uint32_t kicks, kicks_suppressed;
};

/* Finds caps and maps BARs for a modern virtio PCI function; 0 or -1. */
int virtio_pci_init(struct virtio_dev *v, const struct pci_dev *pci);
/* True if the function carries the modern common-config capability. */
bool virtio_pci_is_modern(const struct pci_dev *pci);
/* Reset, ACKNOWLEDGE, DRIVER (virtio 1.2 section 3.1.1 steps 1-3). */
void virtio_reset_and_ack(struct virtio_dev *v);
uint64_t virtio_device_features(struct virtio_dev *v);
/*
 * Writes the driver features, sets FEATURES_OK and reads it back (3.1.1
 * steps 4-6).  Returns 0, or -1 if the device refused.
 */
int virtio_set_features(struct virtio_dev *v, uint64_t features);
void virtio_driver_ok(struct virtio_dev *v);
uint8_t virtio_status(struct virtio_dev *v);
uint16_t virtio_num_queues(struct virtio_dev *v);

/* Sets up queue index with at most max_size entries; 0 or -1. */
int vq_init(struct vq *q, struct virtio_dev *v, uint16_t index,
	    uint16_t max_size);
/* Publishes one chain head on the avail ring (not yet notified). */
void vq_publish(struct vq *q, uint16_t head);
/* Notifies the device if it asked for it (flags or EVENT_IDX, 2.7.10). */
void vq_kick(struct vq *q);
/* Takes one used entry if there is one. */
bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len);

/* Page-aligned zeroed memory from the probe's static pool; never freed. */
void *dma_alloc(uint64_t size, uint64_t align);

#endif
