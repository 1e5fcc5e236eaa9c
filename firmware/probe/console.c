/*
 * console.c - COM1 output by polling the line status register.  Every port
 * access is a VM exit, so the probe prints little and never reads back.
 */
#include "console.h"
#include "arch.h"
#include "lib.h"

#define COM1 0x3f8
#define UART_LSR 5
#define UART_LSR_THRE 0x20

/* 115200 8N1, FIFO on, no interrupts. */
void console_init(void)
{
	outb(COM1 + 1, 0x00);	/* IER: no interrupts */
	outb(COM1 + 3, 0x80);	/* LCR: DLAB */
	outb(COM1 + 0, 0x01);	/* divisor 1 = 115200 */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);	/* 8N1 */
	outb(COM1 + 2, 0x07);	/* FIFO enable and clear */
}

static void putc_raw(char c)
{
	/* Bounded wait: a UART that never says THRE must not hang the run. */
	for (int i = 0; i < 100000; i++)
		if (inb(COM1 + UART_LSR) & UART_LSR_THRE)
			break;
	outb(COM1, (uint8_t)c);
}

void console_write(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			putc_raw('\r');
		putc_raw(*s);
	}
}

/*
 * A line goes out as one string instruction, so a burst of console output
 * costs a VM exit or so per line instead of two per byte (LSR poll and
 * THR write): enough output to fill any host pipe in well under a second,
 * even nested.  THRE is not polled: the burst is for a UART that takes
 * bytes as fast as they come (minivmm's), and what a slower one loses
 * does not matter to the test.
 */
void console_flood(unsigned long kib)
{
	char line[64];

	for (unsigned long n = 0; n < kib * 1024 / sizeof(line); n++) {
		unsigned long v = n;

		memcpy(line, "fill 0000000 ", 13);
		for (int i = 11; i >= 5 && v; i--, v /= 10)
			line[i] = (char)('0' + v % 10);
		for (unsigned i = 13; i < sizeof(line) - 1; i++)
			line[i] = (char)('a' + (i - 13) % 26);
		line[sizeof(line) - 1] = '\n';
		const char *p = line;
		unsigned long cnt = sizeof(line);
		__asm__ volatile("rep outsb"
				 : "+S"(p), "+c"(cnt)
				 : "d"((uint16_t)COM1)
				 : "memory");
	}
}
