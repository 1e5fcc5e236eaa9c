/*
 * ref_csum.h - the Internet checksum written the slow, obvious way (RFC
 * 1071: big-endian 16-bit words summed, folded, complemented), for tests
 * that must check frames independently of net/csum.c.
 */
#ifndef MINIVMM_TEST_REF_CSUM_H
#define MINIVMM_TEST_REF_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Checksum of p[0..len) with `sum` (e.g. a pseudo-header sum) added in. */
static inline uint16_t ref_csum(const uint8_t *p, size_t len, uint64_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint64_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint64_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The IPv4 pseudo-header sum for the header at ip and l4len bytes of L4. */
static inline uint64_t ref_pseudo4(const uint8_t *ip, uint16_t l4len)
{
	uint64_t sum = 0;

	for (int i = 12; i < 20; i += 2)	/* source and destination */
		sum += (uint64_t)(ip[i] << 8 | ip[i + 1]);
	return sum + ip[9] + l4len;
}

#endif
