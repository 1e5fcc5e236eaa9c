/*
 * card.h - what one network card offers the guest: the options `-net`
 * sets (net/netspec.h) and the virtio-net device takes
 * (devices/virtio_net.h), in one struct, so that nothing copies them from
 * one to the other field by field.
 */
#ifndef MINIVMM_NET_CARD_H
#define MINIVMM_NET_CARD_H

#include <stdbool.h>
#include <stdint.h>

/* QEMU's default MAC, so slirp's first DHCP lease (10.0.2.15) is the card's. */
#define NET_DEFAULT_MAC { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }
#define NET_DEFAULT_QUEUE_SIZE 256
#define NET_MAX_QUEUE_SIZE 256

struct net_pcap;

struct net_card_opts {
	uint8_t mac[6];
	bool csum;		/* off: no CSUM/GUEST_CSUM and so no TSO */
	bool tso;		/* off: no TSO/UFO/ECN in either direction */
	bool mrg_rxbuf;
	bool ctrl_vq;
	bool event_idx;
	bool indirect;
	unsigned queue_size;	/* power of two, 2..256; 0 = 256 */
	/*
	 * Capture both ways (the device closes it).  Opened by the vmm from
	 * the file -net or --pcap names; the parser never sets it.
	 */
	struct net_pcap *pcap;
};

/* Everything on, queue size 256, MAC 52:54:00:12:34:56, no capture. */
void net_card_default(struct net_card_opts *o);

#endif
