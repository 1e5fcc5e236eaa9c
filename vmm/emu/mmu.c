/*
 * mmu.c - the guest page-table walk for the instruction fallback
 * (SDM vol. 3, chapter 4: 4.3 32-bit paging, 4.4 PAE, 4.5 4-level, 4.6
 * access rights, 4.7 page-fault exceptions, 4.8 accessed and dirty flags).
 */
#include "vmm/emu/mmu.h"

#include <stdio.h>
#include <string.h>

#define PAGE_SIZE 4096ull

/* One level's entry: a host pointer so A/D can be set atomically. */
struct walk_entry {
	void *host;
	unsigned size;		/* 4 or 8 bytes */
};

static int read_entry(struct emu_cpu *c, uint64_t gpa, unsigned size,
		      struct walk_entry *we, uint64_t *val)
{
	void *p = gm_ptr(c->mem, gpa, size);

	if (!p) {
		snprintf(c->why, sizeof(c->why),
			 "page-table entry at gpa 0x%llx is outside RAM",
			 (unsigned long long)gpa);
		return EMU_FAIL;
	}
	we->host = p;
	we->size = size;
	if (size == 8)
		*val = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
	return EMU_OK;
}

static void set_bits(const struct walk_entry *we, uint64_t bits)
{
	if (we->size == 8)
		__atomic_fetch_or((uint64_t *)we->host, bits, __ATOMIC_RELAXED);
	else
		__atomic_fetch_or((uint32_t *)we->host, (uint32_t)bits, __ATOMIC_RELAXED);
}

static int page_fault(struct emu_cpu *c, uint64_t la, uint32_t err)
{
	c->fault = (struct emu_fault){ true, X86_EXC_PF, true, err, la };
	return EMU_EXCEPTION;
}

int emu_translate(struct emu_cpu *c, uint64_t la, unsigned acc, uint64_t *gpa)
{
	const struct kvm_sregs *s = &c->sregs;
	bool write = acc & EMU_ACC_WRITE, fetch = acc & EMU_ACC_FETCH;
	bool user = !(acc & EMU_ACC_SV) && emu_cpl(c) == 3;
	bool nxe = s->efer & X86_EFER_NXE;
	uint32_t err = (write ? X86_PF_W : 0) | (user ? X86_PF_U : 0) |
		       (fetch && (nxe || (s->cr4 & X86_CR4_SMEP)) ? X86_PF_I : 0);
	struct walk_entry we[4];
	unsigned levels, n = 0, esize;
	uint64_t table, e = 0, rw = X86_PTE_RW, us = X86_PTE_US, nx = 0, base = 0, off_mask = 0;
	int shift;
	int r;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = la;
		return EMU_OK;
	}
	if (s->cr4 & X86_CR4_LA57) {
		snprintf(c->why, sizeof(c->why), "5-level paging is not supported");
		return EMU_FAIL;
	}
	if (s->efer & X86_EFER_LMA) {
		levels = 4; esize = 8; shift = 39;
		table = s->cr3 & X86_PTE_ADDR;
	} else if (s->cr4 & X86_CR4_PAE) {
		struct walk_entry pdpte_we;
		uint64_t pdpte;

		la &= 0xffffffffull;
		r = read_entry(c, (s->cr3 & 0xffffffe0ull) + ((la >> 30) & 3) * 8, 8,
			       &pdpte_we, &pdpte);
		if (r)
			return r;
		if (!(pdpte & X86_PTE_P))
			return page_fault(c, la, err);
		levels = 2; esize = 8; shift = 21;
		table = pdpte & X86_PTE_ADDR;
	} else {
		la &= 0xffffffffull;
		levels = 2; esize = 4; shift = 22;
		table = s->cr3 & 0xfffff000ull;
	}

	for (unsigned level = 0; level < levels; level++, shift -= esize == 8 ? 9 : 10) {
		unsigned index_bits = esize == 8 ? 9 : 10;
		uint64_t idx = (la >> shift) & ((1ull << index_bits) - 1);
		bool last = level + 1 == levels;

		r = read_entry(c, table + idx * esize, esize, &we[n], &e);
		if (r)
			return r;
		n++;
		if (!(e & X86_PTE_P))
			return page_fault(c, la, err);
		rw &= e;
		us &= e;
		if (esize == 8 && nxe)
			nx |= e & X86_PTE_NX;
		/* Large pages: 1 GiB (PDPTE, 4-level), 2 MiB (PDE, PAE/4-level), 4 MiB (PDE, 32-bit with PSE). */
		bool large = !last && (e & X86_PTE_PS) &&
			     (esize == 8 ? shift == 30 || shift == 21 : (s->cr4 & X86_CR4_PSE));
		if (last || large) {
			off_mask = (1ull << shift) - 1;
			base = (esize == 8 ? e & X86_PTE_ADDR : e & 0xfffff000ull) & ~off_mask;
			break;
		}
		table = esize == 8 ? e & X86_PTE_ADDR : e & 0xfffff000ull;
	}

	err |= X86_PF_P;	/* from here on every fault is a protection fault */
	if (user) {
		if (!us || (write && !rw) || (fetch && nx))
			return page_fault(c, la, err);
	} else {
		if (write && !rw && (s->cr0 & X86_CR0_WP))
			return page_fault(c, la, err);
		if (fetch && nx)
			return page_fault(c, la, err);
		if (us && fetch && (s->cr4 & X86_CR4_SMEP))
			return page_fault(c, la, err);
		/* SMAP: explicit supervisor data accesses honour RFLAGS.AC, implicit ones never do. */
		if (us && !fetch && (s->cr4 & X86_CR4_SMAP) &&
		    ((acc & EMU_ACC_SV) || !(c->regs.rflags & X86_FL_AC)))
			return page_fault(c, la, err);
	}
	for (unsigned i = 0; i < n; i++)
		set_bits(&we[i], X86_PTE_A | (i + 1 == n && write ? X86_PTE_D : 0));
	*gpa = base | (la & off_mask);
	return EMU_OK;
}

/* Translates the page holding la and returns a host pointer for chunk bytes. */
static int map_chunk(struct emu_cpu *c, uint64_t la, size_t chunk, unsigned acc, void **host)
{
	uint64_t gpa;
	int r = emu_translate(c, la, acc, &gpa);

	if (r)
		return r;
	*host = gm_ptr(c->mem, gpa, chunk);
	if (!*host) {
		snprintf(c->why, sizeof(c->why),
			 "linear 0x%llx maps to gpa 0x%llx outside RAM",
			 (unsigned long long)la, (unsigned long long)gpa);
		return EMU_FAIL;
	}
	return EMU_OK;
}

static size_t chunk_len(uint64_t la, size_t left)
{
	size_t in_page = PAGE_SIZE - (la & (PAGE_SIZE - 1));

	return left < in_page ? left : in_page;
}

int emu_read_linear(struct emu_cpu *c, uint64_t la, void *buf, size_t len, unsigned acc)
{
	uint8_t *out = buf;

	while (len) {
		size_t chunk = chunk_len(la, len);
		void *p;
		int r = map_chunk(c, la, chunk, acc & ~EMU_ACC_WRITE, &p);

		if (r)
			return r;
		memcpy(out, p, chunk);
		out += chunk; la += chunk; len -= chunk;
	}
	return EMU_OK;
}

int emu_write_linear(struct emu_cpu *c, uint64_t la, const void *buf, size_t len, unsigned acc)
{
	const uint8_t *in = buf;
	void *p;
	int r;

	/* First pass: every page must be writable before any byte changes. */
	for (uint64_t a = la, left = len; left;) {
		size_t chunk = chunk_len(a, left);

		r = map_chunk(c, a, chunk, acc | EMU_ACC_WRITE, &p);
		if (r)
			return r;
		a += chunk; left -= chunk;
	}
	while (len) {
		size_t chunk = chunk_len(la, len);

		r = map_chunk(c, la, chunk, acc | EMU_ACC_WRITE, &p);
		if (r)
			return r;
		memcpy(p, in, chunk);
		in += chunk; la += chunk; len -= chunk;
	}
	return EMU_OK;
}

int emu_map_linear(struct emu_cpu *c, uint64_t la, size_t len, unsigned acc, void **host)
{
	if (chunk_len(la, len) != len) {
		snprintf(c->why, sizeof(c->why),
			 "locked access at 0x%llx crosses a page", (unsigned long long)la);
		return EMU_FAIL;
	}
	return map_chunk(c, la, len, acc, host);
}
