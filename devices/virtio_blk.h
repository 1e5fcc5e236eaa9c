/*
 * virtio_blk.h - a virtio-blk disk (virtio 1.2 section 5.2) backed by a raw
 * image file, on the same virtio-pci transport and checked virtqueue code
 * as virtio-net.  One request queue; requests are carried out at once,
 * with preadv/pwritev straight between the file and the guest's buffers.
 *
 * Offered: VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_BLK_SIZE (512),
 * VIRTIO_BLK_F_FLUSH, VIRTIO_BLK_F_RO for a read-only disk, and the ring
 * features INDIRECT_DESC and EVENT_IDX.  Without FLUSH negotiated the
 * device is write-through (5.2.6.2): every write is followed by fdatasync.
 */
#ifndef MINIVMM_VIRTIO_BLK_H
#define MINIVMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/pci.h"
#include "devices/platform.h"

#define VBLK_QUEUE_SIZE 128
#define VBLK_SECTOR 512
#define VBLK_ID_LEN 20		/* VIRTIO_BLK_ID_BYTES */

struct virtio_blk_stats {
	unsigned long reads, writes, flushes, get_ids;
	unsigned long long bytes_read, bytes_written;
	unsigned long syncs;		/* fdatasync calls (flush or write-through) */
	unsigned long ioerr;		/* requests answered VIRTIO_BLK_S_IOERR */
	unsigned long unsupp;		/* requests answered VIRTIO_BLK_S_UNSUPP */
	unsigned long dropped;		/* no room for header or status: used len 0 */
	unsigned long bad_chains;	/* rejected by the virtqueue checks */
};

struct virtio_blk;

/*
 * Opens `path` (read-only when ro) and creates the PCI function.  The
 * image's size is rounded down to whole sectors.  NULL with a one-line
 * reason in err on failure.
 */
struct virtio_blk *virtio_blk_create(struct pci_bus *bus, struct platform *p,
				     const char *path, bool ro, unsigned gsi,
				     char *err, size_t errlen);
void virtio_blk_destroy(struct virtio_blk *b);

unsigned virtio_blk_pci_slot(const struct virtio_blk *b);
uint64_t virtio_blk_capacity(const struct virtio_blk *b);	/* sectors */
const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *b);
/* The counters, under the device's lock (as virtio_net_print_stats). */
void virtio_blk_print_stats(struct virtio_blk *b, FILE *f);

#endif
