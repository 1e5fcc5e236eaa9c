/*
 * conbuf.c - a bounded ring for console output and the thread that writes
 * it out (see conbuf.h for why neither side may block the other).
 */
#include "common/conbuf.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/*
 * The writer hands write() at most this much at a time, so a write that
 * blocks on a full pipe holds back a bounded part of the ring and
 * conbuf_finish() can count what never left to within one chunk.
 */
#define CONBUF_CHUNK 4096

int conbuf_init(struct conbuf *c, int fd, size_t cap, char *err,
		size_t errlen)
{
	pthread_condattr_t attr;

	memset(c, 0, sizeof(*c));
	c->buf = malloc(cap);
	if (!c->buf || !cap) {
		free(c->buf);
		c->buf = NULL;
		snprintf(err, errlen, "console: cannot allocate its %zu-byte buffer",
			 cap);
		return -1;
	}
	c->cap = cap;
	c->fd = fd;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->more, NULL);
	/* conbuf_finish() waits against the monotonic clock: a wall clock
	 * set back must not stretch its bound. */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->drained, &attr);
	pthread_condattr_destroy(&attr);
	return 0;
}

size_t conbuf_put(struct conbuf *c, const uint8_t *buf, size_t len)
{
	size_t take, tail, first;

	pthread_mutex_lock(&c->lock);
	take = c->write_errno ? 0 : c->cap - c->count;
	if (take > len)
		take = len;
	tail = (c->head + c->count) % c->cap;
	first = c->cap - tail < take ? c->cap - tail : take;
	memcpy(c->buf + tail, buf, first);
	memcpy(c->buf, buf + first, take - first);
	c->count += take;
	c->dropped += len - take;
	if (take)
		pthread_cond_signal(&c->more);
	pthread_mutex_unlock(&c->lock);
	return take;
}

size_t conbuf_take(struct conbuf *c, uint8_t *out, size_t len)
{
	size_t n, first;

	pthread_mutex_lock(&c->lock);
	n = c->count < len ? c->count : len;
	first = c->cap - c->head < n ? c->cap - c->head : n;
	memcpy(out, c->buf + c->head, first);
	memcpy(out + first, c->buf, n - first);
	c->head = (c->head + n) % c->cap;
	c->count -= n;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * One write() that may block as long as the reader likes.  A descriptor
 * someone else made non-blocking (a terminal shared with another program)
 * is waited on with poll() instead of spinning.  Returns bytes or -errno.
 */
static ssize_t write_blocking(int fd, const uint8_t *p, size_t len)
{
	for (;;) {
		ssize_t n = write(fd, p, len);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (n >= 0)
			return n;
		if (errno == EAGAIN)
			poll(&pfd, 1, -1);
		else if (errno != EINTR)
			return -errno;
	}
}

/*
 * The writer: writes the oldest contiguous run in place, without the
 * lock, then gives the space back.  A write error (the reader closed:
 * EPIPE, SIGPIPE being ignored) drops what is buffered and everything
 * after it, as the old blocking write did one byte at a time.
 */
static void *writer(void *opaque)
{
	struct conbuf *c = opaque;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		size_t head, run;
		ssize_t n;

		while (!c->count && !c->stop)
			pthread_cond_wait(&c->more, &c->lock);
		if (!c->count)
			break;
		head = c->head;
		run = c->cap - head < c->count ? c->cap - head : c->count;
		if (run > CONBUF_CHUNK)
			run = CONBUF_CHUNK;
		pthread_mutex_unlock(&c->lock);
		n = write_blocking(c->fd, c->buf + head, run);
		pthread_mutex_lock(&c->lock);
		if (n < 0) {
			c->write_errno = (int)-n;
			c->dropped += c->count;
			c->count = 0;
		} else {
			c->head = (head + (size_t)n) % c->cap;
			c->count -= (size_t)n;
		}
		if (!c->count)
			pthread_cond_broadcast(&c->drained);
	}
	c->writer_done = true;
	pthread_cond_broadcast(&c->drained);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int conbuf_start(struct conbuf *c)
{
	int rc = pthread_create(&c->thread, NULL, writer, c);

	if (rc)
		return -rc;
	c->started = true;
	return 0;
}

static void deadline_after(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

unsigned long conbuf_finish(struct conbuf *c, int timeout_ms)
{
	struct timespec until;
	unsigned long lost;
	bool done;
	int rc = 0;

	deadline_after(&until, timeout_ms);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->more);
	while (c->started && !c->writer_done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&c->drained, &c->lock, &until);
	/* What is still in the ring will not be written by us: counted, but
	 * left in place for a writer that may still be inside write(). */
	lost = c->dropped + c->count;
	done = c->writer_done;
	pthread_mutex_unlock(&c->lock);
	if (!c->started)
		return lost;
	if (done) {
		pthread_join(c->thread, NULL);
		c->started = false;
	} else {
		pthread_detach(c->thread);
	}
	return lost;
}

int conbuf_write_error(struct conbuf *c)
{
	int e;

	pthread_mutex_lock(&c->lock);
	e = c->write_errno;
	pthread_mutex_unlock(&c->lock);
	return e;
}

void conbuf_free(struct conbuf *c)
{
	if (c->started)
		return;		/* a writer still owns the ring */
	free(c->buf);
	c->buf = NULL;
	pthread_cond_destroy(&c->more);
	pthread_cond_destroy(&c->drained);
	pthread_mutex_destroy(&c->lock);
}
