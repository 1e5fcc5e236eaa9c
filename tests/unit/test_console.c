/* The console escape: Ctrl-A x quits, Ctrl-A Ctrl-A sends one Ctrl-A. */
#include "check.h"
#include "vmm/console.h"

TEST(plain_bytes_pass_through)
{
	uint8_t out[16];
	int state = 0, quit = 0;
	CHECK_EQ(console_filter((const uint8_t *)"ls\r", 3, out, &state, &quit), 3);
	CHECK_MEM(out, "ls\r", 3);
	CHECK_EQ(quit, 0);
}

TEST(ctrl_a_x_quits_even_across_reads)
{
	uint8_t out[16];
	int state = 0, quit = 0;
	CHECK_EQ(console_filter((const uint8_t *)"a\x01", 2, out, &state, &quit), 1);
	CHECK_EQ(state, 1);
	CHECK_EQ(quit, 0);
	CHECK_EQ(console_filter((const uint8_t *)"x", 1, out, &state, &quit), 0);
	CHECK_EQ(quit, 1);
}

TEST(ctrl_a_twice_sends_one)
{
	uint8_t out[16];
	int state = 0, quit = 0;
	CHECK_EQ(console_filter((const uint8_t *)"\x01\x01z\x01q", 5, out, &state,
				&quit), 2);
	CHECK_EQ(out[0], 0x01);
	CHECK_EQ(out[1], 'z');
	CHECK_EQ(quit, 0);
}

RUN_TESTS()
