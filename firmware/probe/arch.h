/*
 * arch.h - x86 port I/O, MMIO, TSC and barriers for ring-3 code with IOPL=3.
 */
#ifndef PROBE_ARCH_H
#define PROBE_ARCH_H

#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* MMIO accessors: one access of exactly the given width. */
static inline uint8_t mmio_read8(uintptr_t a)
{
	return *(volatile uint8_t *)a;
}
static inline uint16_t mmio_read16(uintptr_t a)
{
	return *(volatile uint16_t *)a;
}
static inline uint32_t mmio_read32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}
static inline void mmio_write8(uintptr_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}
static inline void mmio_write16(uintptr_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}
static inline void mmio_write32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

/* Compiler-only barrier: x86 keeps stores in order and loads in order. */
#define barrier() __asm__ volatile("" ::: "memory")
/* Full barrier (store->load), no SSE: a locked no-op on the stack. */
#define mb() __asm__ volatile("lock; addl $0,(%%rsp)" ::: "memory", "cc")

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void)
{
	__asm__ volatile("pause");
}

#endif
