/*
 * console.c - COM1 output by polling the line status register.  Every port
 * access is a VM exit, so the probe prints little and never reads back.
 */
#include "console.h"
#include "arch.h"

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
