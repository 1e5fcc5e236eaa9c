/*
 * tcp.h - a minimal TCP client, enough for bulk transfers on a lossless
 * path: handshake with MSS, in-order receive, cumulative ACKs, go-back-N
 * retransmission on timeout or three duplicate ACKs, FIN both ways.
 */
#ifndef PROBE_TCP_H
#define PROBE_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include "net.h"

struct tcp_ops {
	/* Request stream bytes [off, off+n). */
	void (*fill)(uint64_t off, uint8_t *dst, size_t n);
	/* Response bytes, in order. */
	void (*deliver)(const uint8_t *data, size_t n);
};

struct tcp_result {
	uint64_t sent, received, segs_out, retrans, dupacks, ooo;
	uint64_t gso_frames, gso_max;	/* GSO frames sent, largest payload */
	uint64_t ms;
	char why[64];			/* empty on success */
};

/*
 * Connects to dst:port, sends tx_len request bytes from ops->fill,
 * receives the response through ops->deliver until the peer's FIN, then
 * closes.  mode picks full or partial (NEEDS_CSUM) TX checksums; tso
 * sends GSO frames of up to 44 segments.  Returns 0, or -1 with res->why.
 */
int tcp_transfer(uint32_t dst, uint16_t port, uint64_t tx_len,
		 const struct tcp_ops *ops, enum tx_csum mode, bool tso,
		 unsigned timeout_ms, struct tcp_result *res);

#endif
