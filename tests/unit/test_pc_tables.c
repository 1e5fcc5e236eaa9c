/* The e820 map and the MP table a guest reads at boot. */
#include "check.h"
#include "vmm/boot.h"
#include "vmm/memmap.h"
#include "vmm/mptable.h"
#include "vmm/vm.h"

static uint64_t ram_in(const struct e820_entry *m, unsigned n)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < n; i++)
		if (m[i].type == E820_TYPE_RAM)
			sum += m[i].size;
	return sum;
}

TEST(e820_for_512M_has_low_ram_and_holes)
{
	struct e820_entry m[E820_MAX];
	unsigned n = e820_build(512ull << 20, m);

	CHECK_EQ(m[0].addr, 0);
	CHECK_EQ(m[0].size, 0x9fc00);
	CHECK_EQ(m[0].type, E820_TYPE_RAM);
	CHECK_EQ(m[1].addr, 0x9fc00);
	CHECK_EQ(m[1].type, E820_TYPE_RESERVED);
	CHECK_EQ(m[3].addr, 0x100000);
	CHECK_EQ(m[3].addr + m[3].size, 512ull << 20);
	/* All RAM but the 0x9fc00..0x100000 hole is reported. */
	CHECK_EQ(ram_in(m, n), (512ull << 20) - (0x100000 - 0x9fc00));
	for (unsigned i = 0; i < n; i++)
		CHECK(!(m[i].type == E820_TYPE_RAM && m[i].addr >= VM_HIGH_RAM_BASE));
	/* Sorted and not overlapping. */
	for (unsigned i = 1; i < n; i++)
		CHECK(m[i].addr >= m[i - 1].addr + m[i - 1].size);
}

TEST(e820_for_6G_splits_around_the_pci_hole)
{
	struct e820_entry m[E820_MAX];
	unsigned n = e820_build(6ull << 30, m);
	int found_high = 0;

	for (unsigned i = 0; i < n; i++) {
		if (m[i].type == E820_TYPE_RAM && m[i].addr == VM_HIGH_RAM_BASE) {
			CHECK_EQ(m[i].size, (6ull << 30) - VM_LOW_RAM_MAX);
			found_high = 1;
		}
		/* No RAM inside the hole. */
		if (m[i].type == E820_TYPE_RAM)
			CHECK(m[i].addr + m[i].size <= VM_LOW_RAM_MAX ||
			      m[i].addr >= VM_HIGH_RAM_BASE);
	}
	CHECK(found_high);
	CHECK_EQ(ram_in(m, n), (6ull << 30) - (0x100000 - 0x9fc00));
}

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;
	while (n--)
		s += *p++;
	return s;
}

TEST(mptable_lists_cpus_ioapic_and_pci_wiring)
{
	uint8_t buf[4096];
	struct mptable_pci_irq pci[2] = { { 1, 0, 17 }, { 2, 0, 18 } };
	size_t n = mptable_build(buf, sizeof(buf), 0xf0000, 2, pci, 2);
	uint32_t physptr;
	uint16_t len, count;
	const uint8_t *t, *e;
	int cpus = 0, bsp = 0, ioapics = 0, pci_ok = 0, isa = 0;

	CHECK(n > 0);
	CHECK(memcmp(buf, "_MP_", 4) == 0);
	CHECK_EQ(sum8(buf, 16), 0);
	memcpy(&physptr, buf + 4, 4);
	CHECK_EQ(physptr, 0xf0010);
	t = buf + (physptr - 0xf0000);
	CHECK(memcmp(t, "PCMP", 4) == 0);
	memcpy(&len, t + 4, 2);
	memcpy(&count, t + 34, 2);
	CHECK_EQ(sum8(t, len), 0);
	CHECK_EQ(len + 16, n);
	/* Walk the entries: processors are 20 bytes, the rest 8. */
	e = t + 44;
	for (unsigned i = 0; i < count; i++) {
		switch (e[0]) {
		case 0:
			cpus++;
			bsp += (e[3] & 2) != 0;
			CHECK_EQ(e[1], cpus - 1);	/* APIC id */
			e += 20;
			continue;
		case 2:
			ioapics++;
			CHECK_EQ(e[1], 2);		/* id after the CPUs */
			CHECK_EQ(*(const uint32_t *)(e + 4), 0xfec00000u);
			break;
		case 3:
			if (e[4] == 0 && e[5] == (2 << 2) && e[7] == 18 && e[2] == 0x0d)
				pci_ok++;
			if (e[4] == 0 && e[5] == (1 << 2) && e[7] == 17)
				pci_ok++;
			if (e[4] == 1)
				isa++;
			break;
		}
		e += 8;
	}
	CHECK_EQ(e - t, len);
	CHECK_EQ(cpus, 2);
	CHECK_EQ(bsp, 1);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(pci_ok, 2);
	CHECK_EQ(isa, 16);
}

TEST(mptable_too_small_buffer_is_refused)
{
	uint8_t buf[100];
	CHECK_EQ(mptable_build(buf, sizeof(buf), 0xf0000, 8, NULL, 0), 0);
}

TEST(initrd_goes_high_aligned_and_above_the_kernel)
{
	uint64_t at = 0;

	/* 512 MiB guest, 1 MiB + 5 bytes initrd: top of RAM, 4 KiB aligned. */
	CHECK_EQ(boot_place_initrd(512ull << 20, 0x4000000, 0x7fffffff,
				   (1 << 20) + 5, &at), 0);
	CHECK_EQ(at, (512ull << 20) - (1 << 20) - 0x1000);
	/* initrd_addr_max is the last usable byte. */
	CHECK_EQ(boot_place_initrd(3ull << 30, 0x4000000, 0x7fffffff, 0x2000, &at), 0);
	CHECK_EQ(at, 0x80000000ull - 0x2000);
	/* No room between the kernel's end and the top. */
	CHECK_EQ(boot_place_initrd(64ull << 20, 60ull << 20, 0, 8ull << 20, &at), -1);
	CHECK_EQ(boot_place_initrd(64ull << 20, 0, 0, 65ull << 20, &at), -1);
	/* Exactly fits. */
	CHECK_EQ(boot_place_initrd(64ull << 20, 56ull << 20, 0, 8ull << 20, &at), 0);
	CHECK_EQ(at, 56ull << 20);
}

TEST(cmdline_gets_console_and_host_arguments_once)
{
	char line[512];

	boot_cmdline(NULL, false, line, sizeof(line));
	CHECK(strcmp(line, "console=ttyS0 ") == 0);
	boot_cmdline("quiet", false, line, sizeof(line));
	CHECK(strcmp(line, "console=ttyS0 quiet") == 0);
	boot_cmdline("console=hvc0 quiet", false, line, sizeof(line));
	CHECK(strcmp(line, "console=hvc0 quiet") == 0);
	boot_cmdline("quiet", true, line, sizeof(line));
	CHECK(strncmp(line, "console=ttyS0 quiet noxsave clearcpuid=", 39) == 0);
	CHECK(strstr(line, "smap") != NULL);
	/* The user's own noxsave means the user chose; nothing is added. */
	boot_cmdline("noxsave", true, line, sizeof(line));
	CHECK(strcmp(line, "console=ttyS0 noxsave") == 0);
}

RUN_TESTS()
