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
 * devices/virtio_net_tx.c and virtio_net_rx.c call it.
 */
#ifndef MINIVMM_NET_OFFLOAD_H
#define MINIVMM_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "net/backend.h"

/*
 * USO (virtio 1.2 5.1.6.2, VIRTIO_NET_F_HOST_USO): one UDP datagram per
 * gso_size bytes.  Linux UAPI headers before 6.2 lack the constant.
 */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Bounds on one GSO frame: header bytes repeated per segment, segments. */
#define NET_OFFLOAD_MAX_HDRS 256
#define NET_OFFLOAD_MAX_SEGS 2048

/*
 * Why a frame cannot be finished, as the -errno the functions below
 * return (a device maps them to its own drop reasons):
 *   -EINVAL    shorter than the virtio-net header
 *   -EBADMSG   the headers claim more than the frame has
 *   -ERANGE    csum_start/csum_offset outside the frame
 *   -EPROTO    a GSO frame that cannot be segmented: gso_size 0, unknown
 *              gso_type, not the TCP/UDP its type says, a fragment
 *   -EMSGSIZE  over NET_MAX_FRAME, or too many segments or header bytes
 *   -ECANCELED emit failed (earlier frames went out, no more will)
 */
/*
 * Receives each output frame (header + Ethernet frame, flat). 0 or -errno.
 * The frame is only valid during the call: segments are built in place in
 * the input buffer, each over the tail of the one before.
 */
typedef int (*net_emit_fn)(void *opaque, uint8_t *frame, size_t len);

/*
 * frame/len: header + Ethernet frame in one writable buffer (it may be
 * changed in place).  accepts: NET_OFF_* of the receiver.  Calls emit once
 * per output frame.  Returns the number of frames emitted, -ECANCELED when
 * emit failed, or another -errno from the list above when the input was
 * malformed (nothing emitted).
 */
int net_offload_fixup(uint8_t *frame, size_t len, unsigned accepts,
		      net_emit_fn emit, void *opaque);

/* True when the header asks for something `accepts` lacks (fixup needed). */
int net_offload_needs_fixup(const uint8_t *hdr, unsigned accepts);

/*
 * Details of net_offload_fixup() (net/offload.c):
 *  - Any frame with NEEDS_CSUM must have csum_start inside the Ethernet
 *    frame and csum_start + csum_offset + 2 <= its length, or it is
 *    dropped (-ERANGE), even when it would pass.
 *  - A frame that needs nothing passes byte for byte unchanged.  Every
 *    frame it builds has gso_type NONE, hdr_len and num_buffers 0, and
 *    flags 0 or NEEDS_CSUM (segments for a receiver with NET_OFF_CSUM);
 *    DATA_VALID is never set here.
 *  - GSO types: TCPV4, TCPV6 (ECN: CWR kept on the first segment only),
 *    UDP_L4 (USO: always segmented, there is no NET_OFF bit for it) and
 *    UDP (UFO, IPv4 only: IP fragments of gso_size rounded down to 8;
 *    UFO over IPv6 is dropped as -EPROTO).  The real header
 *    length comes from parsing; hdr_len is ignored.  gso_size larger
 *    than the payload gives one segment.
 *  - If emit fails, no more frames are emitted and the result is
 *    -ECANCELED (earlier segments have gone out).
 */

/*
 * Completes a NEEDS_CSUM frame (header + Ethernet frame) in place and
 * clears the flag.  Returns 1 if it did, 0 if there was nothing to do, or
 * -EINVAL/-ERANGE.  For copies such as a packet capture.
 */
int net_offload_complete_csum(uint8_t *frame, size_t len);

/*
 * The same for a frame of len bytes lying in an iovec array (a guest's
 * receive buffers), given its header as the caller read it (hdr, the
 * only copy looked at): stores the checksum at csum_start + csum_offset
 * and clears NEEDS_CSUM in the array's header.  No byte moves but those
 * three.  1, 0 or -EINVAL/-ERANGE as above.
 */
int net_offload_complete_csum_iov(const uint8_t *hdr, const struct iovec *iov,
				  int iovcnt, size_t len);

#endif
