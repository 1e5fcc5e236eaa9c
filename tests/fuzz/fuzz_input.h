/*
 * fuzz_input.h - reading a libFuzzer input as a stream of small values.
 *
 * Every fuzz target turns its input into decisions (sizes, feature bits,
 * which operation next) and payloads (frames, ring contents) through these
 * helpers.  Past the end of the input every value reads as zero and every
 * byte string as empty, so a target never has to check lengths itself and
 * a short input is just a short scenario.
 */
#ifndef MINIVMM_FUZZ_INPUT_H
#define MINIVMM_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A property the target checks failed: say which, then crash for libFuzzer. */
#define FZ_ASSERT(cond, ...)                                            \
	do {                                                            \
		if (!(cond)) {                                          \
			fprintf(stderr, "fuzz check failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__);                   \
			fputc('\n', stderr);                            \
			abort();                                        \
		}                                                       \
	} while (0)

struct fin {
	const uint8_t *p;
	size_t len, off;
};

static inline struct fin fin_make(const uint8_t *p, size_t len)
{
	return (struct fin){ p, len, 0 };
}

static inline size_t fin_left(const struct fin *f)
{
	return f->len - f->off;
}

static inline uint8_t fin_u8(struct fin *f)
{
	return f->off < f->len ? f->p[f->off++] : 0;
}

/* Little-endian, so a seed file reads like the value it sets. */
static inline uint16_t fin_u16(struct fin *f)
{
	uint16_t v = fin_u8(f);

	return (uint16_t)(v | fin_u8(f) << 8);
}

static inline uint32_t fin_u32(struct fin *f)
{
	uint32_t v = fin_u16(f);

	return v | (uint32_t)fin_u16(f) << 16;
}

static inline uint64_t fin_u64(struct fin *f)
{
	uint64_t v = fin_u32(f);

	return v | (uint64_t)fin_u32(f) << 32;
}

/* Up to n bytes in place; *got says how many were left to take. */
static inline const uint8_t *fin_bytes(struct fin *f, size_t n, size_t *got)
{
	const uint8_t *p = f->p + f->off;

	if (n > fin_left(f))
		n = fin_left(f);
	f->off += n;
	*got = n;
	return p;
}

/* Copies up to n bytes into dst and zero-fills the rest of dst[0..n). */
static inline size_t fin_copy(struct fin *f, void *dst, size_t n)
{
	size_t got;
	const uint8_t *p = fin_bytes(f, n, &got);

	memcpy(dst, p, got);
	memset((uint8_t *)dst + got, 0, n - got);
	return got;
}

#endif
