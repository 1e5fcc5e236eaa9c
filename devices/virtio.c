/*
 * virtio.c - the virtio core's queue work (see virtio.h): one drain loop,
 * one bad-chain policy and one interrupt decision for every device.
 */
#include "devices/virtio.h"

#include <errno.h>
#include <linux/virtio_config.h>

#include "common/log.h"
#include "devices/virtio_pci.h"

void virtio_needs_reset(struct virtio_pci *vp)
{
	if (vp->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if (vp->status & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_pci_config_irq(vp);
}

void virtio_queue_broken(struct virtio_pci *vp, unsigned q)
{
	warn_guest("%s: queue %u cannot be trusted; device needs reset",
		   vp->info.name, q);
	virtio_needs_reset(vp);
}

void virtio_queue_interrupt(struct virtio_pci *vp, unsigned q)
{
	if (vq_should_notify(virtio_pci_vq(vp, q))) {
		vp->stats.interrupts++;
		virtio_pci_queue_irq(vp, q);
	}
}

static void bad_chain(struct virtio_pci *vp, unsigned q)
{
	if (vp->ops->bad_chain)
		vp->ops->bad_chain(vp->opaque, q);
}

void virtio_queue_drain(struct virtio_pci *vp, unsigned q)
{
	struct virtqueue *vq = virtio_pci_vq(vp, q);
	struct vq_chain *c = vp->chain;
	unsigned resets = vp->resets;
	bool used = false;
	int r;

	do {
		while ((r = vq_pop(vq, c)) != 0) {
			uint32_t len;

			if (r == -EIO) {
				bad_chain(vp, q);
				virtio_queue_broken(vp, q);
				goto out;
			}
			used = true;	/* a bad chain went back with length 0 */
			if (r < 0) {
				bad_chain(vp, q);
				continue;
			}
			len = vp->ops->handle_chain(vp->opaque, q, c);
			if (vp->resets != resets)
				return;	/* reset meanwhile: a new queue */
			vq_push(vq, c->head, len);
		}
	} while (vq_enable_notify(vq));
out:
	if (used)
		virtio_queue_interrupt(vp, q);
}
