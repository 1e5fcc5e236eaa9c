/*
 * conbuf.h - the guest's console output on its way to the host.
 *
 * A vCPU that writes the UART's THR must never wait for whoever reads
 * minivmm's stdout: a terminal scrolled back with Ctrl-S, a pipe whose
 * reader stopped.  conbuf_put() only copies into a bounded ring and never
 * blocks; bytes that do not fit are dropped and counted.  A writer thread
 * of its own (conbuf_start) does the blocking write()s, so stdout keeps
 * the blocking mode the user's shell gave it (a terminal shared with the
 * shell must not be made O_NONBLOCK).
 *
 * The ring has its own lock, held only to copy bytes in or out: never
 * across write().  The writer writes from the ring in place; the producer
 * only fills free space, so the bytes being written are never touched.
 */
#ifndef MINIVMM_CONBUF_H
#define MINIVMM_CONBUF_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Enough for a kernel's boot messages in a burst; a reader that keeps up
 * never sees a drop. */
#define CONBUF_DEFAULT_SIZE (64 * 1024)

struct conbuf {
	pthread_mutex_t lock;
	pthread_cond_t more;	/* bytes arrived, or stop was asked */
	pthread_cond_t drained;	/* the ring emptied, or the writer ended */
	uint8_t *buf;
	size_t cap, head, count;
	size_t writing;		/* bytes at head the writer is writing */
	unsigned long dropped;	/* bytes that never reached fd */
	int fd;
	int write_errno;	/* first write() error; later bytes dropped */
	bool stop, started, writer_done;
	pthread_t thread;
};

/* Returns 0, or -1 with one line in err when cap bytes cannot be
 * allocated.  fd is not owned. */
int conbuf_init(struct conbuf *c, int fd, size_t cap, char *err,
		size_t errlen);

/*
 * Starts the writer thread.  Call it before the seccomp filter goes on
 * (thread creation needs clone and mmap) and after the signal mask is set,
 * which the thread inherits.  Returns 0 or -errno.
 */
int conbuf_start(struct conbuf *c);

/* Appends what fits, never blocks; returns the bytes taken. */
size_t conbuf_put(struct conbuf *c, const uint8_t *buf, size_t len);

/*
 * Takes up to len buffered bytes out of the ring, as the writer would
 * (for a caller that drains without the thread: the unit tests).
 */
size_t conbuf_take(struct conbuf *c, uint8_t *out, size_t len);

/*
 * At exit: lets the writer flush what is buffered for at most timeout_ms,
 * then gives up on a reader that stopped.  Bytes still unwritten count as
 * dropped.  The writer is joined if it ended, else left behind (it may sit
 * in write() until the process exits) and the ring is not freed.  Returns
 * the total of dropped bytes.
 */
unsigned long conbuf_finish(struct conbuf *c, int timeout_ms);

/* The first write() error the writer met (an errno), or 0. */
int conbuf_write_error(struct conbuf *c);

/* Frees the ring of a conbuf whose writer never started or was joined. */
void conbuf_free(struct conbuf *c);

#endif
