#include "vmm/bzimage.h"

#include <asm/bootparam.h>
#include <stdio.h>
#include <string.h>

const char *const payload_format_name[] = {
	[PAYLOAD_UNKNOWN] = "unknown", [PAYLOAD_GZIP] = "gzip",
	[PAYLOAD_XZ] = "xz", [PAYLOAD_ZSTD] = "zstd", [PAYLOAD_LZMA] = "lzma",
	[PAYLOAD_LZ4] = "lz4", [PAYLOAD_BZIP2] = "bzip2", [PAYLOAD_LZO] = "lzo",
	[PAYLOAD_NONE] = "uncompressed",
};

#define SETUP_HDR_OFF 0x1f1
#define HDRS_MAGIC 0x53726448	/* "HdrS" */

/* Magic numbers of the compressors arch/x86/boot/compressed/Makefile uses. */
enum payload_format payload_detect(const uint8_t *p, size_t len)
{
	static const struct {
		enum payload_format f;
		uint8_t n;
		uint8_t magic[6];
	} m[] = {
		{ PAYLOAD_GZIP, 2, { 0x1f, 0x8b } },
		{ PAYLOAD_XZ, 6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
		{ PAYLOAD_ZSTD, 4, { 0x28, 0xb5, 0x2f, 0xfd } },
		{ PAYLOAD_LZ4, 4, { 0x02, 0x21, 0x4c, 0x18 } },	/* legacy frame */
		{ PAYLOAD_BZIP2, 3, { 'B', 'Z', 'h' } },
		{ PAYLOAD_LZO, 4, { 0x89, 'L', 'Z', 'O' } },
		{ PAYLOAD_NONE, 4, { 0x7f, 'E', 'L', 'F' } },
		{ PAYLOAD_LZMA, 3, { 0x5d, 0x00, 0x00 } },	/* lzma_alone props */
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (len >= m[i].n && memcmp(p, m[i].magic, m[i].n) == 0)
			return m[i].f;
	return PAYLOAD_UNKNOWN;
}

/*
 * Fields a protocol version does not have are bytes of setup code, so they
 * are read only from the version that added them, with the boot protocol's
 * defaults before that (Documentation/arch/x86/boot.rst, "Details of
 * header fields").
 */
int bzimage_parse_header(const uint8_t *image, size_t len, struct bzimage *bz,
			 char *err, size_t errlen)
{
	struct setup_header h;
	unsigned setup_sects;

	memset(bz, 0, sizeof(*bz));
	memset(&h, 0, sizeof(h));
	if (len < 0x264) {
		snprintf(err, errlen, "too short to be a bzImage (%zu bytes)", len);
		return -1;
	}
	memcpy(&h, image + SETUP_HDR_OFF, sizeof(h) < len - SETUP_HDR_OFF ?
	       sizeof(h) : len - SETUP_HDR_OFF);
	if (h.boot_flag != 0xaa55 || h.header != HDRS_MAGIC) {
		snprintf(err, errlen, "not a Linux bzImage (no boot signature)");
		return -1;
	}
	/* 2.02: cmd_line_ptr, which every loader here fills in. */
	if (h.version < 0x0202) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old (need 2.02)",
			 h.version >> 8, h.version & 0xff);
		return -1;
	}
	if (!(h.loadflags & LOADED_HIGH)) {
		snprintf(err, errlen, "a zImage (loaded below 1 MiB) is not supported");
		return -1;
	}
	/*
	 * Setup size 0 means 4 sectors only for kernels older than 2.12;
	 * one that says 2.12 and 0 is damaged, and its payload would be
	 * looked for in the wrong place.
	 */
	if (h.setup_sects == 0 && h.version >= 0x020c) {
		snprintf(err, errlen, "setup_sects is 0 (a 2.12 kernel always "
			 "sets it): not a kernel minivmm can boot");
		return -1;
	}
	setup_sects = h.setup_sects ? h.setup_sects : 4;
	bz->setup_size = (setup_sects + 1) * 512;
	if (bz->setup_size >= len) {
		snprintf(err, errlen, "setup size %u past the end of the file",
			 bz->setup_size);
		return -1;
	}
	bz->version = h.version;
	bz->pm = image + bz->setup_size;
	bz->pm_len = len - bz->setup_size;
	bz->initrd_addr_max = h.version >= 0x0203 ? h.initrd_addr_max : 0x37ffffff;
	bz->kernel_alignment = h.version >= 0x0205 ? h.kernel_alignment : 0;
	bz->relocatable = h.version >= 0x0205 ? h.relocatable_kernel : 0;
	bz->cmdline_size = h.version >= 0x0206 ? h.cmdline_size : 255;
	if (h.version >= 0x020a) {
		bz->pref_address = h.pref_address;
		bz->init_size = h.init_size;
	}
	if (h.version >= 0x020c)
		bz->xloadflags = h.xloadflags;
	return 0;
}

int bzimage_parse(const uint8_t *image, size_t len, struct bzimage *bz,
		  char *err, size_t errlen)
{
	struct setup_header h;

	if (bzimage_parse_header(image, len, bz, err, errlen) < 0)
		return -1;
	/* 2.12: xloadflags with the 64-bit entry; 2.08: payload fields. */
	if (bz->version < 0x020c) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old "
			 "(need 2.12 for the 64-bit entry)",
			 (unsigned)(bz->version >> 8), (unsigned)(bz->version & 0xff));
		return -1;
	}
	if (!(bz->xloadflags & 1 /* XLF_KERNEL_64 */)) {
		snprintf(err, errlen, "kernel has no 64-bit entry point");
		return -1;
	}
	memset(&h, 0, sizeof(h));
	memcpy(&h, image + SETUP_HDR_OFF, sizeof(h) < len - SETUP_HDR_OFF ?
	       sizeof(h) : len - SETUP_HDR_OFF);
	if (h.payload_offset >= bz->pm_len || h.payload_length < 4 ||
	    h.payload_length > bz->pm_len - h.payload_offset) {
		snprintf(err, errlen, "payload (offset %u, length %u) outside the "
			 "kernel image", h.payload_offset, h.payload_length);
		return -1;
	}
	bz->payload = bz->pm + h.payload_offset;
	bz->payload_len = h.payload_length;
	bz->format = payload_detect(bz->payload, bz->payload_len);
	/* Every compressor in the kernel's Makefile.lib appends this (size_append). */
	memcpy(&bz->uncompressed_size, bz->payload + bz->payload_len - 4, 4);
	return 0;
}
