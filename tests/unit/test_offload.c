/*
 * Software offload: NEEDS_CSUM completion, TSO over IPv4 and IPv6, USO,
 * UFO, and every malformed input dropped with its reason and nothing
 * emitted.  Expected fields are computed here from the input (seq + i *
 * mss, id + i, ...) and every checksum is verified with a naive RFC 1071
 * loop written in this file, not with net/csum.
 */
#include "check.h"

#include <errno.h>
#include "net/offload.h"

#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

/* ---- reference checksum and byte helpers ---- */

static uint32_t ref_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i += 2) {
		uint32_t w = (uint32_t)p[i] << 8;
		if (i + 1 < len)
			w |= p[i + 1];
		sum += w;
		sum = (sum & 0xffff) + (sum >> 16);
	}
	return sum;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The pseudo-header sum, spelled out byte by byte (RFC 793, RFC 8200). */
static uint32_t ref_pseudo(const uint8_t *ip, int v6, unsigned proto,
			   size_t l4_len)
{
	uint8_t ph[40] = { 0 };
	if (v6) {
		memcpy(ph, ip + 8, 32);
		put32(ph + 32, (uint32_t)l4_len);
		ph[39] = (uint8_t)proto;
		return ref_add(0, ph, 40);
	}
	memcpy(ph, ip + 12, 8);
	ph[9] = (uint8_t)proto;
	put16(ph + 10, (unsigned)l4_len);
	return ref_add(0, ph, 12);
}

/* 1 when the L4 segment with its pseudo-header sums to 0xffff. */
static int ref_l4_ok(const uint8_t *ip, int v6, unsigned proto,
		     const uint8_t *l4, size_t l4_len)
{
	uint32_t s = ref_add(ref_pseudo(ip, v6, proto, l4_len), l4, l4_len);
	return s == 0xffff;
}

/* ---- frame builders: virtio header + Ethernet + IP + TCP/UDP ---- */

enum { VH = 12, ETH = 14 };

static void put_vhdr(uint8_t *f, uint8_t flags, uint8_t gso, unsigned hdr_len,
		     unsigned gso_size, unsigned start, unsigned off)
{
	memset(f, 0, VH);
	f[0] = flags;
	f[1] = gso;
	f[2] = (uint8_t)hdr_len, f[3] = (uint8_t)(hdr_len >> 8);
	f[4] = (uint8_t)gso_size, f[5] = (uint8_t)(gso_size >> 8);
	f[6] = (uint8_t)start, f[7] = (uint8_t)(start >> 8);
	f[8] = (uint8_t)off, f[9] = (uint8_t)(off >> 8);
	f[10] = 0x55;	/* num_buffers: must come out as 0 */
}

static void put_eth(uint8_t *e, unsigned type)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(e, macs, 12);
	put16(e + 12, type);
}

static void fill_payload(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + i / 256);
}

/*
 * IPv4 (id, no options) + TCP (32-byte header with a timestamp option,
 * flags) + n payload bytes; the TCP checksum field holds the pseudo-header
 * sum as a NEEDS_CSUM sender leaves it.  Returns the total length.
 */
static size_t build_tcp4(uint8_t *f, size_t n, uint16_t id, uint32_t seq,
			 uint8_t tcp_flags)
{
	uint8_t *ip = f + VH + ETH, *tcp = ip + 20;
	put_eth(f + VH, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + 32 + n));
	put16(ip + 4, id);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	ip[12] = 192, ip[13] = 168, ip[14] = 1, ip[15] = 2;
	ip[16] = 10, ip[17] = 9, ip[18] = 8, ip[19] = 7;
	put16(ip + 10, (uint16_t)~ref_add(0, ip, 20));
	memset(tcp, 0, 32);
	put16(tcp, 33000);
	put16(tcp + 2, 5201);
	put32(tcp + 4, seq);
	put32(tcp + 8, 0x01020304);
	tcp[12] = 8 << 4;
	tcp[13] = tcp_flags;
	put16(tcp + 14, 501);
	tcp[20] = 1, tcp[21] = 1, tcp[22] = 8, tcp[23] = 10;	/* NOP NOP TS */
	put32(tcp + 24, 0xaabbccdd);
	fill_payload(tcp + 32, n);
	put16(tcp + 16, ref_pseudo(ip, 0, IPPROTO_TCP, 32 + n));
	put_vhdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4,
		 ETH + 20 + 32, 0, ETH + 20, 16);
	return VH + ETH + 20 + 32 + n;
}

/* IPv6 (with an 8-byte destination-options header) + 20-byte TCP. */
static size_t build_tcp6(uint8_t *f, size_t n, uint32_t seq, uint8_t tcp_flags)
{
	uint8_t *ip = f + VH + ETH, *dst = ip + 40, *tcp = dst + 8;
	put_eth(f + VH, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (unsigned)(8 + 20 + n));
	ip[6] = IPPROTO_DSTOPTS;
	ip[7] = 64;
	for (int i = 0; i < 16; i++) {
		ip[8 + i] = (uint8_t)(0xfd + i);
		ip[24 + i] = (uint8_t)(0x11 * i);
	}
	memset(dst, 0, 8);
	dst[0] = IPPROTO_TCP;
	dst[2] = 1, dst[3] = 4;
	memset(tcp, 0, 20);
	put16(tcp, 40001);
	put16(tcp + 2, 443);
	put32(tcp + 4, seq);
	tcp[12] = 5 << 4;
	tcp[13] = tcp_flags;
	put16(tcp + 14, 1000);
	fill_payload(tcp + 20, n);
	put16(tcp + 16, ref_pseudo(ip, 1, IPPROTO_TCP, 20 + n));
	put_vhdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6,
		 0, 0, ETH + 48, 16);
	return VH + ETH + 48 + 20 + n;
}

/* IPv4 + UDP + n bytes, checksum field holding the pseudo-header sum. */
static size_t build_udp4(uint8_t *f, size_t n, uint16_t id)
{
	uint8_t *ip = f + VH + ETH, *udp = ip + 20;
	put_eth(f + VH, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(28 + n));
	put16(ip + 4, id);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	ip[12] = 172, ip[13] = 16, ip[14] = 0, ip[15] = 1;
	ip[16] = 172, ip[17] = 16, ip[18] = 0, ip[19] = 99;
	put16(ip + 10, (uint16_t)~ref_add(0, ip, 20));
	put16(udp, 4789);
	put16(udp + 2, 4789);
	put16(udp + 4, (unsigned)(8 + n));
	fill_payload(udp + 8, n);
	put16(udp + 6, ref_pseudo(ip, 0, IPPROTO_UDP, 8 + n));
	put_vhdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, 0,
		 ETH + 20, 6);
	return VH + ETH + 28 + n;
}

/* ---- the emit side: copies every frame it is given ---- */

struct sink {
	int n;
	int fail_at;	/* emit returns -ENOBUFS for this frame (or -1) */
	uint8_t *frame[64];
	size_t len[64];
};

static int collect(void *opaque, uint8_t *frame, size_t len)
{
	struct sink *s = opaque;
	if (s->n == s->fail_at)
		return -105;
	if (s->n < 64) {
		s->frame[s->n] = malloc(len);
		memcpy(s->frame[s->n], frame, len);
		s->len[s->n] = len;
	}
	s->n++;
	return 0;
}

static void sink_init(struct sink *s)
{
	memset(s, 0, sizeof(*s));
	s->fail_at = -1;
}

static void sink_free(struct sink *s)
{
	for (int i = 0; i < s->n && i < 64; i++)
		free(s->frame[i]);
}

static const uint8_t zero_hdr[VH];

/* ---- NEEDS_CSUM ---- */

TEST(needs_csum_completed_for_receiver_without_csum)
{
	uint8_t f[300];
	size_t len = build_udp4(f, 101, 7);	/* odd length */
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), 1);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.len[0], len);
	uint8_t *o = s.frame[0];
	CHECK_MEM(o, zero_hdr, VH);
	CHECK(get16(o + VH + ETH + 20 + 6) != 0);
	CHECK(ref_l4_ok(o + VH + ETH, 0, IPPROTO_UDP, o + VH + ETH + 20, 109));
	sink_free(&s);
}

TEST(udp_sum_of_zero_is_sent_as_ffff)
{
	/* Make the datagram's checksum come out as 0: add its would-be
	 * checksum c0 into a payload word, so the sum becomes S + ~S = -0. */
	uint8_t f[300];
	size_t len = build_udp4(f, 20, 7);
	uint8_t *ip = f + VH + ETH, *udp = ip + 20;
	uint16_t pseudo = get16(udp + 6);
	put16(udp + 6, 0);
	uint32_t c0 = (uint16_t)~ref_add(ref_pseudo(ip, 0, IPPROTO_UDP, 28), udp, 28);
	uint32_t w = get16(udp + 8) + c0;
	put16(udp + 8, (w & 0xffff) + (w >> 16));
	put16(udp + 6, pseudo);
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), 1);
	CHECK_EQ(get16(s.frame[0] + VH + ETH + 20 + 6), 0xffff);
	CHECK(ref_l4_ok(s.frame[0] + VH + ETH, 0, IPPROTO_UDP,
			s.frame[0] + VH + ETH + 20, 28));
	sink_free(&s);
}

TEST(needs_csum_passes_unchanged_for_receiver_with_csum)
{
	uint8_t f[300], orig[300];
	size_t len = build_udp4(f, 64, 7);
	memcpy(orig, f, len);
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, NET_OFF_CSUM, collect, &s), 1);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.len[0], len);
	CHECK_MEM(s.frame[0], orig, len);
	sink_free(&s);
}

TEST(complete_csum_helper_works_on_a_copy)
{
	uint8_t f[300];
	size_t len = build_udp4(f, 10, 1);
	CHECK_EQ(net_offload_complete_csum(f, len), 1);
	CHECK_EQ(f[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM, 0);
	CHECK(ref_l4_ok(f + VH + ETH, 0, IPPROTO_UDP, f + VH + ETH + 20, 18));
	CHECK_EQ(net_offload_complete_csum(f, len), 0);	/* nothing left */
	put_vhdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 200, 6);
	CHECK_EQ(net_offload_complete_csum(f, len), -ERANGE);
}

TEST(needs_fixup_truth_table)
{
	uint8_t h[VH];
	put_vhdr(h, 0, 0, 0, 0, 0, 0);
	CHECK_EQ(net_offload_needs_fixup(h, 0), 0);
	put_vhdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 34, 16);
	CHECK_EQ(net_offload_needs_fixup(h, 0), 1);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM), 0);
	put_vhdr(h, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0,
		 1448, 34, 16);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM), 1);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO6), 1);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO4), 0);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_TSO4), 1);
	h[1] |= VIRTIO_NET_HDR_GSO_ECN;
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO4), 1);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO4 |
					 NET_OFF_ECN), 0);
	h[1] = VIRTIO_NET_HDR_GSO_TCPV6;
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO6), 0);
	h[1] = VIRTIO_NET_HDR_GSO_UDP;
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_TSO4), 1);
	CHECK_EQ(net_offload_needs_fixup(h, NET_OFF_CSUM | NET_OFF_UFO), 0);
	h[1] = VIRTIO_NET_HDR_GSO_UDP_L4;
	CHECK_EQ(net_offload_needs_fixup(h, 0xff), 1);
	h[1] = 2;	/* no such type */
	CHECK_EQ(net_offload_needs_fixup(h, 0xff), 1);
}

/* ---- TSO ---- */

TEST(tso4_segments_have_exact_fields_and_valid_sums)
{
	enum { N = 2500, MSS = 1000 };
	static uint8_t f[VH + ETH + 52 + N], orig[VH + ETH + 52 + N];
	/* seq near the top checks the wrap; flags ACK PSH FIN CWR. */
	size_t len = build_tcp4(f, N, 0xfffe, 0xfffffc00u, 0x10 | 0x08 | 0x01 | 0x80);
	f[4] = MSS & 0xff, f[5] = MSS >> 8;
	f[2] = 99;	/* a wrong hdr_len hint must not matter */
	memcpy(orig, f, len);
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), 3);
	CHECK_EQ(s.n, 3);
	static const size_t seg_len[3] = { 1000, 1000, 500 };
	static const uint16_t id[3] = { 0xfffe, 0xffff, 0x0000 };
	static const uint32_t seq[3] = { 0xfffffc00u, 0xffffffe8u, 0x3d0u };
	static const uint8_t flags[3] = { 0x90, 0x10, 0x19 };
	for (int i = 0; i < s.n && i < 3; i++) {
		uint8_t *o = s.frame[i], *ip = o + VH + ETH, *tcp = ip + 20;
		CHECK_EQ(s.len[i], VH + ETH + 52 + seg_len[i]);
		CHECK_MEM(o, zero_hdr, VH);
		CHECK_MEM(o + VH, orig + VH, ETH);
		CHECK_EQ(get16(ip + 2), 52 + seg_len[i]);
		CHECK_EQ(get16(ip + 4), id[i]);
		CHECK_EQ(get16(ip + 6), 0x4000);
		CHECK_EQ(ref_add(0, ip, 20), 0xffff);
		CHECK_EQ(get32(tcp + 4), seq[i]);
		CHECK_EQ(get32(tcp + 8), 0x01020304);
		CHECK_EQ(tcp[13], flags[i]);
		CHECK_MEM(tcp + 20, orig + VH + ETH + 40, 12);	/* options */
		CHECK_MEM(tcp + 32, orig + VH + ETH + 52 + i * MSS, seg_len[i]);
		CHECK(ref_l4_ok(ip, 0, IPPROTO_TCP, tcp, 32 + seg_len[i]));
	}
	sink_free(&s);
}

TEST(tso6_with_ecn_keeps_cwr_on_first_segment_only)
{
	enum { N = 4000, MSS = 1440 };
	static uint8_t f[VH + ETH + 68 + N], orig[VH + ETH + 68 + N];
	size_t len = build_tcp6(f, N, 1000, 0x80 | 0x40 | 0x10 | 0x08);
	f[1] |= VIRTIO_NET_HDR_GSO_ECN;
	f[4] = MSS & 0xff, f[5] = MSS >> 8;
	memcpy(orig, f, len);
	struct sink s;
	sink_init(&s);
	/* TSO6 accepted but not ECN: must be segmented. */
	CHECK_EQ(net_offload_fixup(f, len, NET_OFF_TSO6, collect, &s), 3);
	static const size_t seg_len[3] = { 1440, 1440, 1120 };
	static const uint8_t flags[3] = { 0xd0, 0x50, 0x58 };
	for (int i = 0; i < s.n && i < 3; i++) {
		uint8_t *o = s.frame[i], *ip = o + VH + ETH, *tcp = ip + 48;
		CHECK_EQ(s.len[i], VH + ETH + 68 + seg_len[i]);
		CHECK_MEM(o, zero_hdr, VH);
		CHECK_EQ(get16(ip + 4), 8 + 20 + seg_len[i]);
		CHECK_MEM(ip + 6, orig + VH + ETH + 6, 34 + 8);	/* rest + ext */
		CHECK_EQ(get32(tcp + 4), 1000 + i * MSS);
		CHECK_EQ(tcp[13], flags[i]);
		CHECK_MEM(tcp + 20, orig + VH + ETH + 68 + i * MSS, seg_len[i]);
		CHECK(ref_l4_ok(ip, 1, IPPROTO_TCP, tcp, 20 + seg_len[i]));
	}
	sink_free(&s);
}

TEST(tso_segments_left_partial_for_receiver_with_csum)
{
	enum { N = 3000, MSS = 1460 };
	static uint8_t f[VH + ETH + 52 + N];
	size_t len = build_tcp4(f, N, 100, 5, 0x18);
	f[4] = MSS & 0xff, f[5] = MSS >> 8;
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, NET_OFF_CSUM, collect, &s), 3);
	for (int i = 0; i < s.n && i < 3; i++) {
		uint8_t *o = s.frame[i], *ip = o + VH + ETH, *tcp = ip + 20;
		size_t l4_len = s.len[i] - VH - ETH - 20;
		CHECK_EQ(o[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
		CHECK_EQ(o[1], VIRTIO_NET_HDR_GSO_NONE);
		CHECK_EQ(o[6] | o[7] << 8, ETH + 20);
		CHECK_EQ(o[8] | o[9] << 8, 16);
		CHECK_EQ(o[10] | o[11] << 8, 0);
		/* The field holds the folded pseudo-header sum... */
		CHECK_EQ(get16(tcp + 16), ref_pseudo(ip, 0, IPPROTO_TCP, l4_len));
		/* ...and finishing it as a device would gives a valid sum. */
		put16(tcp + 16, (uint16_t)~ref_add(0, tcp, l4_len));
		CHECK(ref_l4_ok(ip, 0, IPPROTO_TCP, tcp, l4_len));
	}
	sink_free(&s);
}

TEST(gso_size_above_payload_gives_one_segment)
{
	static uint8_t f[VH + ETH + 52 + 500];
	size_t len = build_tcp4(f, 500, 1, 1, 0x19);
	f[4] = 0xdc, f[5] = 0x05;	/* 1500 */
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), 1);
	CHECK_EQ(s.len[0], len);
	uint8_t *ip = s.frame[0] + VH + ETH;
	CHECK_EQ(ip[20 + 13], 0x19);	/* PSH and FIN stay: it is the last */
	CHECK(ref_l4_ok(ip, 0, IPPROTO_TCP, ip + 20, 532));
	sink_free(&s);
}

TEST(tso_with_zero_ip_length_takes_length_from_frame)
{
	/* Linux BIG TCP and Windows LSO leave the IPv4 total length 0. */
	static uint8_t f[VH + ETH + 52 + 2000];
	size_t len = build_tcp4(f, 2000, 1, 1, 0x10);
	put16(f + VH + ETH + 2, 0);
	f[4] = 0xe8, f[5] = 0x03;	/* 1000 */
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), 2);
	CHECK_EQ(get16(s.frame[1] + VH + ETH + 2), 1052);
	CHECK_EQ(ref_add(0, s.frame[1] + VH + ETH, 20), 0xffff);
	sink_free(&s);
}

/* ---- USO and UFO ---- */

TEST(uso_cuts_one_udp_datagram_per_gso_size)
{
	enum { N = 1500, MSS = 700 };
	static uint8_t f[VH + ETH + 28 + N], orig[VH + ETH + 28 + N];
	size_t len = build_udp4(f, N, 0x4242);
	f[1] = VIRTIO_NET_HDR_GSO_UDP_L4;
	f[4] = MSS & 0xff, f[5] = MSS >> 8;
	memcpy(orig, f, len);
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, 0xff, collect, &s), 3);
	static const size_t seg_len[3] = { 700, 700, 100 };
	for (int i = 0; i < s.n && i < 3; i++) {
		uint8_t *o = s.frame[i], *ip = o + VH + ETH, *udp = ip + 20;
		CHECK_EQ(s.len[i], VH + ETH + 28 + seg_len[i]);
		CHECK_EQ(get16(ip + 2), 28 + seg_len[i]);
		CHECK_EQ(get16(ip + 4), 0x4242 + i);
		CHECK_EQ(ref_add(0, ip, 20), 0xffff);
		CHECK_EQ(get16(udp + 4), 8 + seg_len[i]);
		/* Receiver takes CSUM (0xff): partial, finish it here. */
		CHECK_EQ(o[0], VIRTIO_NET_HDR_F_NEEDS_CSUM);
		CHECK_EQ(o[8], 6);
		put16(udp + 6, (uint16_t)~ref_add(0, udp, 8 + seg_len[i]));
		CHECK(ref_l4_ok(ip, 0, IPPROTO_UDP, udp, 8 + seg_len[i]));
		CHECK_MEM(udp + 8, orig + VH + ETH + 28 + i * MSS, seg_len[i]);
	}
	sink_free(&s);
}

TEST(ufo_fragments_one_datagram_into_ip_fragments)
{
	enum { N = 3000, MSS = 1483 };	/* rounded down to 1480 */
	static uint8_t f[VH + ETH + 28 + N], orig[VH + ETH + 28 + N];
	size_t len = build_udp4(f, N, 0x0707);
	f[1] = VIRTIO_NET_HDR_GSO_UDP;
	f[4] = MSS & 0xff, f[5] = MSS >> 8;
	memcpy(orig, f, len);
	struct sink s;
	sink_init(&s);
	CHECK_EQ(net_offload_fixup(f, len, NET_OFF_CSUM, collect, &s), 3);
	/* The IP payload (8 + 3000 bytes) in 1480-byte pieces. */
	static const size_t frag_len[3] = { 1480, 1480, 48 };
	static const uint16_t frag_field[3] = { 0x2000 | 0, 0x2000 | 185, 370 };
	uint8_t *whole = malloc(8 + N);
	size_t got = 0;
	for (int i = 0; i < s.n && i < 3; i++) {
		uint8_t *o = s.frame[i], *ip = o + VH + ETH;
		CHECK_MEM(o, zero_hdr, VH);
		CHECK_EQ(s.len[i], VH + ETH + 20 + frag_len[i]);
		CHECK_EQ(get16(ip + 2), 20 + frag_len[i]);
		CHECK_EQ(get16(ip + 4), 0x0707);
		CHECK_EQ(get16(ip + 6), frag_field[i]);
		CHECK_EQ(ref_add(0, ip, 20), 0xffff);
		if (got + frag_len[i] <= 8 + N) {
			memcpy(whole + got, ip + 20, frag_len[i]);
			got += frag_len[i];
		}
	}
	CHECK_EQ(got, 8 + N);
	/* Reassembled: the UDP checksum is complete and the data intact. */
	CHECK_EQ(get16(whole + 4), 8 + N);
	CHECK(ref_l4_ok(orig + VH + ETH, 0, IPPROTO_UDP, whole, 8 + N));
	CHECK_MEM(whole + 8, orig + VH + ETH + 28, N);
	free(whole);
	sink_free(&s);
}

/* ---- malformed inputs: the right reason, nothing emitted ---- */

static int drop_reason(uint8_t *f, size_t len, unsigned accepts, int *emitted)
{
	struct sink s;
	sink_init(&s);
	int r = net_offload_fixup(f, len, accepts, collect, &s);
	*emitted = s.n;
	sink_free(&s);
	return r;
}

TEST(malformed_inputs_dropped_with_reason)
{
	static uint8_t f[VH + ETH + 52 + 3000];
	size_t len;
	int n;

	/* csum_start past the frame. */
	len = build_udp4(f, 50, 1);
	f[6] = (uint8_t)(len - VH), f[7] = (uint8_t)((len - VH) >> 8);
	CHECK_EQ(drop_reason(f, len, 0, &n), -ERANGE);
	CHECK_EQ(n, 0);
	/* csum field one byte past the end (start ok, offset too big). */
	len = build_udp4(f, 50, 1);
	f[8] = (uint8_t)(len - VH - (ETH + 20) - 1);
	CHECK_EQ(drop_reason(f, len, 0, &n), -ERANGE);
	CHECK_EQ(n, 0);
	/* ...also when the receiver would have taken the partial sum. */
	CHECK_EQ(drop_reason(f, len, NET_OFF_CSUM, &n), -ERANGE);
	/* The last two bytes exactly are fine. */
	f[8] = (uint8_t)(len - VH - (ETH + 20) - 2);
	CHECK_EQ(drop_reason(f, len, 0, &n), 1);

	/* gso_size 0. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
	/* Truncated IP header: the frame ends 10 bytes into it. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 100;
	put_vhdr(f, 0, VIRTIO_NET_HDR_GSO_TCPV4, 0, 100, 0, 0);
	CHECK_EQ(drop_reason(f, VH + ETH + 10, 0, &n), -EBADMSG);
	CHECK_EQ(n, 0);
	/* IHL 4. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 100;
	f[VH + ETH] = 0x44;
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
	/* TCP data offset 4. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 100;
	f[VH + ETH + 20 + 12] = 4 << 4;
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
	/* UDP under a TCPV4 gso_type. */
	len = build_udp4(f, 3000, 1);
	put_vhdr(f, VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0,
		 1000, ETH + 20, 6);
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
	/* TCPV6 gso_type on an IPv4 frame. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[1] = VIRTIO_NET_HDR_GSO_TCPV6;
	f[4] = 100;
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	/* IP total length larger than the frame. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 100;
	put16(f + VH + ETH + 2, 20 + 32 + 3001);
	CHECK_EQ(drop_reason(f, len, 0, &n), -EBADMSG);
	CHECK_EQ(n, 0);
	/* ...and smaller than the frame: the super-frame is inconsistent. */
	put16(f + VH + ETH + 2, 20 + 32 + 2000);
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
	/* Unknown gso_type. */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[1] = 2;
	f[4] = 100;
	CHECK_EQ(drop_reason(f, len, 0xff, &n), -EPROTO);
	/* Too many segments (3000 / 1 byte). */
	len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 1;
	CHECK_EQ(drop_reason(f, len, 0, &n), -EMSGSIZE);
	CHECK_EQ(n, 0);
	/* Shorter than the virtio header; longer than any frame. */
	CHECK_EQ(drop_reason(f, VH - 1, 0, &n), -EINVAL);
	uint8_t *big = calloc(1, NET_MAX_FRAME + 1);
	CHECK_EQ(drop_reason(big, NET_MAX_FRAME + 1, 0, &n), -EMSGSIZE);
	CHECK_EQ(n, 0);
	free(big);
}

TEST(ufo_over_ipv6_is_refused)
{
	static uint8_t f[VH + ETH + 68 + 2000];
	size_t len = build_tcp6(f, 2000, 1, 0x10);
	f[VH + ETH + 40] = IPPROTO_UDP;	/* dest-opts now leads to "UDP" */
	put16(f + VH + ETH + 48 + 4, 8 + 12 + 2000);
	f[1] = VIRTIO_NET_HDR_GSO_UDP;
	f[4] = 0xe8, f[5] = 0x03;
	int n;
	CHECK_EQ(drop_reason(f, len, 0, &n), -EPROTO);
	CHECK_EQ(n, 0);
}

TEST(emit_failure_stops_and_reports_ecanceled)
{
	static uint8_t f[VH + ETH + 52 + 3000];
	size_t len = build_tcp4(f, 3000, 1, 1, 0x10);
	f[4] = 0xe8, f[5] = 0x03;
	struct sink s;
	sink_init(&s);
	s.fail_at = 1;
	CHECK_EQ(net_offload_fixup(f, len, 0, collect, &s), -ECANCELED);
	CHECK_EQ(s.n, 1);
	sink_free(&s);
}

RUN_TESTS()
