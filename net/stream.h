/*
 * stream.h - the framed-socket backend: Ethernet frames over a connected
 * UNIX stream socket, each preceded by its length as a 4-byte big-endian
 * integer.  That is QEMU's stream netdev protocol (`-netdev stream`, and
 * the older `-netdev socket`), which passt speaks (net/passt.h starts one).
 *
 * There is no virtio-net header on the wire, so no offload either way:
 *  - tx_caps = 0: the device completes NEEDS_CSUM and segments GSO frames
 *    (net/offload.h) before send(), exactly as for slirp, so the guest is
 *    still offered CSUM and HOST_TSO4/6 and the peer gets whole frames.
 *  - rx_caps = 0: frames from the peer carry complete checksums.  With
 *    opts.data_valid they go to the device marked DATA_VALID (virtio 1.2
 *    5.1.6.4: "the device has validated the packet checksum"), which is
 *    true only of a peer that builds every frame itself, as passt does;
 *    the device clears the flag for a guest without GUEST_CSUM.
 *
 * Framing: frames are read whole; a frame split across reads waits in the
 * receive buffer for the rest.  A length under 14 (no Ethernet header) is
 * a runt, skipped and counted.  A length over STREAM_MAX_FRAME cannot be
 * this protocol (or the stream is out of step), and nothing after it can
 * be trusted: the backend stops with one line, as it does when the peer
 * closes the connection or the socket fails.  The guest then sees a silent
 * link; minivmm keeps running.
 *
 * Frames go without Ethernet padding: an IPv4 or IPv6 frame longer than its
 * packet (a guest that pads to the 60-byte wire minimum) is cut where the
 * packet ends, because passt 0.0~git20230309 drops IPv4 frames that carry
 * padding.
 *
 * Sending never blocks: what the socket does not take at once waits in a
 * bounded buffer, written as the socket drains; a frame that does not fit
 * there is dropped whole (a full wire), so the stream never carries half
 * a frame.
 *
 * All calls are made from the thread running the evloop.
 */
#ifndef MINIVMM_NET_STREAM_H
#define MINIVMM_NET_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "net/backend.h"

/* The largest frame either way: a 64 KiB IP packet, Ethernet and VLAN headers. */
#define STREAM_MAX_FRAME (NET_MAX_FRAME - NET_HDR_LEN)
#define STREAM_LEN_BYTES 4

/* Bytes buffered each way (frames and their length words). */
#define STREAM_BUF_SIZE (256 * 1024)

struct stream_stats {
	uint64_t tx_frames;		/* written (or queued) whole */
	uint64_t tx_full;		/* dropped: the send buffer was full */
	uint64_t tx_offload_bug;	/* dropped: NEEDS_CSUM or GSO reached send() */
	uint64_t tx_malformed;		/* dropped: shorter than header + Ethernet */
	uint64_t tx_dead;		/* dropped: the peer is gone */
	uint64_t tx_unpadded;		/* sent without their Ethernet padding */
	uint64_t rx_frames;		/* handed to the device */
	uint64_t rx_too_big;		/* dropped: larger than the guest's buffers */
	uint64_t rx_runts;		/* skipped: length under 14 */
};

struct stream_opts {
	const char *name;	/* in messages: "passt", "stream /run/x.sock" */
	bool data_valid;	/* mark received frames DATA_VALID (see above) */
	/*
	 * Optional: when the peer goes away, fills buf with a few words on
	 * why (passt's last message), appended to the one line printed.
	 */
	void (*why_closed)(void *opaque, char *buf, size_t len);
	void *why_opaque;
	/* Optional: frees why_opaque when the backend is freed (not on failure). */
	void (*release)(void *opaque);
};

/*
 * Where the next frame is in buf[0..len): returns 1 with *frame_len set
 * when a whole frame (length word included) is there, 0 when more bytes
 * are needed, -1 when the length word is over STREAM_MAX_FRAME (*frame_len
 * then holds it).  The frame's bytes are buf[4 .. 4 + *frame_len).
 */
int stream_frame_next(const uint8_t *buf, size_t len, uint32_t *frame_len);

/*
 * Takes over `fd`, a connected stream socket (made non-blocking and
 * close-on-exec here), and hooks it into `loop`.  Returns the backend
 * (name: opts->name), or NULL with one line in err; fd is closed either way
 * when the backend is freed or creation fails.
 */
struct net_backend *stream_backend_create(int fd, struct evloop *loop,
					  const struct stream_opts *opts,
					  char *err, size_t errlen);

/*
 * `-net stream,path=SOCKET`: connects to a peer already listening on the
 * UNIX socket `path` (a passt started by hand, another VMM).  Frames are
 * not marked DATA_VALID: who built them is not known.  Errors are one line
 * such as "stream /tmp/s: cannot connect: Connection refused (is the peer
 * running?)".
 */
struct net_backend *stream_connect(const char *path, struct evloop *loop,
				   char *err, size_t errlen);

const struct stream_stats *stream_backend_stats(const struct net_backend *be);

/* The opts.why_opaque the backend was created with. */
void *stream_backend_opaque(const struct net_backend *be);

/* True once the peer closed, failed or broke the framing. */
bool stream_backend_dead(const struct net_backend *be);

#endif
