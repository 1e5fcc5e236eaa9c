/*
 * netspec.h - the value of minivmm's `-net` option, parsed.
 *
 * Grammar (comma-separated; the first item says which backend):
 *
 *   -net none                       no network card
 *   -net slirp[,OPT...]             user-mode network (net/slirp.h)
 *   -net TAPNAME[,OPT...]           tap device TAPNAME (net/tap.h)
 *   -net tap=TAPNAME[,OPT...]       the same, for a tap called "slirp",
 *                                   "none", "passt" or "stream", or for
 *                                   scripts that like it plain
 *   -net passt[,OPT...]             minivmm starts passt (net/passt.h)
 *   -net stream,path=SOCKET[,OPT...]  a running peer of QEMU's stream
 *                                   protocol, e.g. passt (net/stream.h)
 *
 * A bare "tap" is refused (it is almost always a forgotten name).
 * Options for the card (every backend):
 *   mac=52:54:00:12:34:56   the card's MAC (default: that one, QEMU's, so
 *                           slirp's first DHCP lease 10.0.2.15 is its)
 *   csum=on|off             offer checksum offload (VIRTIO_NET_F_CSUM,
 *                           GUEST_CSUM); default on
 *   tso=on|off              offer HOST_/GUEST_TSO4/6 (+ECN); default on;
 *                           needs csum (virtio 1.2 5.1.3.1), so csum=off
 *                           turns it off unless tso=on was given, an error
 *   mrg_rxbuf=on|off        VIRTIO_NET_F_MRG_RXBUF; default on
 *   event_idx=on|off        VIRTIO_RING_F_EVENT_IDX; default on
 *   indirect=on|off         VIRTIO_RING_F_INDIRECT_DESC; default on
 *   queue_size=N            ring size, a power of two 2..256; default 256
 *   pcap=FILE               write every frame (both ways) to FILE
 *   romfile=PATH            option ROM for the card (firmware boots)
 * Options for slirp only:
 *   hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT  (repeatable;
 *                           HOSTADDR defaults to 127.0.0.1, GUESTADDR to
 *                           10.0.2.15, the protocol to tcp)
 *   ipv6=on|off             also offer fec0::/64; default on
 *   bootfile=NAME           boot file name in DHCP replies (a URL for iPXE,
 *                           e.g. http://10.0.2.2:8000/boot.ipxe); at most
 *                           127 printable characters, no spaces
 * Options for passt only:
 *   passt=PROGRAM           the passt to run (default: passt on PATH)
 * Options for stream only (path= is required):
 *   path=SOCKET             the UNIX socket the peer listens on (at most
 *                           107 bytes, sun_path's limit)
 *
 * A later option overrides an earlier one, except hostfwd, which adds.
 * Errors are one line starting "-net: ", e.g. "-net: unknown option 'foo'".
 */
#ifndef MINIVMM_NET_NETSPEC_H
#define MINIVMM_NET_NETSPEC_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/card.h"
#include "net/slirp.h"

enum net_kind { NET_KIND_NONE, NET_KIND_SLIRP, NET_KIND_TAP, NET_KIND_PASST,
		NET_KIND_STREAM };

#define NET_SOCKET_PATH_MAX 107	/* sizeof(sockaddr_un.sun_path) - 1 */


struct net_spec {
	enum net_kind kind;
	char ifname[IFNAMSIZ];		/* tap only */
	struct net_card_opts card;	/* mac= ... queue_size=; card.pcap stays NULL */
	char pcap[PATH_MAX];		/* pcap=FILE, "" = none */
	char romfile[PATH_MAX];		/* "" = none */
	char path[PATH_MAX];		/* passt: program ("" = PATH); stream: socket */
	struct slirp_spec slirp;	/* slirp only */
};

/* The defaults: slirp, default MAC, every feature on, queue_size 256. */
void net_spec_default(struct net_spec *ns);

/*
 * Parses `arg` (the text after -net) into *ns, which starts from the
 * defaults.  Returns 0, or -1 with one line in err (*ns then undefined).
 */
int net_spec_parse(struct net_spec *ns, const char *arg, char *err, size_t errlen);

#endif
