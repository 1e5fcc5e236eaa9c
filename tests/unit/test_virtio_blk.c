/*
 * virtio-blk over the fake guest and a temporary image file: requests built
 * the way Linux, OpenBSD and SeaBIOS build them (header, data, status in
 * separate descriptors), bad requests included.  The image is filled with
 * a pattern (byte i = i * 7 + i / 512, computed here) so every read can be
 * checked against the file independently of the device code.
 */
#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "devices/virtio_blk.h"
#include "fake_guest.h"

#define B(x) (1ull << (x))
#define QSIZE 16
#define SECTORS 64
#define GSI 11

struct env {
	struct fake_guest *g;
	struct pci_bus *bus;
	struct virtio_blk *b;
	uint64_t bar, offered;
	struct fake_vq q;
	char path[64];
	uint64_t hdr, data, st;	/* guest buffers */
};

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 512);
}

static void wr(struct env *e, unsigned off, unsigned len, uint64_t v)
{
	fg_mmio_write(e->g, e->bar + off, len, v);
}

static uint64_t rd(struct env *e, unsigned off, unsigned len)
{
	return fg_mmio_read(e->g, e->bar + off, len);
}

/* A disk of SECTORS sectors plus `tail` stray bytes; driver brought up. */
static struct env *env_new(bool ro, uint64_t accept, unsigned tail)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];
	int fd;
	FILE *f;

	snprintf(e->path, sizeof(e->path), "/tmp/test_vblk.XXXXXX");
	fd = mkstemp(e->path);
	f = fdopen(fd, "w");
	for (uint64_t i = 0; i < SECTORS * 512ull + tail; i++)
		fputc(pattern(i), f);
	fclose(f);
	e->g = fg_new();
	e->bus = pci_create(&e->g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	e->b = virtio_blk_create(e->bus, &e->g->plat, e->path, ro, GSI, err,
				 sizeof(err));
	if (!e->b) {
		printf("%s\n", err);
		abort();
	}
	e->bar = fg_cfg_read(e->g, 1, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	e->offered = fg_virtio_offered(e->g, e->bar);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	fg_virtio_set_features(e->g, e->bar, accept);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	fvq_init(&e->q, e->g, QSIZE);
	fvq_enable(&e->q, e->bar, 0);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	e->hdr = fg_alloc(e->g, 16, 16);
	e->data = fg_alloc(e->g, 8192, 512);
	e->st = fg_alloc(e->g, 1, 1);
	return e;
}

static void env_free(struct env *e)
{
	virtio_blk_destroy(e->b);
	pci_destroy(e->bus);
	fg_free(e->g);
	unlink(e->path);
	free(e);
}

static void put_hdr(struct env *e, uint32_t type, uint64_t sector)
{
	uint8_t *h = fg_ptr(e->g, e->hdr);

	memset(h, 0, 16);
	for (int i = 0; i < 4; i++)
		h[i] = (uint8_t)(type >> (8 * i));
	for (int i = 0; i < 8; i++)
		h[8 + i] = (uint8_t)(sector >> (8 * i));
}

/*
 * Posts bufs, kicks queue 0, and returns the used length (or -1 if
 * nothing came back); *status gets the status byte.
 */
static long submit(struct env *e, const struct fbuf *bufs, unsigned n)
{
	uint32_t id, len;

	*(uint8_t *)fg_ptr(e->g, e->st) = 0xaa;
	fvq_add(&e->q, bufs, n);
	wr(e, 0x3000, 2, 0);
	if (!fvq_used(&e->q, &id, &len))
		return -1;
	return len;
}

static uint8_t status(struct env *e)
{
	return *(uint8_t *)fg_ptr(e->g, e->st);
}

/* The usual three-descriptor request. */
static long request(struct env *e, uint32_t type, uint64_t sector,
		    uint32_t len, bool data_writable)
{
	struct fbuf b[3] = {
		{ e->hdr, 16, false },
		{ e->data, len, data_writable },
		{ e->st, 1, true },
	};

	put_hdr(e, type, sector);
	if (len == 0) {
		b[1] = b[2];
		return submit(e, b, 2);
	}
	return submit(e, b, 3);
}

static bool file_matches_pattern_except(struct env *e, uint64_t from,
					uint64_t len, uint8_t fill)
{
	FILE *f = fopen(e->path, "r");
	bool ok = true;
	int c;

	for (uint64_t i = 0; (c = fgetc(f)) != EOF; i++) {
		uint8_t want = i >= from && i < from + len ? fill : pattern(i);
		if (c != want)
			ok = false;
	}
	fclose(f);
	return ok;
}

static const uint64_t ACCEPT = B(VIRTIO_F_VERSION_1) | B(VIRTIO_BLK_F_FLUSH);

TEST(offers_flush_seg_max_blk_size_and_capacity_in_sectors)
{
	struct env *e = env_new(false, ACCEPT, 100);	/* stray tail ignored */

	CHECK_EQ(e->offered, B(VIRTIO_F_VERSION_1) | B(VIRTIO_BLK_F_SEG_MAX) |
		 B(VIRTIO_BLK_F_BLK_SIZE) | B(VIRTIO_BLK_F_FLUSH) |
		 B(VIRTIO_RING_F_INDIRECT_DESC) | B(VIRTIO_RING_F_EVENT_IDX));
	CHECK_EQ(rd(e, 0x2000, 4), SECTORS);		/* capacity, low */
	CHECK_EQ(rd(e, 0x2004, 4), 0);
	CHECK_EQ(rd(e, 0x2000 + 12, 4), 254);		/* seg_max */
	CHECK_EQ(rd(e, 0x2000 + 20, 4), 512);		/* blk_size */
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0x0f);
	/* Class: mass storage; device id 0x1040 + 2. */
	CHECK_EQ(fg_cfg_read(e->g, 1, PCI_DEVICE_ID, 2), 0x1042);
	env_free(e);
}

TEST(read_only_disk_offers_ro)
{
	struct env *e = env_new(true, ACCEPT, 0);

	CHECK(e->offered & B(VIRTIO_BLK_F_RO));
	env_free(e);
}

TEST(read_returns_the_image_bytes_and_used_len_counts_status)
{
	struct env *e = env_new(false, ACCEPT, 0);
	uint8_t *d = fg_ptr(e->g, e->data);
	bool ok = true;

	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, 3, 1024, true), 1025);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	for (unsigned i = 0; i < 1024; i++)
		if (d[i] != pattern(3 * 512 + i))
			ok = false;
	CHECK(ok);
	/* The last two sectors exactly: still inside. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, SECTORS - 2, 1024, true), 1025);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	CHECK_EQ(d[1023], pattern(SECTORS * 512 - 1));
	CHECK_EQ(virtio_blk_stats(e->b)->reads, 2);
	env_free(e);
}

TEST(read_scattered_over_buffers_with_status_sharing_the_last_one)
{
	struct env *e = env_new(false, ACCEPT, 0);
	uint64_t tail = fg_alloc(e->g, 301, 1);
	uint8_t *d = fg_ptr(e->g, e->data), *t = fg_ptr(e->g, tail);
	struct fbuf b[3] = {
		{ e->hdr, 16, false },
		{ e->data, 212, true },
		{ tail, 301, true },	/* 300 data bytes + status */
	};
	bool ok = true;

	put_hdr(e, VIRTIO_BLK_T_IN, 5);
	CHECK_EQ(submit(e, b, 3), 513);
	for (unsigned i = 0; i < 212; i++)
		ok &= d[i] == pattern(5 * 512 + i);
	for (unsigned i = 0; i < 300; i++)
		ok &= t[i] == pattern(5 * 512 + 212 + i);
	CHECK(ok);
	CHECK_EQ(t[300], VIRTIO_BLK_S_OK);
	env_free(e);
}

TEST(write_lands_in_the_file_and_flush_syncs)
{
	struct env *e = env_new(false, ACCEPT, 0);

	memset(fg_ptr(e->g, e->data), 0x5a, 1536);
	CHECK_EQ(request(e, VIRTIO_BLK_T_OUT, 10, 1536, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	CHECK(file_matches_pattern_except(e, 10 * 512, 1536, 0x5a));
	/* FLUSH negotiated: a write-back cache, so no sync until asked. */
	CHECK_EQ(virtio_blk_stats(e->b)->syncs, 0);
	CHECK_EQ(request(e, VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	CHECK_EQ(virtio_blk_stats(e->b)->syncs, 1);
	CHECK_EQ(virtio_blk_stats(e->b)->flushes, 1);
	env_free(e);
}

TEST(without_flush_negotiated_every_write_is_synced)
{
	struct env *e = env_new(false, B(VIRTIO_F_VERSION_1), 0);

	memset(fg_ptr(e->g, e->data), 0x11, 512);
	CHECK_EQ(request(e, VIRTIO_BLK_T_OUT, 0, 512, false), 1);
	CHECK_EQ(request(e, VIRTIO_BLK_T_OUT, 1, 512, false), 1);
	CHECK_EQ(virtio_blk_stats(e->b)->syncs, 2);
	CHECK(file_matches_pattern_except(e, 0, 1024, 0x11));
	env_free(e);
}

TEST(get_id_writes_twenty_bytes_of_the_image_name)
{
	struct env *e = env_new(false, ACCEPT, 0);
	uint8_t *d = fg_ptr(e->g, e->data);
	const char *name = strrchr(e->path, '/') + 1;	/* "test_vblk.XXXXXX" */

	memset(d, 0xff, 32);
	CHECK_EQ(request(e, VIRTIO_BLK_T_GET_ID, 0, 20, true), 21);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	CHECK_EQ(strlen(name), 16);
	CHECK(memcmp(d, name, 16) == 0);
	CHECK_MEM(d + 16, ((uint8_t[]){ 0, 0, 0, 0, 0xff }), 5);
	/* A buffer too small for the id. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_GET_ID, 0, 8, true), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	env_free(e);
}

TEST(sectors_past_the_end_fail_with_ioerr_and_touch_nothing)
{
	struct env *e = env_new(false, ACCEPT, 0);
	uint8_t *d = fg_ptr(e->g, e->data);

	memset(d, 0x77, 1024);
	/* Starts inside, ends one sector past the end. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(d[0], 0x77);
	CHECK_EQ(request(e, VIRTIO_BLK_T_OUT, SECTORS, 512, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	/* A sector number whose byte offset would wrap. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, 0xffffffffffffffffull, 512, true), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	/* Not a multiple of 512 bytes. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, 0, 100, true), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	CHECK_EQ(virtio_blk_stats(e->b)->ioerr, 4);
	CHECK(file_matches_pattern_except(e, 0, 0, 0));
	env_free(e);
}

TEST(writes_to_a_read_only_disk_fail_and_write_nothing)
{
	struct env *e = env_new(true, ACCEPT | B(VIRTIO_BLK_F_RO), 0);

	memset(fg_ptr(e->g, e->data), 0x33, 512);
	CHECK_EQ(request(e, VIRTIO_BLK_T_OUT, 0, 512, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_IOERR);
	CHECK(file_matches_pattern_except(e, 0, 0, 0));
	CHECK_EQ(virtio_blk_stats(e->b)->writes, 0);
	/* Reads and flushes still work. */
	CHECK_EQ(request(e, VIRTIO_BLK_T_IN, 0, 512, true), 513);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	CHECK_EQ(request(e, VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_OK);
	env_free(e);
}

TEST(short_descriptors_are_dropped_and_counted)
{
	struct env *e = env_new(false, ACCEPT, 0);
	struct fbuf hdr_only[1] = { { e->hdr, 16, false } };
	struct fbuf short_hdr[2] = { { e->hdr, 12, false }, { e->st, 1, true } };

	put_hdr(e, VIRTIO_BLK_T_IN, 0);
	/* No writable byte for the status. */
	CHECK_EQ(submit(e, hdr_only, 1), 0);
	/* A header shorter than 16 bytes: no status written either. */
	CHECK_EQ(submit(e, short_hdr, 2), 0);
	CHECK_EQ(status(e), 0xaa);
	CHECK_EQ(virtio_blk_stats(e->b)->dropped, 2);
	CHECK_EQ(virtio_blk_stats(e->b)->reads, 0);
	env_free(e);
}

TEST(unknown_request_type_is_unsupp)
{
	struct env *e = env_new(false, ACCEPT, 0);

	CHECK_EQ(request(e, 99, 0, 0, false), 1);
	CHECK_EQ(status(e), VIRTIO_BLK_S_UNSUPP);
	CHECK_EQ(virtio_blk_stats(e->b)->unsupp, 1);
	env_free(e);
}

TEST(reset_forgets_negotiated_flush)
{
	struct env *e = env_new(false, ACCEPT, 0);

	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	CHECK_EQ(rd(e, VIRTIO_PCI_COMMON_STATUS, 1), 0);
	/* Kicks while reset are ignored: nothing used. */
	put_hdr(e, VIRTIO_BLK_T_IN, 0);
	{
		struct fbuf b[2] = { { e->hdr, 16, false }, { e->st, 1, true } };
		CHECK_EQ(submit(e, b, 2), -1);
	}
	env_free(e);
}

RUN_TESTS()
