/*
 * irq.h - how a device raises an interrupt without knowing about KVM.
 *
 * vmm/ supplies a sink backed by KVM_IRQ_LINE (INTx, ISA lines through the
 * in-kernel IOAPIC/PIC) and KVM_SIGNAL_MSI (MSI-X messages); unit tests
 * supply one that records what was raised.  Both calls are safe from any
 * thread and never stop a vCPU.
 */
#ifndef MINIVMM_IRQ_H
#define MINIVMM_IRQ_H

#include <stdint.h>

struct irq_sink {
	/* Drives GSI `gsi` to `level` (0 or 1). Returns 0 or -errno. */
	int (*set_line)(void *opaque, unsigned gsi, int level);
	/* Delivers one MSI message. Returns 0 or -errno. */
	int (*send_msi)(void *opaque, uint64_t addr, uint32_t data);
	void *opaque;
};

static inline int irq_set_line(const struct irq_sink *s, unsigned gsi, int level)
{
	return s->set_line(s->opaque, gsi, level);
}

static inline int irq_send_msi(const struct irq_sink *s, uint64_t addr, uint32_t data)
{
	return s->send_msi(s->opaque, addr, data);
}

#endif
