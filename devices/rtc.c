/*
 * rtc.c - MC146818 real-time clock and CMOS RAM at ports 0x70/0x71.
 *
 * The clock is not ticked by a timer: every read computes the time from the
 * host's clock plus `offset` (seconds the guest moved its clock by writing
 * the time registers).  Register numbers and bits follow the MC146818A
 * datasheet; Linux reads them in mc146818_get_time()
 * (drivers/rtc/rtc-mc146818-lib.c), SeaBIOS in its rtc.c.
 */
#include "devices/rtc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* Clock and status registers. */
enum {
	REG_SECONDS = 0x00, REG_SECONDS_ALARM = 0x01,
	REG_MINUTES = 0x02, REG_MINUTES_ALARM = 0x03,
	REG_HOURS = 0x04, REG_HOURS_ALARM = 0x05,
	REG_DAY_OF_WEEK = 0x06, REG_DAY_OF_MONTH = 0x07,
	REG_MONTH = 0x08, REG_YEAR = 0x09,
	REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d,
};

#define REG_A_UIP	0x80	/* update in progress: never set here */
#define REG_B_SET	0x80	/* clock stopped for setting */
#define REG_B_UIE	0x10	/* update-ended interrupt enable */
#define REG_B_DM_BINARY	0x04	/* data mode: binary, else BCD */
#define REG_B_24H	0x02	/* 24-hour mode, else 12-hour with PM bit */
#define HOUR_PM		0x80
#define REG_D_VRT	0x80	/* valid RAM and time: the battery is fine */

/* Reset values: 32.768 kHz time base, 1024 Hz rate; 24-hour BCD. */
#define REG_A_RESET	0x26
#define REG_B_RESET	REG_B_24H

#define CMOS_SIZE	128

struct rtc {
	struct bus *bus;
	struct irq_sink irq;
	unsigned gsi;
	uint8_t index;
	bool nmi_masked;
	uint8_t cmos[CMOS_SIZE];
	time_t offset;			/* guest clock minus host clock */
	struct tm frozen;		/* the time while REG_B_SET is on */
};

static bool is_time_reg(unsigned reg)
{
	switch (reg) {
	case REG_SECONDS: case REG_MINUTES: case REG_HOURS:
	case REG_DAY_OF_WEEK: case REG_DAY_OF_MONTH: case REG_MONTH:
	case REG_YEAR: case CMOS_CENTURY:
		return true;
	}
	return false;
}

static void guest_now(const struct rtc *rtc, struct tm *tm)
{
	time_t t = time(NULL) + rtc->offset;

	gmtime_r(&t, tm);
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)(((v / 10) % 10) << 4 | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t encode(const struct rtc *rtc, unsigned v)
{
	return (rtc->cmos[REG_B] & REG_B_DM_BINARY) ? (uint8_t)v : to_bcd(v);
}

static unsigned decode(const struct rtc *rtc, uint8_t v)
{
	return (rtc->cmos[REG_B] & REG_B_DM_BINARY) ? v : from_bcd(v);
}

/* One time register's value for `tm`, in the format register B selects. */
static uint8_t time_field(const struct rtc *rtc, const struct tm *tm,
			  unsigned reg)
{
	unsigned year = (unsigned)tm->tm_year + 1900, h;
	struct tm copy;

	switch (reg) {
	case REG_SECONDS:
		return encode(rtc, (unsigned)tm->tm_sec % 60);
	case REG_MINUTES:
		return encode(rtc, (unsigned)tm->tm_min);
	case REG_HOURS:
		if (rtc->cmos[REG_B] & REG_B_24H)
			return encode(rtc, (unsigned)tm->tm_hour);
		/* 12-hour mode: 12, 1..11 and the PM flag in bit 7. */
		h = (unsigned)tm->tm_hour % 12;
		return (uint8_t)(encode(rtc, h ? h : 12) |
				 (tm->tm_hour >= 12 ? HOUR_PM : 0));
	case REG_DAY_OF_WEEK:
		/* Sunday = 1.  Worked out from the date, which the guest may
		 * have just written field by field (tm_wday is stale then). */
		copy = *tm;
		timegm(&copy);
		return encode(rtc, (unsigned)copy.tm_wday + 1);
	case REG_DAY_OF_MONTH:
		return encode(rtc, (unsigned)tm->tm_mday);
	case REG_MONTH:
		return encode(rtc, (unsigned)tm->tm_mon + 1);
	case REG_YEAR:
		return encode(rtc, year % 100);
	case CMOS_CENTURY:
		return encode(rtc, year / 100);
	}
	return 0;
}

/*
 * Stores a guest write of a time register into `tm`.  Out-of-range values
 * are the guest's business: timegm() normalises them later, so the clock
 * simply runs on from wherever they land.
 */
static void set_time_field(const struct rtc *rtc, struct tm *tm, unsigned reg,
			   uint8_t v)
{
	int year = tm->tm_year + 1900;
	unsigned h;

	switch (reg) {
	case REG_SECONDS:
		tm->tm_sec = (int)decode(rtc, v);
		break;
	case REG_MINUTES:
		tm->tm_min = (int)decode(rtc, v);
		break;
	case REG_HOURS:
		if (rtc->cmos[REG_B] & REG_B_24H) {
			tm->tm_hour = (int)decode(rtc, v);
		} else {
			h = decode(rtc, v & (uint8_t)~HOUR_PM) % 12;
			tm->tm_hour = (int)h + ((v & HOUR_PM) ? 12 : 0);
		}
		break;
	case REG_DAY_OF_WEEK:
		/* Derived from the date; writes are not kept. */
		break;
	case REG_DAY_OF_MONTH:
		tm->tm_mday = (int)decode(rtc, v);
		break;
	case REG_MONTH:
		tm->tm_mon = (int)decode(rtc, v) - 1;
		break;
	case REG_YEAR:
		tm->tm_year = year / 100 * 100 + (int)decode(rtc, v) % 100 - 1900;
		break;
	case CMOS_CENTURY:
		tm->tm_year = (int)decode(rtc, v) * 100 + year % 100 - 1900;
		break;
	}
}

/* Makes the guest's clock read `tm` from now on. */
static void set_offset_from(struct rtc *rtc, struct tm *tm)
{
	time_t t = timegm(tm);

	if (t == (time_t)-1) {
		warn_guest("rtc: guest set an impossible time, ignored");
		return;
	}
	rtc->offset = t - time(NULL);
}

static void write_reg_b(struct rtc *rtc, uint8_t v)
{
	uint8_t old = rtc->cmos[REG_B];

	/* Setting SET stops the clock where it is (and clears UIE, as the
	 * datasheet says); clearing it starts the clock from the registers. */
	if (!(old & REG_B_SET) && (v & REG_B_SET)) {
		guest_now(rtc, &rtc->frozen);
		v &= (uint8_t)~REG_B_UIE;
	}
	rtc->cmos[REG_B] = v;
	if ((old & REG_B_SET) && !(v & REG_B_SET))
		set_offset_from(rtc, &rtc->frozen);
}

static uint8_t cmos_read(struct rtc *rtc, unsigned reg)
{
	struct tm tm;

	if (is_time_reg(reg)) {
		if (rtc->cmos[REG_B] & REG_B_SET)
			tm = rtc->frozen;
		else
			guest_now(rtc, &tm);
		return time_field(rtc, &tm, reg);
	}
	switch (reg) {
	case REG_A:
		return rtc->cmos[REG_A] & (uint8_t)~REG_A_UIP;
	case REG_C:
		/* Interrupt flags; none are ever raised (see rtc.h). */
		return 0;
	case REG_D:
		return REG_D_VRT;
	}
	return rtc->cmos[reg];
}

static void cmos_write(struct rtc *rtc, unsigned reg, uint8_t v)
{
	struct tm tm;

	if (is_time_reg(reg)) {
		if (rtc->cmos[REG_B] & REG_B_SET) {
			set_time_field(rtc, &rtc->frozen, reg, v);
		} else {
			/* A running clock takes the new field and runs on. */
			guest_now(rtc, &tm);
			set_time_field(rtc, &tm, reg, v);
			set_offset_from(rtc, &tm);
		}
		return;
	}
	switch (reg) {
	case REG_A:
		rtc->cmos[REG_A] = v & (uint8_t)~REG_A_UIP;
		break;
	case REG_B:
		write_reg_b(rtc, v);
		break;
	case REG_C:
	case REG_D:
		break;		/* read-only */
	default:
		rtc->cmos[reg] = v;
	}
}

/*
 * Port 0x70 selects the register (bits 0-6) and masks NMI (bit 7); it reads
 * as 0xff, as it does on many chipsets.  Port 0x71 is the register.  A wider
 * access is taken byte by byte, as the ports would see it.
 */
static void rtc_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct rtc *rtc = opaque;

	for (uint32_t i = 0; i < len; i++) {
		uint64_t port = offset + i;

		if (port == 0) {
			if (is_write) {
				rtc->index = data[i] & 0x7f;
				rtc->nmi_masked = data[i] & 0x80;
			} else {
				data[i] = 0xff;
			}
		} else if (port == 1) {
			if (is_write)
				cmos_write(rtc, rtc->index, data[i]);
			else
				data[i] = cmos_read(rtc, rtc->index);
		} else if (!is_write) {
			data[i] = 0xff;
		}
	}
}

static void set_le16(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/*
 * Memory size bytes as QEMU's pc_cmos_init() lays them out and SeaBIOS
 * reads them (src/fw/paravirt.c qemu_preinit / src/post.c): KiB of extended
 * memory from 1 MiB capped at 65535, 64 KiB blocks from 16 MiB up to the
 * end of low RAM capped at 65535, and 64 KiB blocks above 4 GiB in 24 bits.
 */
static void fill_memory_size(struct rtc *rtc, uint64_t below_4g,
			     uint64_t above_4g)
{
	const uint64_t mib = 1024 * 1024;
	uint64_t ext_kb, blocks16, blocks4g;

	set_le16(&rtc->cmos[CMOS_BASE_MEM_LO], 640);
	ext_kb = below_4g > mib ? (below_4g - mib) / 1024 : 0;
	if (ext_kb > 0xffff)
		ext_kb = 0xffff;
	set_le16(&rtc->cmos[CMOS_EXT_MEM_LO], ext_kb);
	set_le16(&rtc->cmos[CMOS_EXT_MEM2_LO], ext_kb);
	blocks16 = below_4g > 16 * mib ? (below_4g - 16 * mib) / 65536 : 0;
	if (blocks16 > 0xffff)
		blocks16 = 0xffff;
	set_le16(&rtc->cmos[CMOS_MEM_ABOVE_16M_LO], blocks16);
	blocks4g = above_4g / 65536;
	if (blocks4g > 0xffffff)
		blocks4g = 0xffffff;
	rtc->cmos[CMOS_MEM_ABOVE_4G_LO] = (uint8_t)blocks4g;
	rtc->cmos[CMOS_MEM_ABOVE_4G_MID] = (uint8_t)(blocks4g >> 8);
	rtc->cmos[CMOS_MEM_ABOVE_4G_HI] = (uint8_t)(blocks4g >> 16);
}

struct rtc *rtc_create(struct bus *bus, const struct irq_sink *irq,
		       unsigned gsi, uint64_t ram_below_4g,
		       uint64_t ram_above_4g, char *err, size_t errlen)
{
	struct rtc *rtc = calloc(1, sizeof(*rtc));

	if (!rtc) {
		snprintf(err, errlen, "rtc: out of memory");
		return NULL;
	}
	rtc->bus = bus;
	if (irq)
		rtc->irq = *irq;
	rtc->gsi = gsi;
	rtc->cmos[REG_A] = REG_A_RESET;
	rtc->cmos[REG_B] = REG_B_RESET;
	fill_memory_size(rtc, ram_below_4g, ram_above_4g);
	if (bus_claim(bus, BUS_PIO, RTC_PORT_INDEX, 2, rtc_io, rtc, "rtc", err,
		      errlen) < 0) {
		free(rtc);
		return NULL;
	}
	return rtc;
}

void rtc_destroy(struct rtc *rtc)
{
	if (!rtc)
		return;
	bus_move(rtc->bus, BUS_PIO, rtc, "rtc", 0, 0);
	free(rtc);
}

int rtc_set_cmos(struct rtc *rtc, unsigned index, uint8_t value)
{
	if (index >= CMOS_SIZE || index <= REG_D || is_time_reg(index))
		return -EINVAL;
	bus_lock(rtc->bus);
	rtc->cmos[index] = value;
	bus_unlock(rtc->bus);
	return 0;
}

bool rtc_nmi_masked(struct rtc *rtc)
{
	bool masked;

	bus_lock(rtc->bus);
	masked = rtc->nmi_masked;
	bus_unlock(rtc->bus);
	return masked;
}
