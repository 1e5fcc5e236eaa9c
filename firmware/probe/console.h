/*
 * console.h - polled 16550 serial output on COM1 (port 0x3f8).
 */
#ifndef PROBE_CONSOLE_H
#define PROBE_CONSOLE_H

void console_init(void);
void console_write(const char *s);
/*
 * Writes kib KiB of filler lines ("fill <n> abc...\n", 64 bytes each) as
 * fast as it can: the console-stall test's burst of output.
 */
void console_flood(unsigned long kib);

#endif
