/*
 * tap.h - the tap backend: frames go to and come from a Linux tap device
 * through /dev/net/tun, with the 12-byte virtio-net header passed straight
 * through (IFF_VNET_HDR, TUNSETVNETHDRSZ 12), so the host kernel finishes
 * partial checksums and segments GSO frames the guest sends.
 *
 * Which device: tap_open("tap0") attaches to the tap device tap0 that the
 * user set up (`ip tuntap add tap0 mode tap user $USER`, an address or a
 * bridge).  The command line checks first that it exists
 * (tap_check_exists): a mistyped -net name must not become a tap that
 * nothing is bridged to.  tap_open() itself, given a name that does not
 * exist, lets the kernel create a non-persistent tap (root or
 * CAP_NET_ADMIN; the unit tests use that) and warns.  A tun (layer 3)
 * device or a multi-queue tap of that name is refused with a reason.
 *
 * Offloads: tx_caps = CSUM|TSO4|TSO6|ECN|UFO (the kernel accepts all of them
 * in the header of a written frame; UFO datagrams it fragments itself);
 * rx_caps = what TUNSETOFFLOAD accepted when probed at open.  Receive
 * offloads start all off; set_rx_offloads() mirrors the guest's GUEST_*
 * features onto the device.
 *
 * Frames from recv() carry the kernel's header with num_buffers set to 1
 * (the kernel leaves those two bytes alone; the device overwrites them when
 * it merges buffers).  All calls are made from the I/O thread.
 *
 * Receive polling is level-triggered: while frames wait and rx is not
 * paused, rx_ready() runs on every loop turn, so the device pauses
 * (ops->rx_pause) when the guest has no buffers.  If a frame arrives while
 * be->rx_ready is NULL the tap pauses itself; the device resumes it with
 * rx_pause(be, false) once it has set rx_ready.
 */
#ifndef MINIVMM_NET_TAP_H
#define MINIVMM_NET_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/evloop.h"
#include "net/backend.h"

/* Counters of one tap backend, for statistics and tests. */
struct tap_stats {
	uint64_t tx_frames;	/* written to the device */
	uint64_t tx_full;	/* dropped: host queue full (EAGAIN/ENOBUFS) */
	uint64_t tx_invalid;	/* dropped: kernel refused the header (EINVAL) */
	uint64_t tx_error;	/* dropped: any other error (EIO: device down) */
	uint64_t rx_frames;	/* handed to the device */
	uint64_t rx_too_big;	/* dropped: larger than the buffers offered */
};

/* True for a name the kernel takes literally as a network interface name. */
bool tap_ifname_valid(const char *name);

/*
 * 0 if a network interface `ifname` exists; else -1 with one line in err
 * saying how to make the tap.  (Whether it is a tap, tap_open() finds.)
 */
int tap_check_exists(const char *ifname, char *err, size_t errlen);

/*
 * Opens /dev/net/tun and attaches to tap device `ifname`; registers its fd
 * with `loop` (POLLIN, calls be->rx_ready while frames wait and rx is not
 * paused).  Returns the backend, or NULL with one line in err such as
 * "tap0: cannot attach: Operation not permitted (need root or a tap owned
 * by you)".
 */
struct net_backend *tap_open(const char *ifname, struct evloop *loop,
			     char *err, size_t errlen);

/* The counters of a backend made by tap_open(). */
const struct tap_stats *tap_get_stats(const struct net_backend *be);

/* The receive offloads (NET_OFF_*) in effect on the device now. */
unsigned tap_rx_offloads(const struct net_backend *be);

/* The tap's file descriptor (tests and diagnostics only). */
int tap_fd(const struct net_backend *be);

#endif
