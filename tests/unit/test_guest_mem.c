/* Guest memory helpers: every range check, including wrap-around. */
#include "check.h"
#include "common/guest_mem.h"

#include <stdint.h>

static uint8_t low[4096], high[4096];

static struct guest_mem two_regions(void)
{
	struct guest_mem gm = { 0 };
	gm_add_region(&gm, 0x0, sizeof(low), low);
	gm_add_region(&gm, 0x100000000ull, sizeof(high), high);
	return gm;
}

TEST(ptr_inside_region_is_host_address)
{
	struct guest_mem gm = two_regions();
	CHECK(gm_ptr(&gm, 0x10, 16) == low + 0x10);
	CHECK(gm_ptr(&gm, 0x100000000ull + 4095, 1) == high + 4095);
	CHECK_EQ(gm.ram_size, 8192);
}

TEST(ptr_crossing_region_end_is_refused)
{
	struct guest_mem gm = two_regions();
	CHECK(gm_ptr(&gm, 4090, 7) == NULL);
	CHECK(gm_ptr(&gm, 4096, 1) == NULL);
	CHECK(gm_ptr(&gm, 0x100000000ull - 1, 2) == NULL);
}

TEST(ptr_with_wrapping_length_is_refused)
{
	struct guest_mem gm = two_regions();
	CHECK(gm_ptr(&gm, 0x10, UINT64_MAX) == NULL);
	CHECK(gm_ptr(&gm, UINT64_MAX - 8, 16) == NULL);
	CHECK(gm_ptr(&gm, 0x100000000ull + 16, UINT64_MAX - 8) == NULL);
}

TEST(overlapping_region_is_refused)
{
	struct guest_mem gm = two_regions();
	CHECK_EQ(gm_add_region(&gm, 0x800, 0x1000, low), -1);
	CHECK_EQ(gm_add_region(&gm, UINT64_MAX - 10, 100, low), -1);
	CHECK_EQ(gm.nregions, 2);
}

TEST(read_write_copy_or_fail_whole)
{
	struct guest_mem gm = two_regions();
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8] = { 0 };
	CHECK_EQ(gm_write(&gm, 0x20, buf, 8), 0);
	CHECK_EQ(gm_read(&gm, 0x20, out, 8), 0);
	CHECK_MEM(out, buf, 8);
	low[4095] = 0xaa;
	CHECK_EQ(gm_write(&gm, 4092, buf, 8), -1);
	CHECK_EQ(low[4095], 0xaa);
}

RUN_TESTS()
