#include "evloop.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

int evloop_init(struct evloop *loop, char *err, size_t errlen)
{
	memset(loop, 0, sizeof(*loop));
	atomic_init(&loop->stopping, false);
	loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void evloop_fini(struct evloop *loop)
{
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	loop->wake_fd = -1;
}

int evloop_watch(struct evloop *loop, int fd, short events, ev_fn fn, void *opaque)
{
	if (loop->nwatch >= EV_MAX_WATCH)
		return -1;
	loop->watch[loop->nwatch].fd = fd;
	loop->watch[loop->nwatch].events = events;
	loop->watch[loop->nwatch].fn = fn;
	loop->watch[loop->nwatch].opaque = opaque;
	loop->nwatch++;
	return 0;
}

void evloop_unwatch(struct evloop *loop, int fd)
{
	for (unsigned i = 0; i < loop->nwatch; i++) {
		if (loop->watch[i].fd != fd)
			continue;
		loop->watch[i] = loop->watch[--loop->nwatch];
		return;
	}
}

int evloop_add_hook(struct evloop *loop, const struct ev_hook *hook)
{
	if (loop->nhooks >= EV_MAX_HOOKS)
		return -1;
	loop->hook[loop->nhooks++] = *hook;
	return 0;
}

void evloop_remove_hook(struct evloop *loop, void *opaque)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < loop->nhooks; i++)
		if (loop->hook[i].opaque != opaque)
			loop->hook[kept++] = loop->hook[i];
	loop->nhooks = kept;
}

int evloop_poll_add(struct evloop *loop, int fd, short events)
{
	if (loop->npfd >= EV_MAX_POLL)
		return -1;
	loop->pfd[loop->npfd] = (struct pollfd){ .fd = fd, .events = events };
	return (int)loop->npfd++;
}

short evloop_revents(const struct evloop *loop, int idx)
{
	if (idx < 0 || (unsigned)idx >= loop->npfd)
		return 0;
	return loop->pfd[idx].revents;
}

void evloop_run_once(struct evloop *loop, int timeout_ms)
{
	unsigned nwatch;

	/* Slot 0 is the wake eventfd, then the watches, then the hooks' fds. */
	loop->npfd = 0;
	evloop_poll_add(loop, loop->wake_fd, POLLIN);
	nwatch = loop->nwatch;
	for (unsigned i = 0; i < nwatch; i++)
		evloop_poll_add(loop, loop->watch[i].fd, loop->watch[i].events);
	for (unsigned i = 0; i < loop->nhooks; i++)
		if (loop->hook[i].prepare)
			loop->hook[i].prepare(loop->hook[i].opaque, loop, &timeout_ms);

	if (poll(loop->pfd, loop->npfd, timeout_ms) < 0 && errno != EINTR)
		return;

	if (loop->pfd[0].revents) {
		uint64_t v;
		if (read(loop->wake_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: another wake-up already drained it. */
		}
	}
	/* A callback may unwatch; match by fd so a moved entry is not missed. */
	for (unsigned i = 0; i < nwatch; i++) {
		struct pollfd *p = &loop->pfd[1 + i];
		if (!p->revents)
			continue;
		for (unsigned w = 0; w < loop->nwatch; w++) {
			if (loop->watch[w].fd == p->fd) {
				loop->watch[w].fn(loop->watch[w].opaque, p->revents);
				break;
			}
		}
	}
	for (unsigned i = 0; i < loop->nhooks; i++)
		if (loop->hook[i].dispatch)
			loop->hook[i].dispatch(loop->hook[i].opaque, loop);
}

void evloop_run(struct evloop *loop)
{
	while (!atomic_load(&loop->stopping))
		evloop_run_once(loop, -1);
}

void evloop_wake(struct evloop *loop)
{
	uint64_t one = 1;

	if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
		/* Counter full means a wake-up is already pending. */
	}
}

/*
 * Any thread (a vCPU that saw the guest power off): the store is atomic and
 * ordered before the wake-up, so the loop sees it when poll() returns.
 */
void evloop_stop(struct evloop *loop)
{
	atomic_store(&loop->stopping, true);
	evloop_wake(loop);
}
