/*
 * virtio_pci.h - the modern virtio-pci transport (virtio 1.2 section 4.1).
 *
 * A non-transitional device (device id 0x1040 + virtio id, revision 1):
 * Linux, OpenBSD (virtio_pci_attach_10, since 6.6) and iPXE all drive it
 * through the capability layout, so no legacy I/O interface is offered.
 *
 * BAR 0 (32-bit memory, 32 KiB) holds every region:
 *   0x0000 common cfg   0x1000 ISR   0x2000 device cfg
 *   0x3000 notify (notify_off_multiplier 4: queue q at 0x3000 + 4 q)
 *   0x4000 MSI-X table  0x5000 MSI-X PBA
 * Capabilities: COMMON, NOTIFY, ISR, DEVICE, PCI_CFG (iPXE needs it) and
 * MSI-X (devices/msix.c) with one vector per queue plus one for
 * configuration changes.
 *
 * The device says how many queues it has (info.nqueues, 1 to
 * VPCI_MAX_QUEUES); every per-queue array is sized from it.
 *
 * The device model (virtio_net.c, virtio_blk.c) supplies a virtio_dev_ops
 * (devices/virtio.h); the transport owns status, feature negotiation,
 * queue registers and notification, and delivers interrupts; the virtio
 * core (virtio.c) does the queue work.  Queue notifications are serviced
 * on the I/O thread (an ioeventfd, or the same eventfd written by the bus
 * path).
 *
 * Each device has a lock of its own (`lock`): its BAR, its config space
 * and all of its I/O thread work run under it, never under the bus's
 * shared lock.  Around a blocking call (virtio-blk's disk I/O) the queue
 * work lets even this lock go (virtio_pci_io_begin), so no vCPU waits on
 * a disk.
 */
#ifndef MINIVMM_VIRTIO_PCI_H
#define MINIVMM_VIRTIO_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/msix.h"
#include "devices/pci.h"
#include "devices/platform.h"
#include "devices/virtio.h"
#include "devices/virtqueue.h"

/*
 * The most queues a device may have: far more than any device here needs,
 * and 4 bytes of notify region and a 16-byte MSI-X entry each keep well
 * inside their 4 KiB of BAR 0.
 */
#define VPCI_MAX_QUEUES 64

#define VPCI_BAR_SIZE    0x8000
#define VPCI_COMMON_OFF  0x0000
#define VPCI_ISR_OFF     0x1000
#define VPCI_DEVCFG_OFF  0x2000
#define VPCI_DEVCFG_LEN  0x100
#define VPCI_NOTIFY_OFF  0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE  0x4000
#define VPCI_MSIX_PBA    0x5000

struct virtio_pci_info {
	const char *name;	/* for messages: "virtio-net" */
	uint16_t virtio_id;	/* 1 = net */
	uint16_t pci_class;	/* e.g. 0x0200 for Ethernet */
	uint64_t features;	/* offered (VERSION_1 added by the transport) */
	unsigned nqueues;	/* 1 to VPCI_MAX_QUEUES */
	uint16_t queue_size;	/* maximum, <= VQ_MAX_SIZE */
	unsigned gsi;		/* INTx line */
};

struct virtio_pci;

struct virtio_pci_stats {
	unsigned long *notifies;	/* per queue */
	unsigned long interrupts;	/* queue interrupts the driver wanted */
	unsigned long irqs_intx;	/* MSI-X ones: msix.sent, msix.held */
};

struct virtio_pci {
	pthread_mutex_t lock;	/* recursive; see above */
	struct platform *plat;
	struct pci_device *pci;
	struct virtio_pci_info info;
	const struct virtio_dev_ops *ops;
	void *opaque;

	/* Common configuration, as the driver sees it. */
	uint32_t dfselect, gfselect;
	uint64_t guest_features;
	uint8_t status;
	uint8_t config_generation;
	uint16_t queue_select;
	uint16_t msix_config;
	uint16_t *queue_vector;		/* per queue */
	struct virtqueue *vq;		/* per queue */
	uint8_t isr;
	unsigned resets;	/* device resets so far (virtio_queue_drain) */

	/* The core's chain, shared by the queues: drains never nest. */
	struct vq_chain *chain;

	/* MSI-X: a vector per queue, then one for configuration changes. */
	struct msix msix;

	/* PCI_CFG capability (4.1.4.9). */
	unsigned pcicfg_cap;

	/* Notification: one eventfd per queue when the platform has them. */
	int *notify_fd;			/* per queue */
	struct vpci_notify_ctx {
		struct virtio_pci *vp;
		unsigned q;
	} *notify_ctx;			/* per queue */
	bool notify_bound;
	uint64_t notify_base;	/* guest address notifications are bound at */

	/* A blocking call in the queue work, lock let go (io_begin/end). */
	bool io_busy;
	bool reset_held;	/* the driver reset meanwhile: done at io_end */

	struct virtio_pci_stats stats;
};

/*
 * Creates the PCI function and its BAR/capabilities and registers it on
 * `bus`.  NULL on failure, with one line `name: why` in err.
 */
struct virtio_pci *virtio_pci_create(struct pci_bus *bus, struct platform *p,
				     const struct virtio_pci_info *info,
				     const struct virtio_dev_ops *ops,
				     void *opaque, char *err, size_t errlen);
void virtio_pci_destroy(struct virtio_pci *vp);

/* Interrupt for queue q (MSI-X vector or INTx + ISR bit 0). */
void virtio_pci_queue_irq(struct virtio_pci *vp, unsigned q);
/* Configuration change interrupt (ISR bit 1), e.g. after NEEDS_RESET. */
void virtio_pci_config_irq(struct virtio_pci *vp);

bool virtio_pci_driver_ok(const struct virtio_pci *vp);
/*
 * Around a blocking system call in a queue handler (a disk read, a sync):
 * io_begin lets the device's lock go, so a vCPU touching this device's
 * registers meanwhile does not wait for the disk; io_end takes it back.
 * Only the queue handler's own state (the chain the core gave it, its
 * iovecs) may be used in between: no other drain runs meanwhile, since
 * notifies wait (io_busy) and a reset is held back.  A reset the driver asked for meanwhile was held back and is
 * done in io_end, which then returns false: the caller drops the request
 * (nothing pushed, no interrupt; the queues are new).  Call with the lock
 * held once, as queue handlers are.
 */
void virtio_pci_io_begin(struct virtio_pci *vp);
bool virtio_pci_io_end(struct virtio_pci *vp);
/* For the device model's own I/O thread entries (a backend's rx ready). */
void virtio_pci_lock(struct virtio_pci *vp);
void virtio_pci_unlock(struct virtio_pci *vp);
static inline struct virtqueue *virtio_pci_vq(struct virtio_pci *vp,
					      unsigned q)
{
	return &vp->vq[q];
}

/* BAR 0 handler, exposed for tests and the PCI_CFG window. */
void virtio_pci_bar_access(void *opaque, uint64_t off, uint8_t *data,
			   uint32_t len, bool is_write);

#endif
