/*
 * The keyboard controller as Linux's reboot path and i8042 driver use it.
 * Expected replies are the 8042's documented ones (self test 0x55, port
 * tests 0x00); status bits: OBF 0x01, IBF 0x02, SYS 0x04, CMD 0x08,
 * KEYLOCK 0x10, AUXDATA 0x20.
 */
#include "check.h"

#include "devices/bus.h"
#include "devices/i8042.h"

static struct bus bus;
static int resets;

static void on_reset(void *opaque)
{
	(*(int *)opaque)++;
}

static struct i8042 *make(void)
{
	bus_init(&bus);
	resets = 0;
	return i8042_create(&bus, on_reset, &resets, NULL, 0);
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0;
	CHECK(bus_access(&bus, BUS_PIO, port, &v, 1, false));
	return v;
}

static void out8(uint16_t port, uint8_t v)
{
	CHECK(bus_access(&bus, BUS_PIO, port, &v, 1, true));
}

TEST(fe_on_command_port_pulses_reset)
{
	struct i8042 *k = make();
	CHECK(k != NULL);
	/* Linux's reboot=kbd loop: wait for IBF clear, then write 0xfe. */
	CHECK_EQ(in8(0x64) & 0x02, 0);
	out8(0x64, 0xfe);
	CHECK_EQ(resets, 1);
	/* 0xf0 pulses all four lines, the reset line among them. */
	out8(0x64, 0xf0);
	CHECK_EQ(resets, 2);
	/* 0xff pulses none, 0xfd pulses only line 1 (A20). */
	out8(0x64, 0xff);
	out8(0x64, 0xfd);
	CHECK_EQ(resets, 2);
	/* 0x61 is not ours (port 0x61 belongs to the PIT/speaker). */
	uint8_t v;
	CHECK(!bus_access(&bus, BUS_PIO, 0x61, &v, 1, false));
	i8042_destroy(k);
}

TEST(output_port_write_with_reset_bit_low_resets)
{
	struct i8042 *k = make();
	out8(0x64, 0xd0);
	CHECK_EQ(in8(0x60), 0x03);		/* reset line high, A20 on */
	out8(0x64, 0xd1);
	out8(0x60, 0x01);			/* A20 off, no reset */
	CHECK_EQ(resets, 0);
	out8(0x64, 0xd0);
	CHECK_EQ(in8(0x60), 0x01);
	out8(0x64, 0xd1);
	out8(0x60, 0x02);			/* reset line low */
	CHECK_EQ(resets, 1);
	out8(0x64, 0xd0);
	CHECK_EQ(in8(0x60), 0x03);		/* released after the pulse */
	i8042_destroy(k);
}

TEST(self_tests_answer_through_output_buffer)
{
	struct i8042 *k = make();
	CHECK_EQ(in8(0x64), 0x14);		/* SYS | KEYLOCK, empty */
	out8(0x64, 0xaa);
	CHECK_EQ(in8(0x64), 0x1d);		/* + OBF, last write a command */
	CHECK_EQ(in8(0x60), 0x55);
	CHECK_EQ(in8(0x64) & 0x01, 0);
	out8(0x64, 0xab);
	CHECK_EQ(in8(0x60), 0x00);
	out8(0x64, 0xa9);
	CHECK_EQ(in8(0x60), 0x00);
	/* Nothing waiting: the last byte again, OBF stays clear. */
	CHECK_EQ(in8(0x60), 0x00);
	CHECK_EQ(in8(0x64) & 0x01, 0);
	i8042_destroy(k);
}

TEST(command_byte_reads_writes_and_port_enables)
{
	struct i8042 *k = make();
	out8(0x64, 0x20);
	CHECK_EQ(in8(0x60), 0x65);		/* KBDINT SYS AUXDIS XLATE */
	out8(0x64, 0x60);
	out8(0x60, 0x47);
	CHECK_EQ(in8(0x64) & 0x08, 0);		/* last write was data */
	out8(0x64, 0x20);
	CHECK_EQ(in8(0x60), 0x47);
	out8(0x64, 0xa7);			/* aux off: CTR bit 5 */
	out8(0x64, 0xad);			/* keyboard off: CTR bit 4 */
	out8(0x64, 0x20);
	CHECK_EQ(in8(0x60), 0x77);
	out8(0x64, 0xa8);
	out8(0x64, 0xae);
	out8(0x64, 0x20);
	CHECK_EQ(in8(0x60), 0x47);
	i8042_destroy(k);
}

TEST(write_output_buffer_commands_echo_with_source_flag)
{
	struct i8042 *k = make();
	out8(0x64, 0xd2);
	out8(0x60, 0xab);
	CHECK_EQ(in8(0x64) & 0x21, 0x01);	/* OBF, from keyboard */
	CHECK_EQ(in8(0x60), 0xab);
	out8(0x64, 0xd3);
	out8(0x60, 0x5a);
	CHECK_EQ(in8(0x64) & 0x21, 0x21);	/* OBF, from aux */
	CHECK_EQ(in8(0x60), 0x5a);
	CHECK_EQ(in8(0x64) & 0x21, 0x00);
	i8042_destroy(k);
}

TEST(bytes_for_absent_keyboard_and_mouse_get_no_answer)
{
	struct i8042 *k = make();
	out8(0x60, 0xff);			/* keyboard reset */
	out8(0x60, 0xf2);			/* get ID */
	out8(0x64, 0xd4);
	out8(0x60, 0xf4);			/* to the mouse */
	CHECK_EQ(in8(0x64) & 0x01, 0);
	CHECK_EQ(i8042_device_bytes(k), 3);
	CHECK_EQ(resets, 0);
	i8042_destroy(k);
}

RUN_TESTS()
