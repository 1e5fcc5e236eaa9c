/*
 * slirp.h - the user-mode network backend, on libslirp (Debian's 4.7).
 *
 * The guest sees QEMU's well-known user network: 10.0.2.0/24, the host
 * (gateway) at 10.0.2.2, DNS at 10.0.2.3, DHCP handing out 10.0.2.15 first;
 * with ipv6 on, also fec0::/64 with the host at fec0::2 and DNS at fec0::3.
 * Connections from the guest leave through ordinary host sockets;
 * 10.0.2.2 reaches the host's own 127.0.0.1.
 *
 * hostfwd rules open a listening socket on the host and forward connections
 * or datagrams to the guest.  Unlike QEMU (which listens on every address
 * when none is given), the host side defaults to 127.0.0.1, so a forwarded
 * guest port is not exposed to the network unless the rule names an address
 * such as 0.0.0.0.
 *
 * bootfile names a boot file in every DHCP reply (BOOTP's file field), as
 * QEMU's bootfile= does: network boot firmware such as iPXE fetches it
 * after its lease, and for iPXE it may be a URL (http://10.0.2.2:PORT/...
 * reaches a server on the host's loopback).  There is no TFTP server.
 *
 * Offloads: none (tx_caps = rx_caps = 0).  libslirp verifies every checksum
 * and drops frames with bad ones, so the device completes NEEDS_CSUM and
 * segments GSO frames (net/offload.h) before send(); frames slirp emits have
 * complete checksums and come with an all-zero header (num_buffers 1).
 *
 * Single-threaded: every call, send() and recv() included, is made from the
 * thread running the evloop the backend was created with.
 */
#ifndef MINIVMM_NET_SLIRP_H
#define MINIVMM_NET_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "net/backend.h"

struct slirp_hostfwd {
	bool udp;
	struct in_addr host_addr;	/* default 127.0.0.1 */
	uint16_t host_port;
	struct in_addr guest_addr;	/* default 10.0.2.15 (first DHCP lease) */
	uint16_t guest_port;
};

#define SLIRP_MAX_HOSTFWD 16

/* BOOTP's file field is 128 bytes, NUL included (RFC 951). */
#define SLIRP_BOOTFILE_MAX 127

struct slirp_spec {
	bool ipv6;			/* also offer fec0::/64 (default on) */
	char bootfile[SLIRP_BOOTFILE_MAX + 1];	/* DHCP boot file name; "" = none */
	unsigned nhostfwd;
	struct slirp_hostfwd hostfwd[SLIRP_MAX_HOSTFWD];
};

/* Frames waiting for the guest; more are dropped (and counted). */
#define SLIRP_RX_QUEUE 256

struct slirp_stats {
	uint64_t tx_frames;		/* handed to slirp_input */
	uint64_t tx_offload_bug;	/* dropped: NEEDS_CSUM or GSO reached send() */
	uint64_t tx_malformed;		/* dropped: shorter than header + Ethernet */
	uint64_t rx_frames;		/* handed to the device */
	uint64_t rx_pushed;		/* of which straight into its buffers */
	uint64_t rx_queue_full;		/* dropped: queue full */
	uint64_t rx_too_big;		/* dropped: over the slot size or buffers */
	uint64_t guest_errors;		/* slirp's guest_error reports */
};

/* The spec with QEMU's defaults: ipv6 on, no hostfwd rules. */
void slirp_spec_default(struct slirp_spec *spec);

/*
 * Creates the slirp stack, adds the hostfwd rules and hooks its sockets and
 * timers into `loop`.  Returns the backend, or NULL with one line in err,
 * e.g. "slirp: hostfwd tcp 127.0.0.1:2222: cannot listen: Address already
 * in use".
 */
struct net_backend *slirp_backend_create(struct evloop *loop,
					 const struct slirp_spec *spec,
					 char *err, size_t errlen);

const struct slirp_stats *slirp_backend_stats(const struct net_backend *be);

#endif
