/*
 * offload.c - completing partial checksums and segmenting GSO frames in
 * software, for a receiver that cannot take them (net/offload.h).
 *
 * The rules come from the virtio 1.2 spec, 5.1.6.2 "Packet Transmission"
 * (NEEDS_CSUM: checksum from csum_start to the end of the packet, stored at
 * csum_start + csum_offset; gso_type/gso_size: the TCP/UDP payload is cut
 * into gso_size pieces; hdr_len is only a hint) and from what Linux's own
 * segmentation (tcp_gso_segment, inet_gso_segment, __udp_gso_segment)
 * produces, since guests and hosts expect exactly that: IPv4 id + 1 per
 * segment, sequence numbers advanced, PSH and FIN only on the last segment,
 * CWR only on the first.
 *
 * Segments are built in place: segment i's payload already lies in the
 * frame, so its headers are written over the bytes just before it (the
 * tail of segment i-1, already emitted) from a saved copy of the original
 * headers.  No payload byte is copied.
 */
#include "net/offload.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#include "common/iov.h"
#include "net/csum.h"
#include "net/packet.h"

/* Offsets of the virtio_net_hdr_v1 fields (little-endian, VERSION_1). */
enum {
	HDR_FLAGS = 0,
	HDR_GSO_TYPE = 1,
	HDR_HDR_LEN = 2,
	HDR_GSO_SIZE = 4,
	HDR_CSUM_START = 6,
	HDR_CSUM_OFFSET = 8,
	HDR_NUM_BUFFERS = 10,
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* A header that asks for nothing: what every completed frame carries. */
static void clear_hdr(uint8_t *hdr)
{
	memset(hdr, 0, NET_HDR_LEN);
}

/* Asks for a partial checksum at csum_start/csum_offset (5.1.6.2). */
static void set_partial_hdr(uint8_t *hdr, size_t start, unsigned offset)
{
	clear_hdr(hdr);
	hdr[HDR_FLAGS] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	put_le16(hdr + HDR_CSUM_START, (uint16_t)start);
	put_le16(hdr + HDR_CSUM_OFFSET, (uint16_t)offset);
}

/* The NET_OFF_* bit a GSO type needs, or 0 for a type only we segment. */
static unsigned gso_cap(unsigned type)
{
	switch (type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return NET_OFF_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return NET_OFF_TSO6;
	case VIRTIO_NET_HDR_GSO_UDP:
		return NET_OFF_UFO;
	default:
		return 0;	/* USO (no NET_OFF bit yet) or unknown */
	}
}

int net_offload_needs_fixup(const uint8_t *hdr, unsigned accepts)
{
	uint8_t flags = hdr[HDR_FLAGS], gso = hdr[HDR_GSO_TYPE];
	int partial = (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		      !(accepts & NET_OFF_CSUM);

	if (gso == VIRTIO_NET_HDR_GSO_NONE)
		return partial;
	unsigned cap = gso_cap(gso & ~VIRTIO_NET_HDR_GSO_ECN);
	if (!cap || !(accepts & cap))
		return 1;
	if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !(accepts & NET_OFF_ECN))
		return 1;
	/* A GSO frame for a receiver without CSUM is segmented instead. */
	return partial;
}

/*
 * csum_start/csum_offset must name a 16-bit field inside the frame with
 * csum_start itself inside it (5.1.6.2; Linux's skb_partial_csum_set
 * applies the same test).  eth_len is the Ethernet frame's length.
 */
static int csum_offsets_ok(const uint8_t *hdr, size_t eth_len)
{
	size_t start = get_le16(hdr + HDR_CSUM_START);
	size_t offset = get_le16(hdr + HDR_CSUM_OFFSET);
	return start < eth_len && start + offset + 2 <= eth_len;
}

/*
 * Stores the ones'-complement sum of eth[start..eth_len) at
 * eth[start + offset]: the field already holds the pseudo-header sum the
 * sender left there.  A result of 0 is sent as 0xffff (the same number in
 * ones' complement), since 0 in a UDP checksum means "none" (RFC 768).
 */
static void complete_csum(uint8_t *eth, size_t eth_len, size_t start,
			  size_t offset)
{
	uint16_t c = csum_fold(csum_partial(eth + start, eth_len - start, 0));
	net_put_be16(eth + start + offset, c ? c : 0xffff);
}

int net_offload_complete_csum(uint8_t *frame, size_t len)
{
	if (len < NET_HDR_LEN)
		return -EINVAL;
	if (!(frame[HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	if (!csum_offsets_ok(frame, len - NET_HDR_LEN))
		return -ERANGE;
	complete_csum(frame + NET_HDR_LEN, len - NET_HDR_LEN,
		      get_le16(frame + HDR_CSUM_START),
		      get_le16(frame + HDR_CSUM_OFFSET));
	frame[HDR_FLAGS] &= (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
	return 1;
}

int net_offload_complete_csum_iov(const uint8_t *hdr, const struct iovec *iov,
				  int iovcnt, size_t len)
{
	size_t start, offset, eth_len;
	uint8_t field[2], flags;
	uint16_t c;

	if (len < NET_HDR_LEN || iovcnt < 0)
		return -EINVAL;
	if (!(hdr[HDR_FLAGS] & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	eth_len = len - NET_HDR_LEN;
	if (!csum_offsets_ok(hdr, eth_len))
		return -ERANGE;
	start = get_le16(hdr + HDR_CSUM_START);
	offset = get_le16(hdr + HDR_CSUM_OFFSET);
	/* The field holds the pseudo-header sum, as in complete_csum(). */
	c = csum_fold(csum_iov(iov, iovcnt, NET_HDR_LEN + start, eth_len - start, 0));
	net_put_be16(field, c ? c : 0xffff);
	iov_from_buf(iov, (unsigned)iovcnt, NET_HDR_LEN + start + offset, field, 2);
	flags = hdr[HDR_FLAGS] & (uint8_t)~VIRTIO_NET_HDR_F_NEEDS_CSUM;
	iov_from_buf(iov, (unsigned)iovcnt, HDR_FLAGS, &flags, 1);
	return 1;
}

/* What one GSO frame is, checked once before anything is emitted. */
struct gso_plan {
	struct net_frame f;
	unsigned type;		/* VIRTIO_NET_HDR_GSO_* without ECN */
	size_t hdrs;		/* bytes repeated in front of every segment */
	size_t payload;		/* bytes after them, to be cut */
	size_t mss;		/* payload bytes per segment */
	size_t segs;
};

/*
 * Checks a GSO frame: the headers must be what gso_type says (5.1.6.2:
 * TCPV4 is TCP over IPv4, and so on), complete, and the IP length must
 * match the frame.  Returns 0 or -EBADMSG/-EPROTO/-EMSGSIZE.
 */
static int plan_gso(const uint8_t *eth, size_t eth_len, unsigned gso_type,
		    unsigned gso_size, struct gso_plan *g)
{
	struct net_frame *f = &g->f;
	enum net_parse_status st = net_parse_frame(eth, eth_len, f);

	if (st == NET_PARSE_TRUNCATED)
		return -EBADMSG;
	if (st != NET_PARSE_OK)
		return -EPROTO;
	g->type = gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	switch (g->type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (f->ip_version != 4 || f->l4_proto != IPPROTO_TCP)
			return -EPROTO;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (f->ip_version != 6 || f->l4_proto != IPPROTO_TCP)
			return -EPROTO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		if (!f->ip_version || f->l4_proto != IPPROTO_UDP)
			return -EPROTO;
		break;
	case VIRTIO_NET_HDR_GSO_UDP:
		/* UFO over IPv6 needs a fragment id we have no source for. */
		if (f->ip_version != 4 || f->l4_proto != IPPROTO_UDP)
			return -EPROTO;
		break;
	default:
		return -EPROTO;
	}
	/* A fragment cannot be segmented again; an L4 header is needed. */
	if (f->fragment || !f->l4_off)
		return -EPROTO;
	/* The IP length must cover exactly the rest of the frame. */
	if (f->l3_end != eth_len)
		return -EPROTO;
	if (gso_size == 0)
		return -EPROTO;

	if (g->type == VIRTIO_NET_HDR_GSO_UDP) {
		/* IP fragments carry multiples of 8 bytes (RFC 791). */
		g->hdrs = f->l4_off;
		g->mss = gso_size & ~7u;
		if (g->mss == 0)
			return -EPROTO;
	} else {
		g->hdrs = f->l4_off + f->l4_hdr_len;
		g->mss = gso_size;
	}
	g->payload = eth_len - g->hdrs;
	if (g->hdrs > NET_OFFLOAD_MAX_HDRS)
		return -EMSGSIZE;
	g->segs = g->payload ? (g->payload + g->mss - 1) / g->mss : 1;
	if (g->segs > NET_OFFLOAD_MAX_SEGS)
		return -EMSGSIZE;
	/* Every segment's IP length must fit its 16-bit field. */
	size_t first = g->payload < g->mss ? g->payload : g->mss;
	if (g->hdrs - f->l3_off + first > 0xffff)
		return -EMSGSIZE;
	return 0;
}

/* Rewrites the IP header of one segment (at ip) for seg_len payload bytes. */
static void fix_ip(uint8_t *ip, const struct gso_plan *g, size_t i,
		   size_t seg_len, int last)
{
	const struct net_frame *f = &g->f;
	size_t ip_len = g->hdrs - f->l3_off + seg_len;

	if (f->ip_version == 6) {
		net_put_be16(ip + 4, (uint16_t)(ip_len - 40));
		return;
	}
	uint16_t id = net_get_be16(ip + 4);
	net_put_be16(ip + 2, (uint16_t)ip_len);
	if (g->type == VIRTIO_NET_HDR_GSO_UDP) {
		/* Fragments share the id; offset in 8-byte units, MF. */
		uint16_t frag = (uint16_t)((i * g->mss) / 8);
		if (!last)
			frag |= 0x2000;
		net_put_be16(ip + 6, frag);
	} else {
		net_put_be16(ip + 4, (uint16_t)(id + i));
	}
	net_put_be16(ip + 10, 0);
	net_put_be16(ip + 10, csum_buf(ip, f->l3_hdr_len));
}

/* The pseudo-header sum of this segment's TCP/UDP header + data. */
static uint32_t seg_pseudo(const uint8_t *ip, const struct net_frame *f,
			   uint8_t proto, size_t l4_len)
{
	if (f->ip_version == 4)
		return csum_pseudo_ipv4(ip + 12, ip + 16, proto,
					(uint16_t)l4_len);
	return csum_pseudo_ipv6(ip + 8, ip + 24, proto, (uint32_t)l4_len);
}

/*
 * Fills in a TCP or UDP checksum over l4[0..l4_len): in full, or (partial)
 * as the pseudo-header sum with the header asking the receiver to finish
 * it, as a sender with NEEDS_CSUM would (5.1.6.2).
 */
static void fill_l4_csum(uint8_t *vhdr, uint8_t *eth, const struct gso_plan *g,
			 uint8_t proto, size_t l4_len, int partial)
{
	const struct net_frame *f = &g->f;
	unsigned field = proto == IPPROTO_TCP ? 16 : 6;
	uint8_t *l4 = eth + f->l4_off;
	uint32_t sum = seg_pseudo(eth + f->l3_off, f, proto, l4_len);

	if (partial) {
		net_put_be16(l4 + field, (uint16_t)~csum_fold(sum));
		set_partial_hdr(vhdr, f->l4_off, field);
		return;
	}
	net_put_be16(l4 + field, 0);
	uint16_t c = csum_fold(csum_partial(l4, l4_len, sum));
	if (proto == IPPROTO_UDP && c == 0)
		c = 0xffff;	/* RFC 768: 0 would mean "no checksum" */
	net_put_be16(l4 + field, c);
}

/* Cuts a planned GSO frame into segments and emits each; see the top. */
static int segment(uint8_t *frame, const struct gso_plan *g, unsigned accepts,
		   net_emit_fn emit, void *opaque)
{
	const struct net_frame *f = &g->f;
	uint8_t *eth = frame + NET_HDR_LEN;
	uint8_t tmpl[NET_OFFLOAD_MAX_HDRS];
	int partial = (accepts & NET_OFF_CSUM) != 0;

	if (g->type == VIRTIO_NET_HDR_GSO_UDP) {
		/* UFO: one UDP datagram, checksummed whole, then fragmented. */
		uint8_t *udp = eth + f->l4_off;
		size_t udp_len = g->payload;	/* UDP header + data */
		net_put_be16(udp + 4, (uint16_t)udp_len);
		fill_l4_csum(frame, eth, g, IPPROTO_UDP, udp_len, 0);
	}
	memcpy(tmpl, eth, g->hdrs);
	uint32_t seq = 0;
	uint8_t tcp_flags = 0;
	if (f->l4_proto == IPPROTO_TCP) {
		seq = net_get_be32(tmpl + f->l4_off + 4);
		tcp_flags = tmpl[f->l4_off + 13];
	}

	for (size_t i = 0; i < g->segs; i++) {
		size_t data = g->hdrs + i * g->mss;	/* this payload, in eth */
		size_t seg_len = g->payload - i * g->mss;
		int last = i + 1 == g->segs;
		if (seg_len > g->mss)
			seg_len = g->mss;
		uint8_t *seg = eth + data - g->hdrs;
		uint8_t *vhdr = seg - NET_HDR_LEN;

		memcpy(seg, tmpl, g->hdrs);
		clear_hdr(vhdr);
		fix_ip(seg + f->l3_off, g, i, seg_len, last);
		if (f->l4_proto == IPPROTO_TCP) {
			uint8_t *tcp = seg + f->l4_off;
			uint8_t fl = tcp_flags;
			if (!last)
				fl &= (uint8_t)~(TCP_FLAG_PSH | TCP_FLAG_FIN);
			if (i > 0)
				fl &= (uint8_t)~TCP_FLAG_CWR;
			tcp[13] = fl;
			net_put_be32(tcp + 4, seq + (uint32_t)(i * g->mss));
			fill_l4_csum(vhdr, seg, g, IPPROTO_TCP,
				     f->l4_hdr_len + seg_len, partial);
		} else if (g->type == VIRTIO_NET_HDR_GSO_UDP_L4) {
			uint8_t *udp = seg + f->l4_off;
			net_put_be16(udp + 4, (uint16_t)(8 + seg_len));
			fill_l4_csum(vhdr, seg, g, IPPROTO_UDP, 8 + seg_len,
				     partial);
		}
		if (emit(opaque, vhdr, NET_HDR_LEN + g->hdrs + seg_len) < 0)
			return -ECANCELED;
	}
	return (int)g->segs;
}

int net_offload_fixup(uint8_t *frame, size_t len, unsigned accepts,
		      net_emit_fn emit, void *opaque)
{
	if (len < NET_HDR_LEN)
		return -EINVAL;
	if (len > NET_MAX_FRAME)
		return -EMSGSIZE;

	/* Read the header once; the frame may be guest-visible memory. */
	uint8_t hdr[NET_HDR_LEN];
	memcpy(hdr, frame, NET_HDR_LEN);
	uint8_t flags = hdr[HDR_FLAGS], gso_type = hdr[HDR_GSO_TYPE];
	unsigned gso_size = get_le16(hdr + HDR_GSO_SIZE);
	uint8_t *eth = frame + NET_HDR_LEN;
	size_t eth_len = len - NET_HDR_LEN;

	if ((flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !csum_offsets_ok(hdr, eth_len))
		return -ERANGE;
	if (!net_offload_needs_fixup(hdr, accepts))
		return emit(opaque, frame, len) < 0 ? -ECANCELED : 1;

	if (gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		complete_csum(eth, eth_len, get_le16(hdr + HDR_CSUM_START),
			      get_le16(hdr + HDR_CSUM_OFFSET));
		clear_hdr(frame);
		return emit(opaque, frame, len) < 0 ? -ECANCELED : 1;
	}

	struct gso_plan g;
	int r = plan_gso(eth, eth_len, gso_type, gso_size, &g);
	if (r < 0)
		return r;
	return segment(frame, &g, accepts, emit, opaque);
}
