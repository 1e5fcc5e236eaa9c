/*
 * test_iov.c - the shared iovec helpers (common/iov.c): copies that cross
 * piece boundaries, offsets past the end, zero-length pieces, slices and
 * the step past a short write.
 */
#include <stdint.h>

#include "common/iov.h"
#include "check.h"

TEST(iov_size_sums_every_piece_including_empty_ones)
{
	uint8_t a[3], b[4];
	struct iovec iov[3] = { { a, 3 }, { NULL, 0 }, { b, 4 } };

	CHECK_EQ(iov_size(iov, 3), 7);
	CHECK_EQ(iov_size(iov, 0), 0);
}

TEST(iov_copies_cross_buffer_boundaries)
{
	uint8_t a[3] = { 1, 2, 3 }, b[4] = { 4, 5, 6, 7 }, out[5] = { 0 };
	uint8_t in[3] = { 9, 9, 9 };
	struct iovec iov[2] = { { a, 3 }, { b, 4 } };
	const uint8_t want[5] = { 2, 3, 4, 5, 6 };
	const uint8_t wa[3] = { 1, 2, 9 }, wb[4] = { 9, 9, 6, 7 };

	CHECK_EQ(iov_to_buf(iov, 2, 1, out, 5), 5);
	CHECK_MEM(out, want, 5);
	CHECK_EQ(iov_to_buf(iov, 2, 6, out, 5), 1);
	CHECK_EQ(iov_from_buf(iov, 2, 2, in, 3), 3);
	CHECK_MEM(a, wa, 3);
	CHECK_MEM(b, wb, 4);
}

TEST(iov_copy_at_or_past_the_end_copies_nothing)
{
	uint8_t a[3] = { 1, 2, 3 }, out[2] = { 7, 7 };
	struct iovec iov[1] = { { a, 3 } };
	const uint8_t same[3] = { 1, 2, 3 };

	CHECK_EQ(iov_to_buf(iov, 1, 3, out, 2), 0);
	CHECK_EQ(iov_to_buf(iov, 1, 100, out, 2), 0);
	CHECK_EQ(out[0], 7);
	CHECK_EQ(iov_from_buf(iov, 1, 3, out, 2), 0);
	CHECK_MEM(a, same, 3);
}

TEST(iov_copy_skips_zero_length_pieces)
{
	uint8_t a[2] = { 1, 2 }, b[2] = { 3, 4 }, out[4] = { 0 };
	struct iovec iov[4] = { { NULL, 0 }, { a, 2 }, { NULL, 0 }, { b, 2 } };
	const uint8_t want[4] = { 1, 2, 3, 4 };

	CHECK_EQ(iov_to_buf(iov, 4, 0, out, sizeof(out)), 4);
	CHECK_MEM(out, want, 4);
}

TEST(iov_from_buf_writes_only_what_fits)
{
	uint8_t a[2] = { 0 }, b[1] = { 0 };
	struct iovec iov[2] = { { a, 2 }, { b, 1 } };
	const uint8_t src[5] = { 1, 2, 3, 4, 5 };
	const uint8_t wa[2] = { 0, 1 };

	CHECK_EQ(iov_from_buf(iov, 2, 1, src, sizeof(src)), 2);
	CHECK_MEM(a, wa, 2);
	CHECK_EQ(b[0], 2);
}

TEST(iov_slice_points_into_the_pieces_without_a_copy)
{
	uint8_t a[4], b[4], c[4];
	struct iovec iov[3] = { { a, 4 }, { b, 4 }, { c, 4 } }, out[3];

	CHECK_EQ(iov_slice(out, 3, iov, 3, 6, 4), 2);
	CHECK(out[0].iov_base == b + 2);
	CHECK_EQ(out[0].iov_len, 2);
	CHECK(out[1].iov_base == c);
	CHECK_EQ(out[1].iov_len, 2);
}

TEST(iov_slice_stops_when_out_is_full_or_iov_ends)
{
	uint8_t a[4], b[4], c[4];
	struct iovec iov[3] = { { a, 4 }, { b, 4 }, { c, 4 } }, out[3];

	CHECK_EQ(iov_slice(out, 2, iov, 3, 1, 100), 2);
	CHECK_EQ(iov_size(out, 2), 7);		/* short of 11: out was full */
	CHECK_EQ(iov_slice(out, 3, iov, 3, 1, 100), 3);
	CHECK_EQ(iov_size(out, 3), 11);		/* all there was */
	CHECK_EQ(iov_slice(out, 3, iov, 3, 12, 5), 0);
	CHECK_EQ(iov_slice(out, 3, iov, 3, 0, 0), 0);
}

TEST(iov_advance_steps_past_a_short_write)
{
	uint8_t a[3], b[4], c[2];
	struct iovec iov[3] = { { a, 3 }, { b, 4 }, { c, 2 } }, *v = iov;

	CHECK_EQ(iov_advance(&v, 3, 5), 2);
	CHECK(v == &iov[1]);
	CHECK(v->iov_base == b + 2);
	CHECK_EQ(v->iov_len, 2);
	CHECK_EQ(iov_advance(&v, 2, 0), 2);	/* nothing moved */
	CHECK_EQ(iov_advance(&v, 2, 4), 0);	/* all of it */
	CHECK(v == &iov[3]);
}

TEST(iov_advance_drops_emptied_and_empty_pieces)
{
	uint8_t a[3], b[2];
	struct iovec iov[3] = { { a, 3 }, { NULL, 0 }, { b, 2 } }, *v = iov;

	CHECK_EQ(iov_advance(&v, 3, 3), 1);
	CHECK(v == &iov[2]);
	CHECK_EQ(v->iov_len, 2);
}

RUN_TESTS()
