/*
 * fw_cfg.c - the firmware configuration device (see fw_cfg.h).
 *
 * Every item is a byte array owned here; the guest reads one item at a
 * time from a cursor that selecting rewinds.  The file directory (key 0x19)
 * is rebuilt whenever a file is added, so it is always a plain item too.
 */
#include "devices/fw_cfg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define N_FIXED 0x20		/* keys 0x00..0x1f */
#define N_ARCH 0x10		/* keys 0x8000..0x800f */
#define KEY_ARCH 0x8000
#define DIR_ENTRY_LEN 64	/* be32 size, be16 key, be16 reserved, name[56] */

struct fw_cfg_item {
	uint8_t *data;
	uint32_t len;
};

struct fw_cfg_file {
	char name[FW_CFG_NAME_LEN];
	struct fw_cfg_item item;
};

struct fw_cfg {
	const struct guest_mem *mem;
	struct fw_cfg_item fixed[N_FIXED];
	struct fw_cfg_item arch[N_ARCH];
	struct fw_cfg_file file[FW_CFG_MAX_FILES];
	unsigned nfiles;
	const struct fw_cfg_item *cur;	/* NULL: an unknown key is selected */
	uint32_t offset;		/* cursor into cur */
	uint32_t dma_high;		/* latched by a write to 0x514 */
	struct fw_cfg_stats stats;
};

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int set_item(struct fw_cfg_item *it, const void *data, size_t len)
{
	uint8_t *copy;

	if (len > UINT32_MAX)
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	return 0;
}

/* The item a selector value names (bit 14, the write channel, ignored). */
static const struct fw_cfg_item *lookup(const struct fw_cfg *c, uint16_t key)
{
	uint16_t k = key & (uint16_t)~0x4000u;

	if (k < N_FIXED)
		return c->fixed[k].data ? &c->fixed[k] : NULL;
	if (k >= FW_CFG_FILE_FIRST && k < FW_CFG_FILE_FIRST + c->nfiles)
		return &c->file[k - FW_CFG_FILE_FIRST].item;
	if (k >= KEY_ARCH && k < KEY_ARCH + N_ARCH)
		return c->arch[k - KEY_ARCH].data ? &c->arch[k - KEY_ARCH] : NULL;
	return NULL;
}

static void select_key(struct fw_cfg *c, uint16_t key)
{
	c->cur = lookup(c, key);
	c->offset = 0;
}

static int rebuild_dir(struct fw_cfg *c)
{
	size_t len = 4 + (size_t)c->nfiles * DIR_ENTRY_LEN;
	uint8_t *dir = calloc(1, len);
	int r;

	if (!dir)
		return -ENOMEM;
	put_be32(dir, c->nfiles);
	for (unsigned i = 0; i < c->nfiles; i++) {
		uint8_t *e = dir + 4 + (size_t)i * DIR_ENTRY_LEN;
		uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + i);

		put_be32(e, c->file[i].item.len);
		e[4] = (uint8_t)(key >> 8);
		e[5] = (uint8_t)key;
		memcpy(e + 8, c->file[i].name, FW_CFG_NAME_LEN);
	}
	r = set_item(&c->fixed[FW_CFG_FILE_DIR], dir, len);
	free(dir);
	return r;
}

struct fw_cfg *fw_cfg_create(struct bus *bus, const struct guest_mem *mem,
			     char *err, size_t errlen)
{
	struct fw_cfg *c = calloc(1, sizeof(*c));

	if (!c) {
		snprintf(err, errlen, "fw_cfg: out of memory");
		return NULL;
	}
	c->mem = mem;
	if (fw_cfg_add_bytes(c, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    fw_cfg_add_u32(c, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA) < 0 ||
	    rebuild_dir(c) < 0) {
		fw_cfg_destroy(c);
		snprintf(err, errlen, "fw_cfg: out of memory");
		return NULL;
	}
	if (bus_claim(bus, BUS_PIO, FW_CFG_PORT_SEL, 12, fw_cfg_io, c, "fw_cfg",
		      err, errlen) < 0) {
		fw_cfg_destroy(c);
		return NULL;
	}
	return c;
}

void fw_cfg_destroy(struct fw_cfg *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < N_FIXED; i++)
		free(c->fixed[i].data);
	for (unsigned i = 0; i < N_ARCH; i++)
		free(c->arch[i].data);
	for (unsigned i = 0; i < c->nfiles; i++)
		free(c->file[i].item.data);
	free(c);
}

int fw_cfg_add_bytes(struct fw_cfg *c, uint16_t key, const void *data,
		     size_t len)
{
	if (key < N_FIXED && key != FW_CFG_FILE_DIR)
		return set_item(&c->fixed[key], data, len);
	if (key >= KEY_ARCH && key < KEY_ARCH + N_ARCH)
		return set_item(&c->arch[key - KEY_ARCH], data, len);
	return -EINVAL;
}

int fw_cfg_add_u16(struct fw_cfg *c, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *c, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *c, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add_bytes(c, key, b, sizeof(b));
}

int fw_cfg_add_file(struct fw_cfg *c, const char *name, const void *data,
		    size_t len)
{
	struct fw_cfg_file *f;
	int r;

	if (strlen(name) >= FW_CFG_NAME_LEN)
		return -ENAMETOOLONG;
	for (unsigned i = 0; i < c->nfiles; i++)
		if (strcmp(c->file[i].name, name) == 0)
			return -EEXIST;
	if (c->nfiles >= FW_CFG_MAX_FILES)
		return -ENOSPC;
	f = &c->file[c->nfiles];
	memset(f, 0, sizeof(*f));
	r = set_item(&f->item, data, len);
	if (r < 0)
		return r;
	strcpy(f->name, name);
	c->nfiles++;
	r = rebuild_dir(c);
	if (r < 0) {
		c->nfiles--;
		free(f->item.data);
		f->item.data = NULL;
		return r;
	}
	/* The directory moved; a guest mid-read of it starts over. */
	c->cur = NULL;
	return FW_CFG_FILE_FIRST + (int)c->nfiles - 1;
}

const struct fw_cfg_stats *fw_cfg_stats(const struct fw_cfg *c)
{
	return &c->stats;
}

/*
 * Carries out one DMA request (fw_cfg.rst "DMA interface"): select, then
 * one of read (copy from the item, zeros past its end, as QEMU does), skip
 * (move the cursor) or write (refused: nothing here is writable).  A bad
 * guest buffer sets the error bit; the cursor still moves as far as the
 * transfer asked, matching QEMU, so the guest sees a consistent position.
 * Returns the control value to write back.
 */
static uint32_t dma_run(struct fw_cfg *c, uint32_t control, uint32_t len,
			uint64_t addr)
{
	uint32_t result = 0;

	if (control & FW_CFG_DMA_CTL_SELECT)
		select_key(c, (uint16_t)(control >> 16));
	if (control & FW_CFG_DMA_CTL_WRITE)
		return FW_CFG_DMA_CTL_ERROR;
	if (control & FW_CFG_DMA_CTL_READ) {
		uint8_t *dst = len ? gm_ptr(c->mem, addr, len) : NULL;
		uint32_t have = 0;

		if (len && !dst)
			return FW_CFG_DMA_CTL_ERROR;
		if (c->cur && c->offset < c->cur->len)
			have = c->cur->len - c->offset;
		if (have > len)
			have = len;
		if (have)
			memcpy(dst, c->cur->data + c->offset, have);
		if (len > have)
			memset(dst + have, 0, len - have);
	} else if (!(control & FW_CFG_DMA_CTL_SKIP)) {
		return result;	/* select only */
	}
	c->offset = c->offset + len < c->offset ? UINT32_MAX : c->offset + len;
	return result;
}

/* The guest wrote the low half of the DMA address: run the request there. */
static void dma_kick(struct fw_cfg *c, uint64_t desc_addr)
{
	uint8_t desc[16];
	uint32_t control, len, result;
	uint64_t addr;

	if (gm_read(c->mem, desc_addr, desc, sizeof(desc)) < 0) {
		c->stats.dma_bad_desc++;
		warn_guest("fw_cfg: DMA access structure at %#llx is not in RAM",
			   (unsigned long long)desc_addr);
		return;
	}
	control = get_be32(desc);
	len = get_be32(desc + 4);
	addr = (uint64_t)get_be32(desc + 8) << 32 | get_be32(desc + 12);
	result = dma_run(c, control, len, addr);
	if (result & FW_CFG_DMA_CTL_ERROR) {
		c->stats.dma_errors++;
		warn_guest("fw_cfg: DMA control %#x len %u at %#llx refused",
			   control, len, (unsigned long long)addr);
	} else {
		c->stats.dma_ok++;
	}
	put_be32(desc, result);
	gm_write(c->mem, desc_addr, desc, 4);
}

void fw_cfg_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
	       bool is_write)
{
	struct fw_cfg *c = opaque;
	static const uint8_t sig[8] = "QEMU CFG";

	if (!is_write) {
		for (uint32_t i = 0; i < len; i++) {
			uint64_t o = off + i;

			if (o == 1 && len == 1) {
				data[i] = c->cur && c->offset < c->cur->len ?
					  c->cur->data[c->offset] : 0;
				if (c->cur && c->offset < c->cur->len)
					c->offset++;
			} else if (o >= 4 && o < 12) {
				data[i] = sig[o - 4];
			} else {
				data[i] = 0;
			}
		}
		return;
	}
	if (off == 0 && len == 2) {
		select_key(c, (uint16_t)(data[0] | data[1] << 8));
	} else if (off == 4 && len == 4) {
		c->dma_high = get_be32(data);
	} else if (off == 8 && len == 4) {
		dma_kick(c, (uint64_t)c->dma_high << 32 | get_be32(data));
		c->dma_high = 0;
	}
	/* Writes to the data port are ignored, as in QEMU since 2.4. */
}
