/*
 * virtio_net_drops.c - names of virtio-net's drop reasons, and the reason
 * for each -errno net/offload.c returns (virtio_net_drops.h).
 */
#include "devices/virtio_net_drops.h"

#include <errno.h>

const char *const vnet_drop_name[VNET_DROP_REASONS] = {
	[VNET_DROP_NONE] = "none",
	[VNET_DROP_SHORT_HDR] = "short_hdr",
	[VNET_DROP_TRUNCATED] = "truncated",
	[VNET_DROP_BAD_CSUM_OFFSET] = "bad_csum_offset",
	[VNET_DROP_BAD_GSO] = "bad_gso",
	[VNET_DROP_TOO_BIG] = "too_big",
	[VNET_DROP_BACKEND] = "backend",
	[VNET_DROP_NO_BUFFER] = "no_buffer",
	[VNET_DROP_BAD_RING] = "bad_ring",
};

enum vnet_drop_reason vnet_drop_from_errno(int r)
{
	switch (r) {
	case -EINVAL:
		return VNET_DROP_SHORT_HDR;
	case -EBADMSG:
		return VNET_DROP_TRUNCATED;
	case -ERANGE:
		return VNET_DROP_BAD_CSUM_OFFSET;
	case -EPROTO:
		return VNET_DROP_BAD_GSO;
	case -EMSGSIZE:
		return VNET_DROP_TOO_BIG;
	default:
		return VNET_DROP_BACKEND;
	}
}
