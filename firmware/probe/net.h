/*
 * net.h - the probe's IPv4 stack: Ethernet, ARP, IPv4, ICMP echo, UDP,
 * DHCP, and the checksum policy every received frame goes through.
 */
#ifndef PROBE_NET_H
#define PROBE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN 14
#define IP_HLEN 20
#define UDP_HLEN 8
#define TCP_HLEN 20
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17

/* How TX frames carry their L4 checksum. */
enum tx_csum {
	TX_CSUM_FULL,		/* computed by the probe */
	TX_CSUM_PARTIAL,	/* NEEDS_CSUM: pseudo-header sum in the field */
};

struct net_cfg {
	uint32_t ip, mask, gw, dns, server;	/* host byte order */
	uint32_t lease;
};

/* Receive-side verification counters (every frame, every profile). */
struct rx_stats {
	uint64_t frames, ipv4, ipv6, other;
	uint64_t l4_verified, ip_bad, l4_bad;
	uint64_t needs_csum, data_valid, gso, gso_bytes_max;
	uint64_t violations;	/* flags/GSO the profile did not negotiate, bad offsets */
	uint64_t fragments, udp_nocsum;
};

extern struct net_cfg net;
extern struct rx_stats rxs;
/* Last violation or bad checksum, for the report. */
extern char rx_last_problem[96];

/* Per-UDP-port receive hook (the UDP checks and blast mode set it). */
typedef void (*udp_handler)(uint32_t src, uint16_t sport, uint16_t dport,
			    const uint8_t *data, size_t len);
void net_set_udp_handler(udp_handler h);
/* TCP receive hook (tcp.c). */
typedef void (*tcp_handler)(uint32_t src, const uint8_t *seg, size_t len);
void net_set_tcp_handler(tcp_handler h);

struct virtio_net_hdr_v1;
/* Verifies and handles one received frame (net_poll's per-frame step). */
void net_input(const struct virtio_net_hdr_v1 *h, uint8_t *f, size_t len);
/* Receives and handles every frame waiting; returns how many. */
unsigned net_poll(void);

/* Resolves ip (on-link) or the gateway to a MAC address; false on timeout. */
bool net_resolve(uint32_t ip, uint8_t mac[6], unsigned timeout_ms);

/*
 * Sends an IPv4 packet whose L4 header and payload (l4len bytes) the
 * caller wrote at frame + ETH_HLEN + IP_HLEN, frame coming from
 * vnet_tx_buf().  For TCP and UDP the checksum is filled per mode; gso_size
 * non-zero sends a TCPv4 GSO frame (needs HOST_TSO4).  Returns 0 or -1.
 */
int net_send_ip(uint8_t *frame, uint32_t dst, uint8_t proto, size_t l4len,
		enum tx_csum mode, uint16_t gso_size);
/* Builds and sends one UDP datagram. */
int net_send_udp(uint32_t dst, uint16_t sport, uint16_t dport,
		 const void *data, size_t len, enum tx_csum mode);

/* DHCP DISCOVER/OFFER/REQUEST/ACK; fills net. */
int net_dhcp(unsigned timeout_ms);
/* One ICMP echo round trip; returns the RTT in us or -1. */
int net_ping(uint32_t dst, unsigned timeout_ms);

void ip_str(uint32_t ip, char *buf);

#endif
