/*
 * csum.c - the Internet checksum (RFC 1071).
 *
 * The sum is taken over 16-bit words in host memory order: ones'-complement
 * addition is byte-order independent (RFC 1071 section 2(B)), so only the
 * final folded value is swapped to a host-order number.  Words are added
 * 64 bits at a time with the carries counted separately, which is the same
 * sum as adding 16-bit words with end-around carry (section 2(C), deferred
 * carries).  On x86-64 CPUs with AVX2 the bulk of a buffer is summed with
 * 256-bit vectors instead: each 32-bit lane collects low and high 16-bit
 * halves separately, so no carries are lost as long as a lane takes fewer
 * than 65536 additions between reductions.
 */
#include "net/csum.h"

#include <arpa/inet.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CSUM_HAVE_AVX2 1
#include <immintrin.h>
#endif

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t load16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/* Folds a 64-bit ones'-complement accumulator to 32 bits. */
static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);	/* at most 2^33 - 2 */
	s = (s & 0xffffffffu) + (s >> 32);	/* at most 2^32 */
	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

/* Adds two 64-bit ones'-complement values with end-around carry. */
static inline uint64_t add64(uint64_t a, uint64_t b)
{
	uint64_t s = a + b;
	return s + (s < a);
}

/*
 * Portable sum of len bytes (len even up to the last byte): 64-bit words,
 * four independent accumulators, carries counted on the side.
 */
static uint64_t sum_scalar(const uint8_t *p, size_t len)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, carries = 0;

	while (len >= 32) {
		uint64_t w0 = load64(p), w1 = load64(p + 8);
		uint64_t w2 = load64(p + 16), w3 = load64(p + 24);
		s0 += w0;
		carries += s0 < w0;
		s1 += w1;
		carries += s1 < w1;
		s2 += w2;
		carries += s2 < w2;
		s3 += w3;
		carries += s3 < w3;
		p += 32;
		len -= 32;
	}
	uint64_t s = add64(add64(s0, s1), add64(s2, s3));
	s = add64(s, carries);
	while (len >= 8) {
		s = add64(s, load64(p));
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		s = add64(s, load32(p));
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		s = add64(s, load16(p));
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd last byte is the first byte of a zero-padded word. */
		uint16_t last = 0;
		memcpy(&last, p, 1);
		s = add64(s, last);
	}
	return s;
}

#ifdef CSUM_HAVE_AVX2
/*
 * Sums the first (len & ~63) bytes with AVX2 and returns that sum of 16-bit
 * words (not folded).  vpmaddwd adds pairs of words into 32-bit lanes, but
 * as signed numbers; flipping the top bit of every word first makes each
 * one exactly (w - 32768), and the 32768s are added back at the end.  A
 * lane gains at most 65536 in magnitude per vector it takes, and takes at
 * most 4096 vectors (of a block of 8192 64-byte steps) before the four
 * accumulators are added and widened to 64 bits: far below 2^31.
 */
__attribute__((target("avx2")))
static uint64_t sum_avx2(const uint8_t *p, size_t len)
{
	const __m256i bias = _mm256_set1_epi16((short)0x8000);
	const __m256i ones = _mm256_set1_epi16(1);
	int64_t total = 0;
	uint64_t words = 0;

	while (len >= 64) {
		size_t iters = len / 64;
		if (iters > 8192)
			iters = 8192;
		len -= iters * 64;
		words += iters * 32;
		__m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
		__m256i c = _mm256_setzero_si256(), d = _mm256_setzero_si256();
		for (; iters >= 2; iters -= 2) {
			__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
			__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
			__m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 64));
			__m256i v3 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 96));
			a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_xor_si256(v0, bias), ones));
			b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_xor_si256(v1, bias), ones));
			c = _mm256_add_epi32(c, _mm256_madd_epi16(_mm256_xor_si256(v2, bias), ones));
			d = _mm256_add_epi32(d, _mm256_madd_epi16(_mm256_xor_si256(v3, bias), ones));
			p += 128;
		}
		if (iters) {
			__m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
			__m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
			a = _mm256_add_epi32(a, _mm256_madd_epi16(_mm256_xor_si256(v0, bias), ones));
			b = _mm256_add_epi32(b, _mm256_madd_epi16(_mm256_xor_si256(v1, bias), ones));
			p += 64;
		}
		/* |lane| <= 4096 * 65536 each, so the sum of four fits. */
		a = _mm256_add_epi32(_mm256_add_epi32(a, b), _mm256_add_epi32(c, d));
		/* Sign-extend to 64 bits and add the lanes up. */
		__m256i wide = _mm256_add_epi64(
			_mm256_cvtepi32_epi64(_mm256_castsi256_si128(a)),
			_mm256_cvtepi32_epi64(_mm256_extracti128_si256(a, 1)));
		__m128i half = _mm_add_epi64(_mm256_castsi256_si128(wide),
					     _mm256_extracti128_si256(wide, 1));
		half = _mm_add_epi64(half, _mm_unpackhi_epi64(half, half));
		total += _mm_cvtsi128_si64(half);
	}
	return (uint64_t)(total + (int64_t)(words * 32768));
}

/*
 * The same with AVX-512BW, 64 bytes a vector, over the whole buffer: the
 * last piece is a masked load, whose missing bytes read as zero, which is
 * exactly RFC 1071's padding of an odd last byte.  Zero words contribute
 * nothing, since the bias is added back for every word position loaded.
 * Blocks of at most 4096 vectors keep each lane below 2^28 in magnitude.
 * Defined twice: with AVX512-VNNI, vpdpwssd does the multiply-add and the
 * accumulation in one instruction (a third fewer instructions per vector).
 */
#define ACC_MADD(acc, v) \
	_mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_xor_si512(v, bias), ones))
#define ACC_VNNI(acc, v) \
	_mm512_dpwssd_epi32(acc, _mm512_xor_si512(v, bias), ones)

#define DEFINE_SUM_AVX512(name, isa, ACC)				\
__attribute__((target(isa)))						   \
static uint64_t name(const uint8_t *p, size_t len)			\
{									\
	const __m512i bias = _mm512_set1_epi16((short)0x8000);		\
	const __m512i ones = _mm512_set1_epi16(1);			\
	int64_t total = 0;						\
	uint64_t words = 0;						\
									\
	while (len) {							\
		size_t vecs = (len + 63) / 64;				\
		if (vecs > 4096)					\
			vecs = 4096;					\
		words += vecs * 32;					\
		__m512i a = _mm512_setzero_si512();			\
		__m512i b = _mm512_setzero_si512();			\
		__m512i c = _mm512_setzero_si512();			\
		__m512i d = _mm512_setzero_si512();			\
		for (; vecs >= 4 && len >= 256; vecs -= 4) {		\
			a = ACC(a, _mm512_loadu_si512((const void *)p)); \
			b = ACC(b, _mm512_loadu_si512((const void *)(p + 64))); \
			c = ACC(c, _mm512_loadu_si512((const void *)(p + 128))); \
			d = ACC(d, _mm512_loadu_si512((const void *)(p + 192))); \
			p += 256;					\
			len -= 256;					\
		}							\
		for (; vecs; vecs--) {					\
			__m512i v;					\
			if (len >= 64) {				\
				v = _mm512_loadu_si512((const void *)p); \
				p += 64;				\
				len -= 64;				\
			} else {	/* len < 64: a partial vector */ \
				__mmask64 m = (1ULL << len) - 1;	\
				v = _mm512_maskz_loadu_epi8(m, (const void *)p); \
				p += len;				\
				len = 0;				\
			}						\
			b = ACC(b, v);					\
		}							\
		a = _mm512_add_epi32(_mm512_add_epi32(a, b),		\
				     _mm512_add_epi32(c, d));		\
		/* Sign-extend to 64 bits and add the lanes up. */	\
		__m512i wide = _mm512_add_epi64(			\
			_mm512_cvtepi32_epi64(_mm512_castsi512_si256(a)), \
			_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a, 1))); \
		total += _mm512_reduce_add_epi64(wide);			\
	}								\
	return (uint64_t)(total + (int64_t)(words * 32768));		\
}

DEFINE_SUM_AVX512(sum_avx512, "avx512f,avx512bw", ACC_MADD)
DEFINE_SUM_AVX512(sum_avx512_vnni, "avx512f,avx512bw,avx512vnni", ACC_VNNI)

enum { SIMD_NONE, SIMD_AVX2, SIMD_AVX512, SIMD_AVX512_VNNI };
static int simd_allowed = SIMD_AVX512_VNNI;

/* The best vector unit this CPU has, no better than simd_allowed. */
static int simd_level(void)
{
	static int cached = -1;
	if (cached < 0) {
		__builtin_cpu_init();
		if (__builtin_cpu_supports("avx512bw") &&
		    __builtin_cpu_supports("avx512vnni"))
			cached = SIMD_AVX512_VNNI;
		else if (__builtin_cpu_supports("avx512bw"))
			cached = SIMD_AVX512;
		else if (__builtin_cpu_supports("avx2"))
			cached = SIMD_AVX2;
		else
			cached = SIMD_NONE;
	}
	return cached < simd_allowed ? cached : simd_allowed;
}

int csum_allow_simd(int level)
{
	int old = simd_allowed;
	simd_allowed = level;
	return old;
}
#else
int csum_allow_simd(int level)
{
	(void)level;
	return 0;
}
#endif

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t s = sum;

#ifdef CSUM_HAVE_AVX2
	/* Below 128 bytes the scalar loop is as fast. */
	if (len >= 128) {
		int level = simd_level();
		if (level == SIMD_AVX512_VNNI)
			return fold64(add64(s, sum_avx512_vnni(p, len)));
		if (level == SIMD_AVX512)
			return fold64(add64(s, sum_avx512(p, len)));
		if (level == SIMD_AVX2) {
			size_t bulk = len & ~(size_t)63;
			s = add64(s, sum_avx2(p, bulk));
			p += bulk;
			len -= bulk;
		}
	}
#endif
	s = add64(s, sum_scalar(p, len));
	return fold64(s);
}

uint32_t csum_add(uint32_t a, uint32_t b)
{
	uint32_t s = a + b;
	return s + (s < a);
}

uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	/* The sum is of words in memory order; ntohs gives the number. */
	return ntohs((uint16_t)~sum);
}

uint16_t csum_buf(const void *buf, size_t len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/* Swaps the two bytes of each 16-bit half: a sum taken at an odd offset. */
static uint32_t swap_sum(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ((sum & 0xff) << 8) | ((sum >> 8) & 0xff);
}

uint32_t csum_iov(const struct iovec *iov, int iovcnt, size_t skip,
		  size_t len, uint32_t sum)
{
	size_t done = 0;	/* bytes summed so far: its parity matters */

	for (int i = 0; i < iovcnt && len; i++) {
		size_t n = iov[i].iov_len;
		if (skip >= n) {
			skip -= n;
			continue;
		}
		const uint8_t *p = (const uint8_t *)iov[i].iov_base + skip;
		n -= skip;
		skip = 0;
		if (n > len)
			n = len;
		uint32_t piece = csum_partial(p, n, 0);
		/* A piece starting at an odd offset has its bytes swapped. */
		sum = csum_add(sum, (done & 1) ? swap_sum(piece) : piece);
		done += n;
		len -= n;
	}
	return sum;
}

uint32_t csum_pseudo_ipv4(const void *saddr, const void *daddr,
			  uint8_t proto, uint16_t len)
{
	uint32_t sum = csum_partial(saddr, 4, 0);
	sum = csum_partial(daddr, 4, sum);
	/* Zero byte then protocol, and the length: both in network order. */
	sum = csum_add(sum, htons(proto));
	return csum_add(sum, htons(len));
}

uint32_t csum_pseudo_ipv6(const void *saddr, const void *daddr,
			  uint8_t next_header, uint32_t len)
{
	uint32_t sum = csum_partial(saddr, 16, 0);
	sum = csum_partial(daddr, 16, sum);
	/* RFC 8200 section 8.1: 32-bit length, 24 zero bits, next header. */
	sum = csum_add(sum, htons((uint16_t)(len >> 16)));
	sum = csum_add(sum, htons((uint16_t)len));
	return csum_add(sum, htons(next_header));
}
