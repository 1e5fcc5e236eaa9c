/* acpi_loader.c - see acpi_loader.h. */
#include "vmm/acpi_loader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TABLES_FILE "etc/acpi/tables"
#define RSDP_FILE "etc/acpi/rsdp"
#define LOADER_FILE "etc/table-loader"
#define TABLES_MAX 0x8000u

/* Commands and zones, as SeaBIOS's romfile_loader.h numbers them. */
enum { CMD_ALLOCATE = 1, CMD_ADD_POINTER = 2, CMD_ADD_CHECKSUM = 3 };
enum { ZONE_HIGH = 1, ZONE_FSEG = 2 };
#define CMD_LEN 128
#define NAME_LEN 56
#define MAX_CMDS 24

struct loader {
	uint8_t cmd[MAX_CMDS][CMD_LEN];
	unsigned n;
};

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t *next(struct loader *l, uint32_t command)
{
	uint8_t *c;

	if (l->n == MAX_CMDS)
		return NULL;	/* the fixed list below never gets here */
	c = l->cmd[l->n++];
	memset(c, 0, CMD_LEN);
	put32(c, command);
	return c;
}

static void allocate(struct loader *l, const char *file, uint32_t align,
		     uint8_t zone)
{
	uint8_t *c = next(l, CMD_ALLOCATE);

	if (!c)
		return;
	strncpy((char *)c + 4, file, NAME_LEN - 1);
	put32(c + 60, align);
	c[64] = zone;
}

/* The `size`-byte field at dest+offset holds an offset into the tables. */
static void pointer(struct loader *l, const char *dest, size_t offset,
		    uint8_t size)
{
	uint8_t *c = next(l, CMD_ADD_POINTER);

	if (!c)
		return;
	strncpy((char *)c + 4, dest, NAME_LEN - 1);
	strncpy((char *)c + 60, TABLES_FILE, NAME_LEN - 1);
	put32(c + 116, (uint32_t)offset);
	c[120] = size;
}

/* SeaBIOS subtracts the sum of [start, start+len) from the byte at offset. */
static void cksum(struct loader *l, const char *file, size_t offset,
		  size_t start, size_t len)
{
	uint8_t *c = next(l, CMD_ADD_CHECKSUM);

	if (!c)
		return;
	strncpy((char *)c + 4, file, NAME_LEN - 1);
	put32(c + 60, (uint32_t)offset);
	put32(c + 64, (uint32_t)start);
	put32(c + 68, (uint32_t)len);
}

static uint32_t table_len(const uint8_t *t)
{
	return (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 |
	       (uint32_t)t[7] << 24;
}

int acpi_loader_add(struct fw_cfg *cfg, const struct acpi_machine *m)
{
	uint8_t *buf = calloc(1, TABLES_MAX), rsdp[ACPI_RSDP_LEN];
	struct loader *l = calloc(1, sizeof(*l));
	struct acpi_layout t;
	size_t used;
	int r = -ENOMEM;

	if (!buf || !l)
		goto out;
	r = -ENOSPC;
	used = acpi_build(buf, TABLES_MAX, 0, m, &t);
	if (!used)
		goto out;
	/* The RSDP goes in a file of its own; no second copy in the tables. */
	memcpy(rsdp, buf, sizeof(rsdp));
	memset(buf, 0, sizeof(rsdp));

	allocate(l, TABLES_FILE, 64, ZONE_HIGH);
	allocate(l, RSDP_FILE, 16, ZONE_FSEG);
	pointer(l, RSDP_FILE, 16, 4);			/* RsdtAddress */
	pointer(l, RSDP_FILE, 24, 8);			/* XsdtAddress */
	pointer(l, TABLES_FILE, t.fadt + ACPI_FADT_DSDT, 4);
	pointer(l, TABLES_FILE, t.fadt + ACPI_FADT_X_DSDT, 8);
	for (unsigned i = 0; i < 2; i++) {		/* FADT, MADT */
		pointer(l, TABLES_FILE, t.rsdt + ACPI_HEADER_LEN + 4 * i, 4);
		pointer(l, TABLES_FILE, t.xsdt + ACPI_HEADER_LEN + 8 * i, 8);
	}
	const size_t tables[] = { t.dsdt, t.fadt, t.madt, t.rsdt, t.xsdt };
	for (unsigned i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		cksum(l, TABLES_FILE, tables[i] + 9, tables[i],
		      table_len(buf + tables[i]));
	cksum(l, RSDP_FILE, 8, 0, 20);			/* the ACPI 1.0 part first */
	cksum(l, RSDP_FILE, 32, 0, ACPI_RSDP_LEN);

	r = fw_cfg_add_file(cfg, TABLES_FILE, buf, used);
	if (r >= 0)
		r = fw_cfg_add_file(cfg, RSDP_FILE, rsdp, sizeof(rsdp));
	if (r >= 0)
		r = fw_cfg_add_file(cfg, LOADER_FILE, l->cmd, l->n * CMD_LEN);
	if (r > 0)
		r = 0;
out:
	free(buf);
	free(l);
	return r;
}
