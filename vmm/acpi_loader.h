/*
 * acpi_loader.h - the ACPI tables for a guest booted through SeaBIOS,
 * handed over fw_cfg the way QEMU hands them (QEMU's
 * hw/acpi/bios-linker-loader.c, SeaBIOS's src/fw/romfile_loader.c):
 *
 *   etc/acpi/tables   every table, built as if placed at address 0
 *   etc/acpi/rsdp     the RSDP
 *   etc/table-loader  128-byte commands SeaBIOS runs in order: allocate
 *                     each file (the tables in 32-bit RAM, the RSDP in the
 *                     F segment where an OS's scan finds it), add the
 *                     address it chose for the tables to every pointer
 *                     field, then recompute every checksum.
 *
 * SeaBIOS then skips its own ACPI builder; it still builds its MP table,
 * which acpi=off kernels use.
 */
#ifndef MINIVMM_ACPI_LOADER_H
#define MINIVMM_ACPI_LOADER_H

#include "devices/fw_cfg.h"
#include "vmm/acpi.h"

/* Adds the three files to cfg.  Returns 0, or -errno (-ENOSPC: too big). */
int acpi_loader_add(struct fw_cfg *cfg, const struct acpi_machine *m);

#endif
