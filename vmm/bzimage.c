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

int bzimage_parse(const uint8_t *image, size_t len, struct bzimage *bz,
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
	/* 2.12: xloadflags with the 64-bit entry; 2.08: payload fields. */
	if (h.version < 0x020c) {
		snprintf(err, errlen, "boot protocol %u.%02u is too old "
			 "(need 2.12 for the 64-bit entry)",
			 h.version >> 8, h.version & 0xff);
		return -1;
	}
	if (!(h.xloadflags & 1 /* XLF_KERNEL_64 */)) {
		snprintf(err, errlen, "kernel has no 64-bit entry point");
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
	bz->pref_address = h.pref_address;
	bz->init_size = h.init_size;
	bz->kernel_alignment = h.kernel_alignment;
	bz->cmdline_size = h.cmdline_size;
	bz->initrd_addr_max = h.initrd_addr_max;
	bz->xloadflags = h.xloadflags;
	bz->relocatable = h.relocatable_kernel;

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
