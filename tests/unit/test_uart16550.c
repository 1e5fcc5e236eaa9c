/*
 * The 16550A through the bus, as a guest driver sees it.  Expected register
 * values come from the PC16550D datasheet and from the checks Linux's 8250
 * autoconfig makes (drivers/tty/serial/8250/8250_port.c: autoconfig() and
 * autoconfig_16550a()), written out by hand here.
 */
#include "check.h"

#include "common/conbuf.h"
#include "devices/bus.h"
#include "devices/uart16550.h"

#define COM1 0x3f8
/* Register offsets, spelled out rather than taken from serial_reg.h so the
 * test does not share the code's constants. */
enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, LCR = 3,
       MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct line_rec {
	unsigned gsi;
	int level;
	int calls;
	int rising;
};

static int rec_set_line(void *opaque, unsigned gsi, int level)
{
	struct line_rec *r = opaque;
	r->gsi = gsi;
	if (level && !r->level)
		r->rising++;
	r->level = level;
	r->calls++;
	return 0;
}

static int rec_send_msi(void *opaque, uint64_t addr, uint32_t data)
{
	(void)opaque, (void)addr, (void)data;
	return -1;
}

struct rig {
	struct bus bus;
	struct line_rec line;
	struct irq_sink sink;
	struct uart16550 *u;
	struct conbuf out;	/* no writer thread: tests take the bytes */
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	bus_init(&r->bus);
	conbuf_init(&r->out, -1, 64, NULL, 0);
	r->sink = (struct irq_sink){ rec_set_line, rec_send_msi, &r->line };
	r->u = uart_create(&r->bus, COM1, 4, &r->sink, &r->out, NULL, 0);
}

static void rig_fini(struct rig *r)
{
	uart_destroy(r->u);
	conbuf_free(&r->out);
}

static uint8_t in8(struct rig *r, unsigned reg)
{
	uint8_t v = 0;
	bus_access(&r->bus, BUS_PIO, COM1 + reg, &v, 1, false);
	return v;
}

static void out8(struct rig *r, unsigned reg, uint8_t v)
{
	bus_access(&r->bus, BUS_PIO, COM1 + reg, &v, 1, true);
}

TEST(create_registers_eight_ports_and_reset_state)
{
	struct rig r;
	rig_init(&r);
	CHECK(r.u != NULL);
	CHECK_EQ(in8(&r, LSR), 0x60);		/* THRE | TEMT */
	CHECK_EQ(in8(&r, IIR), 0x01);		/* no interrupt, FIFOs off */
	CHECK_EQ(in8(&r, IER), 0x00);
	CHECK_EQ(in8(&r, MSR), 0xb0);		/* DCD | DSR | CTS */
	CHECK_EQ(r.line.calls, 0);
	/* 0x3f8..0x3ff are ours, 0x400 is not. */
	uint8_t v;
	CHECK(bus_access(&r.bus, BUS_PIO, 0x3ff, &v, 1, false));
	CHECK(!bus_access(&r.bus, BUS_PIO, 0x400, &v, 1, false));
	/* A second UART on the same ports is refused, with one line. */
	char err[80] = "";
	CHECK(uart_create(&r.bus, COM1, 4, &r.sink, NULL, err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "uart16550: I/O ports 0x3f8-0x3ff are taken") == 0);
	rig_fini(&r);
}

TEST(linux_autoconfig_finds_a_16550a)
{
	struct rig r;
	rig_init(&r);
	/* IER holds exactly its low four bits. */
	out8(&r, IER, 0);
	CHECK_EQ(in8(&r, IER) & 0x0f, 0x00);
	out8(&r, IER, 0x0f);
	CHECK_EQ(in8(&r, IER) & 0x0f, 0x0f);
	out8(&r, IER, 0);
	/* Loopback with RTS and OUT2: MSR must show CTS and DCD (0x90). */
	uint8_t save_mcr = in8(&r, MCR);
	out8(&r, MCR, 0x10 | 0x0a);
	CHECK_EQ(in8(&r, MSR) & 0xf0, 0x90);
	out8(&r, MCR, save_mcr);
	CHECK_EQ(in8(&r, MSR) & 0xf0, 0xb0);
	/* EFR write in config mode B lands on FCR; then FIFO enable: IIR
	 * bits 7:6 read 11 = 16550A. */
	out8(&r, LCR, 0xbf);
	out8(&r, 2, 0);
	out8(&r, LCR, 0);
	out8(&r, FCR, 0x01);
	CHECK_EQ(in8(&r, IIR) >> 6, 3);
	/* Not an EFR chip: offset 2 never reads 0 under LCR 0xbf / 0x80. */
	out8(&r, LCR, 0xbf);
	CHECK(in8(&r, 2) != 0);
	out8(&r, LCR, 0x80);
	CHECK(in8(&r, 2) != 0);
	out8(&r, LCR, 0);
	/* Not a 16750: the 64-byte FIFO bit never shows in IIR bit 5. */
	out8(&r, FCR, 0x01 | 0x20);
	CHECK_EQ(in8(&r, IIR) >> 5, 6);
	/* Not an XScale: the UUE bit (0x40) does not stick in IER. */
	out8(&r, IER, 0x40);
	CHECK_EQ(in8(&r, IER), 0x00);
	rig_fini(&r);
}

TEST(scratch_register_keeps_any_value)
{
	struct rig r;
	rig_init(&r);
	out8(&r, SCR, 0xa5);
	CHECK_EQ(in8(&r, SCR), 0xa5);
	out8(&r, SCR, 0x5a);
	CHECK_EQ(in8(&r, SCR), 0x5a);
	rig_fini(&r);
}

TEST(divisor_latch_is_behind_dlab_and_leaves_ier_alone)
{
	struct rig r;
	rig_init(&r);
	out8(&r, IER, 0x05);
	out8(&r, LCR, 0x80 | 0x03);
	out8(&r, DLL, 0x0c);		/* 9600 baud: 115200 / 12 */
	out8(&r, DLM, 0x00);
	CHECK_EQ(in8(&r, DLL), 0x0c);
	CHECK_EQ(in8(&r, DLM), 0x00);
	out8(&r, DLM, 0x01);
	CHECK_EQ(in8(&r, DLM), 0x01);
	CHECK_EQ(in8(&r, LCR), 0x83);
	out8(&r, LCR, 0x03);
	CHECK_EQ(in8(&r, IER), 0x05);
	CHECK_EQ(in8(&r, LCR), 0x03);
	/* With DLAB set, a DLL write is not transmitted. */
	out8(&r, LCR, 0x83);
	out8(&r, DLL, 'x');
	out8(&r, LCR, 0x03);
	uint8_t c;
	CHECK_EQ(conbuf_take(&r.out, &c, 1), 0);
	CHECK_EQ(uart_get_stats(r.u).tx_bytes, 0);
	rig_fini(&r);
}

TEST(thr_bytes_reach_the_console_buffer_in_order)
{
	struct rig r;
	uint8_t buf[16] = { 0 };
	rig_init(&r);
	const char *msg = "hello\r\n";
	for (const char *p = msg; *p; p++) {
		CHECK_EQ(in8(&r, LSR) & 0x60, 0x60);
		out8(&r, THR, (uint8_t)*p);
	}
	CHECK_EQ(conbuf_take(&r.out, buf, sizeof(buf)), 7);
	CHECK_MEM(buf, "hello\r\n", 7);
	CHECK_EQ(uart_get_stats(r.u).tx_bytes, 7);
	rig_fini(&r);
}

TEST(thre_interrupt_follows_ier_write_and_iir_read_clears_it)
{
	struct rig r;
	rig_init(&r);
	out8(&r, FCR, 0x01);
	CHECK_EQ(r.line.level, 0);
	out8(&r, IER, 0x02);			/* ETBEI with THR empty */
	CHECK_EQ(r.line.level, 1);
	CHECK_EQ(r.line.gsi, 4);
	CHECK_EQ(r.line.rising, 1);
	CHECK_EQ(in8(&r, IIR), 0xc2);		/* FIFOs on, THR empty */
	CHECK_EQ(r.line.level, 0);
	CHECK_EQ(in8(&r, IIR), 0xc1);		/* cleared by that read */
	/* Linux's THRE test: IER off and on again raises it again. */
	out8(&r, IER, 0);
	out8(&r, IER, 0x02);
	CHECK_EQ(r.line.rising, 2);
	CHECK_EQ(in8(&r, IIR), 0xc2);
	/* A byte written to THR leaves at once and THR is empty again. */
	out8(&r, THR, 'a');
	CHECK_EQ(r.line.level, 1);
	CHECK_EQ(r.line.rising, 3);
	/* Disabling ETBEI drops the line although the latch remains. */
	out8(&r, IER, 0);
	CHECK_EQ(r.line.level, 0);
	CHECK_EQ(in8(&r, IIR), 0xc1);
	/* Re-enabling with the latch still set: interrupt again. */
	out8(&r, IER, 0x02);
	CHECK_EQ(r.line.level, 1);
	rig_fini(&r);
}

TEST(rx_fifo_timeout_then_trigger_level_interrupt)
{
	struct rig r;
	rig_init(&r);
	out8(&r, FCR, 0x01 | 0x80);		/* FIFOs on, trigger at 8 */
	out8(&r, IER, 0x01);			/* ERBFI */
	CHECK_EQ(r.line.level, 0);
	CHECK_EQ(uart_receive(r.u, (const uint8_t *)"abc", 3), 3);
	CHECK_EQ(in8(&r, LSR), 0x61);
	CHECK_EQ(r.line.level, 1);
	CHECK_EQ(in8(&r, IIR), 0xcc);		/* below trigger: timeout */
	CHECK_EQ(uart_receive(r.u, (const uint8_t *)"defgh", 5), 5);
	CHECK_EQ(in8(&r, IIR), 0xc4);		/* 8 bytes: data available */
	const char *want = "abcdefgh";
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(in8(&r, LSR) & 0x01, 1);
		CHECK_EQ(in8(&r, RBR), want[i]);
	}
	CHECK_EQ(in8(&r, LSR), 0x60);
	CHECK_EQ(in8(&r, IIR), 0xc1);
	CHECK_EQ(r.line.level, 0);
	CHECK_EQ(uart_get_stats(r.u).rx_bytes, 8);
	rig_fini(&r);
}

TEST(rx_without_ier_sets_dr_but_no_interrupt)
{
	struct rig r;
	rig_init(&r);
	uart_receive(r.u, (const uint8_t *)"z", 1);
	CHECK_EQ(in8(&r, LSR), 0x61);
	CHECK_EQ(in8(&r, IIR), 0x01);
	CHECK_EQ(r.line.calls, 0);
	/* Enabling ERBFI with data waiting raises it (16450 mode: 0x04). */
	out8(&r, IER, 0x01);
	CHECK_EQ(r.line.level, 1);
	CHECK_EQ(in8(&r, IIR), 0x04);
	CHECK_EQ(in8(&r, RBR), 'z');
	CHECK_EQ(r.line.level, 0);
	rig_fini(&r);
}

/* Pasted text longer than the FIFO arrives whole and in order, with FIFOs
 * on (16 at a time) and off (one at a time). */
TEST(host_queue_holds_pasted_text)
{
	for (int fifo = 0; fifo < 2; fifo++) {
		struct rig r;
		uint8_t text[300];
		rig_init(&r);
		out8(&r, FCR, fifo ? 0xc1 : 0x00);
		for (int i = 0; i < 300; i++)
			text[i] = (uint8_t)(i * 7 + 3);
		CHECK_EQ(uart_receive(r.u, text, 300), 300);
		CHECK_EQ(uart_rx_room(r.u), UART_HOST_QUEUE - (fifo ? 284 : 299));
		int got = 0, bad = 0;
		while (in8(&r, LSR) & 0x01) {
			uint8_t b = in8(&r, RBR);
			if (got >= 300 || b != text[got])
				bad++;
			got++;
		}
		CHECK_EQ(got, 300);
		CHECK_EQ(bad, 0);
		CHECK_EQ(in8(&r, LSR) & 0x02, 0);	/* no overrun */
		rig_fini(&r);
	}
}

TEST(host_queue_overflow_is_dropped_and_counted)
{
	struct rig r;
	static uint8_t big[UART_HOST_QUEUE + 10];
	rig_init(&r);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	CHECK_EQ(uart_receive(r.u, big, sizeof(big)), UART_HOST_QUEUE);
	CHECK_EQ(uart_get_stats(r.u).rx_dropped, 10);
	/* One byte moved into the (one-byte, FIFOs off) receiver. */
	CHECK_EQ(uart_rx_room(r.u), 1);
	CHECK_EQ(in8(&r, RBR), 0);
	CHECK_EQ(in8(&r, RBR), 1);
	rig_fini(&r);
}

/* Overrun in loopback (FIFOs off, two bytes sent), all of IER enabled: IIR
 * names line status, then data, then THR empty, then modem status, each
 * cleared the way the datasheet's table 4 says. */
TEST(iir_reports_sources_in_priority_order)
{
	struct rig r;
	rig_init(&r);
	out8(&r, MCR, 0x10);		/* loopback, all outputs off */
	out8(&r, THR, 'A');
	out8(&r, THR, 'B');		/* receiver still full: overrun */
	out8(&r, IER, 0x0f);
	CHECK_EQ(r.line.level, 1);
	CHECK_EQ(in8(&r, IIR), 0x06);	/* receiver line status */
	CHECK_EQ(in8(&r, LSR), 0x63);	/* TEMT THRE OE DR; read clears OE */
	CHECK_EQ(in8(&r, IIR), 0x04);	/* received data */
	CHECK_EQ(in8(&r, RBR), 'A');
	CHECK_EQ(in8(&r, IIR), 0x02);	/* THR empty; this read clears it */
	/* Entering loopback dropped DCD, DSR, CTS: deltas latched. */
	CHECK_EQ(in8(&r, IIR), 0x00);	/* modem status */
	CHECK_EQ(in8(&r, MSR), 0x0b);	/* DDCD DDSR DCTS, lines now off */
	CHECK_EQ(in8(&r, IIR), 0x01);
	CHECK_EQ(r.line.level, 0);
	rig_fini(&r);
}

TEST(loopback_maps_outputs_to_modem_inputs)
{
	struct rig r;
	rig_init(&r);
	out8(&r, MCR, 0x10);
	in8(&r, MSR);				/* clear entry deltas */
	out8(&r, MCR, 0x10 | 0x01);		/* DTR -> DSR */
	CHECK_EQ(in8(&r, MSR), 0x20 | 0x02);
	out8(&r, MCR, 0x10 | 0x01 | 0x04);	/* OUT1 -> RI (no delta) */
	CHECK_EQ(in8(&r, MSR), 0x20 | 0x40);
	out8(&r, MCR, 0x10 | 0x01);		/* RI falls: TERI */
	CHECK_EQ(in8(&r, MSR), 0x20 | 0x04);
	out8(&r, MCR, 0x10 | 0x02 | 0x08);	/* RTS -> CTS, OUT2 -> DCD */
	CHECK_EQ(in8(&r, MSR), 0x90 | 0x02 | 0x01 | 0x08);
	CHECK_EQ(in8(&r, MCR), 0x1a);
	out8(&r, MCR, 0xff);			/* bits 5-7 do not exist */
	CHECK_EQ(in8(&r, MCR), 0x1f);
	rig_fini(&r);
}

TEST(loopback_keeps_bytes_off_the_console_and_host_input_waits)
{
	struct rig r;
	uint8_t c;
	rig_init(&r);
	out8(&r, FCR, 0x01);
	out8(&r, MCR, 0x10);
	uart_receive(r.u, (const uint8_t *)"H", 1);
	CHECK_EQ(in8(&r, LSR) & 0x01, 0);	/* receiver is disconnected */
	out8(&r, THR, 'L');
	CHECK_EQ(conbuf_take(&r.out, &c, 1), 0);
	CHECK_EQ(in8(&r, LSR) & 0x01, 1);
	CHECK_EQ(in8(&r, RBR), 'L');
	out8(&r, MCR, 0x00);			/* back to the line */
	CHECK_EQ(in8(&r, RBR), 'H');
	rig_fini(&r);
}

TEST(fifo_reset_discards_received_bytes)
{
	struct rig r;
	rig_init(&r);
	out8(&r, FCR, 0x01);
	uart_receive(r.u, (const uint8_t *)"xy", 2);
	CHECK_EQ(in8(&r, LSR) & 0x01, 1);
	out8(&r, FCR, 0x01 | 0x02);		/* clear receive FIFO */
	CHECK_EQ(in8(&r, LSR), 0x60);
	uart_receive(r.u, (const uint8_t *)"q", 1);
	out8(&r, FCR, 0x00);			/* FIFOs off: emptied too */
	CHECK_EQ(in8(&r, LSR), 0x60);
	CHECK_EQ(in8(&r, IIR), 0x01);
	rig_fini(&r);
}

TEST(line_is_driven_only_on_change)
{
	struct rig r;
	rig_init(&r);
	out8(&r, IER, 0x01);
	uart_receive(r.u, (const uint8_t *)"a", 1);
	CHECK_EQ(r.line.calls, 1);
	in8(&r, LSR);
	in8(&r, SCR);
	CHECK_EQ(r.line.calls, 1);
	in8(&r, RBR);
	CHECK_EQ(r.line.calls, 2);
	CHECK_EQ(r.line.level, 0);
	rig_fini(&r);
}

/* A console nobody reads costs the guest bytes, never time: THR keeps
 * taking bytes and reading empty, and the bytes past the buffer are
 * dropped and counted there. */
TEST(a_full_console_buffer_drops_bytes_and_thr_stays_empty)
{
	struct rig r;
	uint8_t buf[64];
	rig_init(&r);
	for (int i = 0; i < 100; i++) {
		CHECK_EQ(in8(&r, LSR) & 0x60, 0x60);
		out8(&r, THR, (uint8_t)i);
	}
	CHECK_EQ(uart_get_stats(r.u).tx_bytes, 100);
	CHECK_EQ(r.out.dropped, 36);
	CHECK_EQ(conbuf_take(&r.out, buf, sizeof(buf)), 64);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[63], 63);
	rig_fini(&r);
}

RUN_TESTS()
