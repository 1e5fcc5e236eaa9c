/*
 * virtio_pci.c - modern virtio-pci transport (virtio 1.2 section 4.1).
 * Layout and threading: see virtio_pci.h.
 */
#include "devices/virtio_pci.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/le.h"
#include "common/log.h"

#define ISR_QUEUE 0x1		/* 4.1.4.5: bit 0 queue, bit 1 config */
#define COMMON_LEN 0x38		/* sizeof(struct virtio_pci_common_cfg) */

bool virtio_pci_driver_ok(const struct virtio_pci *vp)
{
	return (vp->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(vp->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* ---- interrupts ---------------------------------------------------- */

static void vp_raise(struct virtio_pci *vp, uint16_t vec, uint8_t isr_bit)
{
	if (msix_enabled(&vp->msix)) {
		/* 4.1.5.1.2: NO_VECTOR means no interrupt at all. */
		msix_notify(&vp->msix, vec);
		return;
	}
	vp->isr |= isr_bit;
	vp->stats.irqs_intx++;
	pci_set_irq(vp->pci, 1);
}

void virtio_pci_queue_irq(struct virtio_pci *vp, unsigned q)
{
	if (q < vp->info.nqueues)
		vp_raise(vp, vp->queue_vector[q], ISR_QUEUE);
}

void virtio_pci_config_irq(struct virtio_pci *vp)
{
	vp_raise(vp, vp->msix_config, VIRTIO_PCI_ISR_CONFIG);
}

/* ---- reset, status, features ---------------------------------------- */

static void device_reset(struct virtio_pci *vp)
{
	vp->status = 0;
	vp->dfselect = vp->gfselect = 0;
	vp->guest_features = 0;
	vp->queue_select = 0;
	vp->msix_config = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < vp->info.nqueues; q++) {
		vp->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
		vq_reset(&vp->vq[q], vp->info.queue_size);
	}
	vp->isr = 0;
	vp->resets++;
	msix_clear_pending(&vp->msix);
	pci_set_irq(vp->pci, 0);
	if (vp->ops->reset)
		vp->ops->reset(vp->opaque);
}

static uint64_t offered(const struct virtio_pci *vp)
{
	return vp->info.features | (1ull << VIRTIO_F_VERSION_1);
}

/*
 * 3.1.1 / 2.2: FEATURES_OK sticks only for a subset of what we offered,
 * with VERSION_1 (we have no legacy interface), and that the device model
 * accepts (dependency rules such as 5.1.3.1).
 */
static bool features_acceptable(struct virtio_pci *vp)
{
	uint64_t f = vp->guest_features;

	if (f & ~offered(vp)) {
		warn_guest("virtio: driver accepted unoffered features %#llx",
			   (unsigned long long)(f & ~offered(vp)));
		return false;
	}
	if (!(f & (1ull << VIRTIO_F_VERSION_1))) {
		warn_guest("virtio: driver did not accept VERSION_1");
		return false;
	}
	return vp->ops->set_features(vp->opaque, f) == 0;
}

static void status_write(struct virtio_pci *vp, uint8_t v)
{
	uint8_t add;

	/*
	 * A reset while the device's queue work is in a blocking call with
	 * the lock let go (virtio_pci_io_begin) is held back until that call
	 * returns: status reads non-zero until then, which 4.1.4.3.2 tells
	 * the driver to wait for, so the vCPU never waits on the disk.
	 */
	if (vp->reset_held)
		return;
	if (v == 0 && vp->io_busy) {
		vp->reset_held = true;
		return;
	}
	if (v == 0) {
		device_reset(vp);
		return;
	}
	v &= (uint8_t)~VIRTIO_CONFIG_S_NEEDS_RESET;	/* device-owned */
	add = v & (uint8_t)~vp->status;	/* 2.1.2: bits are never cleared */
	if ((add & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(vp))
		add &= (uint8_t)~VIRTIO_CONFIG_S_FEATURES_OK;
	if ((add & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !((vp->status | add) & VIRTIO_CONFIG_S_FEATURES_OK))
		add &= (uint8_t)~VIRTIO_CONFIG_S_DRIVER_OK;
	vp->status |= add;
	if ((add & VIRTIO_CONFIG_S_DRIVER_OK) && vp->ops->driver_ok)
		vp->ops->driver_ok(vp->opaque);
}

/* ---- common configuration (4.1.4.3) --------------------------------- */

static struct virtqueue *selected_vq(struct virtio_pci *vp)
{
	return vp->queue_select < vp->info.nqueues ? &vp->vq[vp->queue_select]
						   : NULL;
}

static void common_image(struct virtio_pci *vp, uint8_t *img)
{
	struct virtqueue *vq = selected_vq(vp);
	uint64_t df = offered(vp);

	memset(img, 0, COMMON_LEN);
	le_put(img + VIRTIO_PCI_COMMON_DFSELECT, 4, vp->dfselect);
	le_put(img + VIRTIO_PCI_COMMON_DF, 4,
	       vp->dfselect < 2 ? (uint32_t)(df >> (32 * vp->dfselect)) : 0);
	le_put(img + VIRTIO_PCI_COMMON_GFSELECT, 4, vp->gfselect);
	le_put(img + VIRTIO_PCI_COMMON_GF, 4,
	       vp->gfselect < 2 ? (uint32_t)(vp->guest_features >>
					     (32 * vp->gfselect)) : 0);
	le_put(img + VIRTIO_PCI_COMMON_MSIX, 2, vp->msix_config);
	le_put(img + VIRTIO_PCI_COMMON_NUMQ, 2, vp->info.nqueues);
	img[VIRTIO_PCI_COMMON_STATUS] = vp->status;
	img[VIRTIO_PCI_COMMON_CFGGENERATION] = vp->config_generation;
	le_put(img + VIRTIO_PCI_COMMON_Q_SELECT, 2, vp->queue_select);
	if (!vq)
		return;		/* queue_size 0: no such queue */
	le_put(img + VIRTIO_PCI_COMMON_Q_SIZE, 2, vq->size);
	le_put(img + VIRTIO_PCI_COMMON_Q_MSIX, 2,
	       vp->queue_vector[vp->queue_select]);
	le_put(img + VIRTIO_PCI_COMMON_Q_ENABLE, 2, vq->enabled);
	le_put(img + VIRTIO_PCI_COMMON_Q_NOFF, 2, vp->queue_select);
	le_put(img + VIRTIO_PCI_COMMON_Q_DESCLO, 8, vq->desc_gpa);
	le_put(img + VIRTIO_PCI_COMMON_Q_AVAILLO, 8, vq->avail_gpa);
	le_put(img + VIRTIO_PCI_COMMON_Q_USEDLO, 8, vq->used_gpa);
}

static uint16_t valid_vector(const struct virtio_pci *vp, uint64_t v)
{
	/* 4.1.4.3.1: an unmappable vector reads back as NO_VECTOR. */
	return v < vp->msix.nvectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void queue_enable(struct virtio_pci *vp, struct virtqueue *vq)
{
	vq->event_idx = vp->guest_features & (1ull << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = vp->guest_features &
		       (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	if (vq_enable(vq, vp->plat->mem) < 0) {
		warn_guest("virtio: queue %u has bad size or ring addresses",
			   vp->queue_select);
		virtio_needs_reset(vp);
	}
}

static void set_half(uint64_t *v, unsigned hi, uint64_t half)
{
	unsigned sh = hi ? 32 : 0;

	*v = (*v & ~(0xffffffffull << sh)) | ((half & 0xffffffffull) << sh);
}

/* Applies one field the driver wrote; `v` is its full new value. */
static void common_field(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	struct virtqueue *vq = selected_vq(vp);
	bool q_writable = vq && !vq->enabled;

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->dfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->gfselect = (uint32_t)v;
		break;
	case VIRTIO_PCI_COMMON_GF:
		/* Frozen once FEATURES_OK is set (3.1.1 step 5). */
		if (vp->gfselect < 2 &&
		    !(vp->status & VIRTIO_CONFIG_S_FEATURES_OK))
			set_half(&vp->guest_features, vp->gfselect, v);
		break;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->msix_config = valid_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_STATUS:
		status_write(vp, (uint8_t)v);
		break;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = (uint16_t)v;
		break;
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (q_writable)
			vq->size = (uint16_t)v;	/* checked at enable */
		break;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		if (vq)
			vp->queue_vector[vp->queue_select] =
				valid_vector(vp, v);
		break;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		/* 4.1.4.3.2: only 1 may be written; 0 needs a reset. */
		if (q_writable && v == 1)
			queue_enable(vp, vq);
		break;
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
		if (q_writable)
			set_half(&vq->desc_gpa,
				 off == VIRTIO_PCI_COMMON_Q_DESCHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
		if (q_writable)
			set_half(&vq->avail_gpa,
				 off == VIRTIO_PCI_COMMON_Q_AVAILHI, v);
		break;
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		if (q_writable)
			set_half(&vq->used_gpa,
				 off == VIRTIO_PCI_COMMON_Q_USEDHI, v);
		break;
	default:
		break;		/* read-only */
	}
}

static const struct {
	uint8_t off, len;
} common_fields[] = {
	{ VIRTIO_PCI_COMMON_DFSELECT, 4 }, { VIRTIO_PCI_COMMON_DF, 4 },
	{ VIRTIO_PCI_COMMON_GFSELECT, 4 }, { VIRTIO_PCI_COMMON_GF, 4 },
	{ VIRTIO_PCI_COMMON_MSIX, 2 }, { VIRTIO_PCI_COMMON_NUMQ, 2 },
	{ VIRTIO_PCI_COMMON_STATUS, 1 }, { VIRTIO_PCI_COMMON_CFGGENERATION, 1 },
	{ VIRTIO_PCI_COMMON_Q_SELECT, 2 }, { VIRTIO_PCI_COMMON_Q_SIZE, 2 },
	{ VIRTIO_PCI_COMMON_Q_MSIX, 2 }, { VIRTIO_PCI_COMMON_Q_ENABLE, 2 },
	{ VIRTIO_PCI_COMMON_Q_NOFF, 2 },
	{ VIRTIO_PCI_COMMON_Q_DESCLO, 4 }, { VIRTIO_PCI_COMMON_Q_DESCHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_AVAILLO, 4 }, { VIRTIO_PCI_COMMON_Q_AVAILHI, 4 },
	{ VIRTIO_PCI_COMMON_Q_USEDLO, 4 }, { VIRTIO_PCI_COMMON_Q_USEDHI, 4 },
};

/*
 * Any access size at any offset: reads copy from an image of the
 * registers; writes merge into that image and then apply each field they
 * touched, in register order (so one 8-byte write sets both halves).
 */
static void common_access(struct virtio_pci *vp, unsigned off, uint8_t *data,
			  unsigned len, bool is_write)
{
	uint8_t img[COMMON_LEN + 8];

	common_image(vp, img);
	if (off >= COMMON_LEN) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, img + off, len);
		return;
	}
	memcpy(img + off, data, len);
	for (size_t i = 0; i < sizeof(common_fields) / sizeof(common_fields[0]);
	     i++) {
		unsigned f = common_fields[i].off, fl = common_fields[i].len;

		if (f + fl <= off || f >= off + len)
			continue;
		common_field(vp, f, le_get(img + f, fl));
	}
}

/* ---- the rest of BAR 0 ------------------------------------------------ */

static void queue_notified(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->info.nqueues)
		return;
	vp->stats.notifies[q]++;
	/* A notify the bus delivered here (no eventfd) while the queue work
	 * is in a blocking call: that work pops until the ring is empty, so
	 * it takes the new chains when it comes back. */
	if (vp->io_busy)
		return;
	/*
	 * 2.1.2 / 3.1.1: nothing is consumed before DRIVER_OK.  The one
	 * check for every path to the device's queue work.
	 */
	if (!virtio_pci_driver_ok(vp) || !vp->vq[q].enabled)
		return;
	if (vp->ops->queue_notify)
		vp->ops->queue_notify(vp->opaque, q);
	else
		virtio_queue_drain(vp, q);
}

/*
 * A notify write that came through the bus: no ioeventfd is bound (KVM
 * refused it, or the platform has none), so this runs on a vCPU thread.
 * The queue handlers use the event loop and the backends (libslirp, the
 * tap's watch), which belong to the I/O thread (DESIGN.md "Threads"), so
 * the write is handed on through the queue's eventfd, just as KVM would
 * have done.  Only without an event loop (the unit tests' fake platform)
 * is it handled here.
 */
static void queue_notified_by_bus(struct virtio_pci *vp, unsigned q)
{
	uint64_t one = 1;

	if (q < vp->info.nqueues && vp->notify_fd[q] >= 0 &&
	    write(vp->notify_fd[q], &one, sizeof(one)) == sizeof(one))
		return;
	queue_notified(vp, q);
}

void virtio_pci_bar_access(void *opaque, uint64_t off, uint8_t *data,
			   uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (off < VPCI_ISR_OFF) {
		common_access(vp, (unsigned)off, data, len, is_write);
	} else if (off < VPCI_DEVCFG_OFF) {
		if (is_write)
			return;
		memset(data, 0, len);
		if (off == VPCI_ISR_OFF) {
			/* 4.1.4.5.1: reading clears it and drops INTx. */
			data[0] = vp->isr;
			vp->isr = 0;
			pci_set_irq(vp->pci, 0);
		}
	} else if (off < VPCI_NOTIFY_OFF) {
		unsigned o = (unsigned)(off - VPCI_DEVCFG_OFF);

		if (o >= VPCI_DEVCFG_LEN || len > VPCI_DEVCFG_LEN - o) {
			if (!is_write)
				memset(data, 0, len);
		} else if (is_write) {
			if (vp->ops->cfg_write)
				vp->ops->cfg_write(vp->opaque, o, data, len);
		} else {
			vp->ops->cfg_read(vp->opaque, o, data, len);
		}
	} else if (off < VPCI_MSIX_TABLE) {
		if (!is_write) {
			memset(data, 0, len);
			return;
		}
		queue_notified_by_bus(vp, (unsigned)(off - VPCI_NOTIFY_OFF) /
					  VPCI_NOTIFY_MULT);
	} else if (off < VPCI_MSIX_PBA) {
		msix_table_access(&vp->msix, (unsigned)(off - VPCI_MSIX_TABLE),
				  data, len, is_write);
	} else {
		msix_pba_access(&vp->msix, (unsigned)(off - VPCI_MSIX_PBA),
				data, len, is_write);
	}
}

/* ---- notification through ioeventfd ---------------------------------- */

static void notify_fd_ready(void *opaque, short revents)
{
	struct vpci_notify_ctx *ctx = opaque;
	struct virtio_pci *vp = ctx->vp;
	uint64_t cnt;

	(void)revents;
	if (read(vp->notify_fd[ctx->q], &cnt, sizeof(cnt)) != sizeof(cnt))
		return;
	virtio_pci_lock(vp);
	queue_notified(vp, ctx->q);
	virtio_pci_unlock(vp);
}

static void notify_unbind(struct virtio_pci *vp)
{
	if (!vp->notify_bound)
		return;
	for (unsigned q = 0; q < vp->info.nqueues; q++)
		vp->plat->ioeventfd(vp->plat->ioeventfd_opaque, BUS_MMIO,
				    vp->notify_base + VPCI_NOTIFY_OFF +
				    VPCI_NOTIFY_MULT * q, 2,
				    vp->notify_fd[q], false);
	vp->notify_bound = false;
}

/* Binds each queue's notify address; on any failure the bus handles it. */
static void notify_bind(struct virtio_pci *vp, uint64_t bar)
{
	unsigned q;

	if (!vp->plat->ioeventfd || vp->notify_fd[0] < 0)
		return;
	for (q = 0; q < vp->info.nqueues; q++)
		if (vp->plat->ioeventfd(vp->plat->ioeventfd_opaque, BUS_MMIO,
					bar + VPCI_NOTIFY_OFF +
					VPCI_NOTIFY_MULT * q, 2,
					vp->notify_fd[q], true) < 0)
			break;
	if (q == vp->info.nqueues) {
		vp->notify_bound = true;
		vp->notify_base = bar;
		return;
	}
	while (q-- > 0)
		vp->plat->ioeventfd(vp->plat->ioeventfd_opaque, BUS_MMIO,
				    bar + VPCI_NOTIFY_OFF +
				    VPCI_NOTIFY_MULT * q, 2,
				    vp->notify_fd[q], false);
}

/*
 * One eventfd per queue, watched by the I/O thread: KVM signals it for a
 * bound notify address, and queue_notified_by_bus() for any other, so
 * queues are always served on the I/O thread.
 */
static void setup_notify_fds(struct virtio_pci *vp)
{
	if (!vp->plat->loop)
		return;
	for (unsigned q = 0; q < vp->info.nqueues; q++) {
		vp->notify_ctx[q] = (struct vpci_notify_ctx){ vp, q };
		vp->notify_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vp->notify_fd[q] < 0 ||
		    evloop_watch(vp->plat->loop, vp->notify_fd[q], POLLIN,
				 notify_fd_ready, &vp->notify_ctx[q]) < 0) {
			for (unsigned k = 0; k <= q; k++) {
				if (vp->notify_fd[k] < 0)
					continue;
				if (k < q)
					evloop_unwatch(vp->plat->loop,
						       vp->notify_fd[k]);
				close(vp->notify_fd[k]);
				vp->notify_fd[k] = -1;
			}
			return;
		}
	}
}

/* ---- PCI hooks ----------------------------------------------------------- */

/* 4.1.4.9: the PCI_CFG window accesses BAR `bar` at `offset`. */
static bool pcicfg_target(struct virtio_pci *vp, unsigned *off,
			  unsigned *len)
{
	unsigned c = vp->pcicfg_cap;
	unsigned bar = vp->pci->cfg[c + VIRTIO_PCI_CAP_BAR];
	uint32_t o = pci_cfg_get(vp->pci, c + VIRTIO_PCI_CAP_OFFSET, 4);
	uint32_t l = pci_cfg_get(vp->pci, c + VIRTIO_PCI_CAP_LENGTH, 4);

	if (bar != 0 || (l != 1 && l != 2 && l != 4) || o % l ||
	    o > VPCI_BAR_SIZE - l)
		return false;
	*off = o;
	*len = l;
	return true;
}

static bool touches(unsigned off, unsigned len, unsigned start, unsigned n)
{
	return off < start + n && start < off + len;
}

static void vp_cfg_read(struct pci_device *dev, unsigned off, unsigned len)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned data = vp->pcicfg_cap + 16, o, l;

	if (touches(off, len, data, 4) && pcicfg_target(vp, &o, &l))
		virtio_pci_bar_access(vp, o, &dev->cfg[data], l, false);
}

static void vp_cfg_write(struct pci_device *dev, unsigned off, unsigned len)
{
	struct virtio_pci *vp = dev->opaque;
	unsigned data = vp->pcicfg_cap + 16, o, l;

	if (touches(off, len, data, 4) && pcicfg_target(vp, &o, &l))
		virtio_pci_bar_access(vp, o, &dev->cfg[data], l, true);
	/* MSI-X on means INTx off (PCI 6.8.2). */
	if (msix_cfg_write(&vp->msix, off, len) && msix_enabled(&vp->msix)) {
		vp->isr = 0;
		pci_set_irq(vp->pci, 0);
	}
}

static void vp_bar_moved(struct pci_device *dev, int bar, uint64_t old_addr,
			 uint64_t new_addr)
{
	struct virtio_pci *vp = dev->opaque;

	(void)old_addr;
	if (bar != 0)
		return;
	notify_unbind(vp);
	if (new_addr != UINT64_MAX)
		notify_bind(vp, new_addr);
}

static const struct pci_device_ops vp_pci_ops = {
	.cfg_read = vp_cfg_read,
	.cfg_write = vp_cfg_write,
	.bar_moved = vp_bar_moved,
};

static int add_vcap(struct pci_device *dev, uint8_t type, uint32_t off,
		    uint32_t len, unsigned extra_len, uint32_t extra)
{
	uint8_t cap[20] = { 0 };
	unsigned cap_len = 16 + extra_len;

	cap[0] = PCI_CAP_ID_VNDR;
	cap[VIRTIO_PCI_CAP_LEN] = (uint8_t)cap_len;
	cap[VIRTIO_PCI_CAP_CFG_TYPE] = type;
	cap[VIRTIO_PCI_CAP_BAR] = 0;
	le_put(cap + VIRTIO_PCI_CAP_OFFSET, 4, off);
	le_put(cap + VIRTIO_PCI_CAP_LENGTH, 4, len);
	le_put(cap + 16, 4, extra);
	return pci_add_capability(dev, cap, cap_len);
}

/*
 * Recursive: the I/O thread's queue work can come back into the device
 * (libslirp delivers a reply to a transmitted frame from inside
 * slirp_input(), straight to the receive path).
 */
static void init_lock(pthread_mutex_t *lock)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(lock, &attr);
	pthread_mutexattr_destroy(&attr);
}

/* The per-queue arrays and the core's chain, sized from info.nqueues. */
static int alloc_queues(struct virtio_pci *vp)
{
	unsigned n = vp->info.nqueues;

	vp->vq = calloc(n, sizeof(*vp->vq));
	vp->queue_vector = calloc(n, sizeof(*vp->queue_vector));
	vp->notify_fd = calloc(n, sizeof(*vp->notify_fd));
	vp->notify_ctx = calloc(n, sizeof(*vp->notify_ctx));
	vp->stats.notifies = calloc(n, sizeof(*vp->stats.notifies));
	vp->chain = malloc(sizeof(*vp->chain));
	if (!vp->vq || !vp->queue_vector || !vp->notify_fd ||
	    !vp->notify_ctx || !vp->stats.notifies || !vp->chain)
		return -ENOMEM;
	for (unsigned q = 0; q < n; q++)
		vp->notify_fd[q] = -1;
	return 0;
}

static void free_queues(struct virtio_pci *vp)
{
	msix_fini(&vp->msix);
	free(vp->vq);
	free(vp->queue_vector);
	free(vp->notify_fd);
	free(vp->notify_ctx);
	free(vp->stats.notifies);
	free(vp->chain);
}

/* The name messages give the device (a test's dummy may have none). */
static const char *name_of(const struct virtio_pci_info *info)
{
	return info->name ? info->name : "virtio";
}

/*
 * A device model asking for what the transport cannot give is a bug in
 * minivmm, not a user's mistake: one line says which device and why.
 */
static bool info_ok(const struct virtio_pci_info *info, char *err,
		    size_t errlen)
{
	if (info->nqueues == 0 || info->nqueues > VPCI_MAX_QUEUES) {
		snprintf(err, errlen, "%s: %u queues; a virtio-pci device has 1 to %u",
			 name_of(info), info->nqueues, VPCI_MAX_QUEUES);
		return false;
	}
	if (info->queue_size == 0 || info->queue_size > VQ_MAX_SIZE ||
	    (info->queue_size & (info->queue_size - 1))) {
		snprintf(err, errlen, "%s: queue size %u is not a power of two up to %u",
			 name_of(info), info->queue_size, VQ_MAX_SIZE);
		return false;
	}
	return true;
}

struct virtio_pci *virtio_pci_create(struct pci_bus *bus, struct platform *p,
				     const struct virtio_pci_info *info,
				     const struct virtio_dev_ops *ops,
				     void *opaque, char *err, size_t errlen)
{
	struct virtio_pci *vp;
	const char *why = "out of memory";
	struct pci_device_info pi = {
		.vendor = 0x1af4, .device = (uint16_t)(0x1040 + info->virtio_id),
		.subsys_vendor = 0x1af4, .subsys_device = 0x1100,
		.revision = 1,	/* 4.1.2.1: non-transitional */
		.class_code = (uint32_t)info->pci_class << 8,
		.gsi = info->gsi, .ops = &vp_pci_ops,
	};
	int c;

	if (!info_ok(info, err, errlen))
		return NULL;
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		snprintf(err, errlen, "%s: %s", name_of(info), why);
		return NULL;
	}
	vp->plat = p;
	vp->info = *info;
	vp->info.name = name_of(info);
	vp->ops = ops;
	vp->opaque = opaque;
	init_lock(&vp->lock);
	if (alloc_queues(vp) < 0)
		goto fail;
	pi.opaque = vp;
	pi.lock = &vp->lock;
	why = "no free PCI slot (31 devices at most)";
	vp->pci = pci_add_device(bus, &pi);
	if (!vp->pci)
		goto fail;
	why = "no room for its BAR in the PCI memory window";
	if (pci_add_bar(vp->pci, 0, PCI_BAR_MEM32, VPCI_BAR_SIZE,
			virtio_pci_bar_access, vp, "virtio-pci") < 0)
		goto fail;
	why = "no room for its capabilities in PCI config space";
	if (add_vcap(vp->pci, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON_OFF,
		     COMMON_LEN, 0, 0) < 0 ||
	    add_vcap(vp->pci, VIRTIO_PCI_CAP_NOTIFY_CFG, VPCI_NOTIFY_OFF,
		     VPCI_NOTIFY_MULT * info->nqueues, 4, VPCI_NOTIFY_MULT) < 0 ||
	    add_vcap(vp->pci, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR_OFF, 4, 0, 0) < 0 ||
	    add_vcap(vp->pci, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVCFG_OFF,
		     VPCI_DEVCFG_LEN, 0, 0) < 0)
		goto fail;
	c = add_vcap(vp->pci, VIRTIO_PCI_CAP_PCI_CFG, 0, 0, 4, 0);
	if (c < 0)
		goto fail;
	vp->pcicfg_cap = (unsigned)c;
	pci_set_wmask(vp->pci, c + VIRTIO_PCI_CAP_BAR, 1, 0xff);
	pci_set_wmask(vp->pci, c + VIRTIO_PCI_CAP_OFFSET, 12, 0xff);
	/* 4.1.5.1.2: a vector per queue and one for config changes. */
	why = "cannot set up MSI-X";
	if (msix_init(&vp->msix, vp->pci, &p->irq, info->nqueues + 1, 0,
		      VPCI_MSIX_TABLE, VPCI_MSIX_PBA) < 0)
		goto fail;
	setup_notify_fds(vp);
	device_reset(vp);
	notify_bind(vp, vp->pci->bar[0].mapped);
	return vp;
fail:
	snprintf(err, errlen, "%s: %s", vp->info.name, why);
	/* The PCI slot, if taken, stays with the bus (freed with it). */
	if (vp->pci) {
		vp->pci->ops = NULL;
		vp->pci->opaque = NULL;
		vp->pci->lock = &p->bus->lock;
		if (vp->pci->bar[0].type != PCI_BAR_NONE)
			bus_move(p->bus, BUS_MMIO, vp, "virtio-pci", 0, 0);
	}
	free_queues(vp);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
	return NULL;
}

void virtio_pci_destroy(struct virtio_pci *vp)
{
	if (!vp)
		return;
	notify_unbind(vp);
	/* Nothing on the bus or in config space may reach vp any more. */
	bus_move(vp->plat->bus, BUS_MMIO, vp, "virtio-pci", 0, 0);
	vp->pci->ops = NULL;
	vp->pci->opaque = NULL;
	vp->pci->lock = &vp->plat->bus->lock;
	for (unsigned q = 0; q < vp->info.nqueues; q++) {
		if (vp->notify_fd[q] < 0)
			continue;
		if (vp->plat->loop)
			evloop_unwatch(vp->plat->loop, vp->notify_fd[q]);
		close(vp->notify_fd[q]);
	}
	free_queues(vp);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

void virtio_pci_io_begin(struct virtio_pci *vp)
{
	vp->io_busy = true;
	pthread_mutex_unlock(&vp->lock);
}

bool virtio_pci_io_end(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
	vp->io_busy = false;
	if (!vp->reset_held)
		return true;
	vp->reset_held = false;
	device_reset(vp);
	return false;
}

void virtio_pci_lock(struct virtio_pci *vp)
{
	pthread_mutex_lock(&vp->lock);
}

void virtio_pci_unlock(struct virtio_pci *vp)
{
	pthread_mutex_unlock(&vp->lock);
}
