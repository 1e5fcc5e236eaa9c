/*
 * The host side of a -d disk (issue 13, items 1 and 5): only a regular
 * file or block device with at least one sector, opened without ever
 * blocking, and locked as QEMU locks images: one writer, or any number of
 * readers, never both.  The same image opened twice by one process counts
 * as two users (OFD locks belong to the open file, not the process).
 */
#include "check.h"
#include "devices/disk_image.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static const char *make_file(const char *name, size_t size)
{
	static char path[128];
	int fd;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/minivmm-test-disk-XXXXXX");
		if (!mkdtemp(dir))
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
		abort();
	close(fd);
	return path;
}

static int try_open(const char *path, bool ro, char *err, size_t errlen)
{
	uint64_t bytes = 0;

	return disk_image_open(path, ro, &bytes, err, errlen);
}

TEST(regular_file_opens_with_its_size)
{
	char err[512];
	uint64_t bytes = 0;
	int fd = disk_image_open(make_file("ok.img", 8192), false, &bytes, err,
				 sizeof(err));

	CHECK(fd >= 0);
	CHECK_EQ(bytes, 8192);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}

TEST(fifo_is_refused_at_once)
{
	char path[128], err[512];

	make_file("x", 0);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	alarm(5);	/* open() of a FIFO without O_NONBLOCK never returns */
	CHECK_EQ(try_open(path, true, err, sizeof(err)), -1);
	CHECK_EQ(try_open(path, false, err, sizeof(err)), -1);
	alarm(0);
	CHECK(strstr(err, "fifo: not a regular file or block device") != NULL);
	unlink(path);
}

TEST(character_device_and_directory_are_refused)
{
	char err[512];

	CHECK_EQ(try_open("/dev/zero", true, err, sizeof(err)), -1);
	CHECK(strcmp(err, "/dev/zero: not a regular file or block device") == 0);
	CHECK_EQ(try_open("/tmp", true, err, sizeof(err)), -1);
}

TEST(empty_and_sub_sector_files_are_refused)
{
	char err[512], want[256];
	const char *p = make_file("empty.img", 0);

	CHECK_EQ(try_open(p, false, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: empty (a disk needs at least one "
		 "512-byte sector)", p);
	CHECK(strcmp(err, want) == 0);
	p = make_file("small.img", 100);
	CHECK_EQ(try_open(p, true, err, sizeof(err)), -1);
	CHECK(strstr(err, "small.img: too small") != NULL);
}

TEST(second_writer_is_refused_naming_the_image)
{
	char err[512];
	const char *p = make_file("w.img", 4096);
	int a = try_open(p, false, err, sizeof(err));

	CHECK(a >= 0);
	CHECK_EQ(try_open(p, false, err, sizeof(err)), -1);
	CHECK(strncmp(err, p, strlen(p)) == 0);
	CHECK(strstr(err, ": in use (locked by another minivmm") != NULL);
	/* A reader is refused too while the writer has it. */
	CHECK_EQ(try_open(p, true, err, sizeof(err)), -1);
	close(a);
	/* The lock went with the close. */
	a = try_open(p, false, err, sizeof(err));
	CHECK(a >= 0);
	close(a);
}

TEST(readers_share_and_keep_a_writer_out)
{
	char err[512];
	const char *p = make_file("r.img", 4096);
	int a = try_open(p, true, err, sizeof(err));
	int b = try_open(p, true, err, sizeof(err));

	CHECK(a >= 0);
	CHECK(b >= 0);
	CHECK_EQ(try_open(p, false, err, sizeof(err)), -1);
	close(a);
	close(b);
}

TEST(spec_parse_splits_ro)
{
	char path[64], err[128];
	bool ro;

	CHECK_EQ(disk_spec_parse("a.img,ro", path, sizeof(path), &ro, err,
				 sizeof(err)), 0);
	CHECK(strcmp(path, "a.img") == 0 && ro);
	CHECK_EQ(disk_spec_parse("b,c.img", path, sizeof(path), &ro, err,
				 sizeof(err)), -1);
	CHECK(strcmp(err, "b,c.img: unknown option 'c.img' (only ,ro)") == 0);
	CHECK_EQ(disk_spec_parse(",ro", path, sizeof(path), &ro, err,
				 sizeof(err)), -1);
}

TEST(zz_cleanup)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

RUN_TESTS()
