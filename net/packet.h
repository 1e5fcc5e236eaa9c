/*
 * packet.h - bounds-checked parsing of one Ethernet frame into the offsets
 * of its headers, and a checker that every checksum in a frame is right.
 *
 * net_parse_frame() never reads past len.  It recognises Ethernet II, up
 * to two 802.1Q/802.1ad tags, IPv4 (options, total length, fragments),
 * IPv6 (hop-by-hop, routing, destination options, fragment and AH
 * extension headers, at most NET_MAX_EXT_HDRS of them), TCP, UDP, ICMP and
 * ICMPv6.  Anything else is not an error: parsing stops at the first
 * header it does not know, with the fields after it left zero.
 */
#ifndef MINIVMM_NET_PACKET_H
#define MINIVMM_NET_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_ETH_HLEN 14
#define NET_MAX_VLAN_TAGS 2
#define NET_MAX_EXT_HDRS 8

enum net_parse_status {
	NET_PARSE_OK = 0,
	NET_PARSE_TRUNCATED,	/* a header or length field runs past len */
	NET_PARSE_MALFORMED,	/* a header contradicts itself (IHL < 5, ...) */
};

/* Offsets are from the start of the Ethernet header; 0 means "absent". */
struct net_frame {
	size_t len;		/* bytes given to the parser */
	uint16_t ethertype;	/* after any VLAN tags, host order */
	uint8_t vlan_tags;	/* 0, 1 or 2 */
	uint8_t ip_version;	/* 4, 6, or 0 when not IP */
	size_t l3_off;		/* the IP header */
	size_t l3_hdr_len;	/* IPv4: IHL * 4; IPv6: 40 + extension headers */
	size_t l3_end;		/* end of the IP datagram by its length field */
	bool ip_len_zero;	/* IPv4 total / IPv6 payload length was 0 */
	bool fragment;		/* IPv4 MF or offset, or an IPv6 fragment header */
	bool later_fragment;	/* fragment offset != 0: no L4 header here */
	uint8_t l4_proto;	/* IPPROTO_* after extension headers */
	size_t l4_off;		/* the TCP/UDP/ICMP header, 0 if not parsed */
	size_t l4_hdr_len;	/* TCP: data offset * 4; UDP: 8; ICMP(v6): 4 */
	uint16_t udp_len;	/* UDP length field (UDP only) */
	enum net_parse_status status;
};

/*
 * Parses the Ethernet frame eth[0..len) into *f (zeroed first).  Returns
 * f->status: NET_PARSE_OK when every recognised header is complete and
 * consistent; otherwise the fields before the bad header stay filled in.
 */
enum net_parse_status net_parse_frame(const uint8_t *eth, size_t len,
				      struct net_frame *f);

/*
 * 1 when every checksum present in the frame is valid: the IPv4 header
 * checksum, TCP, UDP (0 allowed over IPv4, meaning none; not over IPv6),
 * ICMP and ICMPv6.  0 when one is wrong or the IP frame cannot be parsed.
 * A frame that is not IP, and the L4 part of an IP fragment, have nothing
 * to check.  For tests and assertions: what a guest without GUEST_CSUM
 * must receive.  (An IPv6 routing header's final destination is not
 * used for the pseudo-header: the checksum is taken with the
 * destination address in the fixed header.)
 */
int net_frame_csums_ok(const uint8_t *eth, size_t len);

/* Big-endian loads and stores for header fields, any alignment. */
static inline uint16_t net_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t net_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void net_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void net_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
