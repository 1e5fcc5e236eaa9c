/*
 * RTC/CMOS through ports 0x70/0x71.  Clock readings are compared with the
 * host's gmtime(); fixed dates and the memory-size bytes were worked out by
 * hand (shown next to each value).
 */
#include "check.h"

#include <errno.h>
#include <time.h>

#include "devices/bus.h"
#include "devices/rtc.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

static struct bus bus;

static struct rtc *make(uint64_t below, uint64_t above)
{
	bus_init(&bus);
	return rtc_create(&bus, NULL, 8, below, above, NULL, 0);
}

static uint8_t cmos(unsigned reg)
{
	uint8_t v = (uint8_t)reg;
	bus_access(&bus, BUS_PIO, 0x70, &v, 1, true);
	bus_access(&bus, BUS_PIO, 0x71, &v, 1, false);
	return v;
}

static void cmos_set(unsigned reg, uint8_t val)
{
	uint8_t v = (uint8_t)reg;
	bus_access(&bus, BUS_PIO, 0x70, &v, 1, true);
	bus_access(&bus, BUS_PIO, 0x71, &val, 1, true);
}

/* Independent BCD decoding; -1 marks a nibble above 9. */
static int bcd(uint8_t v)
{
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return -1;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* Reads the clock as Linux does (seconds, minutes, hours, day, month,
 * year, century) and turns it into seconds since 1970. */
static time_t read_clock(bool binary)
{
	int f[7];
	const unsigned regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, 0x32 };
	for (int i = 0; i < 7; i++) {
		uint8_t v = cmos(regs[i]);
		f[i] = binary ? v : bcd(v);
		if (f[i] < 0)
			return (time_t)-1;
	}
	struct tm tm = { .tm_sec = f[0], .tm_min = f[1], .tm_hour = f[2],
			 .tm_mday = f[3], .tm_mon = f[4] - 1,
			 .tm_year = f[6] * 100 + f[5] - 1900 };
	return timegm(&tm);
}

TEST(clock_reads_host_utc_in_bcd)
{
	struct rtc *rtc = make(512 * MiB, 0);
	CHECK(rtc != NULL);
	CHECK_EQ(cmos(0x0b), 0x02);		/* 24-hour, BCD */
	time_t before = time(NULL);
	time_t t = read_clock(false);
	time_t after = time(NULL);
	CHECK(t != (time_t)-1);
	CHECK(t >= before && t <= after + 1);
	/* Day of week: Sunday = 1. */
	struct tm tm;
	time_t now = time(NULL);
	gmtime_r(&now, &tm);
	CHECK_EQ(bcd(cmos(0x06)), tm.tm_wday + 1);
	rtc_destroy(rtc);
}

TEST(clock_reads_host_utc_in_binary)
{
	struct rtc *rtc = make(512 * MiB, 0);
	cmos_set(0x0b, 0x06);			/* 24-hour, binary */
	time_t before = time(NULL);
	time_t t = read_clock(true);
	CHECK(t >= before && t <= time(NULL) + 1);
	rtc_destroy(rtc);
}

/* 1999-12-31 23:58:59 was a Friday (day 6 with Sunday = 1). */
TEST(set_mode_freezes_and_encodes_a_known_date)
{
	struct rtc *rtc = make(512 * MiB, 0);
	cmos_set(0x0b, 0x82);			/* SET, 24-hour, BCD */
	cmos_set(0x00, 0x59);
	cmos_set(0x02, 0x58);
	cmos_set(0x04, 0x23);
	cmos_set(0x07, 0x31);
	cmos_set(0x08, 0x12);
	cmos_set(0x09, 0x99);
	cmos_set(0x32, 0x19);
	CHECK_EQ(cmos(0x00), 0x59);
	CHECK_EQ(cmos(0x02), 0x58);
	CHECK_EQ(cmos(0x04), 0x23);
	CHECK_EQ(cmos(0x06), 0x06);
	CHECK_EQ(cmos(0x07), 0x31);
	CHECK_EQ(cmos(0x08), 0x12);
	CHECK_EQ(cmos(0x09), 0x99);
	CHECK_EQ(cmos(0x32), 0x19);
	/* The same instant in binary: 59 = 0x3b, 58 = 0x3a, 23 = 0x17. */
	cmos_set(0x0b, 0x86);
	CHECK_EQ(cmos(0x00), 0x3b);
	CHECK_EQ(cmos(0x02), 0x3a);
	CHECK_EQ(cmos(0x04), 0x17);
	CHECK_EQ(cmos(0x09), 99);
	CHECK_EQ(cmos(0x32), 19);
	/* 12-hour BCD: 23h is 11 PM = 0x11 | 0x80. */
	cmos_set(0x0b, 0x80);
	CHECK_EQ(cmos(0x04), 0x91);
	/* Restart the clock: it runs on from 23:58:59 (946684739). */
	cmos_set(0x0b, 0x02);
	time_t t = read_clock(false);
	CHECK(t >= 946684739 && t <= 946684741);
	rtc_destroy(rtc);
}

TEST(twelve_hour_mode_writes_and_reads_midnight_and_noon)
{
	struct rtc *rtc = make(512 * MiB, 0);
	cmos_set(0x0b, 0x80);			/* SET, 12-hour, BCD */
	cmos_set(0x04, 0x12);			/* 12 AM = 00h */
	cmos_set(0x0b, 0x82);
	CHECK_EQ(cmos(0x04), 0x00);
	cmos_set(0x0b, 0x80);
	cmos_set(0x04, 0x92);			/* 12 PM = 12h */
	cmos_set(0x0b, 0x82);
	CHECK_EQ(cmos(0x04), 0x12);
	rtc_destroy(rtc);
}

TEST(writing_a_running_clock_moves_it)
{
	struct rtc *rtc = make(512 * MiB, 0);
	cmos_set(0x32, 0x20);
	cmos_set(0x09, 0x50);			/* year 2050 */
	CHECK_EQ(cmos(0x09), 0x50);
	CHECK_EQ(cmos(0x32), 0x20);
	rtc_destroy(rtc);
}

TEST(status_registers)
{
	struct rtc *rtc = make(512 * MiB, 0);
	CHECK_EQ(cmos(0x0a), 0x26);		/* UIP clear, 32 kHz, 1024 Hz */
	cmos_set(0x0a, 0xa6);			/* UIP is read-only */
	CHECK_EQ(cmos(0x0a), 0x26);
	CHECK_EQ(cmos(0x0c), 0x00);
	CHECK_EQ(cmos(0x0d), 0x80);		/* valid RAM and time */
	cmos_set(0x0d, 0x00);
	CHECK_EQ(cmos(0x0d), 0x80);
	/* SET clears UIE (0x10). */
	cmos_set(0x0b, 0x92);
	CHECK_EQ(cmos(0x0b), 0x82);
	rtc_destroy(rtc);
}

/*
 * 512 MiB, all below 4 GiB: base 640 KiB = 0x0280; extended KiB from 1 MiB
 * = 523264, capped to 0xffff; 64 KiB blocks above 16 MiB = 496 * 16 = 7936
 * = 0x1f00; nothing above 4 GiB.
 */
TEST(memory_bytes_for_512_mib)
{
	struct rtc *rtc = make(512 * MiB, 0);
	CHECK_EQ(cmos(0x15), 0x80);
	CHECK_EQ(cmos(0x16), 0x02);
	CHECK_EQ(cmos(0x17), 0xff);
	CHECK_EQ(cmos(0x18), 0xff);
	CHECK_EQ(cmos(0x30), 0xff);
	CHECK_EQ(cmos(0x31), 0xff);
	CHECK_EQ(cmos(0x34), 0x00);
	CHECK_EQ(cmos(0x35), 0x1f);
	CHECK_EQ(cmos(0x5b), 0x00);
	CHECK_EQ(cmos(0x5c), 0x00);
	CHECK_EQ(cmos(0x5d), 0x00);
	rtc_destroy(rtc);
}

/*
 * 6 GiB split 3 GiB low (PCI hole from 0xc0000000) and 3 GiB high:
 * blocks above 16 MiB = (3072 - 16) * 16 = 48896 = 0xbf00; blocks above
 * 4 GiB = 3 GiB / 64 KiB = 49152 = 0x00c000.
 */
TEST(memory_bytes_for_6_gib)
{
	struct rtc *rtc = make(3 * GiB, 3 * GiB);
	CHECK_EQ(cmos(0x34), 0x00);
	CHECK_EQ(cmos(0x35), 0xbf);
	CHECK_EQ(cmos(0x5b), 0x00);
	CHECK_EQ(cmos(0x5c), 0xc0);
	CHECK_EQ(cmos(0x5d), 0x00);
	rtc_destroy(rtc);
}

/* All three bytes above 4 GiB in use: 4 GiB + 192 KiB = 65536 + 3 blocks
 * = 0x010003; 2 GiB low gives (2048 - 16) * 16 = 32512 = 0x7f00.  8 MiB
 * gives 7 * 1024 = 7168 = 0x1c00 KiB extended and no blocks above 16 MiB. */
TEST(memory_bytes_odd_and_small_sizes)
{
	struct rtc *rtc = make(2 * GiB, 4 * GiB + 192 * 1024);
	CHECK_EQ(cmos(0x34), 0x00);
	CHECK_EQ(cmos(0x35), 0x7f);
	CHECK_EQ(cmos(0x5b), 0x03);
	CHECK_EQ(cmos(0x5c), 0x00);
	CHECK_EQ(cmos(0x5d), 0x01);
	rtc_destroy(rtc);
	rtc = make(8 * MiB, 0);
	CHECK_EQ(cmos(0x17), 0x00);
	CHECK_EQ(cmos(0x18), 0x1c);
	CHECK_EQ(cmos(0x34), 0x00);
	CHECK_EQ(cmos(0x35), 0x00);
	rtc_destroy(rtc);
}

TEST(index_port_masks_nmi_and_ram_keeps_bytes)
{
	struct rtc *rtc = make(512 * MiB, 0);
	uint8_t v = 0x80 | 0x0d;
	bus_access(&bus, BUS_PIO, 0x70, &v, 1, true);
	CHECK(rtc_nmi_masked(rtc));
	bus_access(&bus, BUS_PIO, 0x71, &v, 1, false);
	CHECK_EQ(v, 0x80);			/* register D through 0x8d */
	CHECK_EQ(cmos(0x0d), 0x80);
	CHECK(!rtc_nmi_masked(rtc));
	cmos_set(0x40, 0x5a);
	CHECK_EQ(cmos(0x40), 0x5a);
	CHECK_EQ(cmos(0x7f), 0x00);
	CHECK_EQ(rtc_set_cmos(rtc, 0x5f, 1), 0);
	CHECK_EQ(cmos(0x5f), 1);
	CHECK_EQ(rtc_set_cmos(rtc, 0x00, 1), -EINVAL);
	CHECK_EQ(rtc_set_cmos(rtc, 0x80, 1), -EINVAL);
	rtc_destroy(rtc);
}

RUN_TESTS()
