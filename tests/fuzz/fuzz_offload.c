/*
 * fuzz_offload - net_offload_fixup(), the one place minivmm completes
 * checksums and segments GSO frames, called directly on a fuzz-made
 * virtio_net_hdr + Ethernet frame with every combination of receiver
 * capabilities (first input byte), plus net_offload_complete_csum().
 *
 * Checked besides sanitizers (net/offload.h): an emitted frame has the
 * header, no NEEDS_CSUM unless the receiver takes partial sums, no GSO
 * type it does not take, num_buffers 0 when built here, at most
 * NET_OFFLOAD_MAX_SEGS frames, each no longer than NET_MAX_FRAME; a
 * negative result names a real drop reason.
 */
#include <errno.h>
#include <linux/virtio_net.h>

#include "fuzz_input.h"
#include "net/backend.h"
#include "net/offload.h"

struct seen {
	unsigned accepts;
	unsigned frames;
	int fail_at;	/* emit fails on this frame (-1: never) */
};

static int emit(void *opaque, uint8_t *frame, size_t len)
{
	struct seen *s = opaque;
	uint8_t gso;

	FZ_ASSERT(len >= NET_HDR_LEN && len <= NET_MAX_FRAME, "len %zu", len);
	gso = frame[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	FZ_ASSERT(!(frame[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
		  (s->accepts & NET_OFF_CSUM), "flags %#x", frame[0]);
	FZ_ASSERT(!((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(s->accepts & NET_OFF_TSO4)) ||
		    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(s->accepts & NET_OFF_TSO6)) ||
		    (gso == VIRTIO_NET_HDR_GSO_UDP && !(s->accepts & NET_OFF_UFO)) ||
		    gso == VIRTIO_NET_HDR_GSO_UDP_L4), "gso %#x", frame[1]);
	FZ_ASSERT(gso == VIRTIO_NET_HDR_GSO_NONE || !(frame[1] & VIRTIO_NET_HDR_GSO_ECN) ||
		  (s->accepts & NET_OFF_ECN), "gso %#x without ECN", frame[1]);
	/* Touch every byte so ASan checks the whole range handed over. */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= frame[i];
	(void)x;
	return (int)s->frames++ == s->fail_at ? -ENOBUFS : 0;
}

/* One of the -errno values net/offload.h lists for net_offload_fixup(). */
static bool offload_errno(int r)
{
	return r == -EINVAL || r == -EBADMSG || r == -ERANGE || r == -EPROTO ||
	       r == -EMSGSIZE || r == -ECANCELED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = fin_make(data, size);
	uint8_t sel = fin_u8(&in);
	struct seen s = { .accepts = sel & 0x1f, .fail_at = sel & 0x80 ? (sel >> 5 & 3) : -1 };
	size_t len;
	const uint8_t *frame = fin_bytes(&in, fin_left(&in), &len);
	uint8_t *p = malloc(len ? len : 1), *q = malloc(len ? len : 1);
	int r;

	memcpy(p, frame, len);
	memcpy(q, frame, len);
	r = net_offload_fixup(p, len, s.accepts, emit, &s);
	if (r < 0)
		FZ_ASSERT(offload_errno(r), "r %d", r);
	else
		FZ_ASSERT((unsigned)r == s.frames && r <= NET_OFFLOAD_MAX_SEGS,
			  "r %d, %u emitted", r, s.frames);
	r = net_offload_complete_csum(q, len);
	FZ_ASSERT(r == 0 || r == 1 || r == -EINVAL || r == -ERANGE, "r %d", r);
	if (r == 1)
		FZ_ASSERT(!(q[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM), "flag still set");
	if (len >= NET_HDR_LEN)
		(void)net_offload_needs_fixup(q, s.accepts);
	free(p);
	free(q);
	return 0;
}
