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
 * Filler output as fast as the guest can make it: one THR write (one VM
 * exit) per byte, without the LSR poll, which halves the exits.  The
 * burst is for a UART that takes bytes as fast as they come (minivmm's);
 * what a slower one would lose does not matter to the test.  Plain outb,
 * not rep outsb: string I/O from ring 3 is one more thing a software KVM
 * would have to emulate.
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
		for (unsigned i = 0; i < sizeof(line); i++)
			outb(COM1, (uint8_t)line[i]);
	}
}
