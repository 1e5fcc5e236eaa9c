/*
 * csum.h - the Internet checksum (RFC 1071) for IPv4 headers, TCP, UDP and
 * ICMP, at memory speed.
 *
 * A partial sum (uint32_t) is an opaque ones'-complement accumulator: the
 * 16-bit words of the data as they lie in memory, added with end-around
 * carry.  Partial sums of pieces that each start at an even offset of the
 * whole can be combined with csum_add(); csum_iov() handles pieces of any
 * length itself.  csum_fold() turns a partial sum into the 16-bit value to
 * store in a checksum field, as a host-order number: write it with
 * put_be16()-style code (or htons + memcpy).  A region whose stored
 * checksum is correct folds to 0.
 *
 * Typical use, TCP over IPv4 (check field zeroed first):
 *     sum = csum_pseudo_ipv4(ip->saddr, ip->daddr, IPPROTO_TCP, tcp_len);
 *     sum = csum_partial(tcp, tcp_len, sum);
 *     store_be16(&tcp->check, csum_fold(sum));
 */
#ifndef MINIVMM_NET_CSUM_H
#define MINIVMM_NET_CSUM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Adds len bytes at buf (any alignment, any length) to sum. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);

/* Adds two partial sums (end-around carry). */
uint32_t csum_add(uint32_t a, uint32_t b);

/*
 * Folds a partial sum to 16 bits and complements it: the value for the
 * checksum field, in host order.  0 means the summed region (with its
 * checksum field) verified.
 */
uint16_t csum_fold(uint32_t sum);

/* csum_fold(csum_partial(buf, len, 0)): the checksum of one buffer. */
uint16_t csum_buf(const void *buf, size_t len);

/*
 * Adds len bytes of an iovec array, starting skip bytes in, to sum; pieces
 * may have any length (odd boundaries are handled).  Stops early at the
 * end of the array.
 */
uint32_t csum_iov(const struct iovec *iov, int iovcnt, size_t skip,
		  size_t len, uint32_t sum);

/*
 * The pseudo-header sums TCP and UDP start from.  saddr/daddr point at the
 * addresses as they lie in the IP header (4 or 16 bytes, any alignment);
 * len is the TCP/UDP length (header + payload) in host order.
 */
uint32_t csum_pseudo_ipv4(const void *saddr, const void *daddr,
			  uint8_t proto, uint16_t len);
uint32_t csum_pseudo_ipv6(const void *saddr, const void *daddr,
			  uint8_t next_header, uint32_t len);

/*
 * Caps the vector unit used: 0 the portable loop only, 1 up to AVX2, 2 up
 * to AVX-512BW, 3 up to AVX-512 VNNI (the default).  Returns the previous cap.  For tests and
 * benchmarks that want to exercise each code path.
 */
int csum_allow_simd(int level);

#endif
