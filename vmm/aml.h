/*
 * aml.h - a small emitter for the ACPI Machine Language that a DSDT is
 * written in (ACPI 6.5, chapter 20): names, integers, strings, packages,
 * buffers, scopes and devices.  Enough for a description made only of
 * data objects; there is no method, so no guest code runs in our tables.
 *
 * Every object that has a PkgLength (scope, device, package, buffer) is
 * opened with *_begin(), which returns a mark, and closed with
 * aml_end(mark): the length is known only then and is inserted in front
 * of the body.  Writes past the buffer set `overflow` and are dropped, so
 * a caller checks once at the end.
 */
#ifndef MINIVMM_AML_H
#define MINIVMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap, len;
	bool overflow;
};

void aml_init(struct aml *a, uint8_t *buf, size_t cap);
void aml_bytes(struct aml *a, const void *p, size_t n);

/*
 * A name: "PCI0", "_SB" (segments shorter than four characters are padded
 * with '_'), a rooted "\\_SB", or a dotted path "\\_SB.PCI0".
 */
void aml_namestring(struct aml *a, const char *path);
/* Zero, One, or the smallest of Byte/Word/DWord/QWord that holds v. */
void aml_integer(struct aml *a, uint64_t v);
void aml_string(struct aml *a, const char *s);
/* EISAID("PNP0A03"): the 7-character PnP id compressed to a DWord. */
void aml_eisaid(struct aml *a, const char *id);
/* Name(path, ...): the caller emits the one data object that follows. */
void aml_name(struct aml *a, const char *path);
/* Buffer holding bytes[0..n). */
void aml_buffer(struct aml *a, const void *bytes, size_t n);

size_t aml_scope_begin(struct aml *a, const char *path);
size_t aml_device_begin(struct aml *a, const char *path);
/* Package with `count` elements; the caller emits them. */
size_t aml_package_begin(struct aml *a, uint8_t count);
void aml_end(struct aml *a, size_t mark);

/*
 * Resource templates (ACPI 6.5 section 6.4): the body of a _CRS buffer,
 * built in its own small array and handed to aml_buffer().
 */
struct aml_res {
	uint8_t buf[256];
	size_t len;
	bool overflow;
};

/* IO(Decode16, base, base, 1, len) */
void aml_res_io(struct aml_res *r, uint16_t base, uint8_t len);
/* IRQNoFlags() {irq}: an ISA interrupt, edge-triggered, active high. */
void aml_res_irq(struct aml_res *r, uint8_t irq);
/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, ...) */
void aml_res_bus_range(struct aml_res *r, uint16_t first, uint16_t last);
/* WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, ...) */
void aml_res_io_window(struct aml_res *r, uint16_t base, uint32_t len);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, ...) */
void aml_res_mem_window(struct aml_res *r, uint32_t base, uint32_t len);
/* EndTag: closes the template. */
void aml_res_end(struct aml_res *r);

#endif
