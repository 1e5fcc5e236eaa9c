/*
 * packet.c - header parsing with every access checked against the frame
 * length, and the all-checksums-valid predicate built on it.
 */
#include "net/packet.h"

#include <netinet/in.h>
#include <string.h>

#include "net/csum.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6_ 0x86dd
#define ETH_P_VLAN 0x8100	/* 802.1Q C-tag */
#define ETH_P_QINQ 0x88a8	/* 802.1ad S-tag */

/* Records the status and returns it, so a parse step can end with it. */
static enum net_parse_status fail(struct net_frame *f,
				  enum net_parse_status st)
{
	f->status = st;
	return st;
}

/* TCP, UDP, ICMP or ICMPv6 at f->l4_off, bounded by f->l3_end. */
static enum net_parse_status parse_l4(const uint8_t *eth, struct net_frame *f)
{
	size_t off = f->l4_off, avail = f->l3_end - off;

	switch (f->l4_proto) {
	case IPPROTO_TCP: {
		if (avail < 20)
			return fail(f, NET_PARSE_TRUNCATED);
		size_t hlen = (size_t)(eth[off + 12] >> 4) * 4;
		if (hlen < 20)
			return fail(f, NET_PARSE_MALFORMED);
		if (hlen > avail)
			return fail(f, NET_PARSE_TRUNCATED);
		f->l4_hdr_len = hlen;
		break;
	}
	case IPPROTO_UDP: {
		if (avail < 8)
			return fail(f, NET_PARSE_TRUNCATED);
		uint16_t ulen = net_get_be16(eth + off + 4);
		if (ulen < 8)
			return fail(f, NET_PARSE_MALFORMED);
		if (ulen > avail)
			return fail(f, NET_PARSE_TRUNCATED);
		f->udp_len = ulen;
		f->l4_hdr_len = 8;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (avail < 4)
			return fail(f, NET_PARSE_TRUNCATED);
		f->l4_hdr_len = 4;
		break;
	default:
		f->l4_off = 0;	/* a protocol we do not parse */
		break;
	}
	return NET_PARSE_OK;
}

/* RFC 791: IHL at least 5, total length covering the header. */
static enum net_parse_status parse_ipv4(const uint8_t *eth, size_t len,
					struct net_frame *f)
{
	size_t off = f->l3_off;
	const uint8_t *ip = eth + off;

	if (len - off < 20)
		return fail(f, NET_PARSE_TRUNCATED);
	if (ip[0] >> 4 != 4)
		return fail(f, NET_PARSE_MALFORMED);
	size_t hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20)
		return fail(f, NET_PARSE_MALFORMED);
	if (hlen > len - off)
		return fail(f, NET_PARSE_TRUNCATED);
	f->ip_version = 4;
	f->l3_hdr_len = hlen;

	size_t total = net_get_be16(ip + 2);
	if (total == 0) {
		/* Seen in TSO super-frames (Linux BIG TCP, Windows LSO). */
		f->ip_len_zero = true;
		total = len - off;
	}
	if (total < hlen)
		return fail(f, NET_PARSE_MALFORMED);
	if (total > len - off)
		return fail(f, NET_PARSE_TRUNCATED);
	f->l3_end = off + total;

	uint16_t frag = net_get_be16(ip + 6);
	f->fragment = (frag & 0x3fff) != 0;	/* MF or an offset */
	f->later_fragment = (frag & 0x1fff) != 0;
	f->l4_proto = ip[9];
	if (f->later_fragment)
		return NET_PARSE_OK;
	f->l4_off = off + hlen;
	return parse_l4(eth, f);
}

/* RFC 8200: fixed header, then a bounded walk of extension headers. */
static enum net_parse_status parse_ipv6(const uint8_t *eth, size_t len,
					struct net_frame *f)
{
	size_t off = f->l3_off;
	const uint8_t *ip = eth + off;

	if (len - off < 40)
		return fail(f, NET_PARSE_TRUNCATED);
	if (ip[0] >> 4 != 6)
		return fail(f, NET_PARSE_MALFORMED);
	f->ip_version = 6;

	size_t payload = net_get_be16(ip + 4);
	if (payload == 0) {
		/* A jumbogram or a GSO super-frame: the frame says. */
		f->ip_len_zero = true;
		payload = len - off - 40;
	}
	if (payload > len - off - 40)
		return fail(f, NET_PARSE_TRUNCATED);
	f->l3_end = off + 40 + payload;

	uint8_t next = ip[6];
	size_t pos = off + 40;
	for (int i = 0;; i++) {
		size_t hlen;
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
		    next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT &&
		    next != IPPROTO_AH)
			break;
		if (i == NET_MAX_EXT_HDRS)
			return fail(f, NET_PARSE_MALFORMED);
		if (f->l3_end - pos < 8)	/* every one is >= 8 bytes */
			return fail(f, NET_PARSE_TRUNCATED);
		const uint8_t *h = eth + pos;
		if (next == IPPROTO_FRAGMENT) {
			hlen = 8;
			uint16_t fo = net_get_be16(h + 2);
			f->fragment = true;
			f->later_fragment = (fo & 0xfff8) != 0;
		} else if (next == IPPROTO_AH) {
			hlen = ((size_t)h[1] + 2) * 4;	/* RFC 4302 */
		} else {
			hlen = ((size_t)h[1] + 1) * 8;
		}
		if (hlen > f->l3_end - pos)
			return fail(f, NET_PARSE_TRUNCATED);
		next = h[0];
		pos += hlen;
		if (f->later_fragment)
			break;
	}
	f->l3_hdr_len = pos - off;
	f->l4_proto = next;
	if (f->later_fragment)
		return NET_PARSE_OK;
	f->l4_off = pos;
	return parse_l4(eth, f);
}

enum net_parse_status net_parse_frame(const uint8_t *eth, size_t len,
				      struct net_frame *f)
{
	memset(f, 0, sizeof(*f));
	f->len = len;
	if (len < NET_ETH_HLEN)
		return fail(f, NET_PARSE_TRUNCATED);

	size_t off = 12;
	uint16_t type = net_get_be16(eth + off);
	while ((type == ETH_P_VLAN || type == ETH_P_QINQ) &&
	       f->vlan_tags < NET_MAX_VLAN_TAGS) {
		if (len - off < 6)	/* this TPID, the TCI, the next type */
			return fail(f, NET_PARSE_TRUNCATED);
		off += 4;
		type = net_get_be16(eth + off);
		f->vlan_tags++;
	}
	f->ethertype = type;
	off += 2;

	if (type == ETH_P_IPV4) {
		f->l3_off = off;
		return parse_ipv4(eth, len, f);
	}
	if (type == ETH_P_IPV6_) {
		f->l3_off = off;
		return parse_ipv6(eth, len, f);
	}
	return NET_PARSE_OK;
}

/* The pseudo-header sum for an L4 length over this frame's IP header. */
static uint32_t pseudo_sum(const uint8_t *eth, const struct net_frame *f,
			   uint8_t proto, uint32_t l4_len)
{
	const uint8_t *ip = eth + f->l3_off;
	if (f->ip_version == 4)
		return csum_pseudo_ipv4(ip + 12, ip + 16, proto,
					(uint16_t)l4_len);
	return csum_pseudo_ipv6(ip + 8, ip + 24, proto, l4_len);
}

int net_frame_csums_ok(const uint8_t *eth, size_t len)
{
	struct net_frame f;

	if (net_parse_frame(eth, len, &f) != NET_PARSE_OK)
		return 0;
	if (f.ip_version == 0)
		return 1;
	if (f.ip_len_zero)
		return 0;	/* not a valid datagram on a wire */
	if (f.ip_version == 4 && csum_buf(eth + f.l3_off, f.l3_hdr_len) != 0)
		return 0;
	if (f.fragment || f.l4_off == 0)
		return 1;	/* the L4 sum covers data not in this frame */

	const uint8_t *l4 = eth + f.l4_off;
	uint32_t l4_len = (uint32_t)(f.l3_end - f.l4_off);
	uint32_t sum;
	switch (f.l4_proto) {
	case IPPROTO_TCP:
		sum = pseudo_sum(eth, &f, IPPROTO_TCP, l4_len);
		break;
	case IPPROTO_UDP:
		if (net_get_be16(l4 + 6) == 0)
			return f.ip_version == 4;	/* RFC 768 / 8200 8.1 */
		l4_len = f.udp_len;
		sum = pseudo_sum(eth, &f, IPPROTO_UDP, l4_len);
		break;
	case IPPROTO_ICMP:
		if (f.ip_version != 4)
			return 1;
		sum = 0;	/* RFC 792: the ICMP message only */
		break;
	case IPPROTO_ICMPV6:
		if (f.ip_version != 6)
			return 1;
		sum = pseudo_sum(eth, &f, IPPROTO_ICMPV6, l4_len);
		break;
	default:
		return 1;
	}
	return csum_fold(csum_partial(l4, l4_len, sum)) == 0;
}
