/*
 * stream.c - test data generator and hash.  Byte k of the stream is byte
 * (k mod 4) of mix32(k / 4), little-endian; mix32 is the murmur3
 * finaliser applied to i * 0x9e3779b1 + 0x7f4a7c15 (all mod 2^32).
 */
#include "stream.h"

static uint32_t mix32(uint32_t i)
{
	uint32_t x = i * 0x9e3779b1u + 0x7f4a7c15u;

	x ^= x >> 16;
	x *= 0x85ebca6bu;
	x ^= x >> 13;
	x *= 0xc2b2ae35u;
	x ^= x >> 16;
	return x;
}

void stream_fill(uint64_t off, uint8_t *dst, size_t n)
{
	size_t j = 0;

	while (j < n) {
		uint64_t k = off + j;
		uint32_t w = mix32((uint32_t)(k >> 2));
		for (unsigned b = (unsigned)(k & 3); b < 4 && j < n; b++)
			dst[j++] = (uint8_t)(w >> (8 * b));
	}
}

uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}
