/*
 * msix.c - an MSI-X function (PCI 3.0 section 6.8.2); see msix.h.
 * Table entries are kept as the bytes the guest wrote, little-endian, so
 * any access size at any offset reads back what was written.
 */
#include "devices/msix.h"

#include <errno.h>
#include <linux/pci_regs.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"

#define CTRL_ENABLE PCI_MSIX_FLAGS_ENABLE
#define CTRL_MASKALL PCI_MSIX_FLAGS_MASKALL
#define CAP_LEN 12

static uint16_t msg_ctrl(const struct msix *m)
{
	return (uint16_t)pci_cfg_get(m->pci, m->cap + PCI_MSIX_FLAGS, 2);
}

bool msix_enabled(const struct msix *m)
{
	return msg_ctrl(m) & CTRL_ENABLE;
}

static const uint8_t *entry(const struct msix *m, unsigned vec)
{
	return &m->table[(size_t)vec * PCI_MSIX_ENTRY_SIZE];
}

/* 6.8.2.9: the function mask and the vector's own mask bit both hold it. */
static bool masked(const struct msix *m, unsigned vec)
{
	return (msg_ctrl(m) & CTRL_MASKALL) ||
	       (le_get(entry(m, vec) + PCI_MSIX_ENTRY_VECTOR_CTRL, 4) &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool is_pending(const struct msix *m, unsigned vec)
{
	return m->pending[vec / 64] & (1ull << (vec % 64));
}

static void set_pending(struct msix *m, unsigned vec, bool on)
{
	if (on)
		m->pending[vec / 64] |= 1ull << (vec % 64);
	else
		m->pending[vec / 64] &= ~(1ull << (vec % 64));
}

/* The message is read from the table when sent, not when raised. */
static void send(struct msix *m, unsigned vec)
{
	const uint8_t *e = entry(m, vec);

	m->sent++;
	irq_send_msi(m->irq, le_get(e + PCI_MSIX_ENTRY_LOWER_ADDR, 8),
		     (uint32_t)le_get(e + PCI_MSIX_ENTRY_DATA, 4));
}

/* Sends every pending vector that is no longer masked. */
static void flush_pending(struct msix *m)
{
	if (!msix_enabled(m))
		return;
	for (unsigned v = 0; v < m->nvectors; v++) {
		if (!is_pending(m, v) || masked(m, v))
			continue;
		set_pending(m, v, false);
		send(m, v);
	}
}

bool msix_notify(struct msix *m, unsigned vec)
{
	if (!msix_enabled(m) || vec >= m->nvectors)
		return false;
	if (masked(m, vec)) {
		set_pending(m, vec, true);
		m->held++;
		return true;
	}
	send(m, vec);
	return true;
}

void msix_clear_pending(struct msix *m)
{
	memset(m->pending, 0, msix_pba_size(m));
}

unsigned msix_table_size(const struct msix *m)
{
	return m->nvectors * PCI_MSIX_ENTRY_SIZE;
}

unsigned msix_pba_size(const struct msix *m)
{
	return (m->nvectors + 63) / 64 * 8;	/* whole qwords (6.8.2.7) */
}

void msix_table_access(struct msix *m, unsigned off, uint8_t *data,
		       unsigned len, bool is_write)
{
	unsigned size = msix_table_size(m);

	if (off >= size || len > size - off) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write) {
		memcpy(data, &m->table[off], len);
		return;
	}
	memcpy(&m->table[off], data, len);
	flush_pending(m);	/* an entry may have been unmasked */
}

void msix_pba_access(struct msix *m, unsigned off, uint8_t *data,
		     unsigned len, bool is_write)
{
	unsigned size = msix_pba_size(m);

	if (is_write)
		return;
	for (unsigned i = 0; i < len; i++) {
		unsigned b = off + i;

		data[i] = b >= off && b < size
				  ? (uint8_t)(m->pending[b / 8] >> (8 * (b % 8)))
				  : 0;
	}
}

bool msix_cfg_write(struct msix *m, unsigned off, unsigned len)
{
	unsigned ctrl = m->cap + PCI_MSIX_FLAGS;

	if (off >= ctrl + 2 || ctrl >= off + len)
		return false;
	flush_pending(m);
	return true;
}

int msix_init(struct msix *m, struct pci_device *pci,
	      const struct irq_sink *irq, unsigned nvectors, unsigned bar,
	      uint32_t table_off, uint32_t pba_off)
{
	uint8_t cap[CAP_LEN] = { PCI_CAP_ID_MSIX };
	int c;

	memset(m, 0, sizeof(*m));
	if (nvectors == 0 || nvectors > MSIX_MAX_VECTORS ||
	    bar >= PCI_NUM_BARS || table_off % 8 || pba_off % 8)
		return -EINVAL;
	m->pci = pci;
	m->irq = irq;
	m->nvectors = nvectors;
	m->table = calloc(nvectors, PCI_MSIX_ENTRY_SIZE);
	m->pending = calloc(1, msix_pba_size(m));
	if (!m->table || !m->pending) {
		msix_fini(m);
		return -ENOMEM;
	}
	le_put(cap + PCI_MSIX_FLAGS, 2, nvectors - 1);
	le_put(cap + PCI_MSIX_TABLE, 4, table_off | bar);
	le_put(cap + PCI_MSIX_PBA, 4, pba_off | bar);
	c = pci_add_capability(pci, cap, sizeof(cap));
	if (c < 0) {
		msix_fini(m);
		return c;
	}
	m->cap = (unsigned)c;
	/* Only Enable and Function Mask are writable (6.8.2.3). */
	pci_set_wmask(pci, m->cap + PCI_MSIX_FLAGS + 1, 1,
		      (CTRL_ENABLE | CTRL_MASKALL) >> 8);
	/* Every vector starts masked (6.8.2.9). */
	for (unsigned v = 0; v < nvectors; v++)
		m->table[(size_t)v * PCI_MSIX_ENTRY_SIZE +
			 PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	return 0;
}

void msix_fini(struct msix *m)
{
	free(m->table);
	free(m->pending);
	m->table = NULL;
	m->pending = NULL;
	m->nvectors = 0;
}
