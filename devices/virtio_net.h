/*
 * virtio_net.h - the virtio-net device (virtio 1.2 section 5.1) on the
 * modern virtio-pci transport, in front of one net_backend.
 *
 * Queues: 0 receive, 1 transmit, 2 control (when ctrl_vq is on).
 * Offloads are offered only where they can be honoured (see
 * virtio_net_offered() in virtio_net.c), what the guest accepts for receive
 * is mirrored onto the backend with set_rx_offloads(), and every received
 * frame is checked again, so a guest without GUEST_CSUM never sees a
 * partial checksum and a guest without GUEST_TSO4/6 never sees a GSO frame.
 */
#ifndef MINIVMM_VIRTIO_NET_H
#define MINIVMM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/pci.h"
#include "devices/platform.h"
#include "net/backend.h"
#include "net/card.h"

struct virtio_net;

/*
 * Creates the device in the next free PCI slot with INTA on `gsi`.  The
 * device takes be->rx_ready/rx_opaque.  NULL on failure, with one line
 * `what: why` in err.
 */
struct virtio_net *virtio_net_create(struct pci_bus *bus, struct platform *p,
				     struct net_backend *be,
				     const struct net_card_opts *opts,
				     unsigned gsi, char *err, size_t errlen);
void virtio_net_destroy(struct virtio_net *n);

/*
 * Prints the counters (packets, bytes, drops by reason, kicks, irqs), under
 * the device's lock: give it a memory stream, not a descriptor that may
 * block (machine_print_counters).
 */
void virtio_net_print_stats(struct virtio_net *n, FILE *f);

/* The PCI slot the device sits in (for MP table / ACPI entries). */
unsigned virtio_net_pci_slot(const struct virtio_net *n);

/* Features offered to the driver (VIRTIO_F_VERSION_1 included). */
uint64_t virtio_net_offered(const struct virtio_net *n);

#endif
