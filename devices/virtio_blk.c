/*
 * virtio_blk.c - the virtio-blk device (see virtio_blk.h).
 *
 * A request (5.2.6) is a chain: the 16-byte struct virtio_blk_outhdr
 * (type, ioprio, sector) in device-readable buffers, then the data
 * (readable for OUT, writable for IN and GET_ID), then one writable status
 * byte, which is the chain's last byte.  The header is copied once into a
 * local and checked; the data moves by preadv/pwritev over the chain's
 * iovecs with the status byte cut off.
 */
#include "devices/virtio_blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "devices/disk_image.h"
#include "devices/virtio_pci.h"
#include "devices/virtqueue.h"

#define F(x) (1ull << (x))
#define HDR_LEN 16
#define SEG_MAX (VQ_MAX_IOV - 2)	/* a chain also carries header and status */

struct virtio_blk {
	struct platform *plat;
	struct virtio_pci *vp;
	int fd;
	bool ro;
	uint64_t capacity;	/* sectors */
	uint64_t features;	/* negotiated */
	char id[VBLK_ID_LEN];
	struct iovec data[VQ_MAX_IOV];
	struct virtio_blk_stats st;
	bool abandoned;		/* reset during a blocking call: drop it */
};

unsigned virtio_blk_pci_slot(const struct virtio_blk *b)
{
	return b->vp->pci->slot;
}

uint64_t virtio_blk_capacity(const struct virtio_blk *b)
{
	return b->capacity;
}

const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *b)
{
	return &b->st;
}

static int vblk_set_features(void *opaque, uint64_t f)
{
	struct virtio_blk *b = opaque;

	b->features = f;
	return 0;
}

/* struct virtio_blk_config (5.2.4): capacity, size_max, seg_max, ..., blk_size. */
static void vblk_cfg_read(void *opaque, unsigned off, uint8_t *data,
			  unsigned len)
{
	struct virtio_blk *b = opaque;
	uint8_t cfg[24] = { 0 };
	uint32_t seg_max = SEG_MAX, blk = VBLK_SECTOR;

	for (int i = 0; i < 8; i++)
		cfg[i] = (uint8_t)(b->capacity >> (8 * i));
	for (int i = 0; i < 4; i++) {
		cfg[12 + i] = (uint8_t)(seg_max >> (8 * i));
		cfg[20 + i] = (uint8_t)(blk >> (8 * i));
	}
	for (unsigned i = 0; i < len; i++)
		data[i] = off + i < sizeof(cfg) ? cfg[off + i] : 0;
}

/*
 * The writable iovecs of c minus the final status byte, into b->data.
 * Returns how many; *status points at the status byte.
 */
static unsigned split_in(struct virtio_blk *b, const struct vq_chain *c,
			 uint8_t **status)
{
	unsigned n = c->n_in;
	const struct iovec *in = &c->iov[c->n_out];

	/* Trailing zero-length buffers carry nothing; find the last byte. */
	while (n && in[n - 1].iov_len == 0)
		n--;
	memcpy(b->data, in, n * sizeof(*in));
	*status = (uint8_t *)b->data[n - 1].iov_base + b->data[n - 1].iov_len - 1;
	if (--b->data[n - 1].iov_len == 0)
		n--;
	return n;
}

/* The readable iovecs after the 16-byte header, into b->data. */
static unsigned split_out(struct virtio_blk *b, const struct vq_chain *c)
{
	size_t skip = HDR_LEN;
	unsigned n = 0;

	for (unsigned i = 0; i < c->n_out; i++) {
		struct iovec v = c->iov[i];

		if (skip >= v.iov_len) {
			skip -= v.iov_len;
			continue;
		}
		v.iov_base = (uint8_t *)v.iov_base + skip;
		v.iov_len -= skip;
		skip = 0;
		b->data[n++] = v;
	}
	return n;
}

/* Whole transfer, retrying short reads/writes; 0 or -errno (-EIO at EOF). */
static int xfer(struct virtio_blk *b, bool write, struct iovec *iov,
		unsigned n, off_t off)
{
	while (n) {
		ssize_t r = write ? pwritev(b->fd, iov, (int)n, off)
				  : preadv(b->fd, iov, (int)n, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		off += r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/*
 * The disk may take its time (a slow or remote file, a full page cache):
 * the device's lock is let go meanwhile, so a vCPU reading this device's
 * registers never waits for it.  Only b->fd and the request's own iovecs
 * are used in between.
 */
static int disk_xfer(struct virtio_blk *b, bool write, struct iovec *iov,
		     unsigned n, off_t off)
{
	int r;

	virtio_pci_io_begin(b->vp);
	r = xfer(b, write, iov, n, off);
	if (!virtio_pci_io_end(b->vp))
		b->abandoned = true;
	return r;
}

static int sync_disk(struct virtio_blk *b)
{
	int r;

	b->st.syncs++;
	virtio_pci_io_begin(b->vp);
	r = fdatasync(b->fd) < 0 ? -errno : 0;
	if (!virtio_pci_io_end(b->vp))
		b->abandoned = true;
	return r;
}

/*
 * Carries out one request; returns the status byte and sets *written to
 * the bytes put in the guest's writable buffers before the status.
 */
static uint8_t do_request(struct virtio_blk *b, const struct vq_chain *c,
			  uint32_t type, uint64_t sector, unsigned nin,
			  size_t in_data, uint32_t *written)
{
	size_t out_data = c->out_len - HDR_LEN;
	size_t len = type == VIRTIO_BLK_T_IN ? in_data : out_data;
	unsigned n;

	*written = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		/* 5.2.6.1: data is a multiple of 512; the range must exist. */
		if (len % VBLK_SECTOR || sector > b->capacity ||
		    len / VBLK_SECTOR > b->capacity - sector) {
			warn_guest("virtio-blk: %s of %zu bytes at sector %llu: "
				   "not whole sectors inside the %llu-sector disk",
				   type == VIRTIO_BLK_T_IN ? "read" : "write",
				   len, (unsigned long long)sector,
				   (unsigned long long)b->capacity);
			return VIRTIO_BLK_S_IOERR;
		}
		if (type == VIRTIO_BLK_T_IN) {
			b->st.reads++;
			if (disk_xfer(b, false, b->data, nin,
				      (off_t)(sector * VBLK_SECTOR)) < 0)
				return VIRTIO_BLK_S_IOERR;
			b->st.bytes_read += len;
			*written = (uint32_t)len;
			return VIRTIO_BLK_S_OK;
		}
		/* 5.2.6.2: a read-only device fails writes, writing nothing. */
		if (b->ro)
			return VIRTIO_BLK_S_IOERR;
		b->st.writes++;
		n = split_out(b, c);
		if (disk_xfer(b, true, b->data, n,
			      (off_t)(sector * VBLK_SECTOR)) < 0)
			return VIRTIO_BLK_S_IOERR;
		b->st.bytes_written += len;
		/* Without FLUSH negotiated the device is write-through (5.2.6.2). */
		if (!(b->features & F(VIRTIO_BLK_F_FLUSH)) && sync_disk(b) < 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		b->st.flushes++;
		return sync_disk(b) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		/* 5.2.6: 20 bytes, NUL-padded when shorter. */
		b->st.get_ids++;
		if (in_data < VBLK_ID_LEN)
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)iov_from_buf(b->data, nin, 0, b->id,
						  VBLK_ID_LEN);
		return VIRTIO_BLK_S_OK;
	default:
		b->st.unsupp++;
		warn_guest("virtio-blk: request type %u not supported", type);
		return VIRTIO_BLK_S_UNSUPP;
	}
}

/*
 * One request (the core's handle_chain).  Returns the used length: the
 * bytes written before the status byte, plus the status byte.  A chain
 * with no room for the header or the status byte goes back with length 0,
 * since there is nowhere to report an error (counted as dropped).
 */
static uint32_t vblk_handle_chain(void *opaque, unsigned q,
				  const struct vq_chain *c)
{
	struct virtio_blk *b = opaque;
	uint8_t hdr[HDR_LEN], *status;
	uint32_t type, written;
	uint64_t sector;
	unsigned nin;
	uint8_t s;

	(void)q;	/* one request queue */
	if (c->out_len < HDR_LEN || c->in_len < 1) {
		warn_guest("virtio-blk: request without header or status byte "
			   "(out %zu, in %zu bytes); dropped", c->out_len,
			   c->in_len);
		b->st.dropped++;
		return 0;
	}
	iov_to_buf(c->iov, c->n_out, 0, hdr, HDR_LEN);
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	type = le32toh(type);
	sector = le64toh(sector);
	nin = split_in(b, c, &status);
	s = do_request(b, c, type, sector, nin, c->in_len - 1, &written);
	if (b->abandoned) {
		/* Reset meanwhile: the buffers are no longer ours to write
		 * (the core sees the reset and pushes nothing). */
		b->abandoned = false;
		return 0;
	}
	if (s == VIRTIO_BLK_S_IOERR)
		b->st.ioerr++;
	*status = s;
	return written + 1;
}

static void vblk_bad_chain(void *opaque, unsigned q)
{
	struct virtio_blk *b = opaque;

	(void)q;
	b->st.bad_chains++;
}

static void vblk_reset(void *opaque)
{
	struct virtio_blk *b = opaque;

	b->features = 0;
}

static const struct virtio_dev_ops vblk_ops = {
	.set_features = vblk_set_features,
	.cfg_read = vblk_cfg_read,
	.cfg_write = NULL,	/* 5.2.4: nothing we offer is driver-writable */
	.handle_chain = vblk_handle_chain,
	.bad_chain = vblk_bad_chain,
	.queue_notify = NULL,	/* the core drains the request queue */
	.driver_ok = NULL,
	.reset = vblk_reset,
};

struct virtio_blk *virtio_blk_create(struct pci_bus *bus, struct platform *p,
				     const char *path, bool ro, unsigned gsi,
				     char *err, size_t errlen)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	struct virtio_pci_info info = {
		.name = "virtio-blk", .virtio_id = VIRTIO_ID_BLOCK,
		.pci_class = 0x0100,	/* mass storage, SCSI: what QEMU shows */
		.features = F(VIRTIO_BLK_F_SEG_MAX) | F(VIRTIO_BLK_F_BLK_SIZE) |
			    F(VIRTIO_BLK_F_FLUSH) | F(VIRTIO_RING_F_INDIRECT_DESC) |
			    F(VIRTIO_RING_F_EVENT_IDX) |
			    (ro ? F(VIRTIO_BLK_F_RO) : 0),
		.nqueues = 1,
		.queue_size = VBLK_QUEUE_SIZE,
		.gsi = gsi,
	};
	const char *base = strrchr(path, '/');
	uint64_t bytes;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	b->plat = p;
	b->ro = ro;
	b->fd = disk_image_open(path, ro, &bytes, err, errlen);
	if (b->fd < 0)
		goto fail;
	b->capacity = bytes / VBLK_SECTOR;
	base = base ? base + 1 : path;
	/* The id need not be NUL-terminated when it is 20 bytes long. */
	memcpy(b->id, base, strnlen(base, sizeof(b->id)));
	b->vp = virtio_pci_create(bus, p, &info, &vblk_ops, b, err, errlen);
	if (!b->vp)
		goto fail;
	return b;
fail:
	if (b->fd >= 0)
		close(b->fd);
	free(b);
	return NULL;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->vp);
	close(b->fd);
	free(b);
}

void virtio_blk_print_stats(struct virtio_blk *b, FILE *f)
{
	const struct virtio_blk_stats *s = &b->st;

	virtio_pci_lock(b->vp);
	fprintf(f, "virtio-blk %.20s: %llu sectors%s, features %#llx%s",
		b->id, (unsigned long long)b->capacity, b->ro ? " (ro)" : "",
		(unsigned long long)b->features, log_eol());
	fprintf(f, "  reads %lu (%llu bytes) writes %lu (%llu bytes) flushes "
		"%lu get_id %lu syncs %lu; ioerr %lu unsupp %lu dropped %lu "
		"bad chains %lu%s", s->reads, s->bytes_read, s->writes,
		s->bytes_written, s->flushes, s->get_ids, s->syncs, s->ioerr,
		s->unsupp, s->dropped, s->bad_chains, log_eol());
	virtio_pci_unlock(b->vp);
}
