/*
 * stream.h - the test data both ends agree on: a counter-based generator
 * (so any offset can be produced again for a retransmission) and FNV-1a 64.
 * tests/peers/probe_peer.py implements the same two functions.
 */
#ifndef PROBE_STREAM_H
#define PROBE_STREAM_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_INIT 0xcbf29ce484222325ull

/* Bytes [off, off+n) of the stream. */
void stream_fill(uint64_t off, uint8_t *dst, size_t n);
uint64_t fnv1a64(uint64_t h, const uint8_t *p, size_t n);

#endif
