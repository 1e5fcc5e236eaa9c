/*
 * acpi.c - builds the ACPI tables (see acpi.h).  Layouts are written here
 * from the ACPI 6.5 specification: RSDP 5.2.5.3, table header 5.2.6,
 * RSDT/XSDT 5.2.7-8, FADT 5.2.9, MADT 5.2.12, DSDT 5.2.11.1.
 */
#include "vmm/acpi.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "vmm/aml.h"
#include "vmm/machine.h"
#include "vmm/vm.h"

#define OEM_ID "MINIVM"			/* 6 bytes */
#define OEM_TABLE_ID "MINIVMM "		/* 8 bytes */
#define CREATOR_ID "MVMM"

/* ISA IRQs minivmm's chips raise or the DSDT names: PIT, keyboard, COM1, RTC, mouse. */
static const uint8_t isa_irqs[] = { 0, 1, COM1_GSI, RTC_GSI, 12 };
/*
 * The SCI's ISA IRQ, as on every PC.  A hardware-reduced machine has no
 * SCI; the field is still set, because Linux takes an interrupt source
 * override whose IRQ equals SCI_INT for the SCI's, and 0 would be IRQ 0.
 */
#define SCI_IRQ 9

struct out {
	uint8_t *buf;
	size_t len, pos;
	bool overflow;
};

static uint8_t *take(struct out *o, size_t n)
{
	uint8_t *p;

	if (o->overflow || n > o->len - o->pos) {
		o->overflow = true;
		return NULL;
	}
	p = o->buf + o->pos;
	memset(p, 0, n);
	o->pos += n;
	return p;
}

static void align16(struct out *o)
{
	take(o, (16 - o->pos % 16) % 16);
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Fixed-width, unterminated text fields (signatures, OEM ids). */
static void put_text(uint8_t *p, const char *s, size_t n)
{
	for (size_t i = 0; i < n && s[i]; i++)
		p[i] = (uint8_t)s[i];
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* Starts a table with its 36-byte header; returns its offset in buf. */
static size_t table_begin(struct out *o, const char *sig, uint8_t revision)
{
	size_t at;
	uint8_t *h;

	align16(o);
	at = o->pos;
	h = take(o, ACPI_HEADER_LEN);
	if (!h)
		return at;
	put_text(h, sig, 4);
	h[8] = revision;
	put_text(h + 10, OEM_ID, 6);
	put_text(h + 16, OEM_TABLE_ID, 8);
	put_le(h + 24, 1, 4);			/* OEM revision */
	put_text(h + 28, CREATOR_ID, 4);
	put_le(h + 32, 1, 4);			/* creator revision */
	return at;
}

/* Fills in the length and checksum once the body is written. */
static void table_end(struct out *o, size_t at)
{
	uint8_t *h = o->buf + at;

	if (o->overflow)
		return;
	put_le(h + 4, o->pos - at, 4);
	h[9] = checksum(h, o->pos - at);
}

/* Generic Address Structure (5.2.3.2): one byte-wide I/O port. */
static void gas_io_byte(uint8_t *p, uint16_t port)
{
	p[0] = 1;		/* system I/O space */
	p[1] = 8;		/* register width in bits */
	p[2] = 0;		/* bit offset */
	p[3] = 1;		/* byte access */
	put_le(p + 4, port, 8);
}

static size_t build_fadt(struct out *o, uint32_t base, size_t dsdt)
{
	size_t at = table_begin(o, "FACP", 6);
	uint8_t *f = take(o, ACPI_FADT_LEN - ACPI_HEADER_LEN);

	if (!f)
		return at;
	f -= ACPI_HEADER_LEN;
	put_le(f + ACPI_FADT_DSDT, base + dsdt, 4);
	put_le(f + 46, SCI_IRQ, 2);			/* SCI_INT */
	/*
	 * IAPC_BOOT_ARCH: legacy ISA devices (COM1, RTC), an 8042, no VGA.
	 * MSI is supported (virtio's MSI-X), the CMOS RTC is present.
	 */
	put_le(f + 109, 0x0007, 2);
	put_le(f + ACPI_FADT_FLAGS,
	       1u << 0 |			/* WBINVD works */
	       1u << 4 | 1u << 5 |		/* no fixed power/sleep buttons */
	       ACPI_FADT_RESET_REG_SUP | ACPI_FADT_HW_REDUCED, 4);
	gas_io_byte(f + ACPI_FADT_RESET_REG, ACPI_PM_RESET);
	f[ACPI_FADT_RESET_VALUE] = ACPI_PM_RESET_VALUE;
	f[131] = 0;					/* FADT minor version */
	put_le(f + ACPI_FADT_X_DSDT, base + dsdt, 8);
	gas_io_byte(f + ACPI_FADT_SLEEP_CONTROL, ACPI_PM_SLEEP_CONTROL);
	gas_io_byte(f + ACPI_FADT_SLEEP_STATUS, ACPI_PM_SLEEP_STATUS);
	put_text(f + 268, "MINIVMM", 8);		/* hypervisor vendor */
	table_end(o, at);
	return at;
}

static void madt_entry(struct out *o, const uint8_t *e, size_t n)
{
	uint8_t *p = take(o, n);

	if (p)
		memcpy(p, e, n);
}

/*
 * The CPUs, the IOAPIC and the ISA interrupts, as the MP table gives them:
 * local APIC id i for vCPU i, the IOAPIC with the id after the last CPU,
 * ISA IRQ n on GSI n with the bus's default polarity and trigger (KVM's
 * default routing), and NMI on every CPU's LINT1.
 */
static size_t build_madt(struct out *o, unsigned ncpus)
{
	size_t at = table_begin(o, "APIC", 3);
	uint8_t *p = take(o, 8);
	uint8_t ioapic_id = (uint8_t)ncpus;

	if (!p)
		return at;
	put_le(p, VM_LAPIC_ADDR, 4);
	put_le(p + 4, 1, 4);		/* PCAT_COMPAT: the 8259s exist (KVM's PIC) */
	for (unsigned i = 0; i < ncpus; i++) {
		/* Processor local APIC: UID = the DSDT processor's _UID, enabled. */
		const uint8_t lapic[8] = { 0, 8, (uint8_t)i, (uint8_t)i, 1, 0, 0, 0 };
		madt_entry(o, lapic, sizeof(lapic));
	}
	uint8_t ioapic[12] = { 1, 12, ioapic_id, 0 };
	put_le(ioapic + 4, VM_IOAPIC_ADDR, 4);
	put_le(ioapic + 8, 0, 4);	/* GSI base */
	madt_entry(o, ioapic, sizeof(ioapic));
	for (size_t i = 0; i < sizeof(isa_irqs); i++) {
		/* Interrupt source override: bus 0 (ISA), IRQ -> same GSI, flags 0. */
		uint8_t ovr[10] = { 2, 10, 0, isa_irqs[i] };
		put_le(ovr + 4, isa_irqs[i], 4);
		madt_entry(o, ovr, sizeof(ovr));
	}
	/* Local APIC NMI: all processors (0xff), default flags, LINT1. */
	const uint8_t nmi[6] = { 4, 6, 0xff, 0, 0, 1 };
	madt_entry(o, nmi, sizeof(nmi));
	table_end(o, at);
	return at;
}

static void name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml_name(a, name);
	aml_integer(a, v);
}

static void name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name(a, name);
	aml_eisaid(a, id);
}

static void name_crs(struct aml *a, struct aml_res *r)
{
	aml_res_end(r);
	aml_name(a, "_CRS");
	if (r->overflow)
		a->overflow = true;
	else
		aml_buffer(a, r->buf, r->len);
}

/*
 * _PRT (6.2.13): one entry per device's INTx, wired straight to a GSI
 * (source 0).  ACPI takes such a GSI as level-triggered, active low;
 * KVM's IOAPIC ignores the polarity bit, so the line works either way,
 * and the MP table's "active high" is what the device actually drives.
 */
static void pci_prt(struct aml *a, const struct acpi_machine *m)
{
	size_t prt;

	aml_name(a, "_PRT");
	prt = aml_package_begin(a, (uint8_t)m->npci);
	for (unsigned i = 0; i < m->npci; i++) {
		size_t e = aml_package_begin(a, 4);

		aml_integer(a, (uint32_t)m->pci[i].slot << 16 | 0xffff);
		aml_integer(a, m->pci[i].pin);
		aml_integer(a, 0);
		aml_integer(a, m->pci[i].gsi);
		aml_end(a, e);
	}
	aml_end(a, prt);
}

static void dsdt_pci(struct aml *a, const struct acpi_machine *m)
{
	struct aml_res r = { .len = 0 };
	size_t dev = aml_device_begin(a, "PCI0");

	name_eisaid(a, "_HID", "PNP0A03");
	name_integer(a, "_UID", 0);
	name_integer(a, "_BBN", 0);
	aml_res_bus_range(&r, 0, 0);
	aml_res_io(&r, 0xcf8, 8);	/* configuration mechanism 1 */
	aml_res_io_window(&r, VM_PCI_PIO_BASE, VM_PCI_PIO_SIZE);
	aml_res_mem_window(&r, (uint32_t)VM_PCI_MMIO_BASE,
			   (uint32_t)VM_PCI_MMIO_SIZE);
	name_crs(a, &r);
	pci_prt(a, m);
	aml_end(a, dev);
}

/* An ISA device with a PnP id, one I/O range or two, and an IRQ. */
static void dsdt_isa(struct aml *a, const char *name, const char *hid,
		     uint16_t io1, uint8_t len1, uint16_t io2, uint8_t len2,
		     uint8_t irq)
{
	struct aml_res r = { .len = 0 };
	size_t dev = aml_device_begin(a, name);

	name_eisaid(a, "_HID", hid);
	aml_res_io(&r, io1, len1);
	if (len2)
		aml_res_io(&r, io2, len2);
	aml_res_irq(&r, irq);
	name_crs(a, &r);
	aml_end(a, dev);
}

static size_t build_dsdt(struct out *o, const struct acpi_machine *m)
{
	size_t at = table_begin(o, "DSDT", 2);	/* 2: 64-bit integers */
	struct aml a;
	size_t scope, pkg;

	if (o->overflow)
		return at;
	aml_init(&a, o->buf + o->pos, o->len - o->pos);
	/* \_S5: SLP_TYP for the sleep control register, twice (a and b). */
	aml_name(&a, "\\_S5");
	pkg = aml_package_begin(&a, 4);
	aml_integer(&a, ACPI_PM_S5_TYPE);
	aml_integer(&a, ACPI_PM_S5_TYPE);
	aml_integer(&a, 0);
	aml_integer(&a, 0);
	aml_end(&a, pkg);

	scope = aml_scope_begin(&a, "\\_SB");
	dsdt_pci(&a, m);
	dsdt_isa(&a, "COM1", "PNP0501", COM1_PORT, 8, 0, 0, COM1_GSI);
	dsdt_isa(&a, "RTC", "PNP0B00", 0x70, 2, 0, 0, RTC_GSI);
	dsdt_isa(&a, "KBD", "PNP0303", 0x60, 1, 0x64, 1, 1);
	for (unsigned i = 0; i < m->ncpus; i++) {
		char name[5];
		size_t dev;

		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		dev = aml_device_begin(&a, name);
		aml_name(&a, "_HID");
		aml_string(&a, "ACPI0007");
		name_integer(&a, "_UID", i);
		aml_end(&a, dev);
	}
	aml_end(&a, scope);
	/* The AML was written in place, inside what is left of buf. */
	if (a.overflow)
		o->overflow = true;
	else
		o->pos += a.len;
	table_end(o, at);
	return at;
}

size_t acpi_build(uint8_t *buf, size_t len, uint32_t base,
		  const struct acpi_machine *m, struct acpi_layout *layout)
{
	struct out o = { buf, len, 0, false };
	uint8_t *rsdp = take(&o, ACPI_RSDP_LEN);
	size_t dsdt, fadt, madt, rsdt, xsdt;
	uint8_t *p;

	if (!rsdp || m->ncpus == 0 || m->ncpus > 255)
		return 0;
	dsdt = build_dsdt(&o, m);
	fadt = build_fadt(&o, base, dsdt);
	madt = build_madt(&o, m->ncpus);

	rsdt = table_begin(&o, "RSDT", 1);
	if ((p = take(&o, 8))) {
		put_le(p, base + fadt, 4);
		put_le(p + 4, base + madt, 4);
	}
	table_end(&o, rsdt);
	xsdt = table_begin(&o, "XSDT", 1);
	if ((p = take(&o, 16))) {
		put_le(p, base + fadt, 8);
		put_le(p + 8, base + madt, 8);
	}
	table_end(&o, xsdt);
	if (o.overflow)
		return 0;

	put_text(rsdp, "RSD PTR ", 8);
	put_text(rsdp + 9, OEM_ID, 6);
	rsdp[15] = 2;				/* revision: ACPI 2.0+ */
	put_le(rsdp + 16, base + rsdt, 4);
	put_le(rsdp + 20, ACPI_RSDP_LEN, 4);
	put_le(rsdp + 24, base + xsdt, 8);
	rsdp[8] = checksum(rsdp, 20);		/* the ACPI 1.0 part */
	rsdp[32] = checksum(rsdp, ACPI_RSDP_LEN);
	if (layout)
		*layout = (struct acpi_layout){ rsdt, xsdt, fadt, madt, dsdt };
	return o.pos;
}
