/*
 * csum.c - ones' complement sums.  Runs in ring 3 at native speed, so a
 * plain 16-bit loop into a 64-bit accumulator is fast enough.
 */
#include "csum.h"

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;
	size_t i = 0;

	for (; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (i < n)
		s += (uint32_t)p[i] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	uint64_t s = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		     proto + (len >> 16) + (len & 0xffff);
	return csum_fold((uint32_t)s);
}
