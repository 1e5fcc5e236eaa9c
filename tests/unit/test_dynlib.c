/*
 * test_dynlib.c - libraries loaded on demand (common/dynlib.h, issue 16).
 *
 * This binary links only libc, like ./minivmm (the Makefile links the
 * compression libraries --as-needed, and nothing here compresses), so its
 * own /proc/self/maps shows exactly what each loader maps and when.
 */
#include "check.h"
#include "common/dynlib.h"
#include "net/slirp_lib.h"
#include "vmm/decompress_lib.h"

#include <stdio.h>
#include <string.h>

/* True when a mapping of this process has needle in its path. */
static int mapped(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

TEST(missing_library_is_one_line_naming_the_debian_package)
{
	static const char *const names[] = { "strlen", NULL };
	void *slots[1];
	struct dynlib lib = {
		.what = "slirp", .soname = "libminivmm-no-such-library.so.0",
		.package = "libslirp0", .symbols = names, .slots = slots,
	};
	const char *want = "slirp: cannot load libminivmm-no-such-library.so.0 "
			   "(install the Debian package libslirp0): ";
	char err[256] = "", again[256] = "";

	CHECK_EQ(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	CHECK(strchr(err, '\n') == NULL);
	/* Asked again (a second -net slirp): the same line, no second dlopen. */
	CHECK_EQ(dynlib_load(&lib, again, sizeof(again)), -1);
	CHECK(strcmp(err, again) == 0);
	printf("    %s\n", err);
}

TEST(library_without_a_needed_function_is_refused_at_load)
{
	static const char *const names[] = { "strlen", "minivmm_no_such_fn", NULL };
	void *slots[2];
	struct dynlib lib = {
		.what = "zstd", .soname = "libc.so.6", .package = "libzstd1",
		.symbols = names, .slots = slots,
	};
	char err[256] = "";

	CHECK_EQ(dynlib_load(&lib, err, sizeof(err)), -1);
	CHECK(strcmp(err, "zstd: libc.so.6 has no minivmm_no_such_fn "
		      "(a newer libzstd1 is needed)") == 0);
	CHECK(lib.handle == NULL);
}

TEST(present_library_fills_every_slot_in_order)
{
	static const char *const names[] = { "strlen", "memcpy", NULL };
	void *slots[2] = { NULL, NULL };
	struct dynlib lib = {
		.what = "libc", .soname = "libc.so.6", .package = "libc6",
		.symbols = names, .slots = slots,
	};
	char err[256] = "";
	size_t (*my_strlen)(const char *);

	CHECK_EQ(dynlib_load(&lib, err, sizeof(err)), 0);
	CHECK(slots[0] != NULL && slots[1] != NULL && slots[0] != slots[1]);
	my_strlen = (size_t (*)(const char *))slots[0];
	if (my_strlen)
		CHECK_EQ(my_strlen("minivmm"), 7);
}

/*
 * One case, in this order: a run maps a library only once it asks for it --
 * nothing of slirp, glib or the decompressors at start (a -net none run with
 * a plain kernel), glib with libslirp, and zlib alone for a gzip kernel.
 */
TEST(each_library_is_mapped_only_once_its_loader_runs)
{
	char err[256] = "";

	if (mapped("/") < 0)
		SKIP("no /proc/self/maps");
	CHECK_EQ(mapped("libslirp"), 0);
	CHECK_EQ(mapped("libglib"), 0);
	CHECK_EQ(mapped("libz.so"), 0);
	CHECK_EQ(mapped("liblzma"), 0);
	CHECK_EQ(mapped("libzstd"), 0);
	CHECK_EQ(mapped("liblz4"), 0);

	CHECK(zlib_lib_load(err, sizeof(err)) != NULL);
	CHECK_EQ(mapped("libz.so"), 1);
	CHECK_EQ(mapped("liblzma"), 0);
	CHECK_EQ(mapped("libzstd"), 0);
	CHECK_EQ(mapped("liblz4"), 0);
	CHECK_EQ(mapped("libslirp"), 0);

	CHECK(slirp_lib_load(err, sizeof(err)) != NULL);
	CHECK_EQ(mapped("libslirp"), 1);
	CHECK_EQ(mapped("libglib"), 1);
	CHECK_EQ(mapped("liblzma"), 0);

	CHECK(lzma_lib_load(err, sizeof(err)) != NULL);
	CHECK(zstd_lib_load(err, sizeof(err)) != NULL);
	CHECK(lz4_lib_load(err, sizeof(err)) != NULL);
	CHECK_EQ(mapped("liblzma"), 1);
	CHECK_EQ(mapped("libzstd"), 1);
	CHECK_EQ(mapped("liblz4"), 1);
}

RUN_TESTS()
