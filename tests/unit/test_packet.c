/*
 * Frame parsing: header offsets for VLAN, IPv4 options, IPv6 extension
 * headers, TCP/UDP; malformed and truncated frames (cut at every byte into
 * buffers of exactly that size, so ASan or a crash would catch an
 * over-read); and net_frame_csums_ok() against checksums computed here
 * with a naive RFC 1071 loop.
 */
#include "check.h"
#include "net/packet.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>

/* RFC 1071 by the book, over a list of pieces (pseudo-header, segment). */
static uint16_t ref_csum2(const uint8_t *a, size_t alen, const uint8_t *b,
			  size_t blen)
{
	uint8_t *all = malloc(alen + blen + 1);
	if (alen)
		memcpy(all, a, alen);
	if (blen)
		memcpy(all + alen, b, blen);
	size_t len = alen + blen;
	all[len] = 0;
	uint32_t sum = 0;
	for (size_t i = 0; i < len; i += 2) {
		sum += (uint32_t)(all[i] << 8 | all[i + 1]);
		sum = (sum & 0xffff) + (sum >> 16);
	}
	free(all);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Writes the Ethernet header (with ntags 802.1Q tags); returns its size. */
static size_t put_eth(uint8_t *p, unsigned ethertype, int ntags)
{
	static const uint8_t macs[12] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56,
					  0x52, 0x54, 0, 0xab, 0xcd, 0xef };
	size_t off = 12;
	memcpy(p, macs, 12);
	for (int i = 0; i < ntags; i++) {
		put16(p + off, i == 0 && ntags == 2 ? 0x88a8 : 0x8100);
		put16(p + off + 2, 100 + (unsigned)i);
		off += 4;
	}
	put16(p + off, ethertype);
	return off + 2;
}

/* IPv4 header with ihl words (options filled with NOPs), checksum set. */
static void put_ipv4(uint8_t *ip, unsigned ihl, unsigned total, unsigned proto)
{
	memset(ip, 0, ihl * 4);
	ip[0] = (uint8_t)(0x40 | ihl);
	put16(ip + 2, total);
	put16(ip + 4, 0x1c46);
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	ip[12] = 10, ip[13] = 0, ip[14] = 2, ip[15] = 15;
	ip[16] = 93, ip[17] = 184, ip[18] = 216, ip[19] = 34;
	for (unsigned i = 20; i < ihl * 4; i++)
		ip[i] = 1;	/* NOP options */
	put16(ip + 10, ref_csum2(ip, ihl * 4, NULL, 0));
}

/* Sets the L4 checksum at field over l4[0..l4_len) with the pseudo-header. */
static void set_l4_csum(uint8_t *ip, int v6, uint8_t *l4, size_t l4_len,
			unsigned proto, size_t field)
{
	uint8_t ph[40];
	size_t phlen;
	if (v6) {
		memcpy(ph, ip + 8, 32);
		ph[32] = (uint8_t)(l4_len >> 24);
		ph[33] = (uint8_t)(l4_len >> 16);
		ph[34] = (uint8_t)(l4_len >> 8);
		ph[35] = (uint8_t)l4_len;
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = (uint8_t)proto;
		phlen = 40;
	} else {
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = (uint8_t)proto;
		put16(ph + 10, (unsigned)l4_len);
		phlen = 12;
	}
	put16(l4 + field, 0);
	put16(l4 + field, ref_csum2(ph, proto == IPPROTO_ICMP ? 0 : phlen,
				    l4, l4_len));
}

/* Ethernet/IPv4/TCP with a 12-byte option block and n payload bytes. */
static size_t build_tcp4(uint8_t *f, int ntags, unsigned ihl, size_t n)
{
	size_t l3 = put_eth(f, 0x0800, ntags);
	size_t l4 = l3 + ihl * 4;
	uint8_t *tcp = f + l4;
	memset(tcp, 0, 32);
	put16(tcp, 40000);
	put16(tcp + 2, 80);
	tcp[12] = 8 << 4;	/* 32 bytes */
	tcp[13] = 0x18;
	put16(tcp + 14, 64240);
	for (size_t i = 0; i < n; i++)
		tcp[32 + i] = (uint8_t)(i * 13 + 1);
	put_ipv4(f + l3, ihl, (unsigned)(ihl * 4 + 32 + n), IPPROTO_TCP);
	set_l4_csum(f + l3, 0, tcp, 32 + n, IPPROTO_TCP, 16);
	return l4 + 32 + n;
}

/* Ethernet/IPv4/UDP with n payload bytes; checksum set unless zero_sum. */
static size_t build_udp4(uint8_t *f, size_t n, int zero_sum)
{
	size_t l3 = put_eth(f, 0x0800, 0);
	uint8_t *udp = f + l3 + 20;
	put16(udp, 5353);
	put16(udp + 2, 53);
	put16(udp + 4, (unsigned)(8 + n));
	for (size_t i = 0; i < n; i++)
		udp[8 + i] = (uint8_t)(0xa0 + i);
	put_ipv4(f + l3, 5, (unsigned)(28 + n), IPPROTO_UDP);
	set_l4_csum(f + l3, 0, udp, 8 + n, IPPROTO_UDP, 6);
	if (zero_sum)
		put16(udp + 6, 0);
	return l3 + 28 + n;
}

/*
 * Ethernet/IPv6 with hop-by-hop (8), destination options (16) and, if
 * frag_off >= 0, a fragment header, then UDP with n bytes.
 */
static size_t build_udp6(uint8_t *f, size_t n, int frag_off)
{
	size_t l3 = put_eth(f, 0x86dd, 0);
	uint8_t *ip = f + l3;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[7] = 64;
	for (int i = 0; i < 16; i++) {
		ip[8 + i] = (uint8_t)(0x20 + i);
		ip[24 + i] = (uint8_t)(0x40 + i);
	}
	size_t pos = l3 + 40;
	ip[6] = IPPROTO_HOPOPTS;
	memset(f + pos, 0, 8);
	f[pos] = IPPROTO_DSTOPTS;
	f[pos + 2] = 1, f[pos + 3] = 4;	/* PadN */
	pos += 8;
	memset(f + pos, 0, 16);
	f[pos] = frag_off >= 0 ? IPPROTO_FRAGMENT : IPPROTO_UDP;
	f[pos + 1] = 1;
	f[pos + 2] = 1, f[pos + 3] = 12;
	pos += 16;
	if (frag_off >= 0) {
		memset(f + pos, 0, 8);
		f[pos] = IPPROTO_UDP;
		put16(f + pos + 2, (unsigned)frag_off << 3 | 1);	/* M */
		f[pos + 7] = 0x77;
		pos += 8;
	}
	uint8_t *udp = f + pos;
	put16(udp, 546);
	put16(udp + 2, 547);
	put16(udp + 4, (unsigned)(8 + n));
	for (size_t i = 0; i < n; i++)
		udp[8 + i] = (uint8_t)(3 * i);
	put16(ip + 4, (unsigned)(pos + 8 + n - l3 - 40));
	set_l4_csum(ip, 1, udp, 8 + n, IPPROTO_UDP, 6);
	return pos + 8 + n;
}

TEST(ipv4_tcp_offsets_with_options_and_two_tags)
{
	uint8_t f[200];
	size_t len = build_tcp4(f, 2, 6, 50);
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK_EQ(nf.vlan_tags, 2);
	CHECK_EQ(nf.ethertype, 0x0800);
	CHECK_EQ(nf.ip_version, 4);
	CHECK_EQ(nf.l3_off, 22);
	CHECK_EQ(nf.l3_hdr_len, 24);
	CHECK_EQ(nf.l3_end, len);
	CHECK_EQ(nf.l4_proto, IPPROTO_TCP);
	CHECK_EQ(nf.l4_off, 46);
	CHECK_EQ(nf.l4_hdr_len, 32);
	CHECK(!nf.fragment);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
}

TEST(ethernet_padding_is_outside_the_datagram)
{
	uint8_t f[64] = { 0 };
	size_t len = build_udp4(f, 4, 0);	/* 46 bytes */
	CHECK_EQ(len, 46);
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, 60, &nf), NET_PARSE_OK);
	CHECK_EQ(nf.l3_end, 46);
	CHECK_EQ(nf.udp_len, 12);
	CHECK_EQ(net_frame_csums_ok(f, 60), 1);
}

TEST(ipv6_extension_headers_are_walked)
{
	uint8_t f[300];
	size_t len = build_udp6(f, 30, -1);
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK_EQ(nf.ip_version, 6);
	CHECK_EQ(nf.l3_hdr_len, 40 + 8 + 16);
	CHECK_EQ(nf.l4_proto, IPPROTO_UDP);
	CHECK_EQ(nf.l4_off, 14 + 64);
	CHECK_EQ(nf.udp_len, 38);
	CHECK(!nf.fragment);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
}

TEST(ipv6_fragments_first_and_later)
{
	uint8_t f[300];
	size_t len = build_udp6(f, 30, 0);
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK(nf.fragment);
	CHECK(!nf.later_fragment);
	CHECK_EQ(nf.l4_off, 14 + 72);
	len = build_udp6(f, 30, 185);
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK(nf.fragment);
	CHECK(nf.later_fragment);
	CHECK_EQ(nf.l4_off, 0);
	CHECK_EQ(nf.l4_proto, IPPROTO_UDP);
	/* Fragments: only what is in the frame is checked. */
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
}

TEST(ipv4_fragments_are_noted)
{
	uint8_t f[200];
	size_t len = build_udp4(f, 20, 0);
	struct net_frame nf;
	put16(f + 14 + 6, 0x2000);	/* MF, offset 0 */
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, ref_csum2(f + 14, 20, NULL, 0));
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK(nf.fragment && !nf.later_fragment);
	CHECK_EQ(nf.l4_off, 34);
	put16(f + 14 + 6, 0x0010);	/* offset 128 bytes, last */
	put16(f + 14 + 10, 0);
	put16(f + 14 + 10, ref_csum2(f + 14, 20, NULL, 0));
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_OK);
	CHECK(nf.fragment && nf.later_fragment);
	CHECK_EQ(nf.l4_off, 0);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
}

TEST(malformed_headers_are_refused)
{
	uint8_t f[200], g[200];
	size_t len = build_tcp4(f, 0, 5, 10);
	struct net_frame nf;

	memcpy(g, f, len);
	g[14] = 0x44;	/* IHL 4 */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_MALFORMED);
	memcpy(g, f, len);
	g[14] = 0x65;	/* version 6 under ethertype IPv4 */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_MALFORMED);
	memcpy(g, f, len);
	g[34 + 12] = 4 << 4;	/* TCP data offset 4 */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_MALFORMED);
	memcpy(g, f, len);
	g[34 + 12] = 15 << 4;	/* 60-byte TCP header in a 42-byte segment */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_TRUNCATED);
	memcpy(g, f, len);
	put16(g + 16, 19);	/* total length below the header */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_MALFORMED);
	memcpy(g, f, len);
	put16(g + 16, (unsigned)(len - 14 + 1));	/* one byte too many */
	CHECK_EQ(net_parse_frame(g, len, &nf), NET_PARSE_TRUNCATED);
	CHECK_EQ(net_frame_csums_ok(g, len), 0);
	memcpy(g, f, len);
	g[14] = 0x4f;	/* IHL 15: 60 bytes, but only 52 after Ethernet */
	CHECK_EQ(net_parse_frame(g, 14 + 52, &nf), NET_PARSE_TRUNCATED);
}

TEST(ipv6_extension_walk_is_bounded)
{
	/* Nine destination-options headers: one more than allowed. */
	uint8_t f[14 + 40 + 9 * 8 + 8];
	size_t l3 = put_eth(f, 0x86dd, 0);
	memset(f + l3, 0, sizeof(f) - l3);
	f[l3] = 0x60;
	put16(f + l3 + 4, 9 * 8 + 8);
	f[l3 + 6] = IPPROTO_DSTOPTS;
	for (int i = 0; i < 9; i++)
		f[l3 + 40 + i * 8] = i < 8 ? IPPROTO_DSTOPTS : IPPROTO_UDP;
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, sizeof(f), &nf), NET_PARSE_MALFORMED);
	/* Eight are fine (then a UDP header with length 8). */
	f[l3 + 40 + 7 * 8] = IPPROTO_UDP;
	put16(f + l3 + 4, 8 * 8 + 8);
	put16(f + l3 + 40 + 64 + 4, 8);
	CHECK_EQ(net_parse_frame(f, 14 + 40 + 72, &nf), NET_PARSE_OK);
	CHECK_EQ(nf.l4_off, 14 + 40 + 64);
}

TEST(extension_header_longer_than_payload_is_truncated)
{
	/* Payload length 30, but the destination options claim 64 bytes;
	 * the frame is long enough, the datagram is not. */
	size_t len = 14 + 40 + 80;
	uint8_t *f = calloc(1, len);
	size_t l3 = put_eth(f, 0x86dd, 0);
	f[l3] = 0x60;
	put16(f + l3 + 4, 30);
	f[l3 + 6] = IPPROTO_DSTOPTS;
	f[l3 + 40] = IPPROTO_UDP;
	f[l3 + 41] = 7;
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, len, &nf), NET_PARSE_TRUNCATED);
	CHECK_EQ(nf.l4_off, 0);
	free(f);
}

TEST(third_vlan_tag_is_not_followed)
{
	uint8_t f[80] = { 0 };
	size_t off = put_eth(f, 0x8100, 2);	/* two tags, then a third TPID */
	CHECK_EQ(off, 22);
	put16(f + 22, 300);	/* its TCI */
	put16(f + 24, 0x0800);
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, sizeof(f), &nf), NET_PARSE_OK);
	CHECK_EQ(nf.vlan_tags, 2);
	CHECK_EQ(nf.ethertype, 0x8100);
	CHECK_EQ(nf.ip_version, 0);
}

TEST(non_ip_frames_have_nothing_to_check)
{
	uint8_t f[60] = { 0 };
	put_eth(f, 0x0806, 1);	/* ARP behind a tag */
	struct net_frame nf;
	CHECK_EQ(net_parse_frame(f, 60, &nf), NET_PARSE_OK);
	CHECK_EQ(nf.ethertype, 0x0806);
	CHECK_EQ(nf.vlan_tags, 1);
	CHECK_EQ(nf.ip_version, 0);
	CHECK_EQ(net_frame_csums_ok(f, 60), 1);
	CHECK_EQ(net_parse_frame(f, 13, &nf), NET_PARSE_TRUNCATED);
	CHECK_EQ(net_frame_csums_ok(f, 13), 0);
}

/*
 * Every prefix of a frame, copied into a heap buffer of exactly that size:
 * parsing must not crash or over-read (ASan builds catch a single byte),
 * and since the IP length covers the whole frame, every proper prefix
 * that reaches the Ethernet type is reported truncated.
 */
static int cut_everywhere(const uint8_t *f, size_t len)
{
	int wrong = 0;
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *b = malloc(cut ? cut : 1);
		memcpy(b, f, cut);
		struct net_frame nf;
		if (net_parse_frame(b, cut, &nf) != NET_PARSE_TRUNCATED)
			wrong++;
		if (net_frame_csums_ok(b, cut) != 0)
			wrong++;
		free(b);
	}
	return wrong;
}

TEST(truncated_at_every_byte_never_over_reads)
{
	uint8_t f[300];
	CHECK_EQ(cut_everywhere(f, build_tcp4(f, 2, 7, 40)), 0);
	CHECK_EQ(cut_everywhere(f, build_udp4(f, 33, 0)), 0);
	CHECK_EQ(cut_everywhere(f, build_udp6(f, 21, -1)), 0);
	CHECK_EQ(cut_everywhere(f, build_udp6(f, 21, 0)), 0);
	CHECK_EQ(cut_everywhere(f, build_udp6(f, 21, 9)), 0);
}

TEST(random_bytes_never_over_read)
{
	/* Random frames behind a valid Ethernet type, exact-size buffers. */
	uint32_t x = 7;
	for (int n = 0; n < 20000; n++) {
		size_t len = 14 + n % 120;
		uint8_t *b = malloc(len);
		for (size_t i = 0; i < len; i++) {
			x = x * 1664525u + 1013904223u;
			b[i] = (uint8_t)(x >> 24);
		}
		static const unsigned types[] = { 0x0800, 0x86dd, 0x8100 };
		put16(b + 12, types[n % 3]);
		if (len > 14 && n % 2)
			b[14] = (uint8_t)(n % 3 == 1 ? 0x60 : 0x45);
		struct net_frame nf;
		net_parse_frame(b, len, &nf);
		CHECK(nf.l3_end <= len);
		CHECK(nf.l4_off + nf.l4_hdr_len <= len);
		net_frame_csums_ok(b, len);
		free(b);
	}
}

TEST(csums_ok_catches_each_bad_checksum)
{
	uint8_t f[300];
	size_t len = build_tcp4(f, 0, 5, 100);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
	f[len - 1] ^= 0x01;	/* payload changed, TCP sum stale */
	CHECK_EQ(net_frame_csums_ok(f, len), 0);

	len = build_tcp4(f, 0, 5, 100);
	f[14 + 8] = 63;	/* TTL changed, IP header sum stale */
	CHECK_EQ(net_frame_csums_ok(f, len), 0);

	len = build_udp4(f, 41, 0);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
	f[14 + 20 + 8] ^= 0x80;
	CHECK_EQ(net_frame_csums_ok(f, len), 0);

	/* UDP checksum 0: "none" over IPv4, invalid over IPv6. */
	len = build_udp4(f, 41, 1);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
	len = build_udp6(f, 41, -1);
	CHECK_EQ(net_frame_csums_ok(f, len), 1);
	put16(f + 14 + 64 + 6, 0);
	CHECK_EQ(net_frame_csums_ok(f, len), 0);
}

TEST(csums_ok_checks_icmp_and_icmpv6)
{
	uint8_t f[200];
	/* ICMPv4 echo: checksum over the message only. */
	size_t l3 = put_eth(f, 0x0800, 0);
	uint8_t *icmp = f + l3 + 20;
	memset(icmp, 0, 16);
	icmp[0] = 8;
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, 1);
	memcpy(icmp + 8, "pingdata", 8);
	put_ipv4(f + l3, 5, 20 + 16, IPPROTO_ICMP);
	set_l4_csum(f + l3, 0, icmp, 16, IPPROTO_ICMP, 2);
	CHECK_EQ(net_frame_csums_ok(f, l3 + 36), 1);
	icmp[9] ^= 1;
	CHECK_EQ(net_frame_csums_ok(f, l3 + 36), 0);

	/* ICMPv6 echo: with the pseudo-header (RFC 4443 2.3). */
	l3 = put_eth(f, 0x86dd, 0);
	uint8_t *ip = f + l3;
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, 16);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 64;
	ip[8] = 0xfe, ip[9] = 0x80, ip[23] = 1;
	ip[24] = 0xfe, ip[25] = 0x80, ip[39] = 2;
	icmp = ip + 40;
	memset(icmp, 0, 16);
	icmp[0] = 128;
	memcpy(icmp + 8, "pingdata", 8);
	set_l4_csum(ip, 1, icmp, 16, IPPROTO_ICMPV6, 2);
	CHECK_EQ(net_frame_csums_ok(f, l3 + 56), 1);
	ip[39] = 3;	/* other destination: pseudo-header differs */
	CHECK_EQ(net_frame_csums_ok(f, l3 + 56), 0);
}

RUN_TESTS()
