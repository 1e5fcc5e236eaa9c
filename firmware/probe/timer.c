/*
 * timer.c - TSC calibration against PIT channel 2, the way Linux's
 * pit_calibrate_tsc() does it: gate channel 2 through port 0x61, count
 * down 10 ms in mode 0, watch OUT2 (port 0x61 bit 5) rise.  The ports are
 * reachable from ring 3 because the probe runs with IOPL=3.
 */
#include "timer.h"
#include "arch.h"
#include "lib.h"

#define PIT_HZ 1193182u
#define CAL_MS 10u

uint64_t tsc_per_ms;
static uint64_t tsc_start;

static uint64_t pit_calibrate(void)
{
	const uint16_t count = (uint16_t)(PIT_HZ * CAL_MS / 1000);

	/* Gate high, speaker off. */
	outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0);	/* channel 2, lobyte/hibyte, mode 0, binary */
	outb(0x42, (uint8_t)count);
	outb(0x42, (uint8_t)(count >> 8));
	uint64_t t0 = rdtsc();
	/* 1e7 polls is far longer than 10 ms of port exits anywhere. */
	for (unsigned long i = 0; i < 10000000ul; i++) {
		if (inb(0x61) & 0x20) {
			uint64_t dt = rdtsc() - t0;
			return dt / CAL_MS;
		}
	}
	return 0;
}

void timer_init(uint64_t khz)
{
	if (khz) {
		tsc_per_ms = khz;
	} else {
		tsc_per_ms = pit_calibrate();
		if (tsc_per_ms < 100000) {	/* < 100 MHz: not believable */
			printf("PROBE note: PIT calibration failed, assuming 2 GHz\n");
			tsc_per_ms = 2000000;
		}
	}
	tsc_start = rdtsc();
}

uint64_t now_ms(void)
{
	return (rdtsc() - tsc_start) / tsc_per_ms;
}
