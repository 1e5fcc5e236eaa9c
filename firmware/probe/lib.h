/*
 * lib.h - the little of a C library the probe needs: memory and string
 * helpers, a printf for the serial console, number parsing.
 */
#ifndef PROBE_LIB_H
#define PROBE_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strncmp(const char *a, const char *b, size_t n);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prints to the serial console. */
void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a decimal (or 0x hex) number from [s, s+n); false if malformed. */
bool parse_u64(const char *s, size_t n, uint64_t *out);
/* Parses dotted-quad [s, s+n) into a host-order address. */
bool parse_ip(const char *s, size_t n, uint32_t *out);

static inline uint16_t bswap16(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }
static inline uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
#define htons bswap16
#define ntohs bswap16
#define htonl bswap32
#define ntohl bswap32

/* Big-endian loads and stores at any alignment. */
static inline uint16_t get_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
