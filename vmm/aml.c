/* aml.c - see aml.h.  Opcode values: ACPI 6.5 section 20.3. */
#include "vmm/aml.h"

#include <string.h>

#define ZERO_OP 0x00
#define ONE_OP 0x01
#define NAME_OP 0x08
#define BYTE_PREFIX 0x0a
#define WORD_PREFIX 0x0b
#define DWORD_PREFIX 0x0c
#define STRING_PREFIX 0x0d
#define QWORD_PREFIX 0x0e
#define SCOPE_OP 0x10
#define BUFFER_OP 0x11
#define PACKAGE_OP 0x12
#define EXT_OP_PREFIX 0x5b
#define DEVICE_OP 0x82		/* after EXT_OP_PREFIX */
#define DUAL_NAME_PREFIX 0x2e
#define MULTI_NAME_PREFIX 0x2f
#define ROOT_CHAR '\\'

void aml_init(struct aml *a, uint8_t *buf, size_t cap)
{
	a->buf = buf;
	a->cap = cap;
	a->len = 0;
	a->overflow = false;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->overflow || n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		byte(a, (uint8_t)(v >> (8 * i)));
}

/* One NameSeg: up to four characters, padded with '_' (section 20.2.2). */
static void name_seg(struct aml *a, const char *s, size_t n)
{
	char seg[4] = { '_', '_', '_', '_' };

	memcpy(seg, s, n > 4 ? 4 : n);
	aml_bytes(a, seg, 4);
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = path;
	unsigned nseg = 1;

	if (*p == ROOT_CHAR)
		byte(a, (uint8_t)*p++);
	for (const char *q = p; *q; q++)
		nseg += *q == '.';
	if (nseg == 2)
		byte(a, DUAL_NAME_PREFIX);
	else if (nseg > 2) {
		byte(a, MULTI_NAME_PREFIX);
		byte(a, (uint8_t)nseg);
	}
	while (*p) {
		size_t n = strcspn(p, ".");

		name_seg(a, p, n);
		p += n;
		if (*p == '.')
			p++;
	}
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0)
		byte(a, ZERO_OP);
	else if (v == 1)
		byte(a, ONE_OP);
	else if (v <= 0xff) {
		byte(a, BYTE_PREFIX);
		le(a, v, 1);
	} else if (v <= 0xffff) {
		byte(a, WORD_PREFIX);
		le(a, v, 2);
	} else if (v <= 0xffffffff) {
		byte(a, DWORD_PREFIX);
		le(a, v, 4);
	} else {
		byte(a, QWORD_PREFIX);
		le(a, v, 8);
	}
}

void aml_string(struct aml *a, const char *s)
{
	byte(a, STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

/*
 * Three letters in five bits each, then four hex digits, stored big-endian
 * (section 19.3.4, EISAID): "PNP0A03" is the DWord 0x030ad041.
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint16_t vendor = (uint16_t)(((id[0] & 0x1f) << 10) |
				     ((id[1] & 0x1f) << 5) | (id[2] & 0x1f));
	unsigned product = 0;

	for (int i = 3; i < 7; i++) {
		char c = id[i];
		product = product << 4 |
			  (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	byte(a, DWORD_PREFIX);
	byte(a, (uint8_t)(vendor >> 8));
	byte(a, (uint8_t)vendor);
	byte(a, (uint8_t)(product >> 8));
	byte(a, (uint8_t)product);
}

void aml_name(struct aml *a, const char *path)
{
	byte(a, NAME_OP);
	aml_namestring(a, path);
}

/*
 * PkgLength (section 20.2.4) counts itself: one byte for up to 63, else a
 * lead byte holding the low nibble and the number of bytes that follow.
 */
void aml_end(struct aml *a, size_t mark)
{
	size_t body = a->len - mark, total, n;
	uint8_t enc[4];

	if (a->overflow)
		return;
	if (body + 1 <= 63) {
		n = 1;
		enc[0] = (uint8_t)(body + 1);
	} else {
		n = body + 2 < (1u << 12) ? 2 : body + 3 < (1u << 20) ? 3 : 4;
		total = body + n;
		enc[0] = (uint8_t)((n - 1) << 6 | (total & 0xf));
		for (size_t i = 1; i < n; i++)
			enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
	if (n > a->cap - a->len) {
		a->overflow = true;
		return;
	}
	memmove(a->buf + mark + n, a->buf + mark, body);
	memcpy(a->buf + mark, enc, n);
	a->len += n;
}

size_t aml_scope_begin(struct aml *a, const char *path)
{
	size_t mark;

	byte(a, SCOPE_OP);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t mark;

	byte(a, EXT_OP_PREFIX);
	byte(a, DEVICE_OP);
	mark = a->len;
	aml_namestring(a, path);
	return mark;
}

size_t aml_package_begin(struct aml *a, uint8_t count)
{
	size_t mark;

	byte(a, PACKAGE_OP);
	mark = a->len;
	byte(a, count);
	return mark;
}

void aml_buffer(struct aml *a, const void *bytes, size_t n)
{
	size_t mark;

	byte(a, BUFFER_OP);
	mark = a->len;
	aml_integer(a, n);
	aml_bytes(a, bytes, n);
	aml_end(a, mark);
}

/* Resource descriptors: section 6.4.2 (small) and 6.4.3 (large). */

static void res_bytes(struct aml_res *r, const uint8_t *p, size_t n)
{
	if (r->overflow || n > sizeof(r->buf) - r->len) {
		r->overflow = true;
		return;
	}
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

void aml_res_io(struct aml_res *r, uint16_t base, uint8_t len)
{
	/* Small item 0x47: 16-bit decode, min, max, alignment 1, length. */
	const uint8_t d[8] = { 0x47, 0x01, (uint8_t)base, (uint8_t)(base >> 8),
			       (uint8_t)base, (uint8_t)(base >> 8), 0x01, len };

	res_bytes(r, d, sizeof(d));
}

void aml_res_irq(struct aml_res *r, uint8_t irq)
{
	/* Small item 0x22 (two bytes follow): the IRQ mask, no flags byte. */
	const uint8_t d[3] = { 0x22, (uint8_t)(1u << irq), (uint8_t)(1u << irq >> 8) };

	if (irq > 15) {
		r->overflow = true;
		return;
	}
	res_bytes(r, d, sizeof(d));
}

/*
 * General flags of an address space descriptor: producer (bit 0 clear: a
 * bridge window), positive decode, minimum and maximum fixed (bits 2, 3).
 */
#define RES_WINDOW_FLAGS 0x0c

static void word_space(struct aml_res *r, uint8_t type, uint8_t tflags,
		       uint16_t min, uint16_t max)
{
	uint16_t len = (uint16_t)(max - min + 1);
	const uint8_t d[16] = {
		0x88, 13, 0, type, RES_WINDOW_FLAGS, tflags,
		0, 0,					/* granularity */
		(uint8_t)min, (uint8_t)(min >> 8),
		(uint8_t)max, (uint8_t)(max >> 8),
		0, 0,					/* translation */
		(uint8_t)len, (uint8_t)(len >> 8),
	};

	res_bytes(r, d, sizeof(d));
}

void aml_res_bus_range(struct aml_res *r, uint16_t first, uint16_t last)
{
	word_space(r, 2, 0, first, last);
}

void aml_res_io_window(struct aml_res *r, uint16_t base, uint32_t len)
{
	/* Type-specific flags 3: the window decodes the entire range. */
	word_space(r, 1, 3, base, (uint16_t)(base + len - 1));
}

void aml_res_mem_window(struct aml_res *r, uint32_t base, uint32_t len)
{
	uint32_t max = base + len - 1;
	uint8_t d[26] = { 0x87, 23, 0, 0, RES_WINDOW_FLAGS,
			  0x01 /* read-write, non-cacheable */ };

	for (int i = 0; i < 4; i++) {
		d[10 + i] = (uint8_t)(base >> (8 * i));
		d[14 + i] = (uint8_t)(max >> (8 * i));
		d[22 + i] = (uint8_t)(len >> (8 * i));
	}
	res_bytes(r, d, sizeof(d));
}

void aml_res_end(struct aml_res *r)
{
	/* Checksum 0: "treated as if the checksum operation succeeded". */
	const uint8_t d[2] = { 0x79, 0x00 };

	res_bytes(r, d, sizeof(d));
}
