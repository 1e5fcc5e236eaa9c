/*
 * acpi_pm.h - the power-management registers a hardware-reduced ACPI
 * machine has (ACPI 6.5 sections 4.8.3.7 and 4.8.3.6): the sleep control
 * register a guest writes to enter a sleep state (S5 is power off), the
 * sleep status register it polls, and the reset register.  The FADT that
 * vmm/acpi.c builds points at these ports.
 *
 * Sleep control: writing SLP_EN (bit 5) with SLP_TYP (bits 2-4) equal to
 * the S5 value the DSDT's _S5 names powers off.  Other sleep types are
 * not offered by the tables; a guest asking for one is warned about and
 * ignored.  Sleep status reads 0 (WAK_STS never set: no sleep state ever
 * returns).  Reset: writing ACPI_PM_RESET_VALUE resets the machine.
 */
#ifndef MINIVMM_ACPI_PM_H
#define MINIVMM_ACPI_PM_H

#include <stdint.h>

#include "devices/bus.h"

#define ACPI_PM_PORT 0x600		/* three byte registers from here */
#define ACPI_PM_SLEEP_CONTROL (ACPI_PM_PORT + 0)
#define ACPI_PM_SLEEP_STATUS (ACPI_PM_PORT + 1)
#define ACPI_PM_RESET (ACPI_PM_PORT + 2)
#define ACPI_PM_RESET_VALUE 0x01
#define ACPI_PM_S5_TYPE 5		/* SLP_TYP for S5, as _S5 says */

#define ACPI_SLP_EN 0x20
#define ACPI_SLP_TYP_SHIFT 2
#define ACPI_SLP_TYP_MASK 0x1c

struct acpi_pm;

struct acpi_pm_stats {
	unsigned long ignored;	/* other sleep types, other reset values */
};

/*
 * Registers the three ports.  poweroff and reset are called from the vCPU
 * thread with the bus lock held: they should record why the run ends and
 * stop the vCPUs, not exit().  NULL with one line in err if the ports
 * are taken or on allocation failure.
 */
struct acpi_pm *acpi_pm_create(struct bus *bus, void (*poweroff)(void *),
			       void (*reset)(void *), void *opaque,
			       char *err, size_t errlen);
void acpi_pm_destroy(struct acpi_pm *pm);
const struct acpi_pm_stats *acpi_pm_stats(const struct acpi_pm *pm);

#endif
