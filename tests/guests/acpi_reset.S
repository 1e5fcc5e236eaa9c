/* acpi_reset.S - acpi_power.S, resetting through the FADT's reset register. */
#define ACPI_RESET 1
#include "tests/guests/acpi_power.S"
