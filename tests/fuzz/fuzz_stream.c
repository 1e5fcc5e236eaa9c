/*
 * fuzz_stream - the framed-socket backend's receive side (net/stream.c)
 * on any byte stream, arriving in any pieces, read into guest buffers of
 * any shape; and its send side with any header.
 *
 * Input layout: one byte of options (bit 0: data_valid), then steps, each
 * one byte saying what to do:
 *   0-4   the peer writes the next 1 + u16 % 2048 bytes of input
 *   5-6   the device receives into 1..3 buffers of u16-chosen sizes
 *   7     the device sends a frame: a 12-byte header and u16 % 2048 bytes
 * At the end the device drains what is left with roomy buffers.
 *
 * Checked besides sanitizers: every frame received is exactly the next
 * frame of a reference parse of everything written (runts under 14 bytes
 * skipped, nothing after a length over STREAM_MAX_FRAME), behind a header
 * that is all zero but for DATA_VALID (when asked for) and num_buffers 1;
 * a frame too big for the buffers is -EMSGSIZE and consumed; the backend
 * is dead exactly when the reference met a bad length; frames sent reach
 * the peer as a length word and the frame (IP frames without Ethernet
 * padding), only when the header asks for no offload.
 */
#include "fuzz_input.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "net/stream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reference: everything the peer wrote, and where its parse stands. */
struct ref {
	uint8_t wire[1 << 17];
	size_t len, at;		/* at: start of the next frame not yet seen */
	bool broken;		/* a length over STREAM_MAX_FRAME was met */
};

/* A frame's length on the wire: IP frames lose their Ethernet padding. */
static size_t wire_len(const uint8_t *f, size_t len)
{
	size_t ip;

	if (len < 20)
		return len;
	if (f[12] == 0x08 && f[13] == 0x00 && f[14] >> 4 == 4)
		ip = (size_t)f[16] << 8 | f[17];
	else if (f[12] == 0x86 && f[13] == 0xdd && f[14] >> 4 == 6)
		ip = 40 + ((size_t)f[18] << 8 | f[19]);
	else
		return len;
	return ip >= 20 && 14 + ip < len ? 14 + ip : len;
}

/* The next whole frame of the reference, runts skipped: 1, or 0 for none. */
static int ref_next(struct ref *r, size_t *off, uint32_t *len)
{
	while (!r->broken && r->len - r->at >= 4) {
		const uint8_t *p = r->wire + r->at;
		uint32_t n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
			     (uint32_t)p[2] << 8 | p[3];

		if (n > STREAM_MAX_FRAME) {
			r->broken = true;
			break;
		}
		if (r->len - r->at - 4 < n)
			return 0;
		if (n >= 14) {
			*off = r->at + 4;
			*len = n;
			return 1;
		}
		r->at += 4 + n;
	}
	return 0;
}

/* One recv(), checked against the reference; false when it had no frame. */
static bool check_recv(struct net_backend *be, struct ref *r, bool data_valid,
		       const size_t *caps, int n)
{
	static uint8_t buf[3][NET_MAX_FRAME];
	static uint8_t flat[NET_MAX_FRAME * 3];
	struct iovec iov[3];
	size_t cap = 0, off = 0;
	uint32_t len = 0;
	ssize_t got;
	int have;

	for (int i = 0; i < n; i++) {
		iov[i] = (struct iovec){ buf[i], caps[i] };
		cap += caps[i];
	}
	got = be->ops->recv(be, iov, n);
	have = ref_next(r, &off, &len);
	if (!have) {
		FZ_ASSERT(got == -EAGAIN, "recv %zd with no whole frame", got);
		FZ_ASSERT(stream_backend_dead(be) == r->broken, "dead %d broken %d",
			  stream_backend_dead(be), r->broken);
		return false;
	}
	r->at = off + len;
	if (cap < NET_HDR_LEN + (size_t)len) {
		FZ_ASSERT(got == -EMSGSIZE, "recv %zd for a %u-byte frame into %zu",
			  got, len, cap);
		return true;
	}
	FZ_ASSERT(got == (ssize_t)(NET_HDR_LEN + len), "recv %zd, want %u", got,
		  NET_HDR_LEN + len);
	for (size_t i = 0, at = 0; i < (size_t)n && at < (size_t)got; i++) {
		size_t k = caps[i] < (size_t)got - at ? caps[i] : (size_t)got - at;

		memcpy(flat + at, buf[i], k);
		at += k;
	}
	FZ_ASSERT(flat[0] == (data_valid ? VIRTIO_NET_HDR_F_DATA_VALID : 0),
		  "flags %#x", flat[0]);
	FZ_ASSERT(flat[1] == 0 && flat[10] == 1 && flat[11] == 0, "header");
	for (int i = 2; i < 10; i++)
		FZ_ASSERT(flat[i] == 0, "header byte %d", i);
	FZ_ASSERT(memcmp(flat + NET_HDR_LEN, r->wire + off, len) == 0,
		  "frame bytes differ");
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ref r;
	struct fin in = fin_make(data, size);
	struct stream_opts o = { .name = "fuzz" };
	struct net_backend *be;
	char err[256];
	int sv[2];
	bool data_valid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	r.len = r.at = 0;
	r.broken = false;
	data_valid = fin_u8(&in) & 1;
	o.data_valid = data_valid;
	be = stream_backend_create(sv[0], NULL, &o, err, sizeof(err));
	FZ_ASSERT(be, "create: %s", err);
	while (fin_left(&in) > 0) {
		uint8_t op = fin_u8(&in) % 8;

		if (op <= 4) {
			size_t want = 1 + fin_u16(&in) % 2048, got;
			const uint8_t *p = fin_bytes(&in, want, &got);

			if (got > sizeof(r.wire) - r.len)
				break;
			if (got && write(sv[1], p, got) != (ssize_t)got)
				break;
			memcpy(r.wire + r.len, p, got);
			r.len += got;
		} else if (op <= 6) {
			size_t caps[3];
			int n = 1 + fin_u8(&in) % 3;

			for (int i = 0; i < n; i++)
				caps[i] = fin_u16(&in) % (NET_MAX_FRAME + 1);
			check_recv(be, &r, data_valid, caps, n);
		} else {
			uint8_t hdr[NET_HDR_LEN], frame[2048], back[4 + 2048];
			size_t len = fin_u16(&in) % sizeof(frame);
			struct iovec iov[2] = { { hdr, sizeof(hdr) }, { frame, len } };
			bool plain;
			int rc;

			fin_copy(&in, hdr, sizeof(hdr));
			fin_copy(&in, frame, len);
			plain = !(hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) && hdr[1] == 0;
			rc = be->ops->send(be, iov, 2);
			if (!plain || len < 14) {
				FZ_ASSERT(rc == -EINVAL, "send %d of a frame it must refuse", rc);
			} else if (rc == 0) {
				size_t want = wire_len(frame, len);
				ssize_t got = read(sv[1], back, 4 + want);

				FZ_ASSERT(got == (ssize_t)(4 + want), "peer read %zd", got);
				FZ_ASSERT(back[0] == 0 && back[1] == 0 &&
					  (back[2] << 8 | back[3]) == (int)want, "length word");
				FZ_ASSERT(memcmp(back + 4, frame, want) == 0, "bytes sent");
			} else {
				FZ_ASSERT(rc == -EPIPE && stream_backend_dead(be),
					  "send %d", rc);
			}
		}
	}
	for (;;) {
		size_t caps[1] = { NET_MAX_FRAME };

		if (!check_recv(be, &r, data_valid, caps, 1))
			break;
	}
	be->ops->free(be);
	close(sv[1]);
	return 0;
}
