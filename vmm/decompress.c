#include "vmm/decompress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/decompress_lib.h"

/*
 * Output buffer that grows up to max bytes (what the guest's RAM can hold,
 * at most DECOMPRESS_MAX): a small image that inflates beyond that is
 * stopped there, never held in full (issue 13: a 196 KB xz bomb cost 1 GiB
 * before it was refused).
 */
struct outbuf {
	uint8_t *p;
	size_t len, cap, max;
};

/* The next piece of output to ask for: CHUNK, or what is left under max. */
static size_t outbuf_room(const struct outbuf *o, size_t chunk)
{
	return o->max - o->len < chunk ? o->max - o->len : chunk;
}

static int outbuf_reserve(struct outbuf *o, size_t more)
{
	size_t cap = o->cap ? o->cap : (1u << 20);
	uint8_t *p;

	if (more == 0)
		return -1;	/* full: the output would pass max */
	if (o->len + more <= o->cap)
		return 0;
	while (cap < o->len + more)
		cap *= 2;
	if (cap > o->max)
		cap = o->max;
	if (cap < o->len + more)
		return -1;
	p = realloc(o->p, cap);
	if (!p)
		return -1;
	o->p = p;
	o->cap = cap;
	return 0;
}

#define CHUNK (4u << 20)

static void too_big(const struct outbuf *o, const char *fmt, char *err,
		    size_t errlen)
{
	snprintf(err, errlen, "%s: decompressed kernel larger than %zu MiB "
		 "(guest RAM; -m too small?)", fmt, o->max >> 20);
}

static int do_gzip(const uint8_t *in, size_t len, struct outbuf *o,
		   char *err, size_t errlen)
{
	const struct zlib_lib *z = zlib_lib_load(err, errlen);
	z_stream s = { 0 };
	int rc;

	if (!z)
		return -1;
	if (z->inflateInit2_(&s, 16 + MAX_WBITS, ZLIB_VERSION,
			     (int)sizeof(s)) != Z_OK) {
		snprintf(err, errlen, "zlib: cannot initialise");
		return -1;
	}
	s.next_in = (Bytef *)(uintptr_t)in;
	s.avail_in = (uInt)len;
	do {
		size_t room = outbuf_room(o, CHUNK);

		if (outbuf_reserve(o, room) < 0) {
			z->inflateEnd(&s);
			too_big(o, "gzip", err, errlen);
			return -1;
		}
		s.next_out = o->p + o->len;
		s.avail_out = (uInt)room;
		rc = z->inflate(&s, Z_NO_FLUSH);
		o->len += room - s.avail_out;
	} while (rc == Z_OK);
	z->inflateEnd(&s);
	if (rc != Z_STREAM_END) {
		snprintf(err, errlen, "gzip: corrupt data (zlib error %d)", rc);
		return -1;
	}
	return 0;
}

/*
 * liblzma allocates the dictionary the stream header asks for (up to 4 GiB
 * for lzma_alone); one larger than the largest output accepted is of no
 * use, so its memory is capped there (found by tests/fuzz/fuzz_bzimage).
 */
#define LZMA_MEMLIMIT(o) ((uint64_t)(o)->max + (16u << 20))

static int do_lzma(const uint8_t *in, size_t len, struct outbuf *o, int alone,
		   char *err, size_t errlen)
{
	const struct lzma_lib *x = lzma_lib_load(err, errlen);
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret rc;

	if (!x)
		return -1;
	rc = alone ? x->lzma_alone_decoder(&s, LZMA_MEMLIMIT(o))
		   : x->lzma_stream_decoder(&s, LZMA_MEMLIMIT(o), 0);
	if (rc != LZMA_OK) {
		snprintf(err, errlen, "liblzma: cannot initialise");
		return -1;
	}
	s.next_in = in;
	s.avail_in = len;
	do {
		size_t room = outbuf_room(o, CHUNK);

		if (outbuf_reserve(o, room) < 0) {
			x->lzma_end(&s);
			too_big(o, alone ? "lzma" : "xz", err, errlen);
			return -1;
		}
		s.next_out = o->p + o->len;
		s.avail_out = room;
		/*
		 * One stream only (no LZMA_CONCATENATED): the decoder stops at
		 * its end and never reads the kernel's 4 appended size bytes.
		 */
		rc = x->lzma_code(&s, LZMA_RUN);
		o->len += room - s.avail_out;
	} while (rc == LZMA_OK);
	x->lzma_end(&s);
	if (rc == LZMA_MEMLIMIT_ERROR) {
		snprintf(err, errlen, "%s: dictionary larger than %zu MiB "
			 "(guest RAM; -m too small?)", alone ? "lzma" : "xz",
			 o->max >> 20);
		return -1;
	}
	if (rc != LZMA_STREAM_END) {
		snprintf(err, errlen, "%s: corrupt data (liblzma error %d)",
			 alone ? "lzma" : "xz", (int)rc);
		return -1;
	}
	return 0;
}

static int do_zstd(const uint8_t *in, size_t len, struct outbuf *o,
		   char *err, size_t errlen)
{
	const struct zstd_lib *zs = zstd_lib_load(err, errlen);
	ZSTD_DCtx *d;
	ZSTD_inBuffer ib = { in, len, 0 };
	size_t rc = 1;

	if (!zs)
		return -1;
	d = zs->ZSTD_createDCtx();
	if (!d) {
		snprintf(err, errlen, "zstd: cannot initialise");
		return -1;
	}
	/* The kernel compresses with --ultra -22: windows up to 2 GiB allowed. */
	zs->ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 31);
	for (;;) {
		ZSTD_outBuffer ob;
		size_t in_before = ib.pos, room = outbuf_room(o, CHUNK);

		if (outbuf_reserve(o, room) < 0) {
			zs->ZSTD_freeDCtx(d);
			too_big(o, "zstd", err, errlen);
			return -1;
		}
		ob = (ZSTD_outBuffer){ o->p + o->len, room, 0 };
		rc = zs->ZSTD_decompressStream(d, &ob, &ib);
		o->len += ob.pos;
		if (zs->ZSTD_isError(rc)) {
			zs->ZSTD_freeDCtx(d);
			snprintf(err, errlen, "zstd: %s", zs->ZSTD_getErrorName(rc));
			return -1;
		}
		/* Frame complete: what follows is the kernel's 4 size bytes. */
		if (rc == 0 || (ob.pos == 0 && ib.pos == in_before))
			break;
	}
	zs->ZSTD_freeDCtx(d);
	if (rc != 0) {
		snprintf(err, errlen, "zstd: truncated data");
		return -1;
	}
	return 0;
}

/*
 * The kernel uses lz4's legacy frame (lz4 -l): a magic, then blocks of
 * [4-byte little-endian compressed size][data], each up to 8 MiB of output.
 */
static int do_lz4(const uint8_t *in, size_t len, struct outbuf *o,
		  char *err, size_t errlen)
{
	const struct lz4_lib *l = lz4_lib_load(err, errlen);
	const size_t block_max = 8u << 20;
	size_t pos = 4, room;

	if (!l)
		return -1;
	while (pos + 4 <= len) {
		uint32_t csize;
		int n;

		memcpy(&csize, in + pos, 4);
		if (csize == 0x184c2102) {	/* a new legacy frame */
			pos += 4;
			continue;
		}
		if (csize == 0 || csize > len - pos - 4)
			break;	/* the appended size field, or the end */
		pos += 4;
		room = outbuf_room(o, block_max);
		if (outbuf_reserve(o, room) < 0) {
			too_big(o, "lz4", err, errlen);
			return -1;
		}
		n = l->LZ4_decompress_safe((const char *)in + pos,
					(char *)o->p + o->len, (int)csize,
					(int)room);
		if (n < 0 && room < block_max) {
			/* Most likely a block that would pass max. */
			too_big(o, "lz4", err, errlen);
			return -1;
		}
		if (n < 0) {
			snprintf(err, errlen, "lz4: corrupt block at offset %zu", pos);
			return -1;
		}
		o->len += (size_t)n;
		pos += csize;
	}
	if (o->len == 0) {
		snprintf(err, errlen, "lz4: no data");
		return -1;
	}
	return 0;
}

uint8_t *decompress_payload(enum payload_format fmt, const uint8_t *in,
			    size_t len, size_t size_hint, size_t max,
			    size_t *out_len, char *err, size_t errlen)
{
	struct outbuf o = { .max = max && max < DECOMPRESS_MAX ? max
							  : DECOMPRESS_MAX };
	int rc;

	/* The size the image states: if that cannot fit, stop before starting. */
	if (size_hint > o.max) {
		snprintf(err, errlen, "%s: decompressed kernel of %zu MiB larger "
			 "than %zu MiB (guest RAM; -m too small?)",
			 payload_format_name[fmt], size_hint >> 20, o.max >> 20);
		return NULL;
	}
	if (size_hint && outbuf_reserve(&o, size_hint + CHUNK < o.max
					    ? size_hint + CHUNK : o.max) < 0) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	switch (fmt) {
	case PAYLOAD_GZIP: rc = do_gzip(in, len, &o, err, errlen); break;
	case PAYLOAD_XZ: rc = do_lzma(in, len, &o, 0, err, errlen); break;
	case PAYLOAD_LZMA: rc = do_lzma(in, len, &o, 1, err, errlen); break;
	case PAYLOAD_ZSTD: rc = do_zstd(in, len, &o, err, errlen); break;
	case PAYLOAD_LZ4: rc = do_lz4(in, len, &o, err, errlen); break;
	default:
		snprintf(err, errlen, "%s payloads are not decompressed on the "
			 "host (use --guest-decompress)", payload_format_name[fmt]);
		rc = -1;
	}
	if (rc < 0) {
		free(o.p);
		return NULL;
	}
	*out_len = o.len;
	return o.p;
}
