/*
 * The Internet checksum: net/csum against a naive 16-bit reference written
 * here (big-endian words, one at a time, end-around carry), at every
 * alignment and many lengths, across iovec splits, and for the
 * pseudo-headers; plus hand-derived vectors.
 */
#include "check.h"
#include "net/csum.h"

#include <stdint.h>
#include <stdlib.h>

/* RFC 1071 by the book: network-order 16-bit words, odd byte padded. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2) {
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	if (len & 1) {
		sum += (uint32_t)p[len - 1] << 8;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return (uint16_t)~sum;
}

static uint32_t rng_state = 12345;
static uint8_t rnd8(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return (uint8_t)(rng_state >> 16);
}

static void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = rnd8();
}

TEST(rfc1071_example_words)
{
	/* RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2
	 * (carries folded), so the checksum is ~ddf2 = 220d. */
	static const uint8_t data[] = { 0x00, 0x01, 0xf2, 0x03,
					0xf4, 0xf5, 0xf6, 0xf7 };
	CHECK_EQ(csum_buf(data, sizeof(data)), 0x220d);
	/* The same data split at an odd boundary through csum_iov. */
	struct iovec iov[2] = { { (void *)(uintptr_t)data, 3 },
				{ (void *)(uintptr_t)(data + 3), 5 } };
	CHECK_EQ(csum_fold(csum_iov(iov, 2, 0, 8, 0)), 0x220d);
}

TEST(ipv4_header_known_checksum)
{
	/* 192.168.0.1 -> 192.168.0.199, UDP, total length 0x73, DF.  By
	 * hand: 4500+0073+0000+4000+4011+c0a8+0001+c0a8+00c7 = 0x2479c,
	 * folded 0x479e, complemented 0xb861. */
	uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			    0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			    0xc0, 0xa8, 0x00, 0xc7 };
	CHECK_EQ(csum_buf(hdr, 20), 0xb861);
	hdr[10] = 0xb8;
	hdr[11] = 0x61;
	/* A header with its checksum in place verifies to 0. */
	CHECK_EQ(csum_buf(hdr, 20), 0);
	CHECK_EQ(ref_csum(hdr, 20), 0);
}

TEST(empty_and_single_bytes)
{
	uint8_t b = 0xab;
	CHECK_EQ(csum_buf(&b, 0), 0xffff);
	CHECK_EQ(csum_buf(&b, 1), (uint16_t)~0xab00);
	/* A lone byte continues a running sum as a padded word. */
	static const uint8_t two[] = { 0x12, 0x34 };
	CHECK_EQ(csum_fold(csum_partial(two, 2, 0)), (uint16_t)~0x1234);
}

TEST(matches_reference_every_alignment_and_length)
{
	enum { MAXLEN = 2000 };
	uint8_t *buf = malloc(MAXLEN + 8);
	int bad = 0;
	fill_random(buf, MAXLEN + 8);
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len <= MAXLEN; len++)
			if (csum_buf(buf + align, len) !=
			    ref_csum(buf + align, len))
				bad++;
	CHECK_EQ(bad, 0);
	free(buf);
}

TEST(matches_reference_at_65535_and_large)
{
	size_t sizes[] = { 65535, 65536, 65536 + 14 + 4, 3u << 20 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		uint8_t *buf = malloc(len + 8);
		for (size_t align = 0; align < 8; align++) {
			fill_random(buf, len + 8);
			CHECK_EQ(csum_buf(buf + align, len),
				 ref_csum(buf + align, len));
		}
		/* All 0xff stresses the carries (each lane at its maximum). */
		memset(buf, 0xff, len + 8);
		CHECK_EQ(csum_buf(buf + 1, len), ref_csum(buf + 1, len));
		free(buf);
	}
}

TEST(portable_loop_matches_reference_on_large_buffers)
{
	/* The same checks with the vector path turned off (a no-op on
	 * machines without it). */
	int old = csum_allow_simd(0);
	size_t len = 70000;
	uint8_t *buf = malloc(len + 8);
	fill_random(buf, len + 8);
	for (size_t align = 0; align < 8; align++)
		for (size_t l = len - 9; l <= len; l++)
			CHECK_EQ(csum_buf(buf + align, l), ref_csum(buf + align, l));
	memset(buf, 0xff, len + 8);
	CHECK_EQ(csum_buf(buf + 3, len), ref_csum(buf + 3, len));
	csum_allow_simd(old);
	free(buf);
}

TEST(all_ones_and_all_zero_buffers)
{
	uint8_t buf[4096];
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(csum_buf(buf, sizeof(buf)), 0xffff);
	memset(buf, 0xff, sizeof(buf));
	/* Every word is -0; the sum stays 0xffff and complements to 0. */
	CHECK_EQ(csum_buf(buf, sizeof(buf)), 0);
	CHECK_EQ(csum_buf(buf, 4095), ref_csum(buf, 4095));
}

TEST(partial_sums_combine_at_even_offsets)
{
	uint8_t buf[1000];
	fill_random(buf, sizeof(buf));
	for (size_t cut = 0; cut <= sizeof(buf); cut += 2) {
		uint32_t s = csum_partial(buf, cut, 0);
		s = csum_partial(buf + cut, sizeof(buf) - cut, s);
		CHECK_EQ(csum_fold(s), ref_csum(buf, sizeof(buf)));
		uint32_t a = csum_partial(buf, cut, 0);
		uint32_t b = csum_partial(buf + cut, sizeof(buf) - cut, 0);
		CHECK_EQ(csum_fold(csum_add(a, b)), ref_csum(buf, sizeof(buf)));
	}
}

TEST(iov_any_split_and_skip)
{
	uint8_t buf[777];
	fill_random(buf, sizeof(buf));
	int bad = 0;
	for (size_t c1 = 0; c1 < 40; c1++)
		for (size_t c2 = c1; c2 < sizeof(buf); c2 += 37) {
			struct iovec iov[3] = {
				{ buf, c1 },
				{ buf + c1, c2 - c1 },
				{ buf + c2, sizeof(buf) - c2 },
			};
			for (size_t skip = 0; skip < 4; skip++) {
				size_t len = sizeof(buf) - skip - 3;
				uint16_t got = csum_fold(csum_iov(iov, 3, skip, len, 0));
				if (got != ref_csum(buf + skip, len))
					bad++;
			}
		}
	CHECK_EQ(bad, 0);
	/* A length past the end stops at the end of the array. */
	struct iovec one = { buf, 10 };
	CHECK_EQ(csum_fold(csum_iov(&one, 1, 0, 1000, 0)), ref_csum(buf, 10));
}

TEST(pseudo_header_ipv4_matches_spelled_out_header)
{
	/* RFC 793: saddr, daddr, zero, protocol, TCP length. */
	uint8_t ph[12 + 33] = { 10, 0, 2, 15, 93, 184, 216, 34, 0, 6, 0, 33 };
	fill_random(ph + 12, 33);
	uint32_t s = csum_pseudo_ipv4(ph, ph + 4, 6, 33);
	s = csum_partial(ph + 12, 33, s);
	CHECK_EQ(csum_fold(s), ref_csum(ph, sizeof(ph)));
}

TEST(pseudo_header_ipv6_matches_spelled_out_header)
{
	/* RFC 8200 8.1: saddr, daddr, 32-bit length, 3 zero bytes, next
	 * header.  A length above 65535 (a jumbogram) uses the high half. */
	uint8_t ph[40];
	fill_random(ph, 32);
	uint32_t len = 0x0001a2b3;
	ph[32] = 0x00;
	ph[33] = 0x01;
	ph[34] = 0xa2;
	ph[35] = 0xb3;
	ph[36] = ph[37] = ph[38] = 0;
	ph[39] = 17;
	CHECK_EQ(csum_fold(csum_pseudo_ipv6(ph, ph + 16, 17, len)),
		 ref_csum(ph, sizeof(ph)));
	/* Addresses at an odd address. */
	uint8_t odd[41];
	memcpy(odd + 1, ph, 40);
	CHECK_EQ(csum_fold(csum_pseudo_ipv6(odd + 1, odd + 17, 17, len)),
		 ref_csum(ph, sizeof(ph)));
}

RUN_TESTS()
