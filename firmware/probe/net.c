/*
 * net.c - Ethernet/ARP/IPv4/ICMP/UDP/DHCP for the probe, and the receive
 * checksum policy: every IPv4 header and every TCP, UDP and ICMP checksum
 * (IPv6 TCP/UDP/ICMPv6 too) is verified.  A partial checksum (NEEDS_CSUM)
 * is completed first, the way a driver with GUEST_CSUM would, so that the
 * verification also proves the device left the pseudo-header sum in the
 * field (virtio 1.2 5.1.6.4.1).
 */
#include "net.h"
#include "arch.h"
#include "csum.h"
#include "lib.h"
#include "timer.h"
#include "vnet.h"

struct net_cfg net;
struct rx_stats rxs;
char rx_last_problem[96];

static bool polling;
static udp_handler udp_hook;
static tcp_handler tcp_hook;
static uint8_t rx_frame[VNET_MAX_FRAME + 64];
static uint16_t ip_id = 1;

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct { uint32_t ip; uint8_t mac[6]; } arp_cache[8];

void net_set_udp_handler(udp_handler h) { udp_hook = h; }
void net_set_tcp_handler(tcp_handler h) { tcp_hook = h; }

void ip_str(uint32_t ip, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
		 (ip >> 8) & 255, ip & 255);
}

static void problem(const char *what, uint64_t *counter)
{
	(*counter)++;
	if (!rx_last_problem[0])
		snprintf(rx_last_problem, sizeof(rx_last_problem), "%s", what);
}

static void arp_learn(uint32_t ip, const uint8_t *mac)
{
	unsigned slot = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(arp_cache); i++) {
		if (arp_cache[i].ip == ip) {
			slot = i;
			break;
		}
		if (!arp_cache[i].ip)
			slot = i;
	}
	arp_cache[slot].ip = ip;
	memcpy(arp_cache[slot].mac, mac, 6);
}

static bool arp_lookup(uint32_t ip, uint8_t *mac)
{
	for (unsigned i = 0; i < ARRAY_SIZE(arp_cache); i++) {
		if (ip && arp_cache[i].ip == ip) {
			memcpy(mac, arp_cache[i].mac, 6);
			return true;
		}
	}
	return false;
}

static void send_frame(size_t len, const struct virtio_net_hdr_v1 *h)
{
	struct virtio_net_hdr_v1 zero = { 0 };

	vnet_tx_send(len, h ? h : &zero);
}

static void arp_send(uint16_t op, const uint8_t *dmac, uint32_t tip,
		     const uint8_t *tmac)
{
	uint8_t *f = vnet_tx_buf();

	if (!f)
		return;
	memcpy(f, dmac, 6);
	memcpy(f + 6, vnet.mac, 6);
	put_be16(f + 12, 0x0806);
	uint8_t *a = f + ETH_HLEN;
	put_be16(a, 1);
	put_be16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, vnet.mac, 6);
	put_be32(a + 14, net.ip);
	memcpy(a + 18, tmac, 6);
	put_be32(a + 24, tip);
	/* Pad to the Ethernet minimum, as every real driver's MAC would. */
	memset(f + ETH_HLEN + 28, 0, 60 - ETH_HLEN - 28);
	send_frame(60, 0);
}

static void handle_arp(const uint8_t *f, size_t len)
{
	const uint8_t *a = f + ETH_HLEN;

	if (len < ETH_HLEN + 28 || get_be16(a) != 1 || get_be16(a + 2) != 0x0800)
		return;
	uint16_t op = get_be16(a + 6);
	uint32_t sip = get_be32(a + 14), tip = get_be32(a + 24);
	if (sip)
		arp_learn(sip, a + 8);
	if (op == 1 && net.ip && tip == net.ip)
		arp_send(2, a + 8, sip, a + 8);
}

bool net_resolve(uint32_t ip, uint8_t mac[6], unsigned timeout_ms)
{
	static const uint8_t zero[6];
	uint32_t hop = ip;

	if (ip == 0xffffffffu) {
		memcpy(mac, bcast_mac, 6);
		return true;
	}
	if (net.mask && (ip & net.mask) != (net.ip & net.mask))
		hop = net.gw;
	uint64_t deadline = now_ms() + timeout_ms, next = 0;
	while (!arp_lookup(hop, mac)) {
		uint64_t t = now_ms();
		if (t > deadline || (polling && next))
			return false;
		if (t >= next) {
			arp_send(1, bcast_mac, hop, zero);
			next = t + 250;
		}
		net_poll();
	}
	return true;
}

/* Completes a partial checksum in place (5.1.6.4.1, "as if" the driver had
 * GUEST_CSUM and then wanted the full sum).  False if the offsets are bad. */
static bool complete_partial(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len)
{
	uint32_t start = h->csum_start, off = h->csum_offset;

	if (start < ETH_HLEN || (size_t)start + off + 2 > len) {
		problem("NEEDS_CSUM offsets outside the frame", &rxs.violations);
		return false;
	}
	uint16_t c = (uint16_t)~csum_fold(csum_add(0, f + start, len - start));
	put_be16(f + start + off, c ? c : 0xffff);
	return true;
}

/* Checks the virtio_net_hdr against what was negotiated. */
static bool check_hdr(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len)
{
	uint8_t flags = h->flags, gso = h->gso_type;

	if ((flags & (VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) &&
	    !vnet_has(VIRTIO_NET_F_GUEST_CSUM))
		problem("csum flags without GUEST_CSUM", &rxs.violations);
	if (flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
		problem("unknown hdr flags", &rxs.violations);
	if (flags & VIRTIO_NET_HDR_F_DATA_VALID)
		rxs.data_valid++;
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		unsigned need;
		switch (gso & ~VIRTIO_NET_HDR_GSO_ECN) {
		case VIRTIO_NET_HDR_GSO_TCPV4: need = VIRTIO_NET_F_GUEST_TSO4; break;
		case VIRTIO_NET_HDR_GSO_TCPV6: need = VIRTIO_NET_F_GUEST_TSO6; break;
		case VIRTIO_NET_HDR_GSO_UDP: need = VIRTIO_NET_F_GUEST_UFO; break;
		default: need = 64; break;
		}
		if (need == 64 || !vnet_has(need))
			problem("GSO type not negotiated", &rxs.violations);
		if ((gso & VIRTIO_NET_HDR_GSO_ECN) && !vnet_has(VIRTIO_NET_F_GUEST_ECN))
			problem("GSO ECN without GUEST_ECN", &rxs.violations);
		if (!h->gso_size)
			problem("GSO frame with gso_size 0", &rxs.violations);
		rxs.gso++;
		if (len > rxs.gso_bytes_max)
			rxs.gso_bytes_max = len;
	}
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		rxs.needs_csum++;
		return complete_partial(h, f, len);
	}
	return true;
}

static bool l4_sum_ok(uint32_t pseudo, const uint8_t *l4, size_t n)
{
	return csum_fold(csum_add(pseudo, l4, n)) == 0xffff;
}

static void handle_dhcp(const uint8_t *d, size_t n);
static void handle_icmp(uint32_t src, const uint8_t *p, size_t n);

static void handle_ipv4(uint8_t *f, size_t len)
{
	uint8_t *ip = f + ETH_HLEN;
	size_t avail = len - ETH_HLEN;

	rxs.ipv4++;
	if (avail < IP_HLEN || (ip[0] >> 4) != 4)
		return;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	size_t tot = get_be16(ip + 2);
	if (ihl < IP_HLEN || tot < ihl || tot > avail) {
		problem("IPv4 length fields", &rxs.ip_bad);
		return;
	}
	if (csum_fold(csum_add(0, ip, ihl)) != 0xffff) {
		problem("IPv4 header checksum", &rxs.ip_bad);
		return;
	}
	uint8_t proto = ip[9];
	uint32_t src = get_be32(ip + 12), dst = get_be32(ip + 16);
	uint8_t *l4 = ip + ihl;
	size_t l4len = tot - ihl;
	if (get_be16(ip + 6) & 0x3fff) {	/* MF or offset: not reassembled */
		rxs.fragments++;
		return;
	}
	uint32_t pseudo = csum_pseudo4(src, dst, proto, (uint32_t)l4len);
	switch (proto) {
	case PROTO_ICMP:
		if (csum_fold(csum_add(0, l4, l4len)) != 0xffff) {
			problem("ICMP checksum", &rxs.l4_bad);
			return;
		}
		rxs.l4_verified++;
		handle_icmp(src, l4, l4len);
		break;
	case PROTO_UDP:
		if (l4len < UDP_HLEN)
			return;
		if (get_be16(l4 + 6) == 0) {
			rxs.udp_nocsum++;
		} else if (!l4_sum_ok(pseudo, l4, l4len)) {
			problem("UDP checksum", &rxs.l4_bad);
			return;
		} else {
			rxs.l4_verified++;
		}
		if (net.ip && dst != net.ip && dst != 0xffffffffu)
			return;
		if (get_be16(l4 + 2) == 68 && get_be16(l4) == 67)
			handle_dhcp(l4 + UDP_HLEN, l4len - UDP_HLEN);
		else if (udp_hook)
			udp_hook(src, get_be16(l4), get_be16(l4 + 2), l4 + UDP_HLEN,
				 MIN(l4len, get_be16(l4 + 4)) - UDP_HLEN);
		break;
	case PROTO_TCP:
		if (l4len < TCP_HLEN)
			return;
		if (!l4_sum_ok(pseudo, l4, l4len)) {
			problem("TCP checksum", &rxs.l4_bad);
			return;
		}
		rxs.l4_verified++;
		if (tcp_hook && dst == net.ip)
			tcp_hook(src, l4, l4len);
		break;
	}
}

/* IPv6: verify TCP/UDP/ICMPv6 sums of packets without extension headers. */
static void handle_ipv6(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + ETH_HLEN;

	rxs.ipv6++;
	if (len < ETH_HLEN + 40)
		return;
	size_t plen = get_be16(ip + 4);
	uint8_t nh = ip[6];
	if (plen > len - ETH_HLEN - 40 || (nh != 6 && nh != 17 && nh != 58))
		return;
	uint32_t sum = csum_add(0, ip + 8, 32);
	sum += (uint32_t)plen + nh;
	if (nh == 17 && plen >= 8 && get_be16(ip + 40 + 6) == 0) {
		problem("IPv6 UDP without checksum", &rxs.l4_bad);
		return;
	}
	if (!l4_sum_ok(sum, ip + 40, plen)) {
		problem(nh == 58 ? "ICMPv6 checksum" : "IPv6 L4 checksum", &rxs.l4_bad);
		return;
	}
	rxs.l4_verified++;
}

void net_input(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len)
{
	rxs.frames++;
	if (len < ETH_HLEN)
		return;
	if (!check_hdr(h, f, len))
		return;
	switch (get_be16(f + 12)) {
	case 0x0806: handle_arp(f, len); break;
	case 0x0800: handle_ipv4(f, len); break;
	case 0x86dd: handle_ipv6(f, len); break;
	default: rxs.other++; break;
	}
}

/* Handlers may transmit; a transmit never re-enters net_poll() (the one
 * receive buffer is in use), so an ARP miss there just fails. */

unsigned net_poll(void)
{
	struct virtio_net_hdr_v1 h;
	size_t len;
	unsigned n = 0;

	if (polling)
		return 0;
	polling = true;
	while ((len = vnet_rx(&h, rx_frame)) != 0) {
		net_input(&h, rx_frame, len);
		n++;
	}
	polling = false;
	return n;
}

int net_send_ip(uint8_t *f, uint32_t dst, uint8_t proto, size_t l4len,
		enum tx_csum mode, uint16_t gso_size)
{
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t *ip = f + ETH_HLEN, *l4 = ip + IP_HLEN;

	if (!net_resolve(dst, f, 1000))
		return -1;
	memcpy(f + 6, vnet.mac, 6);
	put_be16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IP_HLEN + l4len));
	put_be16(ip + 4, ip_id++);
	put_be16(ip + 6, 0x4000);	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, net.ip);
	put_be32(ip + 16, dst);
	put_be16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, IP_HLEN)));

	unsigned coff = proto == PROTO_TCP ? 16 : proto == PROTO_UDP ? 6 : 0;
	if (coff) {
		uint32_t pseudo = csum_pseudo4(net.ip, dst, proto, (uint32_t)l4len);
		put_be16(l4 + coff, 0);
		if (mode == TX_CSUM_PARTIAL || gso_size) {
			/*
			 * 5.1.6.2: csum_start/csum_offset name the field; like
			 * Linux (tcp_v4_send_check) the field holds the folded
			 * pseudo-header sum over the whole L4 length, GSO too.
			 */
			put_be16(l4 + coff, csum_fold(pseudo));
			h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h.csum_start = ETH_HLEN + IP_HLEN;
			h.csum_offset = (uint16_t)coff;
		} else {
			uint16_t c = (uint16_t)~csum_fold(csum_add(pseudo, l4, l4len));
			put_be16(l4 + coff, (c || proto == PROTO_TCP) ? c : 0xffff);
		}
	}
	if (gso_size) {
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h.gso_size = gso_size;
		h.hdr_len = (uint16_t)(ETH_HLEN + IP_HLEN + (l4[12] >> 4) * 4);
	}
	size_t len = ETH_HLEN + IP_HLEN + l4len;
	if (len < 60) {
		memset(f + len, 0, 60 - len);
		len = 60;
	}
	send_frame(len, &h);
	return 0;
}

int net_send_udp(uint32_t dst, uint16_t sport, uint16_t dport,
		 const void *data, size_t len, enum tx_csum mode)
{
	uint8_t *f = vnet_tx_buf();

	if (!f)
		return -1;
	uint8_t *u = f + ETH_HLEN + IP_HLEN;
	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, (uint16_t)(UDP_HLEN + len));
	memcpy(u + UDP_HLEN, data, len);
	return net_send_ip(f, dst, PROTO_UDP, UDP_HLEN + len, mode, 0);
}

/* ---- ICMP echo ---- */

static struct { uint16_t id, seq; bool got; } ping;
#define PING_LEN 56

static void fill_ping(uint8_t *p, uint16_t seq)
{
	for (unsigned i = 0; i < PING_LEN; i++)
		p[i] = (uint8_t)(i + seq);
}

static void handle_icmp(uint32_t src, const uint8_t *p, size_t n)
{
	if (n < 8)
		return;
	if (p[0] == 0 && get_be16(p + 4) == ping.id && get_be16(p + 6) == ping.seq &&
	    n == 8 + PING_LEN) {
		uint8_t want[PING_LEN];
		fill_ping(want, ping.seq);
		ping.got = !memcmp(p + 8, want, PING_LEN);
	} else if (p[0] == 8 && n <= 1472) {
		/* Answer echo requests, so the host can ping the probe. */
		uint8_t *f = vnet_tx_buf();
		if (!f)
			return;
		uint8_t *r = f + ETH_HLEN + IP_HLEN;
		memcpy(r, p, n);
		r[0] = 0;
		put_be16(r + 2, 0);
		put_be16(r + 2, (uint16_t)~csum_fold(csum_add(0, r, n)));
		net_send_ip(f, src, PROTO_ICMP, n, TX_CSUM_FULL, 0);
	}
}

int net_ping(uint32_t dst, unsigned timeout_ms)
{
	ping.id = 0x5052;
	for (int attempt = 0; attempt < 3; attempt++) {
		uint8_t *f = vnet_tx_buf();
		if (!f)
			return -1;
		ping.seq++;
		ping.got = false;
		uint8_t *p = f + ETH_HLEN + IP_HLEN;
		p[0] = 8;
		p[1] = 0;
		put_be16(p + 2, 0);
		put_be16(p + 4, ping.id);
		put_be16(p + 6, ping.seq);
		fill_ping(p + 8, ping.seq);
		put_be16(p + 2, (uint16_t)~csum_fold(csum_add(0, p, 8 + PING_LEN)));
		uint64_t t0 = rdtsc();
		if (net_send_ip(f, dst, PROTO_ICMP, 8 + PING_LEN, TX_CSUM_FULL, 0))
			return -1;
		uint64_t deadline = now_ms() + timeout_ms / 3;
		while (now_ms() <= deadline) {
			net_poll();
			if (ping.got)
				return (int)((rdtsc() - t0) * 1000 / tsc_per_ms);
		}
	}
	return -1;
}

/* ---- DHCP (RFC 2131), the four-message exchange ---- */

#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_ACK 5
#define DHCP_NAK 6

static struct {
	uint32_t xid, offered, server;
	int got;	/* message type of the last matching reply */
	struct net_cfg cfg;
} dhcp;

static void handle_dhcp(const uint8_t *d, size_t n)
{
	if (n < 240 || d[0] != 2 || get_be32(d + 4) != dhcp.xid ||
	    get_be32(d + 236) != 0x63825363 || memcmp(d + 28, vnet.mac, 6))
		return;
	struct net_cfg c = { 0 };
	int type = 0;
	c.ip = get_be32(d + 16);
	for (size_t i = 240; i < n && d[i] != 255;) {
		if (d[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > n || i + 2 + d[i + 1] > n)
			break;
		const uint8_t *v = d + i + 2;
		uint8_t l = d[i + 1];
		switch (d[i]) {
		case 53: if (l >= 1) type = v[0]; break;
		case 1: if (l >= 4) c.mask = get_be32(v); break;
		case 3: if (l >= 4) c.gw = get_be32(v); break;
		case 6: if (l >= 4) c.dns = get_be32(v); break;
		case 51: if (l >= 4) c.lease = get_be32(v); break;
		case 54: if (l >= 4) c.server = get_be32(v); break;
		}
		i += 2u + l;
	}
	if ((dhcp.got == 0 && type == DHCP_OFFER) ||
	    (dhcp.got == DHCP_OFFER && (type == DHCP_ACK || type == DHCP_NAK))) {
		dhcp.got = type;
		dhcp.cfg = c;
	}
}

static void dhcp_send(int type)
{
	uint8_t m[300];
	size_t o = 240;

	memset(m, 0, sizeof(m));
	m[0] = 1;
	m[1] = 1;
	m[2] = 6;
	put_be32(m + 4, dhcp.xid);
	put_be16(m + 10, 0x8000);	/* broadcast replies: no address yet */
	memcpy(m + 28, vnet.mac, 6);
	put_be32(m + 236, 0x63825363);
	m[o++] = 53; m[o++] = 1; m[o++] = (uint8_t)type;
	m[o++] = 55; m[o++] = 4; m[o++] = 1; m[o++] = 3; m[o++] = 6; m[o++] = 51;
	if (type == DHCP_REQUEST) {
		m[o++] = 50; m[o++] = 4; put_be32(m + o, dhcp.offered); o += 4;
		m[o++] = 54; m[o++] = 4; put_be32(m + o, dhcp.server); o += 4;
	}
	m[o++] = 255;
	net_send_udp(0xffffffffu, 68, 67, m, 300, TX_CSUM_FULL);
}

int net_dhcp(unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;

	memset(&dhcp, 0, sizeof(dhcp));
	dhcp.xid = (uint32_t)rdtsc() ^ 0x50524f42u;
	net.ip = 0;
	for (int phase = DHCP_DISCOVER; phase <= DHCP_REQUEST; phase += 2) {
		int want = phase == DHCP_DISCOVER ? DHCP_OFFER : DHCP_ACK;
		uint64_t next = 0;
		while (dhcp.got != want && !(want == DHCP_ACK && dhcp.got == DHCP_NAK)) {
			uint64_t t = now_ms();
			if (t > deadline)
				return -1;
			if (t >= next) {
				dhcp_send(phase);
				next = t + 1000;
			}
			net_poll();
		}
		if (dhcp.got == DHCP_NAK)
			return -1;
		if (want == DHCP_OFFER) {
			dhcp.offered = dhcp.cfg.ip;
			dhcp.server = dhcp.cfg.server;
		}
	}
	net = dhcp.cfg;
	if (!net.mask)
		net.mask = 0xffffff00u;
	if (!net.gw)
		net.gw = net.server;
	return 0;
}
