/*
 * profile.c - the step clock behind profile.h.
 */
#include "vmm/profile.h"

#include <stdio.h>
#include <time.h>

#include "common/log.h"

#define PROFILE_MAX_STEPS 16

struct mark {
	const char *step;
	struct timespec at;
};

static struct mark marks[PROFILE_MAX_STEPS];
static unsigned nmarks;
static struct timespec origin;

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

void profile_mark(const char *step)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!origin.tv_sec && !origin.tv_nsec)
		origin = now;
	if (nmarks < PROFILE_MAX_STEPS)
		marks[nmarks++] = (struct mark){ step, now };
}

void profile_print(void)
{
	char line[1024];
	size_t len = 0;

	for (unsigned i = 0; i < nmarks && len < sizeof(line); i++) {
		int n = snprintf(line + len, sizeof(line) - len, "%s%s %.2f",
				 i ? ", " : "", marks[i].step,
				 ms_between(&origin, &marks[i].at));
		if (n < 0)
			break;
		len += (size_t)n;
	}
	fprintf(stderr, "minivmm: steps (ms since start): %s%s",
		nmarks ? line : "none", log_eol());
}
