/*
 * frames.h - building and reading the frames a unit test plays guest with
 * (test_slirp.c, test_passt.c): big-endian fields, an Ethernet + IPv4
 * header, a UDP datagram with its checksum from ref_csum.h, a loopback
 * socket for the host side, a millisecond clock for bounded waits.
 */
#ifndef MINIVMM_TEST_FRAMES_H
#define MINIVMM_TEST_FRAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "ref_csum.h"

/* The guest's MAC in every test frame (QEMU's default, minivmm's too). */
static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static inline long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Ethernet (from guest_mac) + IPv4 header, no options; returns where L4 starts. */
static inline uint8_t *put_eth_ip(uint8_t *f, const uint8_t dst_mac[6],
				  const char *src, const char *dst, uint8_t proto,
				  uint16_t l4len)
{
	uint8_t *ip = f + 14;

	memcpy(f, dst_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	put16(ip + 10, ref_csum(ip, 20, 0));
	return ip + 20;
}

/* A UDP frame; returns its length.  bad_csum flips bits of the checksum. */
static inline size_t build_udp(uint8_t *f, const uint8_t dst_mac[6], const char *src,
			       uint16_t sport, const char *dst, uint16_t dport,
			       const void *payload, size_t plen, bool bad_csum)
{
	uint16_t ulen = (uint16_t)(8 + plen);
	uint8_t *udp = put_eth_ip(f, dst_mac, src, dst, 17, ulen);
	uint16_t c;

	put16(udp, sport);
	put16(udp + 2, dport);
	put16(udp + 4, ulen);
	put16(udp + 6, 0);
	memcpy(udp + 8, payload, plen);
	c = ref_csum(udp, ulen, ref_pseudo4(f + 14, ulen));
	put16(udp + 6, bad_csum ? (uint16_t)(c ^ 0x0a0a) : c);
	return 14 + 20 + ulen;
}

/*
 * A socket of `type` on 127.0.0.1 with a kernel-chosen port (in *port),
 * listening if it is a stream socket; -1 on failure.
 */
static inline int loopback_socket(int type, uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int s = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(s, (struct sockaddr *)&a, &al) != 0 ||
	    (type == SOCK_STREAM && listen(s, 1) != 0))
		return -1;
	*port = ntohs(a.sin_port);
	return s;
}

#endif
