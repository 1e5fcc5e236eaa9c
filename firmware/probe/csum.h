/*
 * csum.h - Internet checksum (RFC 1071) pieces.
 */
#ifndef PROBE_CSUM_H
#define PROBE_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Adds [p, p+n) as big-endian 16-bit words to sum (odd tail padded). */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
/* Folds to 16 bits (not inverted). */
uint16_t csum_fold(uint32_t sum);
/* IPv4 pseudo-header sum (addresses in host order). */
uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);

#endif
