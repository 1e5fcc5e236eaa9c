/*
 * fuzz_virtio_net_tx - the virtio-net transmit path: virtio_net_hdr and
 * Ethernet frame from the input, posted on the TX ring in the shapes real
 * drivers use (and some they do not), through the device, its software
 * checksum completion and segmentation (net_offload_fixup), into the fake
 * backend.
 *
 * Input: caps, device options, queue size, 8 bytes of requested features,
 * then operations until the input ends:
 *   op % 4 == 0..1  send: u16 length, shape byte, the frame bytes, kick
 *   op % 4 == 2     poke one byte of the TX ring (a driver breaking rules),
 *                   then kick
 *   op % 4 == 3     reset and bring the device up again with new features
 *
 * Besides "no crash, no leak, no sanitizer report" it checks the contract
 * of net/backend.h: the backend never receives a partial checksum or a
 * GSO frame it did not say it accepts (tx_caps).
 */
#include "fuzz_guest.h"

#define MAX_OPS 64

static void check_sent(const struct fake_be *fb)
{
	for (unsigned i = 0; i < fb->nsent && i < FB_MAX_FRAMES; i++) {
		const uint8_t *h = fb->sent[i];
		size_t len = fb->sent_len[i];
		uint8_t gso;

		FZ_ASSERT(len >= NET_HDR_LEN, "frame %u: %zu bytes", i, len);
		if ((h[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    !(fb->be.tx_caps & NET_OFF_CSUM))
			FZ_ASSERT(0, "hdr flags %#x gso %#x", h[0], h[1]);
		gso = h[1] & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
		if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !(fb->be.tx_caps & NET_OFF_TSO4)) ||
		    (gso == VIRTIO_NET_HDR_GSO_TCPV6 && !(fb->be.tx_caps & NET_OFF_TSO6)) ||
		    (gso == VIRTIO_NET_HDR_GSO_UDP && !(fb->be.tx_caps & NET_OFF_UFO)) ||
		    gso == VIRTIO_NET_HDR_GSO_UDP_L4)
			FZ_ASSERT(0, "hdr flags %#x gso %#x", h[0], h[1]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fz_net e;
	struct fin in = fin_make(data, size);
	uint8_t caps = fin_u8(&in), opts = fin_u8(&in), qlog = fin_u8(&in);
	uint64_t want = fin_u64(&in);
	bool indirect_ok;

	fz_machine(&e);
	fz_net_create(&e, caps, opts, qlog);
	fz_driver_up(&e, want);
	indirect_ok = e.accepted & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
	for (unsigned k = 0; k < MAX_OPS && fin_left(&in); k++) {
		uint8_t op = fin_u8(&in);
		uint32_t id, len;

		switch (op % 4) {
		case 0:
		case 1: {
			size_t want_len = fin_u16(&in), got;
			uint8_t shape = fin_u8(&in);
			const uint8_t *frame = fin_bytes(&in, want_len, &got);

			fz_post(&e, 1, &in, frame, got, false, shape,
				indirect_ok && (shape & 4));
			fz_kick(&e, 1);
			break;
		}
		case 2: {
			uint16_t off = fin_u16(&in) % 0x3000;

			*(uint8_t *)fz_ptr(&e, FZ_RING(1) + off) = fin_u8(&in);
			fz_kick(&e, 1);
			break;
		}
		case 3:
			want = fin_u64(&in);
			fz_driver_up(&e, want);
			indirect_ok = e.accepted & (1ull << VIRTIO_RING_F_INDIRECT_DESC);
			break;
		}
		/* The driver reclaims what the device finished. */
		while (fz_vq_used(&e, 1, &id, &len))
			;
	}
	check_sent(&e.fb);
	fz_net_destroy(&e);
	return 0;
}
