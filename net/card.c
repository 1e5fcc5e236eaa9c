/* card.c - a network card's default options; see card.h. */
#include "net/card.h"

#include <string.h>

void net_card_default(struct net_card_opts *o)
{
	static const uint8_t mac[6] = NET_DEFAULT_MAC;

	memset(o, 0, sizeof(*o));
	memcpy(o->mac, mac, sizeof(mac));
	o->csum = o->tso = o->mrg_rxbuf = o->ctrl_vq = true;
	o->event_idx = o->indirect = true;
	o->queue_size = NET_DEFAULT_QUEUE_SIZE;
}
