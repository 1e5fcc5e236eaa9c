/*
 * virtio.c - modern virtio-pci transport (virtio 1.2 section 4.1) and split
 * virtqueues (section 2.7), polled: the probe never takes interrupts.
 */
#include "virtio.h"
#include <stddef.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include "arch.h"
#include "lib.h"

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)
#define PCI_CAP_ID_VNDR 0x09

/* Static DMA pool: identity mapped, so pointers are bus addresses. */
static uint8_t dma_pool[24u << 20] __attribute__((section(".noinit"), aligned(4096)));
static uint64_t dma_used;

void *dma_alloc(uint64_t size, uint64_t align)
{
	uint64_t start = (dma_used + align - 1) & ~(align - 1);

	if (start + size > sizeof(dma_pool))
		return 0;
	dma_used = start + size;
	memset(dma_pool + start, 0, size);
	return dma_pool + start;
}

/* Calls fn for each vendor capability; stops when fn returns true. */
static bool for_each_vndr_cap(const struct pci_dev *pci,
			      bool (*fn)(const struct pci_dev *, uint8_t, void *),
			      void *arg)
{
	if (!(pci_read16(pci, 0x06) & 0x10))	/* status: capability list */
		return false;
	uint8_t pos = pci_read8(pci, 0x34) & 0xfc;
	for (int n = 0; pos && n < 48; n++) {	/* bounded: a loop in the list */
		if (pci_read8(pci, pos) == PCI_CAP_ID_VNDR && fn(pci, pos, arg))
			return true;
		pos = pci_read8(pci, (uint8_t)(pos + 1)) & 0xfc;
	}
	return false;
}

static bool is_common_cap(const struct pci_dev *pci, uint8_t pos, void *arg)
{
	(void)arg;
	return pci_read8(pci, (uint8_t)(pos + VIRTIO_PCI_CAP_CFG_TYPE)) ==
	       VIRTIO_PCI_CAP_COMMON_CFG;
}

bool virtio_pci_is_modern(const struct pci_dev *pci)
{
	return for_each_vndr_cap(pci, is_common_cap, 0);
}

/* Records the first capability of each type (4.1.4: use the first one). */
static bool take_cap(const struct pci_dev *pci, uint8_t pos, void *arg)
{
	struct virtio_dev *v = arg;
	uint8_t type = pci_read8(pci, (uint8_t)(pos + VIRTIO_PCI_CAP_CFG_TYPE));
	uint8_t bar = pci_read8(pci, (uint8_t)(pos + VIRTIO_PCI_CAP_BAR));
	uint32_t off = pci_read32(pci, (uint8_t)(pos + VIRTIO_PCI_CAP_OFFSET));
	uintptr_t *slot;

	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG: slot = &v->common; break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG: slot = &v->notify; break;
	case VIRTIO_PCI_CAP_ISR_CFG: slot = &v->isr; break;
	case VIRTIO_PCI_CAP_DEVICE_CFG: slot = &v->device; break;
	default: return false;
	}
	if (*slot || bar > 5)
		return false;
	uint64_t base = pci_bar_addr(pci, bar);
	if (!base)
		return false;
	*slot = (uintptr_t)(base + off);
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG)
		v->notify_mult = pci_read32(pci, (uint8_t)(pos + 16));
	return false;
}

int virtio_pci_init(struct virtio_dev *v, const struct pci_dev *pci)
{
	memset(v, 0, sizeof(*v));
	v->pci = *pci;
	for_each_vndr_cap(pci, take_cap, v);
	if (!v->common || !v->notify || !v->device)
		return -1;
	/* The identity map covers 8 GiB (entry.S). */
	if (v->common >> 33 || v->notify >> 33 || v->device >> 33)
		return -1;
	return 0;
}

uint8_t virtio_status(struct virtio_dev *v)
{
	return mmio_read8(v->common + CC(device_status));
}

static void add_status(struct virtio_dev *v, uint8_t bits)
{
	mmio_write8(v->common + CC(device_status), (uint8_t)(virtio_status(v) | bits));
}

void virtio_reset_and_ack(struct virtio_dev *v)
{
	mmio_write8(v->common + CC(device_status), 0);
	/* 4.1.4.3.2: the driver waits for a reset to read back 0. */
	for (int i = 0; i < 1000000 && virtio_status(v); i++)
		cpu_relax();
	add_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	add_status(v, VIRTIO_CONFIG_S_DRIVER);
}

uint64_t virtio_device_features(struct virtio_dev *v)
{
	uint64_t f = 0;

	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write32(v->common + CC(device_feature_select), sel);
		f |= (uint64_t)mmio_read32(v->common + CC(device_feature)) << (32 * sel);
	}
	return f;
}

int virtio_set_features(struct virtio_dev *v, uint64_t features)
{
	for (uint32_t sel = 0; sel < 2; sel++) {
		mmio_write32(v->common + CC(guest_feature_select), sel);
		mmio_write32(v->common + CC(guest_feature),
			     (uint32_t)(features >> (32 * sel)));
	}
	add_status(v, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(virtio_status(v) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		add_status(v, VIRTIO_CONFIG_S_FAILED);
		return -1;
	}
	v->features = features;
	return 0;
}

void virtio_driver_ok(struct virtio_dev *v)
{
	add_status(v, VIRTIO_CONFIG_S_DRIVER_OK);
}

uint16_t virtio_num_queues(struct virtio_dev *v)
{
	return mmio_read16(v->common + CC(num_queues));
}

int vq_init(struct vq *q, struct virtio_dev *v, uint16_t index,
	    uint16_t max_size)
{
	uintptr_t c = v->common;

	memset(q, 0, sizeof(*q));
	mmio_write16(c + CC(queue_select), index);
	uint16_t size = mmio_read16(c + CC(queue_size));
	if (size == 0)
		return -1;
	while (size > max_size)	/* sizes are powers of 2 (2.7: split rings) */
		size /= 2;
	mmio_write16(c + CC(queue_size), size);

	q->dev = v;
	q->index = index;
	q->size = size;
	q->event_idx = v->features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	/* 2.7: descriptor table 16-byte, avail 2-byte, used 4-byte alignment. */
	void *desc = dma_alloc(16u * size, 4096);
	void *avail = dma_alloc(6u + 2u * size, 4096);
	void *used = dma_alloc(6u + 8u * size, 4096);
	if (!desc || !avail || !used)
		return -1;
	q->ring.num = size;
	q->ring.desc = desc;
	q->ring.avail = avail;
	q->ring.used = used;
	/*
	 * Polling driver: ask for no interrupts (2.7.7).  With EVENT_IDX a
	 * used_event of 0xffff asks for one only when the index wraps.
	 */
	if (q->event_idx)
		vring_used_event(&q->ring) = 0xffff;
	else
		q->ring.avail->flags = VRING_AVAIL_F_NO_INTERRUPT;

	mmio_write32(c + CC(queue_desc_lo), (uint32_t)(uintptr_t)desc);
	mmio_write32(c + CC(queue_desc_hi), (uint32_t)((uintptr_t)desc >> 32));
	mmio_write32(c + CC(queue_avail_lo), (uint32_t)(uintptr_t)avail);
	mmio_write32(c + CC(queue_avail_hi), (uint32_t)((uintptr_t)avail >> 32));
	mmio_write32(c + CC(queue_used_lo), (uint32_t)(uintptr_t)used);
	mmio_write32(c + CC(queue_used_hi), (uint32_t)((uintptr_t)used >> 32));
	uint16_t noff = mmio_read16(c + CC(queue_notify_off));
	q->notify_addr = v->notify + (uintptr_t)noff * v->notify_mult;
	mmio_write16(c + CC(queue_enable), 1);
	return 0;
}

void vq_publish(struct vq *q, uint16_t head)
{
	q->ring.avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
}

void vq_kick(struct vq *q)
{
	uint16_t old = q->kicked_idx, new = q->avail_idx;
	bool need;

	if (old == new)
		return;
	/* Ring entries before the index (2.7.13.2), index before the check. */
	barrier();
	q->ring.avail->idx = new;
	mb();
	if (q->event_idx)
		need = vring_need_event(vring_avail_event(&q->ring), new, old);
	else
		need = !(q->ring.used->flags & VRING_USED_F_NO_NOTIFY);
	q->kicked_idx = new;
	if (need) {
		mmio_write16(q->notify_addr, q->index);
		q->kicks++;
	} else {
		q->kicks_suppressed++;
	}
}

bool vq_get_used(struct vq *q, uint32_t *id, uint32_t *len)
{
	if (*(volatile uint16_t *)&q->ring.used->idx == q->last_used)
		return false;
	barrier();	/* read the entry after the index */
	struct vring_used_elem *e = &q->ring.used->ring[q->last_used & (q->size - 1)];
	*id = e->id;
	*len = e->len;
	q->last_used++;
	return true;
}
