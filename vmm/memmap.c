#include "vmm/memmap.h"

#include "vmm/vm.h"

uint64_t memmap_low_ram(uint64_t ram_size)
{
	return ram_size < VM_LOW_RAM_MAX ? ram_size : VM_LOW_RAM_MAX;
}

static unsigned add(struct e820_entry *out, unsigned n, uint64_t addr,
		    uint64_t end, uint32_t type)
{
	if (end > addr && n < E820_MAX)
		out[n++] = (struct e820_entry){ addr, end - addr, type };
	return n;
}

unsigned e820_build(uint64_t ram_size, struct e820_entry out[E820_MAX])
{
	uint64_t low = memmap_low_ram(ram_size);
	unsigned n = 0;

	/* Conventional memory up to the EBDA, as every PC BIOS reports. */
	n = add(out, n, 0, low < EBDA_ADDR ? low : EBDA_ADDR, E820_TYPE_RAM);
	n = add(out, n, EBDA_ADDR, 0xa0000, E820_TYPE_RESERVED);
	/* VGA hole 0xa0000-0xeffff is neither RAM nor reserved, as on a PC. */
	n = add(out, n, BIOS_AREA_ADDR, 0x100000, E820_TYPE_RESERVED);
	n = add(out, n, 0x100000, low, E820_TYPE_RAM);
	/* The chips KVM emulates in the hole, so no one maps a BAR over them. */
	n = add(out, n, VM_IOAPIC_ADDR, VM_IOAPIC_ADDR + 0x1000, E820_TYPE_RESERVED);
	n = add(out, n, VM_LAPIC_ADDR, VM_LAPIC_ADDR + 0x1000, E820_TYPE_RESERVED);
	n = add(out, n, VM_IDENTITY_MAP_ADDR, VM_HIGH_RAM_BASE, E820_TYPE_RESERVED);
	n = add(out, n, VM_HIGH_RAM_BASE, VM_HIGH_RAM_BASE + (ram_size - low),
		E820_TYPE_RAM);
	return n;
}
