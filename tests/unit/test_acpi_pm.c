/*
 * The ACPI power registers: S5 through the sleep control register powers
 * off, the reset value through the reset register resets, and nothing
 * else does either.
 */
#include "check.h"

#include "devices/acpi_pm.h"
#include "devices/bus.h"

struct seen {
	int poweroffs, resets;
};

static void on_poweroff(void *opaque)
{
	((struct seen *)opaque)->poweroffs++;
}

static void on_reset(void *opaque)
{
	((struct seen *)opaque)->resets++;
}

static void out8(struct bus *bus, uint16_t port, uint8_t v)
{
	bus_access(bus, BUS_PIO, port, &v, 1, true);
}

TEST(s5_with_slp_en_powers_off)
{
	struct bus bus;
	struct seen s = { 0 };
	struct acpi_pm *pm;

	bus_init(&bus);
	pm = acpi_pm_create(&bus, on_poweroff, on_reset, &s, NULL, 0);
	CHECK(pm != NULL);
	/* What Linux's acpi_hw_extended_sleep() writes: SLP_TYP 5, SLP_EN. */
	out8(&bus, ACPI_PM_SLEEP_CONTROL, 5 << 2 | 0x20);
	CHECK_EQ(s.poweroffs, 1);
	CHECK_EQ(s.resets, 0);
	acpi_pm_destroy(pm);
}

TEST(slp_typ_without_slp_en_or_other_states_do_nothing)
{
	struct bus bus;
	struct seen s = { 0 };
	struct acpi_pm *pm;

	bus_init(&bus);
	pm = acpi_pm_create(&bus, on_poweroff, on_reset, &s, NULL, 0);
	out8(&bus, ACPI_PM_SLEEP_CONTROL, 5 << 2);	/* no SLP_EN */
	out8(&bus, ACPI_PM_SLEEP_CONTROL, 3 << 2 | 0x20);	/* S3 */
	out8(&bus, ACPI_PM_SLEEP_CONTROL, 0x20);	/* S0 */
	out8(&bus, ACPI_PM_SLEEP_STATUS, 0x80);		/* clear WAK_STS */
	CHECK_EQ(s.poweroffs, 0);
	CHECK_EQ(s.resets, 0);
	CHECK_EQ(acpi_pm_stats(pm)->ignored, 2);
	acpi_pm_destroy(pm);
}

TEST(reset_value_resets_and_others_are_ignored)
{
	struct bus bus;
	struct seen s = { 0 };
	struct acpi_pm *pm;

	bus_init(&bus);
	pm = acpi_pm_create(&bus, on_poweroff, on_reset, &s, NULL, 0);
	out8(&bus, ACPI_PM_RESET, 0x06);
	CHECK_EQ(s.resets, 0);
	out8(&bus, ACPI_PM_RESET, ACPI_PM_RESET_VALUE);
	CHECK_EQ(s.resets, 1);
	CHECK_EQ(s.poweroffs, 0);
	acpi_pm_destroy(pm);
}

TEST(registers_read_zero_and_ports_are_released)
{
	struct bus bus;
	struct seen s = { 0 };
	struct acpi_pm *pm;
	uint8_t v = 0xff;

	bus_init(&bus);
	pm = acpi_pm_create(&bus, on_poweroff, on_reset, &s, NULL, 0);
	CHECK(bus_access(&bus, BUS_PIO, ACPI_PM_SLEEP_STATUS, &v, 1, false));
	CHECK_EQ(v, 0);		/* no wake status: nothing ever sleeps */
	/* A second device cannot take the same ports. */
	CHECK(acpi_pm_create(&bus, on_poweroff, on_reset, &s, NULL, 0) == NULL);
	acpi_pm_destroy(pm);
	CHECK(!bus_access(&bus, BUS_PIO, ACPI_PM_SLEEP_CONTROL, &v, 1, false));
}

RUN_TESTS()
