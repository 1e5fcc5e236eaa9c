/*
 * bzimage.h - reading a Linux bzImage's setup header (Documentation/
 * arch/x86/boot.rst) and finding its compressed payload.
 */
#ifndef MINIVMM_BZIMAGE_H
#define MINIVMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

enum payload_format {
	PAYLOAD_UNKNOWN, PAYLOAD_GZIP, PAYLOAD_XZ, PAYLOAD_ZSTD, PAYLOAD_LZMA,
	PAYLOAD_LZ4, PAYLOAD_BZIP2, PAYLOAD_LZO, PAYLOAD_NONE,
};

extern const char *const payload_format_name[];

struct bzimage {
	uint16_t version;		/* boot protocol, e.g. 0x020f */
	unsigned setup_size;		/* bytes of real-mode setup incl. boot sector */
	const uint8_t *pm;		/* protected-mode kernel (after setup) */
	size_t pm_len;
	uint64_t pref_address;
	uint32_t init_size;		/* memory the kernel needs from its load address */
	uint32_t kernel_alignment;
	uint32_t cmdline_size;		/* max bytes, without the NUL */
	uint32_t initrd_addr_max;
	uint16_t xloadflags;
	uint8_t relocatable;
	const uint8_t *payload;		/* compressed vmlinux, inside pm */
	size_t payload_len;
	enum payload_format format;
	uint32_t uncompressed_size;	/* the kernel appends it to every payload */
};

/*
 * Parses image[0..len).  Returns 0, or -1 with a one-line reason in err
 * (not a bzImage, protocol too old for a 64-bit entry, header fields that
 * point outside the file).
 */
int bzimage_parse(const uint8_t *image, size_t len, struct bzimage *bz,
		  char *err, size_t errlen);

/*
 * The setup header alone, for firmware boots, where the kernel's own
 * real-mode setup code runs (any protocol from 2.02 on, loaded high, such
 * as iPXE's ipxe.lkrn at 2.07).  Fills setup_size, pm, pm_len and the
 * header fields the version has (boot protocol defaults for the others);
 * payload fields stay empty.
 */
int bzimage_parse_header(const uint8_t *image, size_t len, struct bzimage *bz,
			 char *err, size_t errlen);

enum payload_format payload_detect(const uint8_t *p, size_t len);

#endif
