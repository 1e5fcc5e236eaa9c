/*
 * fw_cfg over the fake guest: the port interface as SeaBIOS's
 * qemu_cfg_init() uses it (signature, ID, file directory), and the DMA
 * interface as SeaBIOS and linuxboot_dma use it, bad requests included.
 * Expected bytes are written out by hand from QEMU's docs/specs/fw_cfg.rst.
 */
#include <errno.h>

#include "check.h"
#include "devices/fw_cfg.h"
#include "fake_guest.h"

static void sel(struct fake_guest *g, uint16_t key)
{
	fg_io(g, BUS_PIO, FW_CFG_PORT_SEL, 2, true, key);
}

static uint8_t rd(struct fake_guest *g)
{
	return (uint8_t)fg_io(g, BUS_PIO, FW_CFG_PORT_DATA, 1, false, 0);
}

/* What a guest's outl(cpu_to_be32(x), port) puts on the bus. */
static void out_be32(struct fake_guest *g, uint16_t port, uint32_t v)
{
	uint32_t swapped = __builtin_bswap32(v);

	fg_io(g, BUS_PIO, port, 4, true, swapped);
}

/* Builds an FWCfgDmaAccess at desc and kicks it; returns the control word. */
static uint32_t dma(struct fake_guest *g, uint64_t desc, uint32_t control,
		    uint32_t len, uint64_t addr)
{
	uint8_t *d = fg_ptr(g, desc);
	uint32_t c;

	for (int i = 0; i < 4; i++) {
		d[i] = (uint8_t)(control >> (24 - 8 * i));
		d[4 + i] = (uint8_t)(len >> (24 - 8 * i));
	}
	for (int i = 0; i < 8; i++)
		d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
	out_be32(g, FW_CFG_PORT_DMA, (uint32_t)(desc >> 32));
	out_be32(g, FW_CFG_PORT_DMA + 4, (uint32_t)desc);
	c = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	return c;
}

static struct fw_cfg *make(struct fake_guest *g)
{
	struct fw_cfg *c = fw_cfg_create(&g->bus, &g->gm, NULL, 0);

	CHECK(c != NULL);
	return c;
}

TEST(signature_and_id_read_through_the_data_port)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);

	sel(g, FW_CFG_SIGNATURE);
	CHECK_EQ(rd(g), 'Q');
	CHECK_EQ(rd(g), 'E');
	CHECK_EQ(rd(g), 'M');
	CHECK_EQ(rd(g), 'U');
	CHECK_EQ(rd(g), 0);		/* past the end: zeros */
	sel(g, FW_CFG_ID);
	CHECK_EQ(rd(g), 3);		/* traditional interface + DMA */
	CHECK_EQ(rd(g), 0);
	/* Selecting again rewinds. */
	sel(g, FW_CFG_SIGNATURE);
	CHECK_EQ(rd(g), 'Q');
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(integers_are_little_endian_and_unknown_keys_read_zero)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint8_t b[8];

	CHECK_EQ(fw_cfg_add_u64(c, FW_CFG_RAM_SIZE, 0x20000000ull), 0);
	CHECK_EQ(fw_cfg_add_u16(c, FW_CFG_NB_CPUS, 2), 0);
	sel(g, FW_CFG_RAM_SIZE);
	for (int i = 0; i < 8; i++)
		b[i] = rd(g);
	CHECK_MEM(b, ((uint8_t[]){ 0, 0, 0, 0x20, 0, 0, 0, 0 }), 8);
	sel(g, FW_CFG_NB_CPUS);
	CHECK_EQ(rd(g), 2);
	CHECK_EQ(rd(g), 0);
	sel(g, 0x0d);			/* NUMA: never set */
	CHECK_EQ(rd(g), 0);
	sel(g, 0x1234);
	CHECK_EQ(rd(g), 0);
	/* The directory key and file keys cannot be set as fixed items. */
	CHECK_EQ(fw_cfg_add_u16(c, FW_CFG_FILE_DIR, 1), -EINVAL);
	CHECK_EQ(fw_cfg_add_u16(c, 0x20, 1), -EINVAL);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(file_directory_lists_files_big_endian)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint8_t dir[4 + 2 * 64];

	CHECK_EQ(fw_cfg_add_file(c, "etc/sercon-port", "\xf8\x03", 2), 0x20);
	CHECK_EQ(fw_cfg_add_file(c, "bootorder", "abc", 3), 0x21);
	CHECK_EQ(fw_cfg_add_file(c, "bootorder", "x", 1), -EEXIST);
	CHECK_EQ(fw_cfg_add_file(c, "a-name-that-is-exactly-fifty-six-characters-long-xxxxxxx",
				 "x", 1), -ENAMETOOLONG);
	sel(g, FW_CFG_FILE_DIR);
	for (unsigned i = 0; i < sizeof(dir); i++)
		dir[i] = rd(g);
	CHECK_MEM(dir, ((uint8_t[]){ 0, 0, 0, 2 }), 4);
	/* size 2, key 0x0020, reserved, name */
	CHECK_MEM(dir + 4, ((uint8_t[]){ 0, 0, 0, 2, 0x00, 0x20, 0, 0 }), 8);
	CHECK(strcmp((char *)dir + 12, "etc/sercon-port") == 0);
	CHECK_MEM(dir + 68, ((uint8_t[]){ 0, 0, 0, 3, 0x00, 0x21, 0, 0 }), 8);
	CHECK(strcmp((char *)dir + 76, "bootorder") == 0);
	sel(g, 0x21);
	CHECK_EQ(rd(g), 'a');
	CHECK_EQ(rd(g), 'b');
	CHECK_EQ(rd(g), 'c');
	CHECK_EQ(rd(g), 0);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_interface_signature_reads_qemu_cfg)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint64_t v = fg_io(g, BUS_PIO, FW_CFG_PORT_DMA, 4, false, 0);

	/* Bytes 'Q','E','M','U' at 0x514..0x517, read as a little-endian dword. */
	CHECK_EQ(v, 0x554d4551);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_select_read_copies_and_zero_fills_past_the_end)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint64_t desc = fg_alloc(g, 16, 16), buf = fg_alloc(g, 16, 16);
	uint8_t *p = fg_ptr(g, buf);

	fw_cfg_add_file(c, "etc/boot-fail-wait", "\x05\x00\x00\x00", 4);
	memset(p, 0xee, 16);
	CHECK_EQ(dma(g, desc, 0x20u << 16 | FW_CFG_DMA_CTL_SELECT |
		     FW_CFG_DMA_CTL_READ, 6, buf), 0);
	CHECK_MEM(p, ((uint8_t[]){ 5, 0, 0, 0, 0, 0, 0xee }), 7);
	/* The cursor moved by 6: the port now reads past the end. */
	CHECK_EQ(rd(g), 0);
	CHECK_EQ(fw_cfg_stats(c)->dma_ok, 1);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_skip_then_read_continues_from_the_cursor)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint64_t desc = fg_alloc(g, 16, 16), buf = fg_alloc(g, 16, 16);
	uint8_t *p = fg_ptr(g, buf);

	fw_cfg_add_bytes(c, FW_CFG_CMDLINE_DATA, "console=ttyS0", 14);
	sel(g, FW_CFG_CMDLINE_DATA);
	CHECK_EQ(dma(g, desc, FW_CFG_DMA_CTL_SKIP, 8, 0), 0);
	CHECK_EQ(dma(g, desc, FW_CFG_DMA_CTL_READ, 6, buf), 0);
	CHECK(memcmp(p, "ttyS0", 6) == 0);
	/* A select-only request just rewinds. */
	CHECK_EQ(dma(g, desc, (uint32_t)FW_CFG_CMDLINE_DATA << 16 |
		     FW_CFG_DMA_CTL_SELECT, 0, 0), 0);
	CHECK_EQ(rd(g), 'c');
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_write_is_refused_with_the_error_bit)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint64_t desc = fg_alloc(g, 16, 16), buf = fg_alloc(g, 16, 16);

	fw_cfg_add_file(c, "bootorder", "abc", 3);
	memcpy(fg_ptr(g, buf), "xyz", 3);
	CHECK_EQ(dma(g, desc, 0x20u << 16 | FW_CFG_DMA_CTL_SELECT |
		     FW_CFG_DMA_CTL_WRITE, 3, buf), FW_CFG_DMA_CTL_ERROR);
	sel(g, 0x20);
	CHECK_EQ(rd(g), 'a');		/* unchanged */
	CHECK_EQ(fw_cfg_stats(c)->dma_errors, 1);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_to_addresses_outside_ram_fails_without_writing)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);
	uint64_t desc = fg_alloc(g, 16, 16);
	uint64_t last = FG_RAM_BASE + FG_RAM_SIZE - 2;

	fw_cfg_add_bytes(c, FW_CFG_KERNEL_DATA, "12345678", 8);
	/* Straddles the end of RAM. */
	CHECK_EQ(dma(g, desc, (uint32_t)FW_CFG_KERNEL_DATA << 16 |
		     FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8, last),
		 FW_CFG_DMA_CTL_ERROR);
	CHECK_EQ(*(uint8_t *)fg_ptr(g, last), 0);
	/* Wraps around the address space. */
	CHECK_EQ(dma(g, desc, FW_CFG_DMA_CTL_READ, 8, 0xfffffffffffffffcull),
		 FW_CFG_DMA_CTL_ERROR);
	/* Below RAM. */
	CHECK_EQ(dma(g, desc, FW_CFG_DMA_CTL_READ, 1, 0x1000), FW_CFG_DMA_CTL_ERROR);
	CHECK_EQ(fw_cfg_stats(c)->dma_errors, 3);
	fw_cfg_destroy(c);
	fg_free(g);
}

TEST(dma_descriptor_outside_ram_is_counted_and_ignored)
{
	struct fake_guest *g = fg_new();
	struct fw_cfg *c = make(g);

	out_be32(g, FW_CFG_PORT_DMA, 0);
	out_be32(g, FW_CFG_PORT_DMA + 4, 0x2000);
	CHECK_EQ(fw_cfg_stats(c)->dma_bad_desc, 1);
	/* High half latched, low half in RAM: the 64-bit address is outside. */
	out_be32(g, FW_CFG_PORT_DMA, 1);
	out_be32(g, FW_CFG_PORT_DMA + 4, (uint32_t)FG_RAM_BASE);
	CHECK_EQ(fw_cfg_stats(c)->dma_bad_desc, 2);
	CHECK_EQ(fw_cfg_stats(c)->dma_ok, 0);
	fw_cfg_destroy(c);
	fg_free(g);
}

RUN_TESTS()
