/*
 * hostile.h - the `hostile` check: a guest that breaks the virtqueue and
 * virtio-net header rules on purpose (issue 13), then proves the device
 * still works, and that it asks for and survives a reset.
 */
#ifndef PROBE_HOSTILE_H
#define PROBE_HOSTILE_H

#include <stdint.h>

/* main.c's result(): one PROBE line, counted; ok 1 pass, 0 fail, -1 skip. */
typedef void (*hostile_result)(const char *check, int ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Runs every case against the set-up device (needs an address and a
 * reachable gateway); re-initialises the device with these arguments
 * after the avail index jump.
 */
void hostile_run(hostile_result result, uint32_t gw, uint64_t mask, uint16_t qmax);

#endif
