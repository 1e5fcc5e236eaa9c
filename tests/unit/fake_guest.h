/*
 * fake_guest.h - a pretend machine for device unit tests: guest RAM is a
 * calloc'd region registered with gm_add_region, the I/O bus is real, the
 * interrupt sink records every line change and MSI, and the ioeventfd hook
 * records bindings.  Accessors do what a driver does: port I/O on
 * 0xcf8/0xcfc for config space, MMIO through bus_access.
 * A driver-side split ring (struct fake_vq) builds descriptor chains in
 * fake RAM the way Linux, OpenBSD or iPXE would.
 */
#ifndef MINIVMM_FAKE_GUEST_H
#define MINIVMM_FAKE_GUEST_H

#include <linux/virtio_pci.h>
#include <stdlib.h>
#include <string.h>

#include "common/guest_mem.h"
#include "devices/bus.h"
#include "devices/platform.h"

#define FG_RAM_BASE 0x100000ull
#define FG_RAM_SIZE (8ull << 20)
#define FG_MAX_MSI 256
#define FG_MAX_IOEV 32

struct fake_guest {
	struct guest_mem gm;
	uint8_t *ram;
	uint64_t next;		/* bump allocator, guest-physical */
	struct bus bus;
	struct platform plat;
	int line[64];
	unsigned line_changes;
	unsigned nmsi;
	uint64_t msi_addr[FG_MAX_MSI];
	uint32_t msi_data[FG_MAX_MSI];
	struct {
		enum bus_space space;
		uint64_t addr;
		uint32_t len;
		int fd;
		bool add;
	} ioev[FG_MAX_IOEV];
	unsigned nioev;
	int ioev_result;
};

static inline int fg_set_line(void *opaque, unsigned gsi, int level)
{
	struct fake_guest *g = opaque;

	if (gsi < 64 && g->line[gsi] != level) {
		g->line[gsi] = level;
		g->line_changes++;
	}
	return 0;
}

static inline int fg_send_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fake_guest *g = opaque;

	if (g->nmsi < FG_MAX_MSI) {
		g->msi_addr[g->nmsi] = addr;
		g->msi_data[g->nmsi] = data;
	}
	g->nmsi++;
	return 0;
}

static inline int fg_ioeventfd(void *opaque, enum bus_space space,
			       uint64_t addr, uint32_t len, int fd, bool add)
{
	struct fake_guest *g = opaque;

	if (g->nioev < FG_MAX_IOEV)
		g->ioev[g->nioev++] = (__typeof__(g->ioev[0])){ space, addr,
								len, fd, add };
	return g->ioev_result;
}

/* A machine with RAM at FG_RAM_BASE; no event loop, no ioeventfd. */
static inline struct fake_guest *fg_new(void)
{
	struct fake_guest *g = calloc(1, sizeof(*g));

	g->ram = calloc(1, FG_RAM_SIZE);
	gm_add_region(&g->gm, FG_RAM_BASE, FG_RAM_SIZE, g->ram);
	g->next = FG_RAM_BASE;
	bus_init(&g->bus);
	g->plat.bus = &g->bus;
	g->plat.mem = &g->gm;
	g->plat.irq = (struct irq_sink){ fg_set_line, fg_send_msi, g };
	return g;
}

static inline void fg_free(struct fake_guest *g)
{
	free(g->ram);
	free(g);
}

static inline uint64_t fg_alloc(struct fake_guest *g, uint64_t size,
				uint64_t align)
{
	uint64_t a = (g->next + align - 1) & ~(align - 1);

	g->next = a + size;
	if (g->next > FG_RAM_BASE + FG_RAM_SIZE)
		abort();
	return a;
}

static inline void *fg_ptr(struct fake_guest *g, uint64_t gpa)
{
	return g->ram + (gpa - FG_RAM_BASE);
}

/* ---- what a driver does on the buses ---- */

static inline uint64_t fg_io(struct fake_guest *g, enum bus_space space,
			     uint64_t addr, unsigned len, bool write,
			     uint64_t val)
{
	uint8_t d[8] = { 0 };
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		d[i] = (uint8_t)(val >> (8 * i));
	bus_access(&g->bus, space, addr, d, len, write);
	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static inline uint32_t fg_cfg_read(struct fake_guest *g, unsigned slot,
				   unsigned off, unsigned len)
{
	fg_io(g, BUS_PIO, 0xcf8, 4, true,
	      0x80000000u | slot << 11 | (off & 0xfc));
	return (uint32_t)fg_io(g, BUS_PIO, 0xcfc + (off & 3), len, false, 0);
}

static inline void fg_cfg_write(struct fake_guest *g, unsigned slot,
				unsigned off, unsigned len, uint32_t val)
{
	fg_io(g, BUS_PIO, 0xcf8, 4, true,
	      0x80000000u | slot << 11 | (off & 0xfc));
	fg_io(g, BUS_PIO, 0xcfc + (off & 3), len, true, val);
}

static inline uint64_t fg_mmio_read(struct fake_guest *g, uint64_t addr,
				    unsigned len)
{
	return fg_io(g, BUS_MMIO, addr, len, false, 0);
}

static inline void fg_mmio_write(struct fake_guest *g, uint64_t addr,
				 unsigned len, uint64_t val)
{
	fg_io(g, BUS_MMIO, addr, len, true, val);
}

/* The 64 feature bits a virtio-pci device at BAR address bar offers, read as a driver does. */
static inline uint64_t fg_virtio_offered(struct fake_guest *g, uint64_t bar)
{
	uint64_t f;

	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	f = fg_mmio_read(g, bar + VIRTIO_PCI_COMMON_DF, 4);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return f | fg_mmio_read(g, bar + VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/* Writes the 64-bit driver feature word, both halves (4.1.4.3). */
static inline void fg_virtio_set_features(struct fake_guest *g, uint64_t bar,
					  uint64_t f)
{
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)f);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_GF, 4, (uint32_t)(f >> 32));
}

/* ---- a driver's side of a split ring ---- */

#define FVQ_NEXT 1
#define FVQ_WRITE 2
#define FVQ_INDIRECT 4

struct fake_vq {
	struct fake_guest *g;
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t avail_idx, last_used, next_free;
};

struct fbuf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

static inline void fvq_init(struct fake_vq *q, struct fake_guest *g,
			    uint16_t size)
{
	q->g = g;
	q->size = size;
	q->desc = fg_alloc(g, 16ull * size, 16);
	q->avail = fg_alloc(g, 6 + 2ull * size, 2);
	q->used = fg_alloc(g, 6 + 8ull * size, 4);
	q->avail_idx = q->last_used = q->next_free = 0;
}

static inline void fvq_desc(struct fake_vq *q, uint64_t table, unsigned i,
			    uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	uint8_t *d = fg_ptr(q->g, table + 16ull * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

static inline void fvq_set16(struct fake_vq *q, uint64_t gpa, uint16_t v)
{
	memcpy(fg_ptr(q->g, gpa), &v, 2);
}

static inline uint16_t fvq_get16(struct fake_vq *q, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, fg_ptr(q->g, gpa), 2);
	return v;
}

/* Makes head available (avail ring entry + idx). */
static inline void fvq_publish(struct fake_vq *q, uint16_t head)
{
	fvq_set16(q, q->avail + 4 + 2ull * (q->avail_idx % q->size), head);
	q->avail_idx++;
	fvq_set16(q, q->avail + 2, q->avail_idx);
}

/* Chains bufs[0..n) through consecutive descriptors and publishes it. */
static inline uint16_t fvq_add(struct fake_vq *q, const struct fbuf *b,
			       unsigned n)
{
	uint16_t head = q->next_free;

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % q->size);
		uint16_t nx = (uint16_t)((head + i + 1) % q->size);

		fvq_desc(q, q->desc, idx, b[i].gpa, b[i].len,
			 (uint16_t)((i + 1 < n ? FVQ_NEXT : 0) |
				    (b[i].write ? FVQ_WRITE : 0)), nx);
	}
	q->next_free = (uint16_t)((head + n) % q->size);
	fvq_publish(q, head);
	return head;
}

/*
 * Sets queue q of the virtio-pci device at BAR address bar up on fq's
 * rings and enables it, as a driver does before DRIVER_OK (4.1.5.1.3).
 */
static inline void fvq_enable(struct fake_vq *q, uint64_t bar, unsigned qi)
{
	struct fake_guest *g = q->g;

	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_SELECT, 2, qi);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_SIZE, 2, q->size);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)q->desc);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_AVAILLO, 4, (uint32_t)q->avail);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)q->used);
	fg_mmio_write(g, bar + VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

/* Takes the next used entry; 1 if there was one. */
static inline int fvq_used(struct fake_vq *q, uint32_t *id, uint32_t *len)
{
	uint8_t *e;

	if (fvq_get16(q, q->used + 2) == q->last_used)
		return 0;
	e = fg_ptr(q->g, q->used + 4 + 8ull * (q->last_used % q->size));
	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
	q->last_used++;
	return 1;
}

static inline uint16_t fvq_used_idx(struct fake_vq *q)
{
	return fvq_get16(q, q->used + 2);
}

/* used_event lives after the avail ring; avail_event after the used ring. */
static inline void fvq_set_used_event(struct fake_vq *q, uint16_t v)
{
	fvq_set16(q, q->avail + 4 + 2ull * q->size, v);
}

static inline uint16_t fvq_avail_event(struct fake_vq *q)
{
	return fvq_get16(q, q->used + 4 + 8ull * q->size);
}

#endif
