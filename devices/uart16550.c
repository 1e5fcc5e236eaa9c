/*
 * uart16550.c - the 16550A UART.  Register meanings and bit names come from
 * the kernel's <linux/serial_reg.h>; the behaviour follows the National
 * Semiconductor PC16550D datasheet and what Linux's 8250 driver
 * (drivers/tty/serial/8250/8250_port.c) checks when it probes and starts a
 * port.
 */
#include "devices/uart16550.h"

#include <linux/serial_reg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/conbuf.h"

#define UART_NPORTS	8
#define UART_FIFO_SIZE	16
/* Bits of IER a 16550A has; Linux's autoconfig checks that the upper
 * four stay zero (an XScale UART would keep UART_IER_UUE). */
#define UART_IER_MASK	0x0f
/* MCR bits 5-7 do not exist on a 16550A (AFE is a 16750 feature). */
#define UART_MCR_MASK	0x1f
/* IIR bits 6-7 read 11 when the FIFOs are enabled: that is how a driver
 * tells a 16550A from a 16450 (or a broken 16550, which reads 10). */
#define UART_IIR_FIFO_ON 0xc0
/* Modem lines seen when nothing loops back: carrier, data set ready and
 * clear to send, as a null-modem cable to a live terminal gives. */
#define UART_MSR_IDLE	(UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

struct uart16550 {
	struct bus *bus;
	struct irq_sink irq;
	unsigned gsi;
	struct conbuf *out;
	uint16_t base;

	uint8_t ier, lcr, mcr, lsr, msr, scr, dll, dlm;
	bool fifo_on;
	uint8_t rx_trigger;		/* 1, 4, 8 or 14 bytes */
	bool thr_ipending;		/* THR-empty interrupt latched */
	int line;			/* level last driven on the GSI */

	/* Guest-visible receive FIFO (one byte deep when FIFOs are off). */
	uint8_t fifo[UART_FIFO_SIZE];
	unsigned fifo_head, fifo_count;
	/* Host input waiting for room in the FIFO. */
	uint8_t hostq[UART_HOST_QUEUE];
	size_t hostq_head, hostq_count;

	struct uart_stats stats;
};

static unsigned fifo_capacity(const struct uart16550 *u)
{
	return u->fifo_on ? UART_FIFO_SIZE : 1;
}

static bool fifo_push(struct uart16550 *u, uint8_t b)
{
	if (u->fifo_count >= fifo_capacity(u))
		return false;
	u->fifo[(u->fifo_head + u->fifo_count) % UART_FIFO_SIZE] = b;
	u->fifo_count++;
	return true;
}

/* Moves waiting host input into the FIFO while it has room. */
static void refill_fifo(struct uart16550 *u)
{
	while (u->hostq_count && u->fifo_count < fifo_capacity(u)) {
		fifo_push(u, u->hostq[u->hostq_head]);
		u->hostq_head = (u->hostq_head + 1) % UART_HOST_QUEUE;
		u->hostq_count--;
	}
}

static void update_lsr_dr(struct uart16550 *u)
{
	if (u->fifo_count)
		u->lsr |= UART_LSR_DR;
	else
		u->lsr &= ~UART_LSR_DR;
}

/*
 * The interrupt the chip reports in IIR, highest priority first (PC16550D
 * table 4): receiver line status, received data (or, with FIFOs on and
 * fewer bytes than the trigger level, character timeout), THR empty, modem
 * status.  Each source counts only if its IER bit enables it.  We raise the
 * timeout at once instead of after four character times; Linux handles 0x04
 * and 0x0c alike.
 */
static uint8_t pending_iir(const struct uart16550 *u)
{
	if ((u->ier & UART_IER_RLSI) && (u->lsr & UART_LSR_BRK_ERROR_BITS))
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->fifo_count) {
		if (u->fifo_on && u->fifo_count < u->rx_trigger)
			return UART_IIR_RX_TIMEOUT;
		return UART_IIR_RDI;
	}
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_ANY_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/*
 * Drives the GSI high while an enabled interrupt is pending and low
 * otherwise, as QEMU's serial does.  The MP table declares ISA IRQs edge
 * triggered, so the PIC/IOAPIC act on the rising edges this produces; Linux's
 * handler loops until IIR reads "no interrupt", so the line always drops
 * before the next one.  OUT2 does not gate the line (QEMU and kvmtool do not
 * either), so a guest that forgets OUT2 still gets its interrupts.
 */
static void update_irq(struct uart16550 *u)
{
	int level = pending_iir(u) != UART_IIR_NO_INT;

	if (level == u->line)
		return;
	u->line = level;
	if (u->irq.set_line)
		irq_set_line(&u->irq, u->gsi, level);
}

/* In loopback the modem inputs follow the outputs (datasheet 8.6):
 * CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2. */
static uint8_t modem_inputs(const struct uart16550 *u)
{
	uint8_t m = 0;

	if (!(u->mcr & UART_MCR_LOOP))
		return UART_MSR_IDLE;
	if (u->mcr & UART_MCR_RTS)
		m |= UART_MSR_CTS;
	if (u->mcr & UART_MCR_DTR)
		m |= UART_MSR_DSR;
	if (u->mcr & UART_MCR_OUT1)
		m |= UART_MSR_RI;
	if (u->mcr & UART_MCR_OUT2)
		m |= UART_MSR_DCD;
	return m;
}

/* Sets the MSR input bits and latches the delta bits for lines that
 * changed (TERI only when RI goes from on to off). */
static void set_modem_inputs(struct uart16550 *u, uint8_t now)
{
	uint8_t old = u->msr & 0xf0, delta = 0;

	if ((old ^ now) & UART_MSR_CTS)
		delta |= UART_MSR_DCTS;
	if ((old ^ now) & UART_MSR_DSR)
		delta |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(now & UART_MSR_RI))
		delta |= UART_MSR_TERI;
	if ((old ^ now) & UART_MSR_DCD)
		delta |= UART_MSR_DDCD;
	u->msr = now | (u->msr & UART_MSR_ANY_DELTA) | delta;
}

/* Runs on a vCPU: the byte is queued, never written here (conbuf.h). */
static void emit_byte(struct uart16550 *u, uint8_t b)
{
	u->stats.tx_bytes++;
	if (u->out)
		conbuf_put(u->out, &b, 1);
}

/* A byte written to THR leaves at once: out to the host, or in loopback
 * back into our own receiver (where a full FIFO means an overrun). */
static void transmit(struct uart16550 *u, uint8_t b)
{
	if (u->mcr & UART_MCR_LOOP) {
		u->stats.tx_bytes++;
		if (!fifo_push(u, b))
			u->lsr |= UART_LSR_OE;
		update_lsr_dr(u);
	} else {
		emit_byte(u, b);
	}
	/* THR and shift register are empty again: latch the THRE interrupt. */
	u->thr_ipending = true;
}

static uint8_t read_rbr(struct uart16550 *u)
{
	uint8_t b = 0;

	if (u->fifo_count) {
		b = u->fifo[u->fifo_head];
		u->fifo_head = (u->fifo_head + 1) % UART_FIFO_SIZE;
		u->fifo_count--;
		u->stats.rx_bytes++;
	}
	/* Host input is not looped back into a port in loopback mode: the
	 * receiver is disconnected from the line then. */
	if (!(u->mcr & UART_MCR_LOOP))
		refill_fifo(u);
	update_lsr_dr(u);
	return b;
}

static void write_fcr(struct uart16550 *u, uint8_t v)
{
	static const uint8_t trigger[4] = { 1, 4, 8, 14 };
	bool on = v & UART_FCR_ENABLE_FIFO;

	/* Turning the FIFOs on or off empties them (datasheet, FCR bit 0). */
	if (on != u->fifo_on || (on && (v & UART_FCR_CLEAR_RCVR))) {
		u->fifo_head = u->fifo_count = 0;
		u->lsr &= ~UART_LSR_OE;
	}
	u->fifo_on = on;
	if (on)
		u->rx_trigger = trigger[(v & UART_FCR_TRIGGER_MASK) >> 6];
	if (!(u->mcr & UART_MCR_LOOP))
		refill_fifo(u);
	update_lsr_dr(u);
}

static void write_ier(struct uart16550 *u, uint8_t v)
{
	uint8_t old = u->ier;

	u->ier = v & UART_IER_MASK;
	/* Enabling the THRE interrupt while THR is empty raises it at once
	 * (datasheet 8.4).  Linux's 8250 startup and its transmit path rely
	 * on this: they write IER.THRI and wait for the interrupt. */
	if (!(old & UART_IER_THRI) && (u->ier & UART_IER_THRI) &&
	    (u->lsr & UART_LSR_THRE))
		u->thr_ipending = true;
}

static void write_mcr(struct uart16550 *u, uint8_t v)
{
	bool was_loop = u->mcr & UART_MCR_LOOP;

	u->mcr = v & UART_MCR_MASK;
	set_modem_inputs(u, modem_inputs(u));
	/* Leaving loopback reconnects the receiver to the host side. */
	if (was_loop && !(u->mcr & UART_MCR_LOOP)) {
		refill_fifo(u);
		update_lsr_dr(u);
	}
}

static uint8_t uart_read(struct uart16550 *u, unsigned reg)
{
	uint8_t v = 0xff, iir;

	switch (reg) {
	case UART_RX:
		if (u->lcr & UART_LCR_DLAB)
			return u->dll;
		return read_rbr(u);
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB)
			return u->dlm;
		return u->ier;
	case UART_IIR:
		iir = pending_iir(u);
		/* Reading IIR while it names THR empty clears that
		 * interrupt (datasheet table 4, reset column). */
		if (iir == UART_IIR_THRI)
			u->thr_ipending = false;
		return iir | (u->fifo_on ? UART_IIR_FIFO_ON : 0);
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = u->lsr;
		/* FIFO error bit: a parity/framing/break error is in the
		 * FIFO.  We never receive one, so it stays clear. */
		u->lsr &= ~(UART_LSR_BRK_ERROR_BITS | UART_LSR_FIFOE);
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_ANY_DELTA;
		return v;
	case UART_SCR:
		return u->scr;
	}
	return v;
}

static void uart_write(struct uart16550 *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_TX:
		if (u->lcr & UART_LCR_DLAB) {
			u->dll = v;
			break;
		}
		u->thr_ipending = false;
		transmit(u, v);
		break;
	case UART_IER:
		if (u->lcr & UART_LCR_DLAB)
			u->dlm = v;
		else
			write_ier(u, v);
		break;
	case UART_FCR:
		write_fcr(u, v);
		break;
	case UART_LCR:
		u->lcr = v;
		break;
	case UART_MCR:
		write_mcr(u, v);
		break;
	case UART_SCR:
		u->scr = v;
		break;
	default:
		/* LSR and MSR are read-only (writes are a factory test). */
		break;
	}
}

/*
 * Bus handler.  The chip has byte-wide registers; a wider access is served
 * as one byte at `offset`, with the upper bytes of a read as zero.
 */
static void uart_io(void *opaque, uint64_t offset, uint8_t *data,
		    uint32_t len, bool is_write)
{
	struct uart16550 *u = opaque;
	unsigned reg = (unsigned)offset;

	if (reg >= UART_NPORTS)
		return;
	if (is_write) {
		uart_write(u, reg, data[0]);
	} else {
		memset(data, 0, len);
		data[0] = uart_read(u, reg);
	}
	update_irq(u);
}

struct uart16550 *uart_create(struct bus *bus, uint16_t base, unsigned gsi,
			      const struct irq_sink *irq, struct conbuf *out,
			      char *err, size_t errlen)
{
	struct uart16550 *u = calloc(1, sizeof(*u));

	if (!u) {
		snprintf(err, errlen, "uart16550: out of memory");
		return NULL;
	}
	u->bus = bus;
	u->base = base;
	u->gsi = gsi;
	if (irq)
		u->irq = *irq;
	u->out = out;
	/* Power-on state (datasheet table 5): LSR = THRE | TEMT, IIR = no
	 * interrupt, FIFOs off; divisor 1 = 115200 baud, 8N1. */
	u->lsr = UART_LSR_THRE | UART_LSR_TEMT;
	u->lcr = UART_LCR_WLEN8;
	u->dll = 1;
	u->rx_trigger = 1;
	u->msr = UART_MSR_IDLE;
	if (bus_claim(bus, BUS_PIO, base, UART_NPORTS, uart_io, u, "uart16550",
		      err, errlen) < 0) {
		free(u);
		return NULL;
	}
	return u;
}

void uart_destroy(struct uart16550 *u)
{
	if (!u)
		return;
	bus_move(u->bus, BUS_PIO, u, "uart16550", 0, 0);
	free(u);
}

size_t uart_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	bus_lock(u->bus);
	while (taken < len && u->hostq_count < UART_HOST_QUEUE) {
		u->hostq[(u->hostq_head + u->hostq_count) % UART_HOST_QUEUE] =
			buf[taken++];
		u->hostq_count++;
	}
	u->stats.rx_dropped += len - taken;
	if (!(u->mcr & UART_MCR_LOOP))
		refill_fifo(u);
	update_lsr_dr(u);
	update_irq(u);
	bus_unlock(u->bus);
	return taken;
}

size_t uart_rx_room(struct uart16550 *u)
{
	size_t room;

	bus_lock(u->bus);
	room = UART_HOST_QUEUE - u->hostq_count;
	bus_unlock(u->bus);
	return room;
}

struct uart_stats uart_get_stats(struct uart16550 *u)
{
	struct uart_stats s;

	bus_lock(u->bus);
	s = u->stats;
	bus_unlock(u->bus);
	return s;
}
