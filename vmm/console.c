#include "vmm/console.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "common/evloop.h"

#define CTRL_A 0x01

static struct termios saved, raw;
static volatile int raw_active;
static int raw_wanted;		/* stdin is a terminal we made raw */
static int stdin_stalled;	/* read() gave EIO: in the background */
static struct evloop *console_loop;
static console_input_fn input_fn;
static console_quit_fn quit_fn;
static void *cb_opaque;
static int esc_state;

void console_restore(void)
{
	if (raw_active) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
		raw_active = 0;
	}
}

/*
 * After a job-control stop the shell has the terminal cooked again (its
 * own modes); once minivmm is continued in the foreground the console goes
 * raw again, so Ctrl-C and Ctrl-A x reach it as before.  Continued in the
 * background (bg), it leaves the terminal alone until the next SIGCONT
 * (fg sends one).
 */
static void on_stdin(void *opaque, short revents);

void console_resume(void)
{
	if (!raw_wanted || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
		raw_active = 1;
	if (stdin_stalled && console_loop) {
		stdin_stalled = 0;
		evloop_watch(console_loop, STDIN_FILENO, POLLIN, on_stdin,
			     console_loop);
	}
}

size_t console_filter(const uint8_t *in, size_t len, uint8_t *out, int *state,
		      int *quit)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = in[i];
		if (*state) {
			*state = 0;
			if (c == 'x' || c == 'X')
				*quit = 1;
			else if (c == CTRL_A)
				out[n++] = CTRL_A;
			/* Any other key after Ctrl-A is swallowed. */
			continue;
		}
		if (c == CTRL_A)
			*state = 1;
		else
			out[n++] = c;
	}
	return n;
}

static void on_stdin(void *opaque, short revents)
{
	struct evloop *loop = opaque;
	uint8_t buf[256], out[256];
	int quit = 0;
	ssize_t n;
	size_t m;

	(void)revents;
	n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n <= 0) {
		/*
		 * EOF (stdin is /dev/null or closed): stop watching it.  EIO
		 * from a terminal: minivmm is in the background (SIGTTIN is
		 * blocked); watch again once continued (console_resume).
		 */
		if (n < 0 && errno == EIO && raw_wanted)
			stdin_stalled = 1;
		if (n == 0 || (errno != EAGAIN && errno != EINTR))
			evloop_unwatch(loop, STDIN_FILENO);
		return;
	}
	m = console_filter(buf, (size_t)n, out, &esc_state, &quit);
	if (m && input_fn)
		input_fn(cb_opaque, out, m);
	if (quit && quit_fn)
		quit_fn(cb_opaque);
}

void console_start(struct evloop *loop, console_input_fn input,
		   console_quit_fn quit, void *opaque)
{
	input_fn = input;
	quit_fn = quit;
	cb_opaque = opaque;
	console_loop = loop;
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		/* Keep output post-processing off too: the guest sends \r\n. */
		if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
			raw_active = 1;
			raw_wanted = 1;
			atexit(console_restore);
		}
	}
	evloop_watch(loop, STDIN_FILENO, POLLIN, on_stdin, loop);
}
