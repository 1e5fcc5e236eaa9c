/*
 * log.h - one-line diagnostics for minivmm.
 *
 * die() is for set-up errors before the guest runs: it prints
 * "minivmm: <message>" on stderr and exits with status 1.  The other levels
 * never exit.  Guest-caused problems use log_ratelimited() so a guest that
 * misbehaves in a loop cannot flood the terminal.
 */
#ifndef MINIVMM_LOG_H
#define MINIVMM_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are not printed; -v raises it. */
extern enum log_level log_max_level;

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
_Noreturn void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "\r\n" when stderr is a terminal (it may be raw), else "\n". */
const char *log_eol(void);

/*
 * Prints at most a handful of messages per second for one call site; the
 * caller passes a static counter so each site is limited on its own.
 */
struct log_limit {
	long long window_start_ms;
	unsigned printed;
	unsigned long suppressed;
};
bool log_ratelimit_ok(struct log_limit *limit);

#define err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Warns about a guest-caused problem, rate-limited per call site. */
#define warn_guest(...)                                          \
	do {                                                     \
		static struct log_limit limit_;                  \
		if (log_ratelimit_ok(&limit_))                   \
			log_msg(LOG_WARN, __VA_ARGS__);          \
	} while (0)

#endif
