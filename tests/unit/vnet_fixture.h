/*
 * vnet_fixture.h - what the virtio-net unit tests share
 * (test_virtio_net_*.c): virtio-net end to end over fake guest RAM and a
 * fake backend, driven by the bus accesses a driver makes, with iPXE-,
 * OpenBSD- and Linux-like driver profiles against tap-like and slirp-like
 * backends.
 *
 * Frames are built here with the naive checksum of ref_csum.h (written
 * independently of net/csum.c) and checked on arrival with
 * net_frame_csums_ok() from net/packet.h.
 */
#ifndef MINIVMM_TEST_VNET_FIXTURE_H
#define MINIVMM_TEST_VNET_FIXTURE_H

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include <unistd.h>

#include "devices/virtio_net.h"
#include "devices/virtio_net_int.h"
#include "fake_backend.h"
#include "fake_guest.h"
#include "frames.h"
#include "net/packet.h"

#define B(x) (1ull << (x))
#define ALL_OFF (NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | NET_OFF_ECN | \
		 NET_OFF_UFO)
#define GSI 10
#define QSIZE 64
#define MAXF 70000

/* ---- frames ---------------------------------------------------------- */

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * virtio_net_hdr_v1 + Ethernet + IPv4 + TCP + payload.  partial: the TCP
 * checksum field holds the pseudo-header sum and NEEDS_CSUM is set (what
 * Linux sends); else it holds the full checksum.  gso_size != 0 makes it a
 * TSO super-frame.  Returns the total length.
 */
static inline size_t build_tcp4(uint8_t *f, size_t payload, bool partial,
				uint16_t gso_size)
{
	uint8_t *eth = f + 12, *ip = eth + 14, *tcp = ip + 20;
	static const uint8_t host_mac[6] = { 2, 0, 0, 0, 0, 1 };
	uint16_t tcp_len = (uint16_t)(20 + payload);
	uint64_t ps;

	memset(f, 0, 12 + 54);
	if (partial) {
		f[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		put_le16(f + 6, 34);		/* csum_start */
		put_le16(f + 8, 16);		/* csum_offset */
	}
	if (gso_size) {
		f[1] = VIRTIO_NET_HDR_GSO_TCPV4;
		put_le16(f + 2, 54);		/* hdr_len */
		put_le16(f + 4, gso_size);
	}
	memcpy(eth, guest_mac, 6);
	memcpy(eth + 6, host_mac, 6);
	put16(eth + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + tcp_len));
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, (const uint8_t[]){ 10, 0, 2, 2, 10, 0, 2, 15 }, 8);
	put16(ip + 10, ref_csum(ip, 20, 0));
	put16(tcp, 80);
	put16(tcp + 2, 40000);
	put16(tcp + 4, 0);
	put16(tcp + 6, 1000);
	put16(tcp + 10, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;				/* ACK|PSH */
	put16(tcp + 14, 65535);
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = (uint8_t)(i * 7 + 3);
	ps = ref_pseudo4(ip, tcp_len);
	if (partial)	/* the folded pseudo-header sum, not complemented */
		put16(tcp + 16, (uint16_t)~ref_csum(tcp, 0, ps));
	else
		put16(tcp + 16, ref_csum(tcp, tcp_len, ps));
	return 12 + 54 + payload;
}

/* ---- a machine with one virtio-net and a driver ------------------------ */

enum profile { IPXE, OPENBSD, LINUX };

/*
 * What each driver asks for.  iPXE (src/drivers/net/virtio-net.c): only
 * VERSION_1 and MAC.  OpenBSD vio(4): MAC, STATUS, CTRL_VQ, CTRL_RX,
 * MRG_RXBUF, CSUM, GUEST_CSUM, EVENT_IDX, plus INDIRECT_DESC from
 * virtio(4).  Linux: everything it is offered.
 */
static inline uint64_t wants(enum profile p)
{
	switch (p) {
	case IPXE:
		return B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MAC);
	case OPENBSD:
		return B(VIRTIO_F_VERSION_1) | B(VIRTIO_NET_F_MAC) |
		       B(VIRTIO_NET_F_STATUS) | B(VIRTIO_NET_F_CTRL_VQ) |
		       B(VIRTIO_NET_F_CTRL_RX) | B(VIRTIO_NET_F_MRG_RXBUF) |
		       B(VIRTIO_NET_F_CSUM) | B(VIRTIO_NET_F_GUEST_CSUM) |
		       B(VIRTIO_RING_F_EVENT_IDX) |
		       B(VIRTIO_RING_F_INDIRECT_DESC);
	case LINUX:
		break;
	}
	return ~0ull;
}

struct tenv {
	struct fake_guest *g;
	struct fake_be fb;
	struct pci_bus *bus;
	struct virtio_net *n;
	uint64_t bar;
	struct fake_vq rx, tx, ctrl;
	uint64_t offered, accepted;
	uint64_t rx_gpa[QSIZE];		/* buffer behind each RX head */
	uint32_t rx_size[QSIZE];
	uint8_t frame[MAXF];
	size_t frame_len;
};

static inline uint64_t rd(struct tenv *e, unsigned off, unsigned len)
{
	return fg_mmio_read(e->g, e->bar + off, len);
}

static inline void wr(struct tenv *e, unsigned off, unsigned len, uint64_t v)
{
	fg_mmio_write(e->g, e->bar + off, len, v);
}

static inline struct tenv *tenv_opts(unsigned tx_caps, unsigned rx_caps,
				     const struct net_card_opts *o)
{
	struct tenv *e = calloc(1, sizeof(*e));

	e->g = fg_new();
	fb_init(&e->fb, tx_caps, rx_caps);
	e->bus = pci_create(&e->g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	e->n = virtio_net_create(e->bus, &e->g->plat, &e->fb.be, o, GSI, NULL, 0);
	if (!e->n)
		abort();
	e->bar = fg_cfg_read(e->g, 1, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	e->offered = fg_virtio_offered(e->g, e->bar);
	return e;
}

static inline struct tenv *tenv_new(unsigned tx_caps, unsigned rx_caps)
{
	struct net_card_opts o;

	net_card_default(&o);
	return tenv_opts(tx_caps, rx_caps, &o);
}

static inline void tenv_free(struct tenv *e)
{
	virtio_net_destroy(e->n);
	pci_destroy(e->bus);
	fb_fini(&e->fb);
	fg_free(e->g);
	free(e);
}

static inline uint8_t status(struct tenv *e)
{
	return (uint8_t)rd(e, VIRTIO_PCI_COMMON_STATUS, 1);
}

/* ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status byte. */
static inline uint8_t negotiate_raw(struct tenv *e, uint64_t f)
{
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 1);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	fg_virtio_set_features(e->g, e->bar, f);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	return status(e);
}

static inline void queue_up(struct tenv *e, unsigned q, struct fake_vq *fq)
{
	fvq_init(fq, e->g, QSIZE);
	wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	wr(e, VIRTIO_PCI_COMMON_Q_SIZE, 2, QSIZE);
	wr(e, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)fq->desc);
	wr(e, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)fq->avail);
	wr(e, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)fq->used);
	wr(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* The whole bring-up of 3.1.1 for a driver profile. */
static inline void drv_up(struct tenv *e, enum profile p)
{
	e->accepted = wants(p) & e->offered;
	negotiate_raw(e, e->accepted);
	queue_up(e, 0, &e->rx);
	queue_up(e, 1, &e->tx);
	if (e->accepted & B(VIRTIO_NET_F_CTRL_VQ))
		queue_up(e, 2, &e->ctrl);
	wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
}

static inline void kick(struct tenv *e, unsigned q)
{
	wr(e, 0x3000 + 4 * q, 2, q);
}

/* Posts one RX buffer of `size` bytes; split_hdr puts the header apart. */
static inline void post_rx(struct tenv *e, uint32_t size, bool split_hdr)
{
	uint64_t a = fg_alloc(e->g, size, 8);
	struct fbuf b[2] = { { a, 12, true }, { a + 12, size - 12, true } };
	struct fbuf one[1] = { { a, size, true } };
	uint16_t head = split_hdr ? fvq_add(&e->rx, b, 2)
				  : fvq_add(&e->rx, one, 1);

	e->rx_gpa[head] = a;
	e->rx_size[head] = size;
}

/*
 * Takes one received frame off the used ring (num_buffers entries with
 * MRG_RXBUF) into e->frame.  Returns the number of buffers, 0 if none.
 */
static inline unsigned rx_take(struct tenv *e)
{
	uint32_t id = 0, len = 0xdead;
	unsigned nb;

	e->frame_len = 0;
	if (!fvq_used(&e->rx, &id, &len))
		return 0;
	memcpy(e->frame, fg_ptr(e->g, e->rx_gpa[id]), len);
	e->frame_len = len;
	nb = e->frame[10] | e->frame[11] << 8;
	for (unsigned i = 1; i < nb; i++) {
		if (!fvq_used(&e->rx, &id, &len))
			return 0;
		memcpy(e->frame + e->frame_len, fg_ptr(e->g, e->rx_gpa[id]),
		       len);
		e->frame_len += len;
	}
	return nb;
}

/* Puts a frame in guest RAM and queues it on TX; split: 5+7 byte header. */
static inline void send_tx(struct tenv *e, const uint8_t *f, size_t len, bool split)
{
	uint64_t a = fg_alloc(e->g, len, 8);
	struct fbuf b3[3] = { { a, 5, false }, { a + 5, 7, false },
			      { a + 12, (uint32_t)(len - 12), false } };
	struct fbuf b2[2] = { { a, 12, false },
			      { a + 12, (uint32_t)(len - 12), false } };

	memcpy(fg_ptr(e->g, a), f, len);
	if (split)
		fvq_add(&e->tx, b3, 3);
	else if (len > 12)
		fvq_add(&e->tx, b2, 2);
	else
		fvq_add(&e->tx, (struct fbuf[1]){ { a, (uint32_t)len, false } },
			1);
	kick(e, 1);
}

static inline void backend_delivers(struct tenv *e, const uint8_t *f, size_t len)
{
	fb_queue_rx(&e->fb, f, len);
	e->fb.be.rx_ready(e->fb.be.rx_opaque);
}

#endif
