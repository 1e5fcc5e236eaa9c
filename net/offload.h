/*
 * offload.h - making a frame acceptable to whoever receives it next.
 *
 * A frame (virtio_net_hdr_v1 + Ethernet frame) may carry a partial checksum
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM) or be a GSO super-frame (gso_type != NONE).
 * The receiver states what it accepts as NET_OFF_* bits (net/backend.h):
 * a backend's tx_caps on the way out, the guest's negotiated GUEST_* features
 * on the way in.  net_offload_fixup() turns one input frame into one or more
 * output frames that need nothing the receiver did not accept:
 *
 *  - NEEDS_CSUM and no NET_OFF_CSUM: the checksum is completed in software
 *    (csum_start/csum_offset validated against the frame) and the flag
 *    cleared.
 *  - GSO and no matching NET_OFF_TSO4/TSO6/UFO: the frame is segmented into
 *    gso_size pieces, each with correct IP total length, IPv4 id, TCP
 *    sequence number, PSH/FIN only on the last, CWR only on the first, and
 *    full checksums (or partial ones, if the receiver has NET_OFF_CSUM).
 *  - Otherwise the frame passes unchanged.
 *
 * This is the one place minivmm decides checksum and segmentation offload;
 * devices/virtio_net.c calls it in both directions.
 */
#ifndef MINIVMM_NET_OFFLOAD_H
#define MINIVMM_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/backend.h"

/* Why a frame was dropped; devices keep one counter per reason. */
enum net_drop_reason {
	NET_DROP_NONE = 0,
	NET_DROP_SHORT_HDR,		/* shorter than the virtio-net header */
	NET_DROP_TRUNCATED,		/* headers claim more than the frame has */
	NET_DROP_BAD_CSUM_OFFSET,	/* csum_start/offset outside the frame */
	NET_DROP_BAD_GSO,		/* gso_size 0, unknown gso_type, not TCP/UDP */
	NET_DROP_TOO_BIG,		/* over the largest frame or segment count */
	NET_DROP_BACKEND,		/* the backend refused it */
	NET_DROP_NO_BUFFER,		/* the guest posted no (large enough) buffer */
	NET_DROP_BAD_RING,		/* a descriptor chain that broke the rules */
	NET_DROP_REASONS
};

extern const char *const net_drop_name[NET_DROP_REASONS];

/* Receives each output frame (header + Ethernet frame, flat). 0 or -errno. */
typedef int (*net_emit_fn)(void *opaque, uint8_t *frame, size_t len);

/*
 * frame/len: header + Ethernet frame in one writable buffer (it may be
 * changed in place).  accepts: NET_OFF_* of the receiver.  Calls emit once
 * per output frame.  Returns the number of frames emitted, or
 * -(enum net_drop_reason) when the input was malformed (nothing emitted).
 */
int net_offload_fixup(uint8_t *frame, size_t len, unsigned accepts,
		      net_emit_fn emit, void *opaque);

/* True when the header asks for something `accepts` lacks (fixup needed). */
int net_offload_needs_fixup(const uint8_t *hdr, unsigned accepts);

#endif
