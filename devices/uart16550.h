/*
 * uart16550.h - a 16550A serial port (COM1 at 0x3f8, IRQ 4 on a PC).
 *
 * Enough of the chip for Linux's 8250 driver with interrupts
 * (console=ttyS0), SeaBIOS, iPXE and OpenBSD's com(4): every register, the
 * 16-byte receive FIFO with trigger levels, loopback mode (Linux's
 * autoconfig probes it), and interrupt identification in the datasheet's
 * priority order.  Transmission takes no time: a byte written to THR is
 * queued on the console buffer at once (common/conbuf.h: never a write()
 * on the vCPU, and dropped if the reader fell behind), so THRE and TEMT
 * always read as set.
 *
 * Input typed on the host goes through uart_receive(), which queues it on
 * the host side (so pasted text is not lost) and feeds the guest-visible
 * FIFO as the guest drains it.
 */
#ifndef MINIVMM_UART16550_H
#define MINIVMM_UART16550_H

#include <stddef.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

struct uart16550;
struct conbuf;

/* Bytes of host input held back while the guest's 16-byte FIFO is full. */
#define UART_HOST_QUEUE 4096

struct uart_stats {
	unsigned long tx_bytes;		/* bytes the guest sent */
	unsigned long rx_bytes;		/* bytes the guest read */
	unsigned long rx_dropped;	/* host input lost: host queue full */
};

/*
 * Creates the UART and registers its 8 ports at `base` on `bus`.  `irq` is
 * copied; the interrupt goes to `gsi`.  Output goes to `out` (NULL:
 * discard), which the caller drains and outlives the UART.
 * Returns NULL with one line in err on allocation failure or if the ports
 * are taken.
 */
struct uart16550 *uart_create(struct bus *bus, uint16_t base, unsigned gsi,
			      const struct irq_sink *irq, struct conbuf *out,
			      char *err, size_t errlen);
void uart_destroy(struct uart16550 *u);

/*
 * Hands bytes typed on the host to the guest.  Called from the I/O thread;
 * takes the bus lock itself.  Returns how many bytes were accepted: the rest
 * (beyond UART_HOST_QUEUE waiting bytes) is dropped and counted.
 */
size_t uart_receive(struct uart16550 *u, const uint8_t *buf, size_t len);

/* Free room in the host queue, so a caller can read no more than that. */
size_t uart_rx_room(struct uart16550 *u);

/* A copy of the counters (takes the bus lock). */
struct uart_stats uart_get_stats(struct uart16550 *u);

#endif
