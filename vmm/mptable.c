/*
 * mptable.c - builds the MP table (Intel MP Specification 1.4, chapter 4).
 * The kernel's <asm/mpspec_def.h> is not exported to user space, so the
 * layouts are written here from the specification.
 */
#include "vmm/mptable.h"

#include <string.h>

#include "vmm/vm.h"

struct mpf_pointer {
	char signature[4];	/* "_MP_" */
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_header {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_ptr;
	uint16_t oem_size;
	uint16_t count;
	uint32_t lapic_addr;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t signature, features;
	uint32_t reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, bus_id;
	char bus_type[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apic_id, apic_ver, flags;
	uint32_t addr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irq_type;
	uint16_t flags;
	uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

enum { MP_CPU, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };
#define MP_CPU_ENABLED 1
#define MP_CPU_BSP 2
/* PCI INTx: level-triggered, active high, which is how KVM's IOAPIC models them. */
#define MP_IRQ_PCI_FLAGS 0x0d
#define MP_BUS_PCI 0
#define MP_BUS_ISA 1

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

struct writer {
	uint8_t *buf;
	size_t len, pos;
	unsigned count;
	int overflow;
};

static void put(struct writer *w, const void *entry, size_t size)
{
	if (w->pos + size > w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->pos, entry, size);
	w->pos += size;
	w->count++;
}

static void put_intsrc(struct writer *w, uint8_t type, uint8_t irq_type,
		       uint16_t flags, uint8_t bus, uint8_t irq, uint8_t apic,
		       uint8_t pin)
{
	struct mpc_intsrc e = { type, irq_type, flags, bus, irq, apic, pin };

	put(w, &e, sizeof(e));
}

size_t mptable_build(uint8_t *buf, size_t len, uint32_t base, unsigned ncpus,
		     const struct mptable_pci_irq *pci, unsigned npci)
{
	struct writer w = { buf, len, 0, 0, 0 };
	struct mpf_pointer *mpf = (struct mpf_pointer *)buf;
	struct mpc_header *hdr = (struct mpc_header *)(buf + sizeof(*mpf));
	uint8_t ioapic_id = (uint8_t)ncpus;	/* after the CPUs' APIC ids */
	size_t table_start;

	if (len < sizeof(*mpf) + sizeof(*hdr))
		return 0;
	memset(buf, 0, sizeof(*mpf) + sizeof(*hdr));
	w.pos = sizeof(*mpf) + sizeof(*hdr);
	table_start = sizeof(*mpf);

	for (unsigned i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_CPU, .apic_id = (uint8_t)i, .apic_ver = 0x14,
			.flags = MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
			.signature = 0x600, .features = 0x201, /* FPU, APIC */
		};
		put(&w, &cpu, sizeof(cpu));
	}
	struct mpc_bus pci_bus = { MP_BUS, MP_BUS_PCI, "PCI   " };
	struct mpc_bus isa_bus = { MP_BUS, MP_BUS_ISA, "ISA   " };
	put(&w, &pci_bus, sizeof(pci_bus));
	put(&w, &isa_bus, sizeof(isa_bus));
	struct mpc_ioapic ioapic = { MP_IOAPIC, ioapic_id, 0x11, 1, VM_IOAPIC_ADDR };
	put(&w, &ioapic, sizeof(ioapic));

	/*
	 * ISA IRQ n on IOAPIC pin n: KVM's default routing sends GSI n (the
	 * in-kernel PIT raises GSI 0) to pin n, so the table says the same.
	 */
	for (uint8_t irq = 0; irq < 16; irq++)
		put_intsrc(&w, MP_INTSRC, MP_INT, 0, MP_BUS_ISA, irq, ioapic_id, irq);
	for (unsigned i = 0; i < npci; i++)
		put_intsrc(&w, MP_INTSRC, MP_INT, MP_IRQ_PCI_FLAGS, MP_BUS_PCI,
			   (uint8_t)(pci[i].slot << 2 | pci[i].pin), ioapic_id,
			   pci[i].gsi);
	/* Local interrupts: the PIC on LINT0 (virtual wire), NMI on LINT1. */
	put_intsrc(&w, MP_LINTSRC, MP_EXTINT, 0, MP_BUS_ISA, 0, 0xff, 0);
	put_intsrc(&w, MP_LINTSRC, MP_NMI, 0, MP_BUS_ISA, 0, 0xff, 1);
	if (w.overflow)
		return 0;

	memcpy(hdr->signature, "PCMP", 4);
	hdr->length = (uint16_t)(w.pos - table_start);
	hdr->spec_rev = 4;
	memcpy(hdr->oem, "MINIVMM ", 8);
	memcpy(hdr->product, "MINIVMM PC  ", 12);
	hdr->count = (uint16_t)(w.count);
	hdr->lapic_addr = VM_LAPIC_ADDR;
	hdr->checksum = checksum(buf + table_start, hdr->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = base + (uint32_t)table_start;
	mpf->length = 1;
	mpf->spec_rev = 4;
	mpf->checksum = checksum(buf, sizeof(*mpf));
	return w.pos;
}
