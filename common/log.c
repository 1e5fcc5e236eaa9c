#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

enum log_level log_max_level = LOG_WARN;

/*
 * The terminal may be in raw mode while the guest runs (the serial console),
 * so a line on a terminal ends in "\r\n" to start at the left margin either
 * way; a file or pipe gets plain "\n".  Asked once: stderr does not change.
 */
const char *log_eol(void)
{
	static int tty = -1;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	return tty ? "\r\n" : "\n";
}

/*
 * One message, one line: control characters (a newline in a file name the
 * user gave, an escape sequence) print as '?'.
 */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	for (char *c = line; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "minivmm: %s%s%s", prefix, line, log_eol());
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_ERR] = "", [LOG_WARN] = "warning: ",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};
	va_list ap;

	if (level > log_max_level)
		return;
	va_start(ap, fmt);
	vlog(prefix[level], fmt, ap);
	va_end(ap);
}

/* Exit hooks (terminal restore) run through atexit(), so exit() not _exit(). */
void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
	exit(1);
}

#define LOG_LIMIT_BURST 5
#define LOG_LIMIT_WINDOW_MS 1000

bool log_ratelimit_ok(struct log_limit *limit)
{
	struct timespec ts;
	long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now - limit->window_start_ms >= LOG_LIMIT_WINDOW_MS) {
		if (limit->suppressed)
			fprintf(stderr, "minivmm: (%lu similar messages suppressed)%s",
				limit->suppressed, log_eol());
		limit->window_start_ms = now;
		limit->printed = 0;
		limit->suppressed = 0;
	}
	if (limit->printed < LOG_LIMIT_BURST) {
		limit->printed++;
		return true;
	}
	limit->suppressed++;
	return false;
}
