/*
 * virtio_net_drops.h - why virtio-net dropped a frame: one counter per
 * reason and direction in the device's stats (virtio_net_int.h), named in
 * the -v dump.  net/offload.c reports malformed frames as plain -errno
 * values; vnet_drop_from_errno() turns them into these.
 */
#ifndef MINIVMM_VIRTIO_NET_DROPS_H
#define MINIVMM_VIRTIO_NET_DROPS_H

enum vnet_drop_reason {
	VNET_DROP_NONE = 0,
	VNET_DROP_SHORT_HDR,		/* shorter than the virtio-net header */
	VNET_DROP_TRUNCATED,		/* headers claim more than the frame has */
	VNET_DROP_BAD_CSUM_OFFSET,	/* csum_start/offset outside the frame */
	VNET_DROP_BAD_GSO,		/* gso_size 0, unknown gso_type, not TCP/UDP */
	VNET_DROP_TOO_BIG,		/* over the largest frame or segment count */
	VNET_DROP_BACKEND,		/* the backend refused it */
	VNET_DROP_NO_BUFFER,		/* the guest posted no (large enough) buffer */
	VNET_DROP_BAD_RING,		/* a descriptor chain that broke the rules */
	VNET_DROP_REASONS
};

extern const char *const vnet_drop_name[VNET_DROP_REASONS];

/*
 * The reason for a net_offload_fixup() or net_offload_complete_csum*()
 * result (net/offload.h lists the -errno values); anything else,
 * -ECANCELED (an emit that failed) included, is VNET_DROP_BACKEND.
 */
enum vnet_drop_reason vnet_drop_from_errno(int r);

#endif
