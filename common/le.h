/*
 * le.h - little-endian fields of any width (1 to 8 bytes) in byte arrays:
 * device registers and PCI capabilities that guests read and write at
 * any size, kept as the bytes a little-endian machine would hold.
 */
#ifndef MINIVMM_LE_H
#define MINIVMM_LE_H

#include <stdint.h>

static inline uint64_t le_get(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static inline void le_put(uint8_t *p, unsigned len, uint64_t v)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

#endif
