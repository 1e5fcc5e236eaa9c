/*
 * selftest.c - proves, inside the guest and before any real traffic, that
 * the receive checks can fail: known frames, some good and some broken,
 * go through net_input() and must move exactly the expected counter.
 */
#include "selftest.h"
#include <linux/virtio_net.h>
#include "lib.h"
#include "net.h"
#include "vnet.h"

/*
 * 10.0.2.2:9 -> 10.0.2.15:9 UDP, payload "probe-selftest!!".  Checksums
 * computed with a separate Python RFC 1071 implementation at development
 * time: IPv4 header 0x507d, UDP 0xb9d2; the folded pseudo-header sum
 * (10.0.2.2, 10.0.2.15, proto 17, length 24) is 0x183a.
 */
static const uint8_t good_udp[58] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x2c, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11,
	0x50, 0x7d, 0x0a, 0x00, 0x02, 0x02, 0x0a, 0x00, 0x02, 0x0f, 0x00, 0x09,
	0x00, 0x09, 0x00, 0x18, 0xb9, 0xd2, 0x70, 0x72, 0x6f, 0x62, 0x65, 0x2d,
	0x73, 0x65, 0x6c, 0x66, 0x74, 0x65, 0x73, 0x74, 0x21, 0x21,
};
#define UDP_CSUM_OFF 40
#define PSEUDO_FOLD 0x183a

enum counter { C_VERIFIED, C_L4_BAD, C_IP_BAD, C_VIOLATION };

struct tcase {
	const char *name;
	int patch_off;		/* byte to change (-1: none) */
	uint8_t patch_xor;
	uint16_t csum_field;	/* 0: keep the frame's UDP checksum */
	uint8_t flags, gso;
	enum counter expect;	/* the counter that must grow */
};

static uint64_t *counter(struct rx_stats *s, enum counter c)
{
	switch (c) {
	case C_VERIFIED: return &s->l4_verified;
	case C_L4_BAD: return &s->l4_bad;
	case C_IP_BAD: return &s->ip_bad;
	case C_VIOLATION: return &s->violations;
	}
	return &s->l4_verified;
}

int selftest_rx(char *why, size_t size)
{
	bool gcsum = vnet_has(VIRTIO_NET_F_GUEST_CSUM);
	bool gtso = vnet_has(VIRTIO_NET_F_GUEST_TSO4);
	const struct tcase cases[] = {
		{ "good", -1, 0, 0, 0, 0, C_VERIFIED },
		{ "payload-flip", 50, 0x01, 0, 0, 0, C_L4_BAD },
		{ "ttl-flip", 22, 0x01, 0, 0, 0, C_IP_BAD },
		/* NEEDS_CSUM with the pseudo-header sum: fine only with GUEST_CSUM. */
		{ "partial", -1, 0, PSEUDO_FOLD, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0,
		  gcsum ? C_VERIFIED : C_VIOLATION },
		/* A wrong pseudo-header sum must surface as a bad UDP checksum. */
		{ "partial-wrong", -1, 0, PSEUDO_FOLD + 1, VIRTIO_NET_HDR_F_NEEDS_CSUM, 0,
		  C_L4_BAD },
		{ "gso", -1, 0, PSEUDO_FOLD, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		  VIRTIO_NET_HDR_GSO_TCPV4, gtso ? C_VERIFIED : C_VIOLATION },
		{ "ecn", -1, 0, PSEUDO_FOLD, VIRTIO_NET_HDR_F_NEEDS_CSUM,
		  VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
		  vnet_has(VIRTIO_NET_F_GUEST_ECN) && gtso ? C_VERIFIED : C_VIOLATION },
	};
	struct rx_stats saved = rxs;
	char saved_problem[sizeof(rx_last_problem)];
	uint8_t f[64];
	unsigned failed = 0;

	memcpy(saved_problem, rx_last_problem, sizeof(saved_problem));
	why[0] = 0;
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct tcase *t = &cases[i];
		struct virtio_net_hdr_v1 h = { 0 };
		memcpy(f, good_udp, sizeof(good_udp));
		if (t->patch_off >= 0)
			f[t->patch_off] ^= t->patch_xor;
		if (t->csum_field)
			put_be16(f + UDP_CSUM_OFF, t->csum_field);
		h.flags = t->flags;
		h.gso_type = t->gso;
		if (t->gso)
			h.gso_size = 1448;
		if (t->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			h.csum_start = 34;
			h.csum_offset = 6;
		}
		struct rx_stats before = rxs;
		net_input(&h, f, sizeof(good_udp));
		/* A broken frame may trip several rules; each must trip one. */
		bool ok = *counter(&rxs, t->expect) > *counter(&before, t->expect);
		/* No other verdict counter may move for a clean case. */
		if (t->expect == C_VERIFIED)
			ok = ok && rxs.l4_bad == before.l4_bad && rxs.ip_bad == before.ip_bad &&
			     rxs.violations == before.violations;
		if (!ok) {
			failed++;
			size_t n = strlen(why);
			snprintf(why + n, size - n, "%s%s", n ? "," : "", t->name);
		}
	}
	rxs = saved;
	memcpy(rx_last_problem, saved_problem, sizeof(saved_problem));
	return failed ? -1 : (int)ARRAY_SIZE(cases);
}
