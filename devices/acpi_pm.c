/* acpi_pm.c - see acpi_pm.h. */
#include "devices/acpi_pm.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

struct acpi_pm {
	struct bus *bus;
	void (*poweroff)(void *);
	void (*reset)(void *);
	void *opaque;
	struct acpi_pm_stats stats;
};

static void sleep_control(struct acpi_pm *pm, uint8_t v)
{
	unsigned type = (v & ACPI_SLP_TYP_MASK) >> ACPI_SLP_TYP_SHIFT;

	if (!(v & ACPI_SLP_EN))
		return;		/* setting up SLP_TYP before SLP_EN is allowed */
	if (type == ACPI_PM_S5_TYPE) {
		pm->poweroff(pm->opaque);
		return;
	}
	pm->stats.ignored++;
	warn_guest("ACPI: guest asked for sleep type %u, which is not offered; ignored",
		   type);
}

/*
 * Each register is one byte wide (the FADT says so); a wider access at
 * the first port is taken as a byte write of its low byte to that port,
 * as an ISA chip that decodes only one byte would.
 */
static void acpi_pm_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct acpi_pm *pm = opaque;

	if (!is_write) {
		memset(data, 0, len);	/* sleep status: no wake event */
		return;
	}
	switch (off) {
	case ACPI_PM_SLEEP_CONTROL - ACPI_PM_PORT:
		sleep_control(pm, data[0]);
		break;
	case ACPI_PM_SLEEP_STATUS - ACPI_PM_PORT:
		break;		/* write 1 to clear WAK_STS: nothing is set */
	case ACPI_PM_RESET - ACPI_PM_PORT:
		if (data[0] == ACPI_PM_RESET_VALUE) {
			pm->reset(pm->opaque);
			break;
		}
		pm->stats.ignored++;
		warn_guest("ACPI: reset register written with %#x, not %#x; ignored",
			   data[0], ACPI_PM_RESET_VALUE);
		break;
	}
}

struct acpi_pm *acpi_pm_create(struct bus *bus, void (*poweroff)(void *),
			       void (*reset)(void *), void *opaque,
			       char *err, size_t errlen)
{
	struct acpi_pm *pm = calloc(1, sizeof(*pm));

	if (!pm) {
		snprintf(err, errlen, "acpi-pm: out of memory");
		return NULL;
	}
	pm->bus = bus;
	pm->poweroff = poweroff;
	pm->reset = reset;
	pm->opaque = opaque;
	if (bus_claim(bus, BUS_PIO, ACPI_PM_PORT, 3, acpi_pm_io, pm, "acpi-pm",
		      err, errlen) < 0) {
		free(pm);
		return NULL;
	}
	return pm;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	bus_move(pm->bus, BUS_PIO, pm, "acpi-pm", 0, 0);
	free(pm);
}

const struct acpi_pm_stats *acpi_pm_stats(const struct acpi_pm *pm)
{
	return &pm->stats;
}
