/*
 * i8042.c - keyboard controller with the reset line and no devices behind
 * it.  Command numbers and status bits follow the IBM PC/AT technical
 * reference (8042 commands) and the names Linux uses in
 * drivers/input/serio/i8042.h.
 */
#include "devices/i8042.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define I8042_DATA_PORT	0x60
#define I8042_CMD_PORT	0x64

/* Status register (read port 0x64). */
#define STR_OBF		0x01	/* output buffer full: data waits at 0x60 */
#define STR_IBF		0x02	/* input buffer full: never, we take writes at once */
#define STR_SYS		0x04	/* system flag: self test passed */
#define STR_CMDDAT	0x08	/* last write went to 0x64 */
#define STR_KEYLOCK	0x10	/* 1 = keyboard not inhibited */
#define STR_AUXDATA	0x20	/* the waiting byte is from the aux port */

/* Controller command byte ("CTR"). */
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40
/* Keyboard interrupt, system flag and translation on, aux port off: what a
 * BIOS leaves behind on a machine without a mouse. */
#define CTR_RESET	(CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE)

/* Output port: bit 0 is the CPU reset line (active low), bit 1 gates A20. */
#define OUTP_RESET_N	0x01
#define OUTP_A20	0x02

/* Commands written to port 0x64. */
enum {
	CMD_READ_CTR = 0x20,	/* 0x21-0x3f read controller RAM */
	CMD_WRITE_CTR = 0x60,	/* 0x61-0x7f write controller RAM */
	CMD_AUX_DISABLE = 0xa7,
	CMD_AUX_ENABLE = 0xa8,
	CMD_AUX_TEST = 0xa9,
	CMD_SELF_TEST = 0xaa,
	CMD_KBD_TEST = 0xab,
	CMD_KBD_DISABLE = 0xad,
	CMD_KBD_ENABLE = 0xae,
	CMD_READ_INPUT = 0xc0,
	CMD_READ_OUTP = 0xd0,
	CMD_WRITE_OUTP = 0xd1,
	CMD_WRITE_KBD_OBUF = 0xd2,
	CMD_WRITE_AUX_OBUF = 0xd3,
	CMD_WRITE_AUX = 0xd4,
	CMD_READ_TEST_INPUTS = 0xe0,
	CMD_PULSE_BASE = 0xf0,	/* 0xf0-0xff: pulse output bits that are 0 */
};

#define SELF_TEST_OK	0x55
#define PORT_TEST_OK	0x00
#define OUT_QUEUE	8

struct i8042 {
	struct bus *bus;
	i8042_reset_fn reset;
	void *opaque;
	uint8_t ctr, outp, status_cmd;
	uint8_t pending;		/* command waiting for its data byte */
	uint8_t out[OUT_QUEUE];
	bool out_aux[OUT_QUEUE];
	unsigned out_head, out_count;
	uint8_t last;			/* what 0x60 reads when nothing waits */
	unsigned long device_bytes;
	unsigned long resets;
};

static void push_out(struct i8042 *k, uint8_t v, bool aux)
{
	unsigned slot;

	if (k->out_count >= OUT_QUEUE)
		return;		/* a guest that never reads: drop, as a chip would */
	slot = (k->out_head + k->out_count) % OUT_QUEUE;
	k->out[slot] = v;
	k->out_aux[slot] = aux;
	k->out_count++;
}

static void pulse_reset(struct i8042 *k)
{
	k->resets++;
	if (k->reset)
		k->reset(k->opaque);
}

static void write_outp(struct i8042 *k, uint8_t v)
{
	k->outp = v;
	/* Bit 0 low holds the CPU in reset. */
	if (!(v & OUTP_RESET_N)) {
		pulse_reset(k);
		k->outp |= OUTP_RESET_N;
	}
}

static void command(struct i8042 *k, uint8_t cmd)
{
	k->pending = 0;
	if (cmd >= CMD_PULSE_BASE) {
		/* Bits 0-3 of the command name output lines to pulse low;
		 * a 0 in bit 0 pulses the reset line (0xfe is the usual). */
		if (!(cmd & OUTP_RESET_N))
			pulse_reset(k);
		return;
	}
	if (cmd == CMD_READ_CTR) {
		push_out(k, k->ctr, false);
		return;
	}
	if (cmd > CMD_READ_CTR && cmd < CMD_WRITE_CTR) {
		push_out(k, 0, false);	/* controller RAM we do not keep */
		return;
	}
	if (cmd >= CMD_WRITE_CTR && cmd < 0x80) {
		k->pending = cmd;
		return;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ctr |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ctr &= (uint8_t)~CTR_AUXDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		push_out(k, PORT_TEST_OK, false);
		break;
	case CMD_SELF_TEST:
		push_out(k, SELF_TEST_OK, false);
		break;
	case CMD_KBD_DISABLE:
		k->ctr |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ctr &= (uint8_t)~CTR_KBDDIS;
		break;
	case CMD_READ_INPUT:
		push_out(k, 0x80, false);	/* bit 7: keyboard not inhibited */
		break;
	case CMD_READ_OUTP:
		push_out(k, k->outp, false);
		break;
	case CMD_WRITE_OUTP:
	case CMD_WRITE_KBD_OBUF:
	case CMD_WRITE_AUX_OBUF:
	case CMD_WRITE_AUX:
		k->pending = cmd;
		break;
	case CMD_READ_TEST_INPUTS:
		push_out(k, 0, false);
		break;
	default:
		warn_guest("i8042: unknown controller command %#x", cmd);
		break;
	}
}

static void data_write(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->pending;

	k->pending = 0;
	switch (cmd) {
	case CMD_WRITE_CTR:
		k->ctr = v;
		break;
	case CMD_WRITE_OUTP:
		write_outp(k, v);
		break;
	case CMD_WRITE_KBD_OBUF:
		push_out(k, v, false);
		break;
	case CMD_WRITE_AUX_OBUF:
		push_out(k, v, true);
		break;
	case 0:
	case CMD_WRITE_AUX:
		/* For the keyboard (no command pending) or the mouse: no
		 * device is attached, so nothing answers. */
		k->device_bytes++;
		break;
	default:
		/* 0x61-0x7f: controller RAM we do not keep. */
		break;
	}
}

static uint8_t status(const struct i8042 *k)
{
	uint8_t s = STR_SYS | STR_KEYLOCK | k->status_cmd;

	if (k->out_count) {
		s |= STR_OBF;
		if (k->out_aux[k->out_head])
			s |= STR_AUXDATA;
	}
	return s;
}

static uint8_t data_read(struct i8042 *k)
{
	if (k->out_count) {
		k->last = k->out[k->out_head];
		k->out_head = (k->out_head + 1) % OUT_QUEUE;
		k->out_count--;
	}
	return k->last;
}

/* Both ports: writes to 0x64 are commands, to 0x60 data; a read of 0x64
 * is the status, of 0x60 the next output byte.  Registers are 8 bits wide. */
static void i8042_io(struct i8042 *k, bool cmd_port, uint8_t *data,
		     uint32_t len, bool is_write)
{
	if (is_write) {
		k->status_cmd = cmd_port ? STR_CMDDAT : 0;
		if (cmd_port)
			command(k, data[0]);
		else
			data_write(k, data[0]);
		return;
	}
	memset(data, 0, len);
	data[0] = cmd_port ? status(k) : data_read(k);
}

static void data_port_io(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t len, bool is_write)
{
	(void)offset;
	i8042_io(opaque, false, data, len, is_write);
}

static void cmd_port_io(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t len, bool is_write)
{
	(void)offset;
	i8042_io(opaque, true, data, len, is_write);
}

struct i8042 *i8042_create(struct bus *bus, i8042_reset_fn reset, void *opaque,
			   char *err, size_t errlen)
{
	struct i8042 *k = calloc(1, sizeof(*k));

	if (!k) {
		snprintf(err, errlen, "i8042: out of memory");
		return NULL;
	}
	k->bus = bus;
	k->reset = reset;
	k->opaque = opaque;
	k->ctr = CTR_RESET;
	k->outp = OUTP_RESET_N | OUTP_A20;
	if (bus_claim(bus, BUS_PIO, I8042_DATA_PORT, 1, data_port_io, k,
		      "i8042-data", err, errlen) < 0) {
		free(k);
		return NULL;
	}
	if (bus_claim(bus, BUS_PIO, I8042_CMD_PORT, 1, cmd_port_io, k,
		      "i8042-cmd", err, errlen) < 0) {
		bus_move(bus, BUS_PIO, k, "i8042-data", 0, 0);
		free(k);
		return NULL;
	}
	return k;
}

void i8042_destroy(struct i8042 *k)
{
	if (!k)
		return;
	bus_move(k->bus, BUS_PIO, k, "i8042-data", 0, 0);
	bus_move(k->bus, BUS_PIO, k, "i8042-cmd", 0, 0);
	free(k);
}

unsigned long i8042_device_bytes(struct i8042 *k)
{
	unsigned long n;

	bus_lock(k->bus);
	n = k->device_bytes;
	bus_unlock(k->bus);
	return n;
}
