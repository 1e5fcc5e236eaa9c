/*
 * selftest.h - in-guest check that the receive verification rejects what
 * it must (bad sums, flags or GSO the profile did not negotiate).
 */
#ifndef PROBE_SELFTEST_H
#define PROBE_SELFTEST_H

#include <stddef.h>

/* Returns the number of cases (all passed) or -1, naming failures in why. */
int selftest_rx(char *why, size_t size);

#endif
