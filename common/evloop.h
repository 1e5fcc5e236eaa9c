/*
 * evloop.h - the I/O thread's event loop.
 *
 * It is poll()-based rather than epoll-based on purpose: libslirp's API hands
 * out a fresh set of descriptors to watch on every iteration
 * (slirp_pollfds_fill/slirp_pollfds_poll), which maps onto a pollfd array
 * rebuilt per turn, and minivmm watches only a handful of descriptors, where
 * poll() costs the same as epoll_wait().
 *
 * Long-lived watches (tap fd, ioeventfds, stdin) are registered once with
 * evloop_watch().  Hooks (slirp) add per-iteration descriptors in their
 * prepare() with evloop_poll_add() and read the results in dispatch() with
 * evloop_revents().  All calls except evloop_wake()/evloop_stop() are made
 * from the loop's own thread or before it starts.
 */
#ifndef MINIVMM_EVLOOP_H
#define MINIVMM_EVLOOP_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct evloop;

typedef void (*ev_fn)(void *opaque, short revents);

struct ev_hook {
	/* May add descriptors and lower *timeout_ms (-1 = none). */
	void (*prepare)(void *opaque, struct evloop *loop, int *timeout_ms);
	/* Runs after every poll(), also on timeout. */
	void (*dispatch)(void *opaque, struct evloop *loop);
	void *opaque;
};

#define EV_MAX_WATCH 32
#define EV_MAX_HOOKS 8
#define EV_MAX_POLL 128

struct evloop {
	struct {
		int fd;
		short events;
		ev_fn fn;
		void *opaque;
	} watch[EV_MAX_WATCH];
	unsigned nwatch;
	struct ev_hook hook[EV_MAX_HOOKS];
	unsigned nhooks;
	struct pollfd pfd[EV_MAX_POLL];
	unsigned npfd;
	int wake_fd;		/* eventfd: wakes poll() from another thread */
	atomic_bool stopping;	/* evloop_stop() from any thread */
};

/* 0, or -1 with one line in err (the wake-up eventfd could not be made). */
int evloop_init(struct evloop *loop, char *err, size_t errlen);
void evloop_fini(struct evloop *loop);
/* Returns 0, or -1 if full.  fn runs with the revents poll() reported. */
int evloop_watch(struct evloop *loop, int fd, short events, ev_fn fn, void *opaque);
void evloop_unwatch(struct evloop *loop, int fd);
int evloop_add_hook(struct evloop *loop, const struct ev_hook *hook);
/* Removes every hook registered with this opaque (a backend being freed). */
void evloop_remove_hook(struct evloop *loop, void *opaque);
/* For hooks: adds a descriptor for this iteration; returns its index or -1. */
int evloop_poll_add(struct evloop *loop, int fd, short events);
short evloop_revents(const struct evloop *loop, int idx);
/* One iteration: poll (at most timeout_ms, -1 = forever) and dispatch. */
void evloop_run_once(struct evloop *loop, int timeout_ms);
/* Runs until evloop_stop(). */
void evloop_run(struct evloop *loop);
void evloop_wake(struct evloop *loop);
void evloop_stop(struct evloop *loop);

#endif
