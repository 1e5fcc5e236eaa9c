/*
 * The console output buffer (common/conbuf.c): a vCPU's put never blocks,
 * what does not fit is dropped and counted, the ring keeps order across
 * its end, and the exit's flush waits for a stalled reader no longer than
 * its bound.
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "common/conbuf.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void fill(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

/* Reads exactly n bytes (the pipe is blocking) or fewer at end of file. */
static size_t read_all(int fd, uint8_t *p, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

TEST(put_takes_what_fits_and_counts_the_rest_as_dropped)
{
	struct conbuf c;
	uint8_t in[100], out[100];

	CHECK_EQ(conbuf_init(&c, -1, 64, NULL, 0), 0);
	fill(in, sizeof(in), 0);
	CHECK_EQ(conbuf_put(&c, in, 40), 40);
	CHECK_EQ(conbuf_put(&c, in + 40, 60), 24);
	CHECK_EQ(c.dropped, 36);
	CHECK_EQ(conbuf_put(&c, in, 1), 0);
	CHECK_EQ(c.dropped, 37);
	/* The first 64 bytes, in order; the dropped ones are gone. */
	CHECK_EQ(conbuf_take(&c, out, sizeof(out)), 64);
	CHECK_MEM(out, in, 64);
	CHECK_EQ(conbuf_take(&c, out, sizeof(out)), 0);
	conbuf_free(&c);
}

TEST(ring_keeps_order_across_its_end)
{
	struct conbuf c;
	uint8_t in[48], out[48];

	CHECK_EQ(conbuf_init(&c, -1, 64, NULL, 0), 0);
	fill(in, sizeof(in), 0);
	/* Move head to 40, then put 48: 24 before the end, 24 after it. */
	CHECK_EQ(conbuf_put(&c, in, 40), 40);
	CHECK_EQ(conbuf_take(&c, out, 40), 40);
	fill(in, sizeof(in), 0x80);
	CHECK_EQ(conbuf_put(&c, in, 48), 48);
	CHECK_EQ(c.dropped, 0);
	/* Taken in two pieces, the second across the end as well. */
	CHECK_EQ(conbuf_take(&c, out, 30), 30);
	CHECK_EQ(conbuf_take(&c, out + 30, 30), 18);
	CHECK_MEM(out, in, 48);
	conbuf_free(&c);
}

TEST(writer_delivers_every_byte_in_order_and_finish_joins_it)
{
	struct conbuf c;
	static uint8_t in[3000], out[sizeof(in) * 4];
	int p[2];

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(conbuf_init(&c, p[1], 1024, NULL, 0), 0);
	CHECK_EQ(conbuf_start(&c), 0);
	/* Put in small pieces, as a UART does; the writer makes room as the
	 * pipe takes the bytes, so a put that fell short is tried again. */
	for (int round = 0; round < 4; round++) {
		fill(in, sizeof(in), (uint8_t)(round * 7));
		for (size_t off = 0; off < sizeof(in);) {
			size_t n = sizeof(in) - off < 100 ? sizeof(in) - off : 100;
			size_t took = conbuf_put(&c, in + off, n);
			if (took < n)
				usleep(1000);
			off += took;
		}
		CHECK_EQ(read_all(p[0], out, sizeof(in)), sizeof(in));
		CHECK_MEM(out, in, sizeof(in));
	}
	CHECK_EQ(conbuf_finish(&c, 1000), c.dropped);
	CHECK(!c.started);	/* joined */
	conbuf_free(&c);
	close(p[0]);
	close(p[1]);
}

/*
 * The reader stopped: the writer sits in write() on a full pipe.  The
 * flush at exit gives up after its bound, and counts what never left: the
 * one 4 KiB chunk the pipe took got out, the rest did not.
 */
TEST(finish_gives_up_on_a_stalled_reader_within_its_bound)
{
	/* Static, as minivmm's is (vmm/main.c): the writer is detached and
	 * keeps using the struct and its ring after this test returns. */
	static struct conbuf c;
	static uint8_t in[16384];
	size_t refill = 0;
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(p), 0);
	if (fcntl(p[1], F_SETPIPE_SZ, 4096) != 4096)
		SKIP("cannot make a 4 KiB pipe");
	CHECK_EQ(conbuf_init(&c, p[1], sizeof(in), NULL, 0), 0);
	CHECK_EQ(conbuf_start(&c), 0);
	fill(in, sizeof(in), 1);
	CHECK_EQ(conbuf_put(&c, in, sizeof(in)), sizeof(in));
	/* The pipe takes the first chunk and no more: fill its room again,
	 * then the writer is stuck and the ring full for good. */
	for (int i = 0; i < 500 && refill < 4096; i++) {
		refill += conbuf_put(&c, in, 4096 - refill);
		if (refill < 4096)
			usleep(10000);
	}
	CHECK_EQ(refill, 4096);
	/* A put while the writer is stuck still returns at once.  (The
	 * refill's tries that found no room counted as dropped too.) */
	unsigned long before = c.dropped;
	long long t0 = now_ms();
	CHECK_EQ(conbuf_put(&c, in, 10), 0);
	CHECK_EQ(c.dropped, before + 10);
	CHECK_EQ(conbuf_finish(&c, 300), before + 10 + sizeof(in));
	long long took = now_ms() - t0;
	CHECK(took >= 250);
	CHECK(took < 1500);
	CHECK(c.started);	/* left behind in write(), ring kept */
	/* The reader goes away: the writer's write fails and it ends. */
	close(p[0]);
	for (int i = 0; i < 100 && !conbuf_write_error(&c); i++)
		usleep(10000);
	CHECK_EQ(conbuf_write_error(&c), EPIPE);
	close(p[1]);
}

TEST(a_reader_that_closed_drops_output_and_says_why)
{
	struct conbuf c;
	uint8_t in[100];
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	CHECK_EQ(pipe(p), 0);
	close(p[0]);
	CHECK_EQ(conbuf_init(&c, p[1], 64, NULL, 0), 0);
	CHECK_EQ(conbuf_start(&c), 0);
	fill(in, sizeof(in), 0);
	CHECK_EQ(conbuf_put(&c, in, 50), 50);
	for (int i = 0; i < 100 && !conbuf_write_error(&c); i++)
		usleep(10000);
	CHECK_EQ(conbuf_write_error(&c), EPIPE);
	/* Later output is dropped at once, not queued for a dead reader. */
	CHECK_EQ(conbuf_put(&c, in, 50), 0);
	CHECK_EQ(conbuf_finish(&c, 1000), 100);
	CHECK(!c.started);
	conbuf_free(&c);
	close(p[1]);
}

TEST(finish_without_a_writer_counts_what_is_buffered)
{
	struct conbuf c;
	uint8_t in[10] = { 0 };

	CHECK_EQ(conbuf_init(&c, -1, 64, NULL, 0), 0);
	conbuf_put(&c, in, sizeof(in));
	CHECK_EQ(conbuf_finish(&c, 0), 10);
	conbuf_free(&c);
}

RUN_TESTS()
