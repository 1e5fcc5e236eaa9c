/*
 * hostile.c - the `hostile` check (issue 13): on the set-up device, post
 * transmit chains that break virtio 1.2 section 2.7 and headers that
 * break 5.1.6.2, each followed by a ping to the gateway, which proves the
 * device dropped the bad chain and kept going.  Last, an avail index jump
 * (2.7.13) must make the device set DEVICE_NEEDS_RESET, and after a reset
 * and a fresh set-up a ping must work again.
 *
 * Every case uses transmit descriptors from half the ring up: vnet.c's own
 * transmit slots stay below that (at most 64 slots of two descriptors), so
 * used entries for these heads are ignored by vnet_tx_reclaim().
 *
 * Receive chains are not posted: every receive descriptor holds one of
 * vnet.c's buffers, and over a tap a receive chain of more than 64
 * descriptors makes minivmm's I/O thread spin (issue 13, item 9).
 */
#include "hostile.h"
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include "arch.h"
#include "lib.h"
#include "net.h"
#include "timer.h"
#include "vnet.h"

#define FRAME_LEN 60
#define LONG_CHAIN 100	/* more descriptors than a tap's 64 iovecs */
#define PING_MS 6000	/* the nested test bed is slow */

/* What minivmm must count for a case (its -v "drops" lines). */
enum expect { RING, HDR, SENT };

static uint8_t *scratch;	/* 64 KiB: frame, indirect tables, chain bytes */
static uint16_t base;		/* first descriptor of ours */
static uint32_t gateway;

static struct vring_desc *desc(uint16_t i)
{
	return &vnet.txq.ring.desc[i];
}

/* A 12-byte header plus a 60-byte IPv4 broadcast frame at scratch. */
static uint8_t *frame(const struct virtio_net_hdr_v1 *h)
{
	uint8_t *f = scratch + VNET_HDR_LEN;

	memcpy(scratch, h, VNET_HDR_LEN);
	memset(f, 0, FRAME_LEN);
	memset(f, 0xff, 6);
	memcpy(f + 6, vnet.mac, 6);
	f[12] = 0x08;		/* IPv4 */
	f[14] = 0x45;
	f[17] = FRAME_LEN - ETH_HLEN;
	f[22] = 64;
	f[23] = 17;		/* UDP */
	return f;
}

static void one_desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	*desc(i) = (struct vring_desc){ addr, len, flags, next };
}

/* ---- the cases: each writes its chain and returns the head ---- */

static uint16_t c_loop(void)
{
	frame(&(struct virtio_net_hdr_v1){ 0 });
	one_desc(base, (uintptr_t)scratch, VNET_HDR_LEN, VRING_DESC_F_NEXT,
		 (uint16_t)(base + 1));
	one_desc((uint16_t)(base + 1), (uintptr_t)scratch + VNET_HDR_LEN,
		 FRAME_LEN, VRING_DESC_F_NEXT, base);
	return base;
}

static uint16_t c_outside_ram(void)
{
	one_desc(base, 1ull << 40, VNET_HDR_LEN + FRAME_LEN, 0, 0);
	return base;
}

/* The device's own common-config registers as a buffer. */
static uint16_t c_mmio(void)
{
	one_desc(base, vnet.dev.common, VNET_HDR_LEN + FRAME_LEN, 0, 0);
	return base;
}

static uint16_t c_len0(void)
{
	one_desc(base, (uintptr_t)scratch, 0, 0, 0);
	return base;
}

static uint16_t c_len_max(void)
{
	frame(&(struct virtio_net_hdr_v1){ 0 });
	one_desc(base, (uintptr_t)scratch, 0xffffffffu, 0, 0);
	return base;
}

static uint16_t c_bad_head(void)
{
	return (uint16_t)(vnet.txq.size + 7);
}

static uint16_t c_bad_next(void)
{
	frame(&(struct virtio_net_hdr_v1){ 0 });
	one_desc(base, (uintptr_t)scratch, VNET_HDR_LEN, VRING_DESC_F_NEXT, 0xfff0);
	return base;
}

/* An indirect table whose only entry points at another indirect table. */
static uint16_t c_nested_indirect(void)
{
	struct vring_desc *t1 = (void *)(scratch + 4096);
	struct vring_desc *t2 = (void *)(scratch + 12288);

	frame(&(struct virtio_net_hdr_v1){ 0 });
	t2[0] = (struct vring_desc){ (uintptr_t)scratch, VNET_HDR_LEN + FRAME_LEN, 0, 0 };
	t1[0] = (struct vring_desc){ (uintptr_t)t2, 16, VRING_DESC_F_INDIRECT, 0 };
	one_desc(base, (uintptr_t)t1, 16, VRING_DESC_F_INDIRECT, 0);
	return base;
}

/* 257 entries: more than a ring of 256 can have (2.7.5.3.1). */
static uint16_t c_big_indirect(void)
{
	struct vring_desc *t1 = (void *)(scratch + 4096);

	frame(&(struct virtio_net_hdr_v1){ 0 });
	for (unsigned i = 0; i < 257; i++)
		t1[i] = (struct vring_desc){ (uintptr_t)scratch + i % 8, 1,
					     VRING_DESC_F_NEXT, (uint16_t)(i + 1) };
	t1[256].flags = 0;
	one_desc(base, (uintptr_t)t1, 257 * 16, VRING_DESC_F_INDIRECT, 0);
	return base;
}

/*
 * A valid frame in 100 descriptors (header, then one byte each): legal,
 * so it must be sent, though a tap takes at most 64 iovecs in one call.
 */
static uint16_t c_long_chain(void)
{
	uint8_t *bytes = scratch + 16384;
	uint8_t *f = frame(&(struct virtio_net_hdr_v1){ 0 });
	unsigned n = LONG_CHAIN - 1;	/* frame bytes, one per descriptor */

	f[12] = 0x88;		/* local experimental ethertype: nobody answers */
	f[13] = 0xb5;
	memcpy(bytes, f, FRAME_LEN);
	memset(bytes + FRAME_LEN, 0, n - FRAME_LEN);
	one_desc(base, (uintptr_t)scratch, VNET_HDR_LEN, VRING_DESC_F_NEXT,
		 (uint16_t)(base + 1));
	for (unsigned i = 0; i < n; i++)
		one_desc((uint16_t)(base + 1 + i), (uintptr_t)(bytes + i), 1,
			 i + 1 < n ? VRING_DESC_F_NEXT : 0, (uint16_t)(base + 2 + i));
	return base;
}

/* One descriptor: header and frame, the header as given. */
static uint16_t hdr_case(struct virtio_net_hdr_v1 h)
{
	frame(&h);
	one_desc(base, (uintptr_t)scratch, VNET_HDR_LEN + FRAME_LEN, 0, 0);
	return base;
}

static uint16_t c_csum_start(void)
{
	return hdr_case((struct virtio_net_hdr_v1){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 0xfff0,
		.csum_offset = 6 });
}

static uint16_t c_csum_offset(void)
{
	return hdr_case((struct virtio_net_hdr_v1){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
		.csum_offset = 0xfff0 });
}

static uint16_t c_gso_size(void)
{
	return hdr_case((struct virtio_net_hdr_v1){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
		.gso_size = 0, .csum_start = 34, .csum_offset = 16 });
}

static uint16_t c_hdr_len(void)
{
	return hdr_case((struct virtio_net_hdr_v1){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 0xffff,
		.gso_size = 0xffff, .csum_start = 34, .csum_offset = 16 });
}

static const struct {
	const char *name;
	uint16_t (*post)(void);
	enum expect expect;
} cases[] = {
	{ "loop", c_loop, RING },
	{ "outside_ram", c_outside_ram, RING },
	{ "mmio", c_mmio, RING },
	{ "len0", c_len0, HDR },	/* an empty chain: no header */
	{ "len_max", c_len_max, RING },
	{ "bad_head", c_bad_head, RING },
	{ "bad_next", c_bad_next, RING },
	{ "nested_indirect", c_nested_indirect, RING },
	{ "big_indirect", c_big_indirect, RING },
	{ "long_chain", c_long_chain, SENT },
	{ "csum_start", c_csum_start, HDR },
	{ "csum_offset", c_csum_offset, HDR },
	{ "gso_size", c_gso_size, HDR },
	{ "hdr_len", c_hdr_len, HDR },
};

/* The good frame after a bad one: one ping to the gateway. */
static int ping_ok(void)
{
	return net_ping(gateway, PING_MS);
}

/* Avail idx moved by more than the ring holds: the device must give up. */
static void avail_jump(hostile_result result, uint64_t mask, uint16_t qmax)
{
	struct vq *q = &vnet.txq;

	barrier();
	q->ring.avail->idx = (uint16_t)(q->avail_idx + q->size + 100);
	mb();
	mmio_write16(q->notify_addr, q->index);
	uint64_t t0 = now_ms();
	uint8_t st = 0;
	while (now_ms() - t0 < 5000 &&
	       !((st = virtio_status(&vnet.dev)) & VIRTIO_CONFIG_S_NEEDS_RESET))
		cpu_relax();
	result("hostile_needs_reset", (st & VIRTIO_CONFIG_S_NEEDS_RESET) != 0,
	       "status=0x%02x after %lums", st, (unsigned long)(now_ms() - t0));

	enum profile p = vnet.profile;
	if (vnet_init(p, mask, qmax)) {
		result("hostile_reset", 0, "set-up after the reset failed");
		return;
	}
	int us = ping_ok();
	st = virtio_status(&vnet.dev);
	result("hostile_reset", us >= 0 && !(st & VIRTIO_CONFIG_S_NEEDS_RESET),
	       "re-initialised, status=0x%02x ping rtt=%dus", st, us);
}

void hostile_run(hostile_result result, uint32_t gw, uint64_t mask, uint16_t qmax)
{
	unsigned ring = 0, hdr = 0, sent = 0;
	char name[40];

	gateway = gw;
	if (vnet.txq.size < 256 || (!scratch && !(scratch = dma_alloc(65536, 4096)))) {
		result("hostile", -1, "needs a 256-entry transmit ring (qsize=256)");
		return;
	}
	base = (uint16_t)(vnet.txq.size / 2);
	if (ping_ok() < 0) {
		result("hostile", 0, "no ping before any case");
		return;
	}
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		uint16_t head = cases[i].post();
		vq_publish(&vnet.txq, head);
		vq_kick(&vnet.txq);
		int us = ping_ok();
		uint8_t st = virtio_status(&vnet.dev);
		snprintf(name, sizeof(name), "hostile_%s", cases[i].name);
		result(name, us >= 0 && !(st & VIRTIO_CONFIG_S_NEEDS_RESET),
		       "then ping rtt=%dus status=0x%02x", us, st);
		ring += cases[i].expect == RING;
		hdr += cases[i].expect == HDR;
		sent += cases[i].expect == SENT;
	}
	/* The test compares these with minivmm's -v drop counters. */
	printf("PROBE info hostile cases=%u bad_ring=%u bad_hdr=%u sent=%u\n",
	       (unsigned)ARRAY_SIZE(cases), ring + 1, hdr, sent);
	avail_jump(result, mask, qmax);
}
