/*
 * The ACPI tables minivmm builds: reached from the RSDP the way a guest
 * reaches them, every checksum right, the FADT pointing at the power
 * registers, one MADT local APIC per vCPU, a DSDT with _S5 and the PCI
 * host bridge; and every table disassembled by acpica-tools' iasl without
 * an error (skipped, with the reason, where iasl is not installed).
 */
#include "check.h"

#include <stdlib.h>
#include <unistd.h>

#include "devices/acpi_pm.h"
#include "vmm/acpi.h"
#include "vmm/aml.h"
#include "vmm/machine.h"
#include "vmm/vm.h"

#define BASE 0xf8000u
#define AREA 0x8000u

static uint8_t area[AREA];

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* The table at guest address gpa, or NULL if it is outside the area. */
static const uint8_t *at(uint64_t gpa)
{
	if (gpa < BASE || gpa + ACPI_HEADER_LEN > BASE + AREA)
		return NULL;
	return area + (gpa - BASE);
}

static const struct mptable_pci_irq two_devices[] = {
	{ 1, 0, 17 }, { 2, 0, 18 },
};

static size_t build(unsigned ncpus)
{
	struct acpi_machine m = { ncpus, two_devices, 2 };

	memset(area, 0xcc, sizeof(area));
	return acpi_build(area, sizeof(area), BASE, &m, NULL);
}

/* The XSDT entry with this signature. */
static const uint8_t *find(const char *sig)
{
	const uint8_t *xsdt = at(rd(area + 24, 8));
	uint32_t len;

	if (!xsdt)
		return NULL;
	len = (uint32_t)rd(xsdt + 4, 4);
	for (uint32_t off = ACPI_HEADER_LEN; off + 8 <= len; off += 8) {
		const uint8_t *t = at(rd(xsdt + off, 8));
		if (t && memcmp(t, sig, 4) == 0)
			return t;
	}
	return NULL;
}

static int has_bytes(const uint8_t *t, const void *needle, size_t n)
{
	uint32_t len = (uint32_t)rd(t + 4, 4);
	for (uint32_t i = 0; i + n <= len; i++)
		if (memcmp(t + i, needle, n) == 0)
			return 1;
	return 0;
}

TEST(rsdp_revision_2_with_both_checksums)
{
	CHECK(build(2) > 0);
	CHECK_MEM(area, "RSD PTR ", 8);
	CHECK_EQ(area[15], 2);
	CHECK_EQ(sum8(area, 20), 0);
	CHECK_EQ(rd(area + 20, 4), ACPI_RSDP_LEN);
	CHECK_EQ(sum8(area, ACPI_RSDP_LEN), 0);
	CHECK(at(rd(area + 16, 4)) != NULL);	/* RSDT */
	CHECK(at(rd(area + 24, 8)) != NULL);	/* XSDT */
}

TEST(every_table_checksums_to_zero_and_fits)
{
	const char *sigs[] = { "FACP", "APIC" };
	size_t used = build(4);
	const uint8_t *fadt;

	CHECK(used > 0 && used <= AREA);
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *t = find(sigs[i]);
		CHECK(t != NULL);
		if (!t)
			continue;
		CHECK_EQ(sum8(t, (size_t)rd(t + 4, 4)), 0);
		CHECK(t + rd(t + 4, 4) <= area + used);
	}
	fadt = find("FACP");
	if (fadt) {
		const uint8_t *dsdt = at(rd(fadt + ACPI_FADT_X_DSDT, 8));
		CHECK(dsdt != NULL);
		if (dsdt) {
			CHECK_MEM(dsdt, "DSDT", 4);
			CHECK_EQ(sum8(dsdt, (size_t)rd(dsdt + 4, 4)), 0);
		}
		CHECK_EQ(rd(fadt + 40, 4), rd(fadt + ACPI_FADT_X_DSDT, 8));
	}
	const uint8_t *rsdt = at(rd(area + 16, 4));
	if (rsdt) {
		CHECK_MEM(rsdt, "RSDT", 4);
		CHECK_EQ(rd(rsdt + 4, 4), ACPI_HEADER_LEN + 8);
		CHECK_EQ(sum8(rsdt, ACPI_HEADER_LEN + 8), 0);
	}
}

TEST(fadt_is_hardware_reduced_with_sleep_and_reset_registers)
{
	const uint8_t *f;

	build(1);
	f = find("FACP");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(rd(f + 4, 4), ACPI_FADT_LEN);
	CHECK_EQ(f[8], 6);
	CHECK(rd(f + ACPI_FADT_FLAGS, 4) & ACPI_FADT_HW_REDUCED);
	CHECK(rd(f + ACPI_FADT_FLAGS, 4) & ACPI_FADT_RESET_REG_SUP);
	/* GAS: system I/O, 8 bits, byte access, at the acpi_pm ports. */
	CHECK_EQ(f[ACPI_FADT_SLEEP_CONTROL], 1);
	CHECK_EQ(f[ACPI_FADT_SLEEP_CONTROL + 1], 8);
	CHECK_EQ(rd(f + ACPI_FADT_SLEEP_CONTROL + 4, 8), ACPI_PM_SLEEP_CONTROL);
	CHECK_EQ(rd(f + ACPI_FADT_SLEEP_STATUS + 4, 8), ACPI_PM_SLEEP_STATUS);
	CHECK_EQ(f[ACPI_FADT_RESET_REG], 1);
	CHECK_EQ(rd(f + ACPI_FADT_RESET_REG + 4, 8), ACPI_PM_RESET);
	CHECK_EQ(f[ACPI_FADT_RESET_VALUE], ACPI_PM_RESET_VALUE);
	/* No PM1 blocks, no PM timer: hardware-reduced. */
	CHECK_EQ(rd(f + 56, 4), 0);
	CHECK_EQ(rd(f + 64, 4), 0);
	CHECK_EQ(rd(f + 76, 4), 0);
}

/* Counts MADT entries of one type; *first gets the first one. */
static unsigned madt_count(const uint8_t *madt, uint8_t type, const uint8_t **first)
{
	uint32_t len = (uint32_t)rd(madt + 4, 4);
	unsigned n = 0;

	for (uint32_t off = ACPI_HEADER_LEN + 8; off + 2 <= len && madt[off + 1];
	     off += madt[off + 1]) {
		if (madt[off] != type)
			continue;
		if (!n && first)
			*first = madt + off;
		n++;
	}
	return n;
}

TEST(madt_has_one_enabled_lapic_per_vcpu_and_the_ioapic)
{
	const uint8_t *madt, *e = NULL;

	build(4);
	madt = find("APIC");
	CHECK(madt != NULL);
	if (!madt)
		return;
	CHECK_EQ(rd(madt + ACPI_HEADER_LEN, 4), VM_LAPIC_ADDR);
	CHECK_EQ(madt_count(madt, 0, &e), 4);
	if (e) {
		for (unsigned i = 0; i < 4; i++) {
			CHECK_EQ(e[8 * i + 3], i);	/* APIC id */
			CHECK_EQ(rd(e + 8 * i + 4, 4), 1);	/* enabled */
		}
	}
	CHECK_EQ(madt_count(madt, 1, &e), 1);
	if (e) {
		CHECK_EQ(e[2], 4);		/* id after the CPUs, as the MP table */
		CHECK_EQ(rd(e + 4, 4), VM_IOAPIC_ADDR);
		CHECK_EQ(rd(e + 8, 4), 0);
	}
	/* ISA overrides: identity, like the MP table's ISA entries. */
	CHECK(madt_count(madt, 2, &e) >= 3);
	if (e) {
		CHECK_EQ(e[2], 0);		/* bus ISA */
		CHECK_EQ(rd(e + 4, 4), e[3]);	/* GSI = IRQ */
		CHECK_EQ(rd(e + 8, 2), 0);	/* bus defaults */
	}
	CHECK_EQ(madt_count(madt, 4, NULL), 1);	/* LINT1 NMI */
}

TEST(madt_for_64_vcpus_fits)
{
	const uint8_t *madt;

	CHECK(build(VM_MAX_VCPUS) > 0);
	madt = find("APIC");
	CHECK(madt && madt_count(madt, 0, NULL) == VM_MAX_VCPUS);
}

TEST(dsdt_names_s5_the_host_bridge_com1_and_each_cpu)
{
	const uint8_t *f, *d;
	/* Name(\_S5, Package(4) {5, 5, 0, 0}) */
	const uint8_t s5[] = { 0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04,
			       0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	const uint8_t pnp0a03[] = { 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	const uint8_t pnp0501[] = { 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	/* _PRT entry for slot 2: Package(4) {0x0002ffff, 0, 0, 18} */
	const uint8_t prt2[] = { 0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x02, 0x00,
				 0x00, 0x00, 0x0a, 18 };
	/* COM1's resources: IO 0x3f8 length 8, IRQ 4. */
	const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08,
				    0x22, 0x10, 0x00 };

	build(3);
	f = find("FACP");
	d = f ? at(rd(f + ACPI_FADT_X_DSDT, 8)) : NULL;
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(has_bytes(d, s5, sizeof(s5)));
	CHECK(has_bytes(d, "PCI0", 4));
	CHECK(has_bytes(d, pnp0a03, sizeof(pnp0a03)));
	CHECK(has_bytes(d, "_PRT", 4));
	CHECK(has_bytes(d, prt2, sizeof(prt2)));
	CHECK(has_bytes(d, pnp0501, sizeof(pnp0501)));
	CHECK(has_bytes(d, com1_io, sizeof(com1_io)));
	CHECK(has_bytes(d, "C002", 4));
	CHECK(!has_bytes(d, "C003", 4));
	CHECK(has_bytes(d, "ACPI0007", 8));
}

TEST(too_small_an_area_is_refused)
{
	struct acpi_machine m = { 2, two_devices, 2 };

	CHECK_EQ(acpi_build(area, 100, BASE, &m, NULL), 0);
	CHECK_EQ(acpi_build(area, 600, BASE, &m, NULL), 0);
	m.ncpus = 0;
	CHECK_EQ(acpi_build(area, sizeof(area), BASE, &m, NULL), 0);
}

TEST(aml_pkglength_grows_to_two_bytes_past_63)
{
	uint8_t buf[300];
	struct aml a;
	size_t mark;
	uint8_t filler[100] = { 0 };

	aml_init(&a, buf, sizeof(buf));
	mark = aml_package_begin(&a, 1);
	aml_buffer(&a, filler, 40);	/* 0x11 pkglen 0x0a 0x28 + 40 = 44 bytes */
	aml_end(&a, mark);
	CHECK_EQ(buf[0], 0x12);
	CHECK_EQ(buf[1], 1 + 1 + 44);		/* one-byte PkgLength */
	aml_init(&a, buf, sizeof(buf));
	mark = aml_package_begin(&a, 1);
	aml_buffer(&a, filler, 100);
	aml_end(&a, mark);
	/* body 1 + 105 = 106, plus two PkgLength bytes = 108 = 0x6c */
	CHECK_EQ(buf[1], 0x40 | 0x0c);
	CHECK_EQ(buf[2], 0x06);
	CHECK_EQ(a.len, 1 + 2 + 106);
	/* Overflow is sticky and never writes past the end. */
	aml_init(&a, buf, 10);
	aml_buffer(&a, filler, 20);
	CHECK(a.overflow);
}

/*
 * iasl -d on one table: the disassembler's exit status and its output must
 * show no error.  Returns 1 when clean.
 */
static int write_table(const char *dir, const char *name, const uint8_t *t,
		       size_t len)
{
	char path[300];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(t, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int iasl_clean(const char *dir, const char *name, const uint8_t *t,
		      size_t len)
{
	char path[300], cmd[800], line[512];
	FILE *f;
	int clean = 1, st;

	if (write_table(dir, name, t, len) < 0)
		return 0;
	snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s.dat > %s.log 2>&1", dir,
		 name, name);
	st = system(cmd);
	if (st != 0)
		clean = 0;
	/*
	 * The log, and the disassembly where iasl notes what it found wrong in
	 * a data table ("Invalid", "****" remarks) as comments.
	 */
	for (int k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "%s/%s.%s", dir, name, k ? "dsl" : "log");
		f = fopen(path, "r");
		if (!f) {
			clean = 0;
			continue;
		}
		while (fgets(line, sizeof(line), f))
			if (strstr(line, "Error") || strstr(line, "Warning") ||
			    strstr(line, "Invalid") || strstr(line, "****")) {
				printf("    iasl %s: %s", name, line);
				clean = 0;
			}
		fclose(f);
	}
	if (!clean)
		printf("    iasl %s: exit %d\n", name, st);
	return clean;
}

TEST(iasl_disassembles_every_table_without_errors)
{
	char dir[] = "/tmp/minivmm-acpi.XXXXXX";
	const char *sigs[] = { "FACP", "APIC" };
	const uint8_t *f, *d, *rsdt, *xsdt;
	char cmd[300];

	if (system("command -v iasl >/dev/null 2>&1") != 0)
		SKIP("iasl not installed (Debian's acpica-tools; scripts/deps.sh installs it)");
	CHECK(build(4) > 0);
	CHECK(mkdtemp(dir) != NULL);
	/*
	 * Not the RSDP: it has no table header, and iasl (20200925) refuses a
	 * bare one ("does not contain a valid ACPI table"); its checksums are
	 * checked above.
	 */
	rsdt = at(rd(area + 16, 4));
	xsdt = at(rd(area + 24, 8));
	CHECK(rsdt && iasl_clean(dir, "rsdt", rsdt, (size_t)rd(rsdt + 4, 4)));
	CHECK(xsdt && iasl_clean(dir, "xsdt", xsdt, (size_t)rd(xsdt + 4, 4)));
	for (unsigned i = 0; i < 2; i++) {
		const uint8_t *t = find(sigs[i]);
		CHECK(t && iasl_clean(dir, sigs[i], t, (size_t)rd(t + 4, 4)));
	}
	f = find("FACP");
	d = f ? at(rd(f + ACPI_FADT_X_DSDT, 8)) : NULL;
	CHECK(d && iasl_clean(dir, "dsdt", d, (size_t)rd(d + 4, 4)));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

/*
 * ACPICA's own interpreter (acpiexec, the code Linux runs) loads the DSDT
 * into a namespace and finds every name: what would otherwise show up in a
 * guest's log as "ACPI Error" or "Firmware Error".
 */
TEST(acpica_loads_the_dsdt_namespace_without_errors)
{
	char dir[] = "/tmp/minivmm-acpiexec.XXXXXX";
	char cmd[400], line[512];
	const uint8_t *f, *d;
	FILE *out;
	int names = 0;

	if (system("command -v acpiexec >/dev/null 2>&1") != 0)
		SKIP("acpiexec not installed (Debian's acpica-tools; scripts/deps.sh installs it)");
	CHECK(build(2) > 0);
	f = find("FACP");
	d = f ? at(rd(f + ACPI_FADT_X_DSDT, 8)) : NULL;
	CHECK(d != NULL);
	if (!d || !mkdtemp(dir))
		return;
	CHECK(write_table(dir, "dsdt", d, (size_t)rd(d + 4, 4)) == 0);
	snprintf(cmd, sizeof(cmd), "cd %s && acpiexec -b namespace dsdt.dat 2>&1", dir);
	out = popen(cmd, "r");
	CHECK(out != NULL);
	while (out && fgets(line, sizeof(line), out)) {
		if (strstr(line, "Error") || strstr(line, "Exception") ||
		    strstr(line, "Warning")) {
			printf("    acpiexec: %s", line);
			CHECK(!"acpiexec reported a problem");
		}
		names += strstr(line, " _PRT Package") != NULL ||
			 strstr(line, " _S5_ Package") != NULL ||
			 strstr(line, " C001 Device") != NULL;
	}
	if (out)
		CHECK_EQ(pclose(out), 0);
	CHECK_EQ(names, 3);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK(system(cmd) == 0);
}

RUN_TESTS()
