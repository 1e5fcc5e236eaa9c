/*
 * rtc.h - the PC's MC146818-style real-time clock and CMOS RAM, ports
 * 0x70 (index; bit 7 masks NMI) and 0x71 (data).
 *
 * The clock shows the host's UTC time (plus whatever offset the guest set by
 * writing the time registers), in BCD or binary and 24- or 12-hour form as
 * register B asks.  The CMOS bytes firmware reads for the memory size are
 * filled in at creation, in the layout SeaBIOS and QEMU use.
 *
 * Not emulated: the periodic, alarm and update-ended interrupts.  Linux,
 * SeaBIOS, iPXE and OpenBSD only read the time; register C therefore always
 * reads 0 and the GSI is never raised.  Update-in-progress (register A bit 7)
 * always reads 0, so readers never wait.
 */
#ifndef MINIVMM_RTC_H
#define MINIVMM_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/bus.h"
#include "devices/irq.h"

#define RTC_PORT_INDEX	0x70
#define RTC_GSI		8

/* CMOS bytes set from the memory size (QEMU/SeaBIOS layout). */
#define CMOS_BASE_MEM_LO	0x15	/* KiB below 1 MiB: 640 */
#define CMOS_BASE_MEM_HI	0x16
#define CMOS_EXT_MEM_LO		0x17	/* KiB from 1 MiB, at most 65535 */
#define CMOS_EXT_MEM_HI		0x18
#define CMOS_EXT_MEM2_LO	0x30	/* the same again */
#define CMOS_EXT_MEM2_HI	0x31
#define CMOS_CENTURY		0x32	/* BCD century (ACPI FADT default) */
#define CMOS_MEM_ABOVE_16M_LO	0x34	/* 64 KiB units from 16 MiB to 4 GiB */
#define CMOS_MEM_ABOVE_16M_HI	0x35
#define CMOS_MEM_ABOVE_4G_LO	0x5b	/* 64 KiB units above 4 GiB, 3 bytes */
#define CMOS_MEM_ABOVE_4G_MID	0x5c
#define CMOS_MEM_ABOVE_4G_HI	0x5d
#define CMOS_SMP_COUNT		0x5f	/* CPUs - 1 (SeaBIOS without fw_cfg) */

struct rtc;

/*
 * Creates the RTC and registers ports 0x70-0x71.  ram_below_4g is the guest
 * RAM mapped from address 0 up to the PCI hole, ram_above_4g the RAM
 * relocated above 4 GiB (0 if none).  `irq` may be NULL (it is kept for a
 * later interrupt implementation).  Returns NULL with one line in err if
 * the ports are taken or on allocation failure.
 */
struct rtc *rtc_create(struct bus *bus, const struct irq_sink *irq,
		       unsigned gsi, uint64_t ram_below_4g,
		       uint64_t ram_above_4g, char *err, size_t errlen);
void rtc_destroy(struct rtc *rtc);

/* Sets one CMOS byte (index below 128) before the guest starts, e.g.
 * CMOS_SMP_COUNT.  Clock registers 0x00-0x0d are not settable this way. */
int rtc_set_cmos(struct rtc *rtc, unsigned index, uint8_t value);

/* Whether the guest last wrote port 0x70 with bit 7 set (NMI masked). */
bool rtc_nmi_masked(struct rtc *rtc);

#endif
