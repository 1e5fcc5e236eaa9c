/*
 * Split virtqueue, device side: chain walking and every rule a driver can
 * break, interrupt suppression and the used ring, over fake guest RAM.
 */
#include <errno.h>
#include <linux/virtio_ring.h>

#include "check.h"
#include "devices/virtqueue.h"
#include "fake_guest.h"

struct env {
	struct fake_guest *g;
	struct fake_vq q;
	struct virtqueue vq;
	struct vq_chain c;
};

static struct env *env_new(uint16_t size, bool indirect, bool event_idx)
{
	struct env *e = calloc(1, sizeof(*e));

	e->g = fg_new();
	fvq_init(&e->q, e->g, size);
	vq_reset(&e->vq, size);
	e->vq.desc_gpa = e->q.desc;
	e->vq.avail_gpa = e->q.avail;
	e->vq.used_gpa = e->q.used;
	e->vq.indirect = indirect;
	e->vq.event_idx = event_idx;
	if (vq_enable(&e->vq, &e->g->gm) != 0)
		abort();
	return e;
}

static void env_free(struct env *e)
{
	fg_free(e->g);
	free(e);
}

/* A good two-buffer chain must still pass after a bad one. */
static void check_still_works(struct env *e)
{
	uint64_t a = fg_alloc(e->g, 64, 8), b = fg_alloc(e->g, 64, 8);
	struct fbuf bufs[2] = { { a, 10, false }, { b, 20, true } };
	uint16_t head = fvq_add(&e->q, bufs, 2);

	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(e->c.head, head);
	CHECK_EQ(e->c.n_out, 1);
	CHECK_EQ(e->c.n_in, 1);
	CHECK(e->c.iov[0].iov_base == fg_ptr(e->g, a));
	CHECK(e->c.iov[1].iov_base == fg_ptr(e->g, b));
}

TEST(pop_returns_readable_then_writable_buffers)
{
	struct env *e = env_new(8, false, false);
	uint64_t a = fg_alloc(e->g, 100, 8), b = fg_alloc(e->g, 200, 8);
	struct fbuf bufs[3] = { { a, 12, false }, { a + 12, 88, false },
				{ b, 200, true } };
	uint32_t id = 0xdead, len = 0xdead;

	CHECK_EQ(vq_pop(&e->vq, &e->c), 0);	/* empty ring */
	CHECK_EQ(fvq_add(&e->q, bufs, 3), 0);
	CHECK_EQ(vq_pending(&e->vq), 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(e->c.head, 0);
	CHECK_EQ(e->c.n_out, 2);
	CHECK_EQ(e->c.n_in, 1);
	CHECK_EQ(e->c.out_len, 100);
	CHECK_EQ(e->c.in_len, 200);
	CHECK(e->c.iov[1].iov_base == fg_ptr(e->g, a + 12));
	CHECK_EQ(e->c.iov[1].iov_len, 88);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 0);
	vq_push(&e->vq, 0, 77);
	CHECK(fvq_used(&e->q, &id, &len));
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 77);
	CHECK_EQ(fvq_used_idx(&e->q), 1);
	env_free(e);
}

TEST(zero_length_buffers_are_skipped)
{
	struct env *e = env_new(8, false, false);
	uint64_t a = fg_alloc(e->g, 64, 8);
	/* Address 0 is outside RAM: a zero-length buffer must not matter. */
	struct fbuf bufs[3] = { { 0, 0, false }, { a, 64, false },
				{ 0, 0, true } };

	fvq_add(&e->q, bufs, 3);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(e->c.n_out, 1);
	CHECK_EQ(e->c.n_in, 0);
	CHECK_EQ(e->c.out_len, 64);
	env_free(e);
}

TEST(head_out_of_range_is_dropped_and_counted)
{
	struct env *e = env_new(8, false, false);

	fvq_publish(&e->q, 8);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	CHECK_EQ(e->vq.bad_chains, 1);
	CHECK_EQ(fvq_used_idx(&e->q), 0);	/* no such head to return */
	e->q.next_free = 0;
	check_still_works(e);
	env_free(e);
}

TEST(buffer_outside_ram_is_dropped_and_returned_empty)
{
	struct env *e = env_new(8, false, false);
	uint32_t id = 0xdead, len = 0xdead;
	/* Starts inside RAM, ends one byte past it. */
	struct fbuf bad[1] = { { FG_RAM_BASE + FG_RAM_SIZE - 16, 17, false } };
	struct fbuf wrap[1] = { { UINT64_MAX - 7, 16, true } };

	fvq_add(&e->q, bad, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	CHECK(fvq_used(&e->q, &id, &len));
	CHECK_EQ(id, 0);
	CHECK_EQ(len, 0);
	fvq_add(&e->q, wrap, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	CHECK_EQ(e->vq.bad_chains, 2);
	check_still_works(e);
	env_free(e);
}

TEST(descriptor_loop_and_long_chain_are_dropped)
{
	struct env *e = env_new(4, false, false);
	uint64_t a = fg_alloc(e->g, 64, 8);

	/* 0 -> 1 -> 0 -> ... */
	fvq_desc(&e->q, e->q.desc, 0, a, 8, FVQ_NEXT, 1);
	fvq_desc(&e->q, e->q.desc, 1, a, 8, FVQ_NEXT, 0);
	fvq_publish(&e->q, 0);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* next index beyond the table */
	fvq_desc(&e->q, e->q.desc, 2, a, 8, FVQ_NEXT, 4);
	fvq_publish(&e->q, 2);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	CHECK_EQ(e->vq.bad_chains, 2);
	e->q.next_free = 0;
	check_still_works(e);
	env_free(e);
}

TEST(readable_after_writable_is_dropped)
{
	struct env *e = env_new(8, false, false);
	uint64_t a = fg_alloc(e->g, 64, 8);
	struct fbuf bufs[2] = { { a, 8, true }, { a + 8, 8, false } };

	fvq_add(&e->q, bufs, 2);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	check_still_works(e);
	env_free(e);
}

TEST(indirect_table_is_walked)
{
	struct env *e = env_new(8, true, false);
	uint64_t t = fg_alloc(e->g, 48, 16), a = fg_alloc(e->g, 300, 8);

	fvq_desc(&e->q, t, 0, a, 12, FVQ_NEXT, 2);
	fvq_desc(&e->q, t, 2, a + 12, 100, FVQ_NEXT, 1);
	fvq_desc(&e->q, t, 1, a + 112, 188, FVQ_WRITE, 0);
	fvq_desc(&e->q, e->q.desc, 3, t, 48, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 3);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(e->c.head, 3);
	CHECK_EQ(e->c.n_out, 2);
	CHECK_EQ(e->c.n_in, 1);
	CHECK_EQ(e->c.out_len, 112);
	CHECK_EQ(e->c.in_len, 188);
	CHECK(e->c.iov[2].iov_base == fg_ptr(e->g, a + 112));
	env_free(e);
}

TEST(bad_indirect_tables_are_dropped)
{
	struct env *e = env_new(8, true, false);
	uint64_t t = fg_alloc(e->g, 64, 16), t2 = fg_alloc(e->g, 32, 16);
	uint64_t a = fg_alloc(e->g, 64, 8);

	fvq_desc(&e->q, t, 0, a, 8, 0, 0);
	fvq_desc(&e->q, t2, 0, a, 8, 0, 0);
	/* length not a multiple of 16 */
	fvq_desc(&e->q, e->q.desc, 0, t, 24, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 0);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* length zero */
	fvq_desc(&e->q, e->q.desc, 1, t, 0, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* nested: the table's first entry is itself indirect */
	fvq_desc(&e->q, t, 0, t2, 16, FVQ_INDIRECT, 0);
	fvq_desc(&e->q, e->q.desc, 2, t, 16, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 2);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* INDIRECT together with NEXT */
	fvq_desc(&e->q, t, 0, a, 8, 0, 0);
	fvq_desc(&e->q, e->q.desc, 3, t, 16, FVQ_INDIRECT | FVQ_NEXT, 4);
	fvq_desc(&e->q, e->q.desc, 4, a, 8, 0, 0);
	fvq_publish(&e->q, 3);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* next inside the table out of its range (2 entries) */
	fvq_desc(&e->q, t, 0, a, 8, FVQ_NEXT, 2);
	fvq_desc(&e->q, e->q.desc, 5, t, 32, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 5);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	/* a loop inside the table */
	fvq_desc(&e->q, t, 0, a, 8, FVQ_NEXT, 1);
	fvq_desc(&e->q, t, 1, a, 8, FVQ_NEXT, 0);
	fvq_desc(&e->q, e->q.desc, 6, t, 32, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 6);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	CHECK_EQ(e->vq.bad_chains, 6);
	e->q.next_free = 0;
	check_still_works(e);
	env_free(e);
}

TEST(indirect_without_negotiation_is_dropped)
{
	struct env *e = env_new(8, false, false);
	uint64_t t = fg_alloc(e->g, 16, 16), a = fg_alloc(e->g, 8, 8);

	fvq_desc(&e->q, t, 0, a, 8, 0, 0);
	fvq_desc(&e->q, e->q.desc, 0, t, 16, FVQ_INDIRECT, 0);
	fvq_publish(&e->q, 0);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EBADMSG);
	env_free(e);
}

TEST(avail_index_jump_breaks_the_ring)
{
	struct env *e = env_new(8, false, false);

	/* 9 new entries in a ring of 8 cannot be. */
	fvq_set16(&e->q, e->q.avail + 2, 9);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EIO);
	CHECK(e->vq.broken);
	fvq_set16(&e->q, e->q.avail + 2, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), -EIO);	/* stays broken */
	CHECK_EQ(vq_pending(&e->vq), 0);
	env_free(e);
}

TEST(enable_checks_size_alignment_and_ram)
{
	struct fake_guest *g = fg_new();
	struct virtqueue vq;
	uint64_t base = fg_alloc(g, 8192, 4096);

	vq_reset(&vq, 256);
	vq.desc_gpa = base;
	vq.avail_gpa = base + 4096;
	vq.used_gpa = base + 6144;
	vq.size = 100;				/* not a power of two */
	CHECK_EQ(vq_enable(&vq, &g->gm), -EINVAL);
	vq.size = 64;
	vq.desc_gpa = base + 8;			/* not 16-aligned */
	CHECK_EQ(vq_enable(&vq, &g->gm), -EINVAL);
	vq.desc_gpa = base;
	vq.used_gpa = FG_RAM_BASE + FG_RAM_SIZE - 8;	/* runs off RAM */
	CHECK_EQ(vq_enable(&vq, &g->gm), -EINVAL);
	vq.used_gpa = base + 6144;
	CHECK_EQ(vq_enable(&vq, &g->gm), 0);
	CHECK(vq.enabled);
	fg_free(g);
}

TEST(no_interrupt_flag_suppresses_without_event_idx)
{
	struct env *e = env_new(8, false, false);

	vq_push(&e->vq, 0, 0);
	CHECK(vq_should_notify(&e->vq));
	fvq_set16(&e->q, e->q.avail, VRING_AVAIL_F_NO_INTERRUPT);
	vq_push(&e->vq, 1, 0);
	CHECK(!vq_should_notify(&e->vq));
	env_free(e);
}

TEST(event_idx_interrupts_only_when_used_event_is_crossed)
{
	struct env *e = env_new(8, false, true);
	uint64_t a = fg_alloc(e->g, 64, 8);
	struct fbuf b[1] = { { a, 8, false } };

	/* The first notification always goes (nothing signalled yet). */
	fvq_set_used_event(&e->q, 100);
	vq_push(&e->vq, 0, 0);			/* used idx 1 */
	CHECK(vq_should_notify(&e->vq));
	/* Driver wants an interrupt after entry 2 (used_event = 2). */
	fvq_set_used_event(&e->q, 2);
	vq_push(&e->vq, 0, 0);			/* idx 2: 2 not crossed yet */
	CHECK(!vq_should_notify(&e->vq));
	vq_push(&e->vq, 0, 0);			/* idx 3: entry 2 written */
	CHECK(vq_should_notify(&e->vq));
	vq_push(&e->vq, 0, 0);			/* idx 4: already signalled */
	CHECK(!vq_should_notify(&e->vq));
	/* The device publishes how far it consumed the avail ring. */
	fvq_add(&e->q, b, 1);
	fvq_add(&e->q, b, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(fvq_avail_event(&e->q), 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(fvq_avail_event(&e->q), 2);
	CHECK(!vq_enable_notify(&e->vq));
	fvq_add(&e->q, b, 1);
	CHECK(vq_enable_notify(&e->vq));	/* arrived meanwhile */
	env_free(e);
}

TEST(unpop_gives_the_chain_back)
{
	struct env *e = env_new(8, false, false);
	uint64_t a = fg_alloc(e->g, 64, 8);
	struct fbuf b[1] = { { a, 8, true } };

	fvq_add(&e->q, b, 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	vq_unpop(&e->vq);
	CHECK_EQ(vq_pending(&e->vq), 1);
	CHECK_EQ(vq_pop(&e->vq, &e->c), 1);
	CHECK_EQ(e->c.head, 0);
	env_free(e);
}

RUN_TESTS()
