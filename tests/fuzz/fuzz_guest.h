/*
 * fuzz_guest.h - a small pretend PC for the device fuzz targets: 256 KiB of
 * guest RAM (one static buffer, cleared per input so runs do not depend on
 * each other), the real I/O bus and PCI host bridge, an interrupt sink that
 * only counts, and one virtio-net card in front of the unit tests' fake
 * backend (tests/unit/fake_backend.h).  A driver-side split ring (fz_vq)
 * builds descriptor chains the way a guest driver would, so inputs spend
 * their bytes on frames and decisions rather than on ring bookkeeping.
 *
 * Unlike tests/unit/fake_guest.h (8 MiB, calloc'd per test) this one is
 * sized for tens of thousands of executions a second.
 */
#ifndef MINIVMM_FUZZ_GUEST_H
#define MINIVMM_FUZZ_GUEST_H

#include <linux/pci_regs.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/guest_mem.h"
#include "common/log.h"
#include "devices/bus.h"
#include "devices/pci.h"
#include "devices/platform.h"
#include "devices/virtio_net.h"
#include "devices/virtio_pci.h"
#include "net/offload.h"
#include "net/pcap.h"
#include "fake_backend.h"
#include "fuzz_input.h"

#define FZ_RAM_BASE 0x100000ull
#define FZ_RAM_SIZE (256u << 10)
#define FZ_MMIO_BASE 0xc0000000ull
#define FZ_PIO_BASE 0xc000
#define FZ_GSI 10
/* Ring area: queue q's rings at FZ_RING(q); data buffers after them. */
#define FZ_RING(q) (FZ_RAM_BASE + 0x3000ull * (q))
#define FZ_DATA (FZ_RAM_BASE + 0x10000ull)
#define FZ_MAX_QSIZE 64
#define FZ_ALL_OFF (NET_OFF_CSUM | NET_OFF_TSO4 | NET_OFF_TSO6 | \
		    NET_OFF_ECN | NET_OFF_UFO)

static uint8_t fz_ram_buf[FZ_RAM_SIZE] __attribute__((aligned(4096)));

struct fz_vq {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx, next_free, last_used;
	/* What the driver posted behind each head (for checking used entries). */
	uint64_t buf_gpa[FZ_MAX_QSIZE];
	uint32_t buf_len[FZ_MAX_QSIZE];
	uint64_t buf_total[FZ_MAX_QSIZE];
	/* Every buffer of the chain at a head, to read back what was written. */
	uint8_t nbufs[FZ_MAX_QSIZE];
	uint64_t bufs_gpa[FZ_MAX_QSIZE][8];
	uint32_t bufs_len[FZ_MAX_QSIZE][8];
	uint8_t ndesc[FZ_MAX_QSIZE];	/* descriptors the chain at a head uses */
	unsigned nfree;			/* descriptors not in flight */
};

struct fz_net {
	struct guest_mem gm;
	uint8_t *ram;
	struct bus bus;
	struct platform plat;
	unsigned long irqs;
	struct fake_be fb;
	struct pci_bus *pci;
	struct virtio_net *n;
	uint64_t bar;
	uint64_t offered, accepted;
	uint16_t qsize;
	struct fz_vq vq[3];
	uint64_t data_next;	/* bump allocator in [FZ_DATA, end of RAM) */
};

static inline int fz_set_line(void *opaque, unsigned gsi, int level)
{
	struct fz_net *e = opaque;

	(void)gsi;
	e->irqs += level > 0;
	return 0;
}

static inline int fz_send_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fz_net *e = opaque;

	(void)addr;
	(void)data;
	e->irqs++;
	return 0;
}

static inline void *fz_ptr(struct fz_net *e, uint64_t gpa)
{
	return e->ram + (gpa - FZ_RAM_BASE);
}

/*
 * A data buffer of len bytes; wraps around when the area is used up.
 * Callers that post chains reserve their bytes first (fz_reserve), which
 * wraps only when no chain is in flight: a wrapped allocation must never
 * reuse a buffer or indirect table the device has not given back (64 RX
 * chains of 2 KiB and a 127-entry table each are more than the area, and
 * the device would then walk tables overwritten by later chains and write
 * where the harness does not look: the "len0-entries-then-bad-header"
 * finding of 2026-12-02).
 */
static inline uint64_t fz_alloc(struct fz_net *e, uint32_t len)
{
	uint64_t end = FZ_RAM_BASE + FZ_RAM_SIZE;

	if (len > end - FZ_DATA)
		len = (uint32_t)(end - FZ_DATA);
	if (e->data_next + len > end)
		e->data_next = FZ_DATA;
	uint64_t a = e->data_next;
	e->data_next = (a + len + 7) & ~7ull;
	return a;
}

/* True when no queue has a chain in flight (every descriptor free). */
static inline bool fz_idle(const struct fz_net *e)
{
	for (unsigned q = 0; q < 3; q++)
		if (e->vq[q].nfree != e->vq[q].size)
			return false;
	return true;
}

/*
 * Makes room for `need` bytes of buffers (each rounded up to 8, tables
 * with their alignment slack) without touching anything in flight: false
 * when there is none, and the caller posts nothing (a driver waits for
 * used entries first).
 */
static inline bool fz_reserve(struct fz_net *e, uint64_t need)
{
	uint64_t end = FZ_RAM_BASE + FZ_RAM_SIZE;

	if (e->data_next + need <= end)
		return true;
	if (!fz_idle(e) || FZ_DATA + need > end)
		return false;
	e->data_next = FZ_DATA;
	return true;
}

/* ---- driver accesses --------------------------------------------------- */

static inline uint64_t fz_io(struct fz_net *e, enum bus_space sp, uint64_t addr,
			     unsigned len, bool write, uint64_t val)
{
	uint8_t d[8] = { 0 };
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		d[i] = (uint8_t)(val >> (8 * i));
	bus_access(&e->bus, sp, addr, d, len, write);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static inline uint64_t fz_rd(struct fz_net *e, unsigned off, unsigned len)
{
	return fz_io(e, BUS_MMIO, e->bar + off, len, false, 0);
}

static inline void fz_wr(struct fz_net *e, unsigned off, unsigned len, uint64_t v)
{
	fz_io(e, BUS_MMIO, e->bar + off, len, true, v);
}

static inline uint32_t fz_cfg_read(struct fz_net *e, unsigned slot, unsigned off,
				   unsigned len)
{
	fz_io(e, BUS_PIO, 0xcf8, 4, true, 0x80000000u | slot << 11 | (off & 0xfc));
	return (uint32_t)fz_io(e, BUS_PIO, 0xcfc + (off & 3), len, false, 0);
}

/* ---- a driver's side of a split ring -------------------------------------- */

static inline void fz_put16(struct fz_net *e, uint64_t gpa, uint16_t v)
{
	memcpy(fz_ptr(e, gpa), &v, 2);
}

static inline uint16_t fz_get16(struct fz_net *e, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, fz_ptr(e, gpa), 2);
	return v;
}

static inline void fz_desc(struct fz_net *e, uint64_t table, unsigned i,
			   uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = fz_ptr(e, table + 16ull * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/*
 * Chains n buffers (gpa[i], len[i], writable from index first_in on) and
 * publishes the chain.  indirect: one descriptor pointing at a table in the
 * data area.  Returns the head, or 0xffff when the ring has no room (the
 * device completes chains in order, so free descriptors stay contiguous).
 */
static inline uint16_t fz_vq_add(struct fz_net *e, unsigned q, const uint64_t *gpa,
				 const uint32_t *len, unsigned n, unsigned first_in,
				 bool indirect)
{
	struct fz_vq *v = &e->vq[q];
	uint16_t head = v->next_free;

	if (n == 0 || (indirect ? 1 : n) > v->nfree)
		return 0xffff;	/* a driver waits for used entries first */
	if (indirect) {
		/* 15 bytes of slack, so aligning never overlaps the next buffer. */
		uint64_t t = (fz_alloc(e, 16 * n + 15) + 15) & ~15ull;

		for (unsigned i = 0; i < n; i++)
			fz_desc(e, t, i, gpa[i], len[i],
				(uint16_t)((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					   (i >= first_in ? VRING_DESC_F_WRITE : 0)),
				(uint16_t)(i + 1));
		fz_desc(e, v->desc, head, t, 16 * n, VRING_DESC_F_INDIRECT, 0);
		v->next_free = (uint16_t)((head + 1) % v->size);
	} else {
		for (unsigned i = 0; i < n; i++) {
			uint16_t idx = (uint16_t)((head + i) % v->size);
			uint16_t nx = (uint16_t)((head + i + 1) % v->size);

			fz_desc(e, v->desc, idx, gpa[i], len[i],
				(uint16_t)((i + 1 < n ? VRING_DESC_F_NEXT : 0) |
					   (i >= first_in ? VRING_DESC_F_WRITE : 0)),
				nx);
		}
		v->next_free = (uint16_t)((head + n) % v->size);
	}
	v->buf_gpa[head] = gpa[0];
	v->buf_len[head] = len[0];
	v->ndesc[head] = (uint8_t)(indirect ? 1 : n);
	v->nfree -= v->ndesc[head];
	v->buf_total[head] = 0;
	v->nbufs[head] = (uint8_t)(n < 8 ? n : 8);
	for (unsigned i = 0; i < n; i++) {
		v->buf_total[head] += len[i];
		if (i < 8) {
			v->bufs_gpa[head][i] = gpa[i];
			v->bufs_len[head][i] = len[i];
		}
	}
	fz_put16(e, v->avail + 4 + 2ull * (v->avail_idx % v->size), head);
	v->avail_idx++;
	fz_put16(e, v->avail + 2, v->avail_idx);
	return head;
}

/* Takes the next used entry; 1 if there was one. */
static inline int fz_vq_used(struct fz_net *e, unsigned q, uint32_t *id, uint32_t *len)
{
	struct fz_vq *v = &e->vq[q];
	const uint8_t *u;

	if (fz_get16(e, v->used + 2) == v->last_used)
		return 0;
	u = fz_ptr(e, v->used + 4 + 8ull * (v->last_used % v->size));
	memcpy(id, u, 4);
	memcpy(len, u + 4, 4);
	v->last_used++;
	if (*id < v->size && v->ndesc[*id]) {
		v->nfree += v->ndesc[*id];
		v->ndesc[*id] = 0;
	}
	return 1;
}

/* Copies up to n bytes from the start of the chain at head; returns how many. */
static inline size_t fz_chain_read(struct fz_net *e, unsigned q, uint16_t head,
				   void *dst, size_t n)
{
	struct fz_vq *v = &e->vq[q];
	size_t done = 0;

	for (unsigned i = 0; i < v->nbufs[head] && done < n; i++) {
		size_t k = v->bufs_len[head][i];

		if (k > n - done)
			k = n - done;
		memcpy((uint8_t *)dst + done, fz_ptr(e, v->bufs_gpa[head][i]), k);
		done += k;
	}
	return done;
}

static inline void fz_kick(struct fz_net *e, unsigned q)
{
	fz_wr(e, VPCI_NOTIFY_OFF + VPCI_NOTIFY_MULT * q, 2, q);
}

/* ---- bring-up -------------------------------------------------------- */

/* Fresh RAM, bus, PCI bridge; no device yet. */
static inline void fz_machine(struct fz_net *e)
{
	memset(e, 0, sizeof(*e));
	log_max_level = LOG_ERR;
	e->ram = fz_ram_buf;
	memset(e->ram, 0, FZ_RAM_SIZE);
	gm_add_region(&e->gm, FZ_RAM_BASE, FZ_RAM_SIZE, e->ram);
	bus_init(&e->bus);
	e->plat.bus = &e->bus;
	e->plat.mem = &e->gm;
	e->plat.irq = (struct irq_sink){ fz_set_line, fz_send_msi, e };
	e->pci = pci_create(&e->plat, FZ_MMIO_BASE, 0x1000000, FZ_PIO_BASE, 0x1000, NULL, 0);
	if (!e->pci)
		abort();
	e->data_next = FZ_DATA;
}

/*
 * A capture file for the card: one temporary regular file, truncated by
 * every open (net_pcap_open refuses /dev/null: not a regular file).
 */
static char fz_pcap_path[64];

static inline void fz_pcap_unlink(void)
{
	unlink(fz_pcap_path);
}

static inline struct net_pcap *fz_pcap_open(void)
{
	char *path = fz_pcap_path;
	char err[128];

	if (!path[0]) {
		snprintf(path, sizeof(fz_pcap_path), "/tmp/minivmm-fuzz-%d.pcap",
			 (int)getpid());
		atexit(fz_pcap_unlink);
	}
	return net_pcap_open(path, err, sizeof(err));
}

/*
 * The card, configured from one input byte each: backend capabilities
 * (bit 0: TX offloads, bit 1: RX offloads, as tap has; 0: slirp-like),
 * device options (csum, tso, mrg_rxbuf, event_idx, indirect, ctrl_vq,
 * pcap to a temporary file), queue size 2..64.
 */
static inline void fz_net_create(struct fz_net *e, uint8_t caps, uint8_t optbits,
				 uint8_t qlog)
{
	struct net_card_opts o;

	fb_init(&e->fb, caps & 1 ? FZ_ALL_OFF : 0, caps & 2 ? FZ_ALL_OFF : 0);
	net_card_default(&o);
	o.csum = !(optbits & 1);
	o.tso = !(optbits & 2);
	o.mrg_rxbuf = !(optbits & 4);
	o.event_idx = !(optbits & 8);
	o.indirect = !(optbits & 16);
	o.ctrl_vq = !(optbits & 32);
	o.pcap = optbits & 64 ? fz_pcap_open() : NULL;
	e->qsize = (uint16_t)(2u << (qlog % 6));
	o.queue_size = e->qsize;
	e->n = virtio_net_create(e->pci, &e->plat, &e->fb.be, &o, FZ_GSI, NULL, 0);
	if (!e->n)
		abort();
	e->bar = fz_cfg_read(e, 1, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	fz_wr(e, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	e->offered = fz_rd(e, VIRTIO_PCI_COMMON_DF, 4);
	fz_wr(e, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	e->offered |= fz_rd(e, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

static inline void fz_queue_up(struct fz_net *e, unsigned q)
{
	struct fz_vq *v = &e->vq[q];

	memset(v, 0, sizeof(*v));
	v->size = e->qsize;
	v->nfree = v->size;
	v->desc = FZ_RING(q);
	v->avail = v->desc + 16ull * FZ_MAX_QSIZE;
	v->used = v->avail + 0x200;
	memset(fz_ptr(e, FZ_RING(q)), 0, 0x3000);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_SIZE, 2, v->size);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)v->desc);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)v->avail);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)v->used);
	fz_wr(e, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* Reset, ACKNOWLEDGE, DRIVER, features (masked by the offer), FEATURES_OK, queues, DRIVER_OK. */
static inline void fz_driver_up(struct fz_net *e, uint64_t want)
{
	e->accepted = want & e->offered;
	fz_wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	fz_wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 1);
	fz_wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 3);
	fz_wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	fz_wr(e, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)e->accepted);
	fz_wr(e, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	fz_wr(e, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(e->accepted >> 32));
	fz_wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0b);
	if (!(fz_rd(e, VIRTIO_PCI_COMMON_STATUS, 1) & 0x08))
		e->accepted = 0;	/* refused: the device stays unusable */
	fz_queue_up(e, 0);
	fz_queue_up(e, 1);
	if (e->accepted & (1ull << VIRTIO_NET_F_CTRL_VQ))
		fz_queue_up(e, 2);
	fz_wr(e, VIRTIO_PCI_COMMON_STATUS, 1, 0x0f);
	e->data_next = FZ_DATA;
}

static inline void fz_net_destroy(struct fz_net *e)
{
	virtio_net_destroy(e->n);
	pci_destroy(e->pci);
	fb_fini(&e->fb);
	pthread_mutex_destroy(&e->bus.lock);
}

/* The bytes fz_alloc() takes for a chain's buffers (and table). */
static inline uint64_t fz_need(const uint32_t *l, unsigned n, bool indirect)
{
	uint64_t need = indirect ? 16ull * n + 15 + 8 : 0;

	for (unsigned i = 0; i < n; i++)
		need += (l[i] + 7ull) & ~7ull;
	return need;
}

/*
 * Posts one chain whose buffers come from the input: n (1..8) pieces of
 * fuzz-chosen lengths; the first `n_out` readable, filled with input bytes.
 * Used by both the TX path (all readable) and RX (all writable).
 */
static inline uint16_t fz_post(struct fz_net *e, unsigned q, struct fin *in,
			       const uint8_t *data, size_t len, bool writable,
			       unsigned shape, bool indirect)
{
	uint64_t gpa[8];
	uint32_t l[8];
	unsigned n = 0;
	size_t off = 0;

	/*
	 * shape 0: one buffer; 1: header apart (12 + rest, what Linux does);
	 * 2: 5 + 7 + rest (split inside the header); 3: pieces of input-chosen
	 * sizes, the last taking what is left.
	 */
	switch (shape % 4) {
	case 0: l[n++] = (uint32_t)len; break;
	case 1:
		l[n++] = len < 12 ? (uint32_t)len : 12;
		if (len > 12)
			l[n++] = (uint32_t)(len - 12);
		break;
	case 2:
		l[n++] = len < 5 ? (uint32_t)len : 5;
		if (len > 5)
			l[n++] = len < 12 ? (uint32_t)(len - 5) : 7;
		if (len > 12)
			l[n++] = (uint32_t)(len - 12);
		break;
	default:
		while (off < len && n < 7) {
			uint32_t k = fin_u8(in) + 1u;

			if (k > len - off)
				k = (uint32_t)(len - off);
			l[n++] = k;
			off += k;
		}
		if (off < len)
			l[n++] = (uint32_t)(len - off);
		break;
	}
	if (!fz_reserve(e, fz_need(l, n, indirect)))
		return 0xffff;
	off = 0;
	for (unsigned i = 0; i < n; i++) {
		gpa[i] = fz_alloc(e, l[i]);
		if (data)
			memcpy(fz_ptr(e, gpa[i]), data + off, l[i]);
		off += l[i];
	}
	return fz_vq_add(e, q, gpa, l, n, writable ? 0 : n, indirect);
}

/*
 * An RX chain of n writable pieces (64..130) sharing len bytes, at least
 * one each: more pieces than a backend's recv() takes (NET_RECV_MAX_IOV,
 * issue 13), direct when the ring has room, else through an indirect
 * table when the guest negotiated it.
 */
static inline uint16_t fz_post_many(struct fz_net *e, unsigned q, size_t len,
				    unsigned n, bool indirect)
{
	uint64_t gpa[130];
	uint32_t l[130];

	n = n < 1 ? 1 : n > 130 ? 130 : n;
	/*
	 * fz_alloc() wraps around when guest RAM runs out, which would reuse
	 * the buffers of chains still posted; the checks in the fuzz
	 * targets trust what was posted, so a chain this big waits instead.
	 */
	for (unsigned i = 0; i < n; i++) {
		l[i] = (uint32_t)(len / n + (i < len % n));
		if (l[i] == 0)
			l[i] = 1;
		/*
		 * The first piece holds the whole virtio-net header: the
		 * harness remembers only 8 pieces per chain (bufs_gpa) and
		 * reads the header back through them.
		 */
		if (i == 0 && l[0] < NET_HDR_LEN)
			l[0] = NET_HDR_LEN;
	}
	if (!fz_reserve(e, fz_need(l, n, indirect)))
		return 0xffff;
	for (unsigned i = 0; i < n; i++)
		gpa[i] = fz_alloc(e, l[i]);
	return fz_vq_add(e, q, gpa, l, n, 0, indirect);
}

#endif
