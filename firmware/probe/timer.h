/*
 * timer.h - time from the TSC, calibrated once against the PIT.
 */
#ifndef PROBE_TIMER_H
#define PROBE_TIMER_H

#include <stdint.h>

/* TSC ticks per millisecond; set by timer_init(). */
extern uint64_t tsc_per_ms;

/* Calibrates the TSC (or takes khz from the command line if non-zero). */
void timer_init(uint64_t khz);
/* Milliseconds since timer_init(). */
uint64_t now_ms(void);

#endif
