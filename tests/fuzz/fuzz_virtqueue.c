/*
 * fuzz_virtqueue - the split-virtqueue walk (devices/virtqueue.c) over
 * guest RAM whose every byte comes from the input: descriptor table,
 * avail ring and index, used_event, indirect tables, buffer addresses and
 * lengths.  This is the code every guest notification reaches first.
 *
 * RAM is 16 KiB at 0x10000.  Input: queue size (2..256), feature bits
 * (INDIRECT_DESC, EVENT_IDX), the three ring addresses as offsets into
 * RAM, then a byte string of operations, then RAM contents (whatever is
 * left, zero padded).  Operations, one byte each, taken while the ring
 * works: pop a chain (copying all its readable bytes out and writing its
 * writable ones, then pushing it back with a fuzz length), unpop, fill +
 * flush, should_notify, enable_notify, or move the avail index.
 *
 * Checked besides sanitizers (devices/virtqueue.h): a popped chain has
 * head < size, at most VQ_MAX_IOV buffers, readable ones before writable
 * ones, lengths that add up, and every buffer inside guest RAM.
 */
#include <errno.h>

#include "devices/virtqueue.h"
#include "fuzz_input.h"

#define RAM_BASE 0x10000ull
#define RAM_SIZE (16u << 10)

static uint8_t ram[RAM_SIZE] __attribute__((aligned(16)));
static uint8_t scratch[1 << 16];

static void check_chain(const struct virtqueue *vq, const struct vq_chain *c)
{
	size_t out = 0, in = 0;

	FZ_ASSERT(c->head < vq->size, "head %u", c->head);
	FZ_ASSERT(c->n_out + c->n_in <= VQ_MAX_IOV, "%u buffers", c->n_out + c->n_in);
	for (unsigned i = 0; i < c->n_out + c->n_in; i++) {
		const uint8_t *b = c->iov[i].iov_base;

		FZ_ASSERT(c->iov[i].iov_len == 0 ||
			  (b >= ram && c->iov[i].iov_len <= RAM_SIZE &&
			   (size_t)(b - ram) <= RAM_SIZE - c->iov[i].iov_len),
			  "buffer %u outside RAM", i);
		if (i < c->n_out)
			out += c->iov[i].iov_len;
		else
			in += c->iov[i].iov_len;
	}
	FZ_ASSERT(out == c->out_len && in == c->in_len, "lengths %zu/%zu vs %zu/%zu",
		  out, in, c->out_len, c->in_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtqueue vq;
	static struct vq_chain c;
	struct guest_mem gm = { 0 };
	struct fin in = fin_make(data, size);
	uint8_t qlog = fin_u8(&in), feat = fin_u8(&in);
	uint16_t d = fin_u16(&in), a = fin_u16(&in), u = fin_u16(&in);
	size_t nops;
	const uint8_t *ops = fin_bytes(&in, fin_u8(&in), &nops);

	fin_copy(&in, ram, RAM_SIZE);
	gm_add_region(&gm, RAM_BASE, RAM_SIZE, ram);
	vq_reset(&vq, (uint16_t)(1u << (qlog % 8 + 1)));
	vq.desc_gpa = RAM_BASE + d % RAM_SIZE;
	vq.avail_gpa = RAM_BASE + a % RAM_SIZE;
	vq.used_gpa = RAM_BASE + u % RAM_SIZE;
	vq.indirect = feat & 1;
	vq.event_idx = feat & 2;
	if (vq_enable(&vq, &gm) < 0)
		return 0;
	for (size_t k = 0; k < nops && !vq.broken; k++) {
		uint8_t op = ops[k];
		int r;

		switch (op % 8) {
		case 0:
		case 1:
		case 2:
			r = vq_pop(&vq, &c);
			FZ_ASSERT(r == 1 || r == 0 || r == -EBADMSG || r == -EIO, "r %d", r);
			if (r != 1)
				break;
			check_chain(&vq, &c);
			iov_to_buf(c.iov, c.n_out, 0, scratch, sizeof(scratch));
			iov_from_buf(c.iov + c.n_out, c.n_in, op >> 3, scratch, c.in_len);
			if (op & 0x80)
				vq_unpop(&vq);
			else
				vq_push(&vq, c.head, (uint32_t)(c.in_len >> (op >> 4 & 3)));
			break;
		case 3: {
			/* Several chains for one frame, as MRG_RXBUF receive does. */
			unsigned want = (op >> 5) + 1u, got = 0;

			while (got < want && got < vq.size && vq_pop(&vq, &c) == 1) {
				check_chain(&vq, &c);
				vq_fill(&vq, got++, c.head, (uint32_t)c.in_len);
			}
			if (got)
				vq_flush(&vq, got);
			break;
		}
		case 4: (void)vq_should_notify(&vq); break;
		case 5: (void)vq_enable_notify(&vq); break;
		case 6: (void)vq_pending(&vq); break;
		case 7: {
			/* The driver moves avail->idx (possibly by more than the ring). */
			uint16_t idx;
			uint8_t *p = gm_ptr(&gm, vq.avail_gpa + 2, 2);

			memcpy(&idx, p, 2);
			idx = (uint16_t)(idx + (op >> 3) * 13);
			memcpy(p, &idx, 2);
			break;
		}
		}
	}
	return 0;
}
