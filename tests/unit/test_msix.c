/*
 * devices/msix.c on its own, in a plain PCI function that is not virtio:
 * the capability as a driver finds it, table reads and writes at any size,
 * per-vector and function masking, pending bits in the PBA (beyond the
 * first 64 vectors too) and their delivery when the mask is lifted.
 */
#include <errno.h>
#include <linux/pci_regs.h>

#include "check.h"
#include "devices/msix.h"
#include "fake_guest.h"

#define TABLE 0x0000
#define PBA 0x0800
#define SLOT 1

struct env {
	struct fake_guest *g;
	struct pci_bus *bus;
	struct pci_device *dev;
	struct msix m;
	uint64_t bar;
};

/* BAR 0 of the function: the table, then the PBA. */
static void bar_access(void *opaque, uint64_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct env *e = opaque;

	if (off < PBA)
		msix_table_access(&e->m, (unsigned)(off - TABLE), data, len,
				  is_write);
	else
		msix_pba_access(&e->m, (unsigned)(off - PBA), data, len,
				is_write);
}

static void cfg_write(struct pci_device *dev, unsigned off, unsigned len)
{
	struct env *e = dev->opaque;

	msix_cfg_write(&e->m, off, len);
}

static const struct pci_device_ops ops = { .cfg_write = cfg_write };

static struct env *env_new(unsigned nvectors)
{
	struct env *e = calloc(1, sizeof(*e));
	struct pci_device_info pi = {
		.vendor = 0x1234, .device = 0x5678, .class_code = 0xff0000,
		.gsi = 5, .ops = &ops, .opaque = e,
	};

	e->g = fg_new();
	e->bus = pci_create(&e->g->plat, 0xc0000000, 0x1000000, 0xc000, 0x1000, NULL, 0);
	e->dev = pci_add_device(e->bus, &pi);
	pci_add_bar(e->dev, 0, PCI_BAR_MEM32, 0x1000, bar_access, e, "msix");
	CHECK_EQ(msix_init(&e->m, e->dev, &e->g->plat.irq, nvectors, 0, TABLE,
			   PBA), 0);
	e->bar = fg_cfg_read(e->g, SLOT, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	return e;
}

static void env_free(struct env *e)
{
	msix_fini(&e->m);
	pci_destroy(e->bus);
	fg_free(e->g);
	free(e);
}

static uint64_t rd(struct env *e, unsigned off, unsigned len)
{
	return fg_mmio_read(e->g, e->bar + off, len);
}

static void wr(struct env *e, unsigned off, unsigned len, uint64_t v)
{
	fg_mmio_write(e->g, e->bar + off, len, v);
}

static void ctrl(struct env *e, uint16_t v)
{
	fg_cfg_write(e->g, SLOT, e->m.cap + PCI_MSIX_FLAGS, 2, v);
}

/* Programs entry v: message address and data, mask bit. */
static void entry(struct env *e, unsigned v, uint64_t addr, uint32_t data,
		  bool masked)
{
	wr(e, TABLE + 16 * v, 8, addr);
	wr(e, TABLE + 16 * v + 8, 4, data);
	wr(e, TABLE + 16 * v + 12, 4, masked);
}

TEST(capability_names_table_size_bar_and_offsets)
{
	struct env *e = env_new(5);
	unsigned c = fg_cfg_read(e->g, SLOT, PCI_CAPABILITY_LIST, 1);

	CHECK_EQ(c, e->m.cap);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, c, 1), PCI_CAP_ID_MSIX);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, c + PCI_MSIX_FLAGS, 2), 4);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, c + PCI_MSIX_TABLE, 4), TABLE | 0);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, c + PCI_MSIX_PBA, 4), PBA | 0);
	/* Table Size is read-only; Enable and Function Mask are not. */
	ctrl(e, 0xffff);
	CHECK_EQ(fg_cfg_read(e->g, SLOT, c + PCI_MSIX_FLAGS, 2), 0xc004);
	env_free(e);
}

TEST(entries_start_masked_and_read_back_what_was_written)
{
	struct env *e = env_new(3);

	for (unsigned v = 0; v < 3; v++)
		CHECK_EQ(rd(e, TABLE + 16 * v + 12, 4), 1);
	wr(e, TABLE + 16, 8, 0x00000001fee01000ull);	/* one qword */
	wr(e, TABLE + 24, 2, 0x4321);
	wr(e, TABLE + 26, 1, 0x65);
	CHECK_EQ(rd(e, TABLE + 16, 4), 0xfee01000);
	CHECK_EQ(rd(e, TABLE + 20, 4), 1);
	CHECK_EQ(rd(e, TABLE + 24, 4), 0x654321);
	CHECK_EQ(rd(e, TABLE + 17, 2), 0xe010);		/* unaligned */
	/* Past the last entry: reads zero, writes go nowhere. */
	wr(e, TABLE + 48, 4, 0xdeadbeef);
	CHECK_EQ(rd(e, TABLE + 48, 4), 0);
	CHECK_EQ(rd(e, TABLE + 44, 8), 0);		/* straddles the end */
	env_free(e);
}

TEST(nothing_is_sent_while_msix_is_disabled)
{
	struct env *e = env_new(2);

	entry(e, 0, 0xfee00000, 0x31, false);
	CHECK(!msix_enabled(&e->m));
	CHECK(!msix_notify(&e->m, 0));
	CHECK_EQ(e->g->nmsi, 0);
	CHECK_EQ(rd(e, PBA, 8), 0);
	ctrl(e, PCI_MSIX_FLAGS_ENABLE);
	CHECK(msix_notify(&e->m, 0));
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(e->g->msi_addr[0], 0xfee00000);
	CHECK_EQ(e->g->msi_data[0], 0x31);
	CHECK(!msix_notify(&e->m, 2));			/* not a vector */
	CHECK_EQ(e->g->nmsi, 1);
	env_free(e);
}

TEST(masked_vector_sets_its_pending_bit_and_unmask_delivers_it)
{
	struct env *e = env_new(4);

	ctrl(e, PCI_MSIX_FLAGS_ENABLE);
	entry(e, 2, 0xfee01000, 0x42, true);
	CHECK(msix_notify(&e->m, 2));
	CHECK(msix_notify(&e->m, 2));			/* still one bit */
	CHECK_EQ(e->g->nmsi, 0);
	CHECK_EQ(e->m.held, 2);
	CHECK_EQ(rd(e, PBA, 8), 1u << 2);
	CHECK_EQ(rd(e, PBA, 1), 1u << 2);
	wr(e, PBA, 8, 0);				/* the PBA is read-only */
	CHECK_EQ(rd(e, PBA, 8), 1u << 2);
	/* The message is the one in the table when it is sent. */
	wr(e, TABLE + 16 * 2 + 8, 4, 0x43);
	CHECK_EQ(e->g->nmsi, 0);
	wr(e, TABLE + 16 * 2 + 12, 4, 0);		/* unmask */
	CHECK_EQ(e->g->nmsi, 1);
	CHECK_EQ(e->g->msi_addr[0], 0xfee01000);
	CHECK_EQ(e->g->msi_data[0], 0x43);
	CHECK_EQ(rd(e, PBA, 8), 0);
	CHECK_EQ(e->m.sent, 1);
	env_free(e);
}

TEST(function_mask_holds_every_vector_until_cleared)
{
	struct env *e = env_new(3);

	entry(e, 0, 0xfee00000, 0x30, false);
	entry(e, 1, 0xfee00000, 0x31, true);
	entry(e, 2, 0xfee00000, 0x32, false);
	ctrl(e, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	msix_notify(&e->m, 0);
	msix_notify(&e->m, 1);
	msix_notify(&e->m, 2);
	CHECK_EQ(e->g->nmsi, 0);
	CHECK_EQ(rd(e, PBA, 8), 7);
	ctrl(e, PCI_MSIX_FLAGS_ENABLE);			/* vector 1 stays masked */
	CHECK_EQ(e->g->nmsi, 2);
	CHECK_EQ(e->g->msi_data[0], 0x30);
	CHECK_EQ(e->g->msi_data[1], 0x32);
	CHECK_EQ(rd(e, PBA, 8), 2);
	/* Disabling MSI-X keeps what is pending; enabling sends it. */
	ctrl(e, 0);
	wr(e, TABLE + 16 + 12, 4, 0);
	CHECK_EQ(e->g->nmsi, 2);
	ctrl(e, PCI_MSIX_FLAGS_ENABLE);
	CHECK_EQ(e->g->nmsi, 3);
	CHECK_EQ(e->g->msi_data[2], 0x31);
	env_free(e);
}

TEST(pba_has_a_bit_for_every_vector_past_the_first_64)
{
	struct env *e = env_new(100);

	CHECK_EQ(msix_table_size(&e->m), 1600);
	CHECK_EQ(msix_pba_size(&e->m), 16);
	ctrl(e, PCI_MSIX_FLAGS_ENABLE);
	msix_notify(&e->m, 70);
	msix_notify(&e->m, 99);
	CHECK_EQ(rd(e, PBA, 8), 0);
	CHECK_EQ(rd(e, PBA + 8, 8), (1ull << 6) | (1ull << 35));
	CHECK_EQ(rd(e, PBA + 8, 1), 1u << 6);
	CHECK_EQ(rd(e, PBA + 16, 8), 0);		/* past the PBA */
	msix_clear_pending(&e->m);
	CHECK_EQ(rd(e, PBA + 8, 8), 0);
	wr(e, TABLE + 16 * 70 + 12, 4, 0);		/* nothing left to send */
	CHECK_EQ(e->g->nmsi, 0);
	env_free(e);
}

TEST(init_refuses_no_vectors_and_unaligned_offsets)
{
	struct env *e = env_new(1);
	struct msix m;

	CHECK_EQ(msix_init(&m, e->dev, &e->g->plat.irq, 0, 0, 0, 0x800),
		 -EINVAL);
	CHECK_EQ(msix_init(&m, e->dev, &e->g->plat.irq, 2, 0, 4, 0x800),
		 -EINVAL);
	CHECK_EQ(msix_init(&m, e->dev, &e->g->plat.irq, MSIX_MAX_VECTORS + 1,
			   0, 0, 0x800), -EINVAL);
	env_free(e);
}

RUN_TESTS()
