/*
 * Boot-image parsing: bzImage setup headers of each protocol generation,
 * payload detection and host-side decompression of every format the kernel
 * uses (payloads made here with the libraries' own encoders, in the layout
 * the kernel's Makefile.lib produces: stream + 4-byte size), ELF loading
 * with and without a PVH note, and malformed files.
 */
#include "check.h"
#include "vmm/bzimage.h"
#include "vmm/decompress.h"
#include "vmm/elf_load.h"

#include <elf.h>
#include <lz4.h>
#include <lzma.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

/* A bzImage with 4 setup sectors, protocol `version`, and payload bytes. */
static uint8_t *make_bzimage(uint16_t version, uint16_t xloadflags,
			     const uint8_t *payload, uint32_t plen, size_t *len)
{
	size_t setup = 5 * 512, pm_pad = 0x100;
	uint8_t *img = calloc(1, setup + pm_pad + plen);

	img[0x1f1] = 4;				/* setup_sects */
	img[0x1fe] = 0x55; img[0x1ff] = 0xaa;	/* boot_flag */
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = version & 0xff; img[0x207] = version >> 8;
	img[0x201] = 0x6a;			/* header end: 0x26c */
	img[0x211] = 1;				/* loadflags: LOADED_HIGH */
	img[0x236] = xloadflags & 0xff;
	img[0x234] = 1;				/* relocatable_kernel */
	*(uint32_t *)(img + 0x238) = 2048;	/* cmdline_size */
	*(uint32_t *)(img + 0x22c) = 0x7fffffff;/* initrd_addr_max */
	*(uint32_t *)(img + 0x248) = (uint32_t)pm_pad;	/* payload_offset */
	*(uint32_t *)(img + 0x24c) = plen;		/* payload_length */
	*(uint64_t *)(img + 0x258) = 0x1000000;	/* pref_address */
	*(uint32_t *)(img + 0x260) = 0x2000000;	/* init_size */
	memcpy(img + setup + pm_pad, payload, plen);
	*len = setup + pm_pad + plen;
	return img;
}

TEST(bzimage_header_fields_are_read)
{
	uint8_t payload[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 0x10, 0x20, 0, 0 };
	size_t len;
	uint8_t *img = make_bzimage(0x020f, 0x1, payload, sizeof(payload), &len);
	struct bzimage bz;
	char err[128];

	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), 0);
	CHECK_EQ(bz.version, 0x020f);
	CHECK_EQ(bz.setup_size, 2560);
	CHECK_EQ(bz.pm_len, len - 2560);
	CHECK_EQ(bz.format, PAYLOAD_XZ);
	CHECK_EQ(bz.payload_len, sizeof(payload));
	CHECK_EQ(bz.uncompressed_size, 0x2010);
	CHECK_EQ(bz.pref_address, 0x1000000);
	CHECK_EQ(bz.init_size, 0x2000000);
	CHECK_EQ(bz.cmdline_size, 2048);
	CHECK_EQ(bz.initrd_addr_max, 0x7fffffff);
	CHECK_EQ(bz.relocatable, 1);
	free(img);
}

TEST(bzimage_refusals)
{
	uint8_t payload[8] = { 0x1f, 0x8b };
	size_t len;
	struct bzimage bz;
	char err[128];
	uint8_t *img = make_bzimage(0x020b, 0x1, payload, 8, &len);

	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "2.11 is too old") != NULL);
	free(img);
	img = make_bzimage(0x020f, 0x0, payload, 8, &len);
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "no 64-bit entry") != NULL);
	img[0x236] = 1;
	*(uint32_t *)(img + 0x24c) = 1u << 30;	/* payload past the end */
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "outside the kernel image") != NULL);
	img[0x1fe] = 0;
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "not a Linux bzImage") != NULL);
	CHECK_EQ(bzimage_parse(img, 100, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "too short") != NULL);
	img[0x1fe] = 0x55;
	img[0x1f1] = 200;			/* setup past the end */
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	free(img);
}

/*
 * Firmware boots take any bzImage from protocol 2.02 (ipxe.lkrn is 2.07);
 * the bytes where later versions keep fields are setup code there, so the
 * protocol's defaults stand in for them.
 */
TEST(bzimage_header_of_old_protocols_for_firmware_boots)
{
	uint8_t payload[8] = { 0x1f, 0x8b };
	size_t len;
	struct bzimage bz;
	char err[128];
	uint8_t *img = make_bzimage(0x0207, 0, payload, 8, &len);

	CHECK_EQ(bzimage_parse_header(img, len, &bz, err, sizeof(err)), 0);
	CHECK_EQ(bz.version, 0x0207);
	CHECK_EQ(bz.setup_size, 2560);
	CHECK_EQ(bz.pm_len, len - 2560);
	CHECK_EQ(bz.cmdline_size, 2048);		/* 2.06 */
	CHECK_EQ(bz.initrd_addr_max, 0x7fffffff);	/* 2.03 has it */
	CHECK_EQ(bz.relocatable, 1);			/* 2.05 */
	CHECK_EQ(bz.init_size, 0);			/* 2.10: not read */
	CHECK_EQ(bz.pref_address, 0);
	CHECK_EQ(bz.xloadflags, 0);
	CHECK(bz.payload == NULL);
	/* The 64-bit direct boot still wants 2.12. */
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "2.07 is too old (need 2.12") != NULL);
	free(img);

	img = make_bzimage(0x0202, 0, payload, 8, &len);
	CHECK_EQ(bzimage_parse_header(img, len, &bz, err, sizeof(err)), 0);
	CHECK_EQ(bz.initrd_addr_max, 0x37ffffff);	/* before 2.03: the default */
	CHECK_EQ(bz.cmdline_size, 255);		/* before 2.06: 255, not the 2048 in the bytes */
	CHECK_EQ(bz.relocatable, 0);
	img[0x206] = 0x01;				/* 2.01: no cmd_line_ptr */
	CHECK_EQ(bzimage_parse_header(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strcmp(err, "boot protocol 2.01 is too old (need 2.02)") == 0);
	img[0x206] = 0x07;
	img[0x211] = 0;					/* a zImage */
	CHECK_EQ(bzimage_parse_header(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "zImage") != NULL);
	free(img);
}

TEST(payload_magic_detection)
{
	static const uint8_t gz[] = { 0x1f, 0x8b, 8 }, zs[] = { 0x28, 0xb5, 0x2f, 0xfd },
		lz4[] = { 0x02, 0x21, 0x4c, 0x18 }, lzma[] = { 0x5d, 0, 0, 0x80 },
		bz2[] = { 'B', 'Z', 'h', '9' }, elf[] = { 0x7f, 'E', 'L', 'F' },
		junk[] = { 1, 2, 3, 4 };
	CHECK_EQ(payload_detect(gz, 3), PAYLOAD_GZIP);
	CHECK_EQ(payload_detect(zs, 4), PAYLOAD_ZSTD);
	CHECK_EQ(payload_detect(lz4, 4), PAYLOAD_LZ4);
	CHECK_EQ(payload_detect(lzma, 4), PAYLOAD_LZMA);
	CHECK_EQ(payload_detect(bz2, 4), PAYLOAD_BZIP2);
	CHECK_EQ(payload_detect(elf, 4), PAYLOAD_NONE);
	CHECK_EQ(payload_detect(junk, 4), PAYLOAD_UNKNOWN);
	CHECK_EQ(payload_detect(zs, 2), PAYLOAD_UNKNOWN);
}

#define PLAIN_LEN (3u << 20)

static uint8_t *plain_data(void)
{
	uint8_t *p = malloc(PLAIN_LEN);
	uint32_t x = 12345;
	/* Compressible but not trivial: runs of pseudo-random bytes. */
	for (size_t i = 0; i < PLAIN_LEN; i++) {
		if (i % 64 == 0)
			x = x * 1103515245 + 12345;
		p[i] = (uint8_t)(x >> 16) ^ (uint8_t)(i % 7);
	}
	return p;
}

/* Appends the kernel's size_append trailer. */
static size_t append_size(uint8_t *buf, size_t n)
{
	uint32_t s = PLAIN_LEN;
	memcpy(buf + n, &s, 4);
	return n + 4;
}

static void check_roundtrip(enum payload_format fmt, const uint8_t *c, size_t clen,
			    const uint8_t *plain)
{
	size_t out_len = 0;
	char err[128] = "";
	uint8_t *out = decompress_payload(fmt, c, clen, PLAIN_LEN, 0, &out_len, err,
					  sizeof(err));
	CHECK(out != NULL);
	if (!out) {
		printf("    %s: %s\n", payload_format_name[fmt], err);
		return;
	}
	CHECK_EQ(out_len, PLAIN_LEN);
	CHECK(memcmp(out, plain, PLAIN_LEN) == 0);
	free(out);
	/* Truncated to half: an error, never a crash or a partial success. */
	out = decompress_payload(fmt, c, clen / 2, PLAIN_LEN, 0, &out_len, err, sizeof(err));
	CHECK(out == NULL || out_len < PLAIN_LEN);
	free(out);
}

TEST(decompress_gzip_xz_lzma_zstd_lz4)
{
	uint8_t *plain = plain_data();
	size_t cap = PLAIN_LEN * 2, n;
	uint8_t *c = malloc(cap);

	/* gzip, as `gzip -9` writes it. */
	z_stream z = { 0 };
	deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = plain; z.avail_in = PLAIN_LEN; z.next_out = c; z.avail_out = cap;
	CHECK_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
	n = append_size(c, z.total_out);
	deflateEnd(&z);
	check_roundtrip(PAYLOAD_GZIP, c, n, plain);

	/* xz with a CRC32 check, as the kernel's scripts/xz_wrap.sh. */
	n = 0;
	CHECK_EQ(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, plain, PLAIN_LEN,
					 c, &n, cap), LZMA_OK);
	n = append_size(c, n);
	check_roundtrip(PAYLOAD_XZ, c, n, plain);

	/* lzma "alone" format. */
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	lzma_lzma_preset(&opt, 6);
	CHECK_EQ(lzma_alone_encoder(&ls, &opt), LZMA_OK);
	ls.next_in = plain; ls.avail_in = PLAIN_LEN; ls.next_out = c; ls.avail_out = cap;
	CHECK_EQ(lzma_code(&ls, LZMA_FINISH), LZMA_STREAM_END);
	n = append_size(c, ls.total_out);
	lzma_end(&ls);
	CHECK_EQ(payload_detect(c, n), PAYLOAD_LZMA);
	check_roundtrip(PAYLOAD_LZMA, c, n, plain);

	/* zstd at a high level. */
	n = ZSTD_compress(c, cap, plain, PLAIN_LEN, 19);
	CHECK(!ZSTD_isError(n));
	n = append_size(c, n);
	check_roundtrip(PAYLOAD_ZSTD, c, n, plain);

	/* lz4 legacy frame (lz4 -l): magic, then [size][block] per 8 MiB. */
	uint32_t magic = 0x184c2102;
	memcpy(c, &magic, 4);
	int bl = LZ4_compress_default((const char *)plain, (char *)c + 8, PLAIN_LEN,
				      (int)cap - 8);
	CHECK(bl > 0);
	uint32_t bl32 = (uint32_t)bl;
	memcpy(c + 4, &bl32, 4);
	n = append_size(c, 8 + (size_t)bl);
	check_roundtrip(PAYLOAD_LZ4, c, n, plain);

	/* Garbage in every format is an error. */
	size_t ol;
	char err[128];
	memset(c, 0x5a, 4096);
	for (int f = PAYLOAD_GZIP; f <= PAYLOAD_LZ4; f++)
		CHECK(decompress_payload(f, c, 4096, 0, 0, &ol, err, sizeof(err)) == NULL);
	CHECK(decompress_payload(PAYLOAD_BZIP2, c, 4096, 0, 0, &ol, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "--guest-decompress") != NULL);
	free(c);
	free(plain);
}

/* A minimal ELF64 with one PT_LOAD and optionally a PVH note. */
/* Peak resident memory since the last reset_peak_rss(), in KiB. */
static long peak_rss_kib(void)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

static void reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f) {
		fputs("5", f);	/* 5: reset the peak RSS (proc(5)) */
		fclose(f);
	}
}

/*
 * A decompression bomb (issue 13, item 4): 64 MiB of zeros in a few KiB,
 * with no size stated, against a guest of 8 MiB.  Decompression must stop
 * once the output passes 8 MiB, and must not have held the rest: the peak
 * memory grows by far less than the 64 MiB the payload inflates to.
 */
TEST(decompression_bomb_stops_at_guest_ram)
{
	const size_t big = 64u << 20, ram = 8u << 20;
	uint8_t *zeros = calloc(1, big), *c = malloc(1u << 20);
	size_t clen = 0, ol = 0;
	char err[160] = "";
	long before;
	uint8_t *out;

	memset(zeros, 0, big);	/* touched now, freed before measuring */
	CHECK_EQ(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, zeros, big,
					 c, &clen, 1u << 20), LZMA_OK);
	free(zeros);
	reset_peak_rss();
	before = peak_rss_kib();
	out = decompress_payload(PAYLOAD_XZ, c, clen, 0, ram, &ol, err, sizeof(err));
	CHECK(out == NULL);
	CHECK(strcmp(err, "xz: decompressed kernel larger than 8 MiB (guest "
		     "RAM; -m too small?)") == 0);
	CHECK(peak_rss_kib() - before < 24 * 1024);
	printf("    xz bomb: %zu bytes in, peak grew by %ld KiB\n", clen,
	       peak_rss_kib() - before);

	/* A stated size above guest RAM is refused before any work. */
	CHECK(decompress_payload(PAYLOAD_XZ, c, clen, 100u << 20, ram, &ol, err,
				 sizeof(err)) == NULL);
	CHECK(strcmp(err, "xz: decompressed kernel of 100 MiB larger than 8 MiB "
		     "(guest RAM; -m too small?)") == 0);
	free(c);
}

static size_t make_elf(uint8_t *buf, uint64_t paddr, int with_note)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	uint8_t *data = buf + 0x200;

	memset(buf, 0, 0x400);
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_machine = EM_X86_64;
	eh->e_entry = paddr + 0x10;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = with_note ? 2 : 1;
	ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x200,
			      .p_paddr = paddr, .p_filesz = 0x20, .p_memsz = 0x1000 };
	memset(data, 0xab, 0x20);
	if (with_note) {
		uint8_t *n = buf + 0x300;
		uint32_t hdr[3] = { 4, 8, 18 };	/* namesz, descsz, PHYS32_ENTRY */
		uint64_t entry = paddr + 0x40;
		memcpy(n, hdr, 12);
		memcpy(n + 12, "Xen", 4);
		memcpy(n + 16, &entry, 8);
		ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x300,
				      .p_filesz = 24 };
	}
	return 0x400;
}

TEST(elf_loads_segments_and_finds_pvh_note)
{
	static uint8_t ram[0x10000], buf[0x400];
	struct guest_mem gm = { 0 };
	struct elf_info ei;
	char err[128];
	size_t len;

	gm_add_region(&gm, 0, sizeof(ram), ram);
	memset(ram, 0xff, sizeof(ram));
	len = make_elf(buf, 0x4000, 1);
	CHECK_EQ(elf_load(buf, len, &gm, &ei, err, sizeof(err)), 0);
	CHECK_EQ(ei.entry, 0x4010);
	CHECK_EQ(ei.pvh_entry, 0x4040);
	CHECK_EQ(ei.lowest, 0x4000);
	CHECK_EQ(ei.highest, 0x5000);
	CHECK_EQ(ram[0x4000], 0xab);
	CHECK_EQ(ram[0x401f], 0xab);
	CHECK_EQ(ram[0x4020], 0);	/* bss zeroed */
	CHECK_EQ(ram[0x4fff], 0);
	CHECK_EQ(ram[0x5000], 0xff);	/* untouched beyond memsz */

	len = make_elf(buf, 0x4000, 0);
	CHECK_EQ(elf_load(buf, len, &gm, &ei, err, sizeof(err)), 0);
	CHECK_EQ(ei.pvh_entry, 0);
}

TEST(elf_refusals)
{
	static uint8_t ram[0x10000], buf[0x400];
	struct guest_mem gm = { 0 };
	struct elf_info ei;
	char err[128];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	gm_add_region(&gm, 0, sizeof(ram), ram);
	make_elf(buf, 0xf800, 0);	/* memsz 0x1000 runs past RAM */
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	CHECK(strstr(err, "does not fit in guest RAM") != NULL);
	make_elf(buf, 0x4000, 0);
	ph[0].p_offset = 0x3f0;		/* file data past the end */
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	CHECK(strstr(err, "outside the file") != NULL);
	make_elf(buf, 0x4000, 0);
	ph[0].p_filesz = 0x2000;	/* filesz > memsz */
	ph[0].p_offset = 0;
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	make_elf(buf, UINT64_MAX - 0x10, 0);	/* wraps */
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	make_elf(buf, 0x4000, 0);
	eh->e_phnum = 1000;
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	CHECK(strstr(err, "program header") != NULL);
	make_elf(buf, 0x4000, 0);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), -1);
	CHECK(strstr(err, "64-bit") != NULL);
	CHECK_EQ(elf_load(buf, 10, &gm, &ei, err, sizeof(err)), -1);
	/* A note whose size runs past its segment is ignored, not followed. */
	make_elf(buf, 0x4000, 1);
	*(uint32_t *)(buf + 0x304) = 0x7fffffff;
	CHECK_EQ(elf_load(buf, 0x400, &gm, &ei, err, sizeof(err)), 0);
	CHECK_EQ(ei.pvh_entry, 0);
}

/*
 * Only kernels are booted (issue 13, item 7): an ELF with a PVH note, or
 * one laid out as Linux's vmlinux; a program or a shared object (-k
 * /bin/ls) would only triple-fault, so it is named and refused.
 */
TEST(elf_that_cannot_boot_is_refused)
{
	static uint8_t buf[0x400];
	struct elf_info ei;
	char err[128];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));

	make_elf(buf, 0x4000, 1);	/* PVH guest, like tests/guests/ */
	eh->e_type = ET_EXEC;
	CHECK_EQ(elf_load(buf, 0x400, NULL, &ei, err, sizeof(err)), 0);
	CHECK(elf_unbootable(&ei, 0) == NULL);
	CHECK(elf_unbootable(&ei, 1) != NULL);	/* not inside a bzImage */

	make_elf(buf, 0x4000, 0);	/* a program: linked low, no note */
	eh->e_type = ET_EXEC;
	CHECK_EQ(elf_load(buf, 0x400, NULL, &ei, err, sizeof(err)), 0);
	CHECK(elf_unbootable(&ei, 0) != NULL &&
	      strstr(elf_unbootable(&ei, 0), "neither a PVH kernel") != NULL);

	ph[0].p_vaddr = 0xffffffff81000000ull;	/* vmlinux: linked high */
	CHECK_EQ(elf_load(buf, 0x400, NULL, &ei, err, sizeof(err)), 0);
	CHECK(elf_unbootable(&ei, 0) == NULL);
	CHECK(elf_unbootable(&ei, 1) == NULL);

	eh->e_entry = 0xffffffff81000010ull;	/* entered at a virtual address */
	CHECK_EQ(elf_load(buf, 0x400, NULL, &ei, err, sizeof(err)), 0);
	CHECK(elf_unbootable(&ei, 0) != NULL);

	make_elf(buf, 0x4000, 1);	/* a shared object, even with a note */
	eh->e_type = ET_DYN;
	CHECK_EQ(elf_load(buf, 0x400, NULL, &ei, err, sizeof(err)), 0);
	CHECK(elf_unbootable(&ei, 0) != NULL &&
	      strstr(elf_unbootable(&ei, 0), "shared object") != NULL);
}

TEST(bzimage_with_setup_sects_0_is_refused)
{
	static const uint8_t payload[8] = { 0x1f, 0x8b, 8 };
	struct bzimage bz;
	char err[160];
	size_t len;
	uint8_t *img = make_bzimage(0x020f, 1, payload, sizeof(payload), &len);

	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), 0);
	img[0x1f1] = 0;
	CHECK_EQ(bzimage_parse(img, len, &bz, err, sizeof(err)), -1);
	CHECK(strstr(err, "setup_sects is 0") != NULL);
	free(img);
}

RUN_TESTS()
