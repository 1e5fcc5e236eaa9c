/*
 * decompress.h - unpacking a bzImage payload on the host with the real
 * libraries (zlib, liblzma, libzstd, liblz4), so the guest never runs the
 * kernel's own decompressor in (slowly emulated) ring 0.
 */
#ifndef MINIVMM_DECOMPRESS_H
#define MINIVMM_DECOMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/bzimage.h"

/* Largest decompressed kernel accepted: a bound against a hostile image. */
#ifndef DECOMPRESS_MAX	/* the fuzz build (make fuzz) sets a small one */
#define DECOMPRESS_MAX (1024u << 20)
#endif

/*
 * Decompresses in[0..len) of the given format into a new malloc'd buffer
 * of at most max bytes (0: DECOMPRESS_MAX; never more than that): the
 * caller passes what the guest's RAM can hold, and decompression stops as
 * soon as the output would pass it.  size_hint is the size the kernel
 * recorded (0 if unknown); one above max is refused before starting.
 * Returns the buffer and sets *out_len, or returns NULL with a one-line
 * reason in err.
 */
uint8_t *decompress_payload(enum payload_format fmt, const uint8_t *in,
			    size_t len, size_t size_hint, size_t max,
			    size_t *out_len, char *err, size_t errlen);

#endif
