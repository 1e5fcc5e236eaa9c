/*
 * The pcap writer: the file header and record headers byte by byte (the
 * values are those of the libpcap format: magic a1b2c3d4 in host order,
 * version 2.4, LINKTYPE_ETHERNET = 1), frames written from split iovecs
 * with the virtio header skipped, and partial checksums completed in the
 * capture copy only.
 */
#include "check.h"
#include "net/pcap.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* Little-endian field readers: the file is in host order (x86-64). */
static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static size_t slurp(const char *path, uint8_t *buf, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

static void temp_path(char *path, size_t n)
{
	snprintf(path, n, "/tmp/minivmm-test-pcap-%d.pcap", (int)getpid());
}

TEST(two_frames_read_back_byte_by_byte)
{
	char path[64];
	temp_path(path, sizeof(path));
	char err[300];
	struct net_pcap *p = net_pcap_open(path, err, sizeof(err));
	CHECK(p != NULL);
	if (!p)
		return;

	/* Frame 1: 12-byte virtio header + 60-byte frame, in three pieces
	 * that cut through the header and the frame. */
	uint8_t f1[72];
	for (int i = 0; i < 72; i++)
		f1[i] = (uint8_t)(i < 12 ? 0xee : i);
	struct iovec iov1[3] = { { f1, 5 }, { f1 + 5, 30 }, { f1 + 35, 37 } };
	/* Frame 2: 12 + 15 bytes in one piece. */
	uint8_t f2[27];
	memset(f2, 0xee, 12);
	memcpy(f2 + 12, "abcdefghijklmno", 15);
	struct iovec iov2 = { f2, 27 };

	struct timeval before, after;
	gettimeofday(&before, NULL);
	CHECK_EQ(net_pcap_write(p, iov1, 3, 12), 0);
	CHECK_EQ(net_pcap_write(p, &iov2, 1, 12), 0);
	gettimeofday(&after, NULL);
	net_pcap_close(p);

	uint8_t buf[512];
	size_t n = slurp(path, buf, sizeof(buf));
	CHECK_EQ(n, 24 + 16 + 60 + 16 + 15);
	static const uint8_t global[24] = {
		0xd4, 0xc3, 0xb2, 0xa1,	/* magic, microseconds, host order */
		0x02, 0x00, 0x04, 0x00,	/* version 2.4 */
		0, 0, 0, 0,		/* thiszone */
		0, 0, 0, 0,		/* sigfigs */
		0x00, 0x00, 0x04, 0x00,	/* snaplen 262144 */
		0x01, 0x00, 0x00, 0x00,	/* LINKTYPE_ETHERNET */
	};
	CHECK_MEM(buf, global, 24);

	const uint8_t *r1 = buf + 24, *r2 = buf + 24 + 16 + 60;
	CHECK(le32(r1) >= (uint32_t)before.tv_sec);
	CHECK(le32(r1) <= (uint32_t)after.tv_sec);
	CHECK(le32(r1 + 4) < 1000000);
	CHECK_EQ(le32(r1 + 8), 60);	/* incl_len */
	CHECK_EQ(le32(r1 + 12), 60);	/* orig_len */
	CHECK_MEM(r1 + 16, f1 + 12, 60);
	CHECK(le32(r2) >= le32(r1));
	CHECK(le32(r2 + 4) < 1000000);
	CHECK_EQ(le32(r2 + 8), 15);
	CHECK_EQ(le32(r2 + 12), 15);
	CHECK_MEM(r2 + 16, "abcdefghijklmno", 15);
	unlink(path);
}

TEST(completed_capture_copy_leaves_caller_buffer_alone)
{
	char path[64];
	temp_path(path, sizeof(path));
	char err[300];
	struct net_pcap *p = net_pcap_open(path, err, sizeof(err));
	CHECK(p != NULL);
	if (!p)
		return;
	/* NEEDS_CSUM with csum_start 0, csum_offset 2 over an 8-byte frame:
	 * by hand, words aabb 0000 0102 0304 sum to aec1; ~aec1 = 513e. */
	uint8_t fr[12 + 8] = { VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 0, 0, 0,
			       0, 0, 2, 0, 0, 0,
			       0xaa, 0xbb, 0, 0, 1, 2, 3, 4 };
	uint8_t copy[sizeof(fr)];
	memcpy(copy, fr, sizeof(fr));
	CHECK_EQ(net_pcap_write_completed(p, fr, sizeof(fr)), 0);
	CHECK_MEM(fr, copy, sizeof(fr));	/* untouched */
	net_pcap_close(p);

	uint8_t buf[128];
	CHECK_EQ(slurp(path, buf, sizeof(buf)), 24 + 16 + 8);
	static const uint8_t want[8] = { 0xaa, 0xbb, 0x51, 0x3e, 1, 2, 3, 4 };
	CHECK_MEM(buf + 40, want, 8);
	unlink(path);
}

TEST(open_failure_is_one_line_naming_the_file)
{
	char err[300];

	CHECK(net_pcap_open("/nonexistent-dir/x.pcap", err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "/nonexistent-dir/x.pcap: No such file or directory") == 0);
	net_pcap_close(NULL);
}

/* A FIFO would block open() until a reader came (issue 13, item 1). */
TEST(fifo_and_device_are_refused_without_blocking)
{
	char path[64], err[300];

	snprintf(path, sizeof(path), "/tmp/minivmm-test-pcap-fifo-%d", (int)getpid());
	CHECK_EQ(mkfifo(path, 0600), 0);
	alarm(5);	/* a hang here is the bug */
	CHECK(net_pcap_open(path, err, sizeof(err)) == NULL);
	alarm(0);
	CHECK(strstr(err, ": not a regular file") != NULL);
	unlink(path);
	CHECK(net_pcap_open("/dev/null", err, sizeof(err)) == NULL);
	CHECK(strcmp(err, "/dev/null: not a regular file") == 0);
}

/*
 * A capture that cannot be written (here EFBIG past RLIMIT_FSIZE, as a
 * full disk gives ENOSPC) stops at the first error: the error comes back,
 * and later frames are not written at all (issue 13, item 3).
 */
TEST(write_error_stops_the_capture)
{
	char path[64], err[300];
	struct rlimit old, small;
	struct stat st;
	uint8_t f[12 + 200] = { 0 };
	struct iovec iov = { f, sizeof(f) };

	temp_path(path, sizeof(path));
	struct net_pcap *p = net_pcap_open(path, err, sizeof(err));
	CHECK(p != NULL);
	if (!p)
		return;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	small = old;
	small.rlim_cur = 300;
	setrlimit(RLIMIT_FSIZE, &small);
	CHECK_EQ(net_pcap_write(p, &iov, 1, 12), 0);	/* 24 + 16 + 200 */
	CHECK_EQ(net_pcap_write(p, &iov, 1, 12), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK_EQ(net_pcap_write(p, &iov, 1, 12), -EFBIG);	/* stopped */
	CHECK_EQ(net_pcap_write_completed(p, f, sizeof(f)), -EFBIG);
	net_pcap_close(p);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 300);	/* what fit, nothing after */
	signal(SIGXFSZ, SIG_DFL);
	unlink(path);
}

RUN_TESTS()
