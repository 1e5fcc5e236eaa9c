/*
 * The ACPI tables for SeaBIOS: the three fw_cfg files are read back the
 * way SeaBIOS reads them, its loader is played here (allocate, add
 * pointers, recompute checksums, as src/fw/romfile_loader.c does), and the
 * tables that result must be whole: reachable from the RSDP in the F
 * segment, pointing at each other at their new addresses, every checksum
 * zero.  And the PCI interrupts the _PRT must name are SeaBIOS's.
 */
#include "check.h"
#include "devices/fw_cfg.h"
#include "fake_guest.h"
#include "vmm/acpi_loader.h"
#include "vmm/firmware.h"

#define TABLES_AT 0x1fff0000u	/* where this "SeaBIOS" puts each file */
#define RSDP_AT 0xf5a40u

struct file {
	char name[57];
	uint8_t data[0x8000];
	uint32_t len;
	uint32_t addr;
};

static struct file files[8];
static unsigned nfiles;

static void sel(struct fake_guest *g, uint16_t key)
{
	fg_io(g, BUS_PIO, FW_CFG_PORT_SEL, 2, true, key);
}

static uint8_t rd(struct fake_guest *g)
{
	return (uint8_t)fg_io(g, BUS_PIO, FW_CFG_PORT_DATA, 1, false, 0);
}

static uint32_t rd_be(struct fake_guest *g, unsigned n)
{
	uint32_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | rd(g);
	return v;
}

/* Reads the directory, then every file, through the data port. */
static void read_files(struct fake_guest *g)
{
	uint32_t count;
	struct { uint16_t key; } keys[8];

	sel(g, FW_CFG_FILE_DIR);
	count = rd_be(g, 4);
	nfiles = 0;
	for (uint32_t i = 0; i < count && nfiles < 8; i++) {
		struct file *f = &files[nfiles];
		f->len = rd_be(g, 4);
		keys[nfiles].key = (uint16_t)rd_be(g, 2);
		rd_be(g, 2);
		for (int k = 0; k < 56; k++)
			f->name[k] = (char)rd(g);
		f->name[56] = 0;
		nfiles++;
	}
	for (unsigned i = 0; i < nfiles; i++) {
		sel(g, keys[i].key);
		for (uint32_t k = 0; k < files[i].len && k < sizeof(files[i].data); k++)
			files[i].data[k] = rd(g);
	}
}

static struct file *by_name(const char *name)
{
	for (unsigned i = 0; i < nfiles; i++)
		if (strcmp(files[i].name, name) == 0)
			return &files[i];
	return NULL;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* SeaBIOS's romfile_loader_execute(), for the three commands used. */
static int run_loader(const struct file *loader)
{
	for (uint32_t off = 0; off + 128 <= loader->len; off += 128) {
		const uint8_t *c = loader->data + off;
		struct file *f = by_name((const char *)c + 4), *src;

		if (!f)
			return -1;
		switch (le(c, 4)) {
		case 1:
			f->addr = c[64] == 2 ? RSDP_AT : TABLES_AT;
			if (le(c + 60, 4) == 0 || f->addr % le(c + 60, 4))
				return -1;
			break;
		case 2: {
			uint32_t at = (uint32_t)le(c + 116, 4);
			unsigned size = c[120];
			uint64_t v;

			src = by_name((const char *)c + 60);
			if (!src || !src->addr || at + size > f->len)
				return -1;
			v = le(f->data + at, size) + src->addr;
			for (unsigned i = 0; i < size; i++)
				f->data[at + i] = (uint8_t)(v >> (8 * i));
			break;
		}
		case 3: {
			uint32_t at = (uint32_t)le(c + 60, 4);
			uint32_t start = (uint32_t)le(c + 64, 4);
			uint32_t len = (uint32_t)le(c + 68, 4);

			if (at >= f->len || start + len > f->len)
				return -1;
			f->data[at] = (uint8_t)(f->data[at] - sum(f->data + start, len));
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

/* The table at guest address a, in the tables file. */
static const uint8_t *table_at(uint64_t a)
{
	struct file *t = by_name("etc/acpi/tables");

	if (!t || a < t->addr || a + ACPI_HEADER_LEN > t->addr + t->len)
		return NULL;
	return t->data + (a - t->addr);
}

TEST(seabios_loader_places_and_links_the_tables)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *cfg = fw_cfg_create(&g->bus, &g->gm, NULL, 0);
	const struct mptable_pci_irq pci[] = { { 2, 0, 10 }, { 3, 0, 11 } };
	struct acpi_machine m = { 2, pci, 2 };
	struct file *rsdp, *loader;
	const uint8_t *rsdt, *xsdt, *fadt, *dsdt, *madt;

	CHECK_EQ(acpi_loader_add(cfg, &m), 0);
	read_files(g);
	rsdp = by_name("etc/acpi/rsdp");
	loader = by_name("etc/table-loader");
	CHECK(rsdp && loader && by_name("etc/acpi/tables"));
	if (!rsdp || !loader || !by_name("etc/acpi/tables"))
		return;
	CHECK_EQ(rsdp->len, ACPI_RSDP_LEN);
	CHECK_EQ(loader->len % 128, 0);
	CHECK_EQ(run_loader(loader), 0);

	CHECK_MEM(rsdp->data, "RSD PTR ", 8);
	CHECK_EQ(sum(rsdp->data, 20), 0);
	CHECK_EQ(sum(rsdp->data, ACPI_RSDP_LEN), 0);
	rsdt = table_at(le(rsdp->data + 16, 4));
	xsdt = table_at(le(rsdp->data + 24, 8));
	CHECK(rsdt && xsdt);
	if (!rsdt || !xsdt)
		return;
	CHECK_MEM(rsdt, "RSDT", 4);
	CHECK_MEM(xsdt, "XSDT", 4);
	CHECK_EQ(sum(rsdt, le(rsdt + 4, 4)), 0);
	CHECK_EQ(sum(xsdt, le(xsdt + 4, 4)), 0);
	fadt = table_at(le(xsdt + 36, 8));
	madt = table_at(le(xsdt + 44, 8));
	CHECK(fadt && madt);
	if (!fadt || !madt)
		return;
	CHECK_MEM(fadt, "FACP", 4);
	CHECK_MEM(madt, "APIC", 4);
	CHECK_EQ(le(rsdt + 36, 4), le(xsdt + 36, 8));
	CHECK_EQ(le(rsdt + 40, 4), le(xsdt + 44, 8));
	CHECK_EQ(sum(fadt, le(fadt + 4, 4)), 0);
	CHECK_EQ(sum(madt, le(madt + 4, 4)), 0);
	dsdt = table_at(le(fadt + ACPI_FADT_X_DSDT, 8));
	CHECK(dsdt != NULL);
	if (!dsdt)
		return;
	CHECK_MEM(dsdt, "DSDT", 4);
	CHECK_EQ(le(fadt + ACPI_FADT_DSDT, 4), le(fadt + ACPI_FADT_X_DSDT, 8));
	CHECK_EQ(sum(dsdt, le(dsdt + 4, 4)), 0);
	/* No second RSDP in the tables file, where no scan would look anyway. */
	CHECK(memcmp(by_name("etc/acpi/tables")->data, "RSD PTR ", 8) != 0);
	fw_cfg_destroy(cfg);
	fg_free(g);
}

TEST(pci_interrupts_are_seabios_piix_routing)
{
	/* PIRQA-D = 10, 10, 11, 11; slot s pin p on PIRQ (s - 1 + p) mod 4. */
	CHECK_EQ(firmware_pci_irq(1, 0), 10);
	CHECK_EQ(firmware_pci_irq(2, 0), 10);
	CHECK_EQ(firmware_pci_irq(3, 0), 11);
	CHECK_EQ(firmware_pci_irq(4, 0), 11);
	CHECK_EQ(firmware_pci_irq(5, 0), 10);
	CHECK_EQ(firmware_pci_irq(2, 1), 11);
	CHECK_EQ(firmware_pci_irq(2, 3), 10);
}

RUN_TESTS()
