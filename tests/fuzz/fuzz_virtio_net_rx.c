/*
 * fuzz_virtio_net_rx - the virtio-net receive path with arbitrary frames
 * from the backend (header + Ethernet frame, exactly as a tap device or a
 * buggy backend could hand them over) into guests that negotiated any
 * feature set: with or without GUEST_CSUM/TSO, MRG_RXBUF, EVENT_IDX,
 * indirect descriptors; also the control queue.
 *
 * Input: caps (bits 0-1 as fz_net_create(); bit 2: frames are offered
 * with rx_push before they are queued, as slirp does), device options,
 * queue size, 8 bytes of requested features,
 * then operations until the input ends:
 *   op % 5 == 0  post RX buffers: count byte, u16 size (1..2048), shape
 *                byte (bit 4: chains of 64..127 pieces, more than a
 *                backend's recv() takes; issue 13)
 *   op % 5 == 1  the backend delivers a frame: u16 length, bytes
 *   op % 5 == 2  kick the RX queue (the device pulls pending frames)
 *   op % 5 == 3  a control-queue command: class, command, u8 length, data
 *   op % 5 == 4  reset and bring the device up again with new features
 *
 * Checked besides sanitizers (DESIGN.md "Network to guest"): a guest
 * without GUEST_CSUM never sees NEEDS_CSUM, a guest never sees a GSO type
 * it did not negotiate, no used length exceeds the buffer posted, an
 * empty used entry (a bad chain given back) is never part of a frame, and
 * only a guest with MRG_RXBUF has a frame held for it in the device.
 */
#include "fuzz_guest.h"
#include "devices/virtio_net_int.h"

#define MAX_OPS 64
#define B(x) (1ull << (x))

/* Checks one received frame's header (first buffer of a used chain). */
static void check_hdr(const struct fz_net *e, const uint8_t *h)
{
	uint8_t gso = h[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;

	if ((h[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !(e->accepted & B(VIRTIO_NET_F_GUEST_CSUM)))
		FZ_ASSERT(0, "hdr flags %#x gso %#x", h[0], h[1]);
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(e->accepted & B(VIRTIO_NET_F_GUEST_TSO4))) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(e->accepted & B(VIRTIO_NET_F_GUEST_TSO6))) ||
	    (gso == VIRTIO_NET_HDR_GSO_UDP && !(e->accepted & B(VIRTIO_NET_F_GUEST_UFO))) ||
	    gso == VIRTIO_NET_HDR_GSO_UDP_L4)
		FZ_ASSERT(0, "hdr flags %#x gso %#x", h[0], h[1]);
	if ((h[1] & VIRTIO_NET_HDR_GSO_ECN) && !(e->accepted & B(VIRTIO_NET_F_GUEST_ECN)))
		FZ_ASSERT(0, "hdr flags %#x gso %#x", h[0], h[1]);
}

/*
 * The driver takes every used RX entry and checks each frame's header.
 * The header may span entries when the guest posted buffers smaller than
 * it (a driver bug under MRG_RXBUF, 5.1.6.3.1, but a guest can do it), so
 * it is gathered first; num_buffers then says how many entries the frame
 * has.
 */
static uint8_t h[NET_HDR_LEN];
static size_t have;		/* header bytes gathered for this frame */
static unsigned entries;	/* entries the frame used so far */

static void reap_reset(void)
{
	have = 0;
	entries = 0;
}

static void reap_rx(struct fz_net *e)
{
	bool mrg = e->accepted & B(VIRTIO_NET_F_MRG_RXBUF);
	uint32_t id, len;

	/* Only a mergeable guest has a frame wait in the device for buffers. */
	FZ_ASSERT(e->n->rx_state != VNET_RX_HOLDING || mrg, "held without MRG_RXBUF");
	while (fz_vq_used(e, 0, &id, &len)) {
		size_t k = len;

		FZ_ASSERT(id < e->qsize, "used id %u", id);
		FZ_ASSERT(len <= e->vq[0].buf_total[id], "used len %u > posted %llu",
			  len, (unsigned long long)e->vq[0].buf_total[id]);
		/*
		 * A chain that broke the rules goes back alone with length 0
		 * (Linux drops such an entry as "too small"); it is never a
		 * piece of a frame.
		 */
		if (len == 0) {
			FZ_ASSERT(have == 0 && entries == 0,
				  "empty used entry inside a frame");
			continue;
		}
		entries++;
		if (have < NET_HDR_LEN) {
			uint8_t tmp[NET_HDR_LEN];

			if (k > NET_HDR_LEN - have)
				k = NET_HDR_LEN - have;
			k = fz_chain_read(e, 0, (uint16_t)id, tmp, k);
			memcpy(h + have, tmp, k);
			have += k;
			if (have == NET_HDR_LEN)
				check_hdr(e, h);
		}
		if (!mrg || (have == NET_HDR_LEN &&
			     entries >= (unsigned)(h[10] | h[11] << 8))) {
			have = 0;	/* the frame is complete */
			entries = 0;
		}
	}
}

static void ctrl_cmd(struct fz_net *e, struct fin *in)
{
	uint8_t cmd[2 + 255 + 1];
	size_t n;
	uint64_t gpa[3];
	uint32_t l[3];
	uint32_t id, len;

	cmd[0] = fin_u8(in);
	cmd[1] = fin_u8(in);
	n = fin_u8(in);
	fin_copy(in, cmd + 2, n);
	if (!fz_reserve(e, 8 + ((n + 7) & ~7ull) + 8 + 8))
		return;		/* RX buffers fill guest RAM: no room */
	gpa[0] = fz_alloc(e, 2);
	memcpy(fz_ptr(e, gpa[0]), cmd, 2);
	l[0] = 2;
	gpa[1] = fz_alloc(e, (uint32_t)(n ? n : 1));
	memcpy(fz_ptr(e, gpa[1]), cmd + 2, n);
	l[1] = (uint32_t)n;
	gpa[2] = fz_alloc(e, 1);
	l[2] = 1;
	if (n)
		fz_vq_add(e, 2, gpa, l, 3, 2, false);
	else
		fz_vq_add(e, 2, (uint64_t[]){ gpa[0], gpa[2] },
			  (uint32_t[]){ 2, 1 }, 2, 1, false);
	fz_kick(e, 2);
	while (fz_vq_used(e, 2, &id, &len))
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_net e;
	struct fin in = fin_make(data, size);
	uint8_t caps = fin_u8(&in), opts = fin_u8(&in), qlog = fin_u8(&in);
	uint64_t want = fin_u64(&in);

	fz_machine(&e);
	fz_net_create(&e, caps, opts, qlog);
	fz_driver_up(&e, want);
	reap_reset();
	for (unsigned k = 0; k < MAX_OPS && fin_left(&in); k++) {
		uint8_t op = fin_u8(&in);

		switch (op % 5) {
		case 0: {
			unsigned count = fin_u8(&in) % 16 + 1;
			uint32_t bsize = fin_u16(&in) % 2048 + 1;
			uint8_t shape = fin_u8(&in);
			bool ind = (e.accepted & B(VIRTIO_RING_F_INDIRECT_DESC)) &&
				   (shape & 4);

			for (unsigned i = 0; i < count; i++) {
				/* shape 3 would eat input; keep RX shapes 0-2. */
				if (shape & 16)	/* 64..127 pieces */
					fz_post_many(&e, 0, bsize,
						     64 + (shape >> 5) * 9u, ind);
				else
					fz_post(&e, 0, &in, NULL, bsize, true,
						shape % 3, ind);
			}
			if (shape & 8)
				fz_kick(&e, 0);
			break;
		}
		case 1: {
			size_t want_len = fin_u16(&in), got;
			const uint8_t *frame = fin_bytes(&in, want_len, &got);

			if (e.fb.nrx < FB_MAX_FRAMES) {
				if (caps & 4)	/* slirp-like: rx_push first */
					fb_push_or_queue(&e.fb, frame, got);
				else
					fb_queue_rx(&e.fb, frame, got);
				if (e.fb.be.rx_ready)
					e.fb.be.rx_ready(e.fb.be.rx_opaque);
			}
			break;
		}
		case 2:
			fz_kick(&e, 0);
			break;
		case 3:
			if (e.accepted & B(VIRTIO_NET_F_CTRL_VQ))
				ctrl_cmd(&e, &in);
			break;
		case 4:
			reap_rx(&e);
			want = fin_u64(&in);
			fz_driver_up(&e, want);
			reap_reset();
			break;
		}
		reap_rx(&e);
	}
	fz_net_destroy(&e);
	return 0;
}
