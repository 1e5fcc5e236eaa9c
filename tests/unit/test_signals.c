/*
 * Signals and the terminal (issue 13, item 2), on a real pseudo-terminal:
 * a child runs the console (vmm/console.c) and the signal handling
 * (vmm/signals.c) the way main() does, with the pty as its controlling
 * terminal; the parent plays the user and the shell, sends signals and
 * reads the terminal's modes through the master.  It shows that
 *   - every default-fatal signal ends the child with the terminal cooked
 *     again and exactly one "minivmm:" line naming the signal;
 *   - after SIGSTOP (the shell then makes the terminal cooked) and
 *     SIGCONT, and after SIGTSTP and SIGCONT, the console is raw again;
 *   - SIGUSR1 during set-up does not kill, and prints the counters once
 *     the loop runs; SIGXFSZ does not kill.
 */
#include "check.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "vmm/console.h"
#include "vmm/signals.h"

#ifdef SIGNALS_SANITIZED
#define N_TESTED_SIGNALS 13
#else
#define N_TESTED_SIGNALS 19
#endif

static struct evloop loop;
static int stopped_by;

static size_t take_input(void *o, const uint8_t *b, size_t n)
{
	(void)o;
	(void)b;
	return n;
}

static void quit(void *o)
{
	(void)o;
}

static void counters(void *o)
{
	(void)o;
	fprintf(stderr, "minivmm: counters%s", log_eol());
}

static void stop(void *o, int sig)
{
	(void)o;
	stopped_by = sig;
	evloop_stop(&loop);
}

/* main()'s order: early signals, set-up (setup_ms), console, signalfd, loop. */
static _Noreturn void child(const char *slave, int setup_ms)
{
	struct rlimit no_core = { 0, 0 };
	char name[32];
	int fd;

	setrlimit(RLIMIT_CORE, &no_core);
	setsid();
	fd = open(slave, O_RDWR);
	if (fd < 0 || ioctl(fd, TIOCSCTTY, 0) < 0)
		_exit(99);
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	signals_early();
	fprintf(stderr, "setting up%s", log_eol());
	nanosleep(&(struct timespec){ 0, setup_ms * 1000000L }, NULL);
	evloop_init(&loop, NULL, 0);
	signals_start(&loop, &(struct signal_actions){ counters, stop, NULL });
	console_start(&loop, take_input, quit, NULL);
	evloop_run(&loop);
	console_restore();
	err("ended by %s", signals_name(stopped_by, name, sizeof(name)));
	_exit(128 + stopped_by);
}

struct run {
	pid_t pid;
	int master;
	char out[4096];
	size_t len;
};

static void drain(struct run *r, int ms)
{
	struct pollfd p = { r->master, POLLIN, 0 };

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = read(r->master, r->out + r->len,
				 sizeof(r->out) - 1 - r->len);
		if (n <= 0)
			break;
		r->len += (size_t)n;
		r->out[r->len] = 0;
	}
}

static int is_raw(struct run *r)
{
	struct termios t;

	return tcgetattr(r->master, &t) == 0 && !(t.c_lflag & ICANON);
}

/* Waits up to 5 s for the terminal to be raw (1) or cooked (0). */
static int wait_mode(struct run *r, int raw)
{
	for (int i = 0; i < 500; i++) {
		if (is_raw(r) == raw)
			return 1;
		drain(r, 10);
	}
	return 0;
}

static int start(struct run *r, int setup_ms)
{
	char slave[64];

	memset(r, 0, sizeof(*r));
	r->master = posix_openpt(O_RDWR | O_NOCTTY);
	if (r->master < 0 || grantpt(r->master) || unlockpt(r->master) ||
	    ptsname_r(r->master, slave, sizeof(slave)))
		return -1;
	r->pid = fork();
	if (r->pid == 0)
		child(slave, setup_ms);
	return r->pid < 0 ? -1 : 0;
}

static void finish_run(struct run *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
	}
	close(r->master);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

TEST(every_fatal_signal_restores_the_terminal_with_one_line)
{
	const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2, SIGALRM,
			     SIGVTALRM, SIGPROF, SIGXCPU, SIGIO, SIGPWR,
			     SIGSTKFLT, 0 /* SIGRTMIN+1 */, SIGSEGV, SIGBUS,
			     SIGFPE, SIGILL, SIGTRAP, SIGABRT };

	_Static_assert(sizeof(sigs) / sizeof(sigs[0]) == 19, "the list");
	for (size_t i = 0; i < N_TESTED_SIGNALS; i++) {
		int sig = sigs[i] ? sigs[i] : SIGRTMIN + 1, st = 0;
		int sync = sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE ||
			   sig == SIGILL || sig == SIGTRAP || sig == SIGABRT;
		char name[32], want[64];
		struct run r;

		if (start(&r, 0) < 0) {
			CHECK(!"cannot make a pty");
			return;
		}
		CHECK(wait_mode(&r, 1));
		kill(r.pid, sig);
		CHECK(wait_mode(&r, 0));
		drain(&r, 200);
		waitpid(r.pid, &st, 0);
		r.pid = 0;
		/* The line end: "\r\n", which the cooked terminal shows as "\r\r\n". */
		snprintf(want, sizeof(want), "minivmm: %s %s\r",
			 sync ? "crashed with" : "ended by",
			 signals_name(sig, name, sizeof(name)));
		if (sync)
			CHECK(WIFSIGNALED(st) && WTERMSIG(st) == sig);
		else
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + sig);
		CHECK(strstr(r.out, want) != NULL);
		CHECK_EQ(count(r.out, "minivmm: "), 1);
		if (!strstr(r.out, want) || count(r.out, "minivmm: ") != 1)
			printf("    %s: got \"%s\"\n", name, r.out);
		finish_run(&r);
	}
}

TEST(stop_then_continue_makes_the_console_raw_again)
{
	struct run r;
	struct termios cooked;
	int st;

	if (start(&r, 0) < 0)
		return;
	CHECK(wait_mode(&r, 1));
	kill(r.pid, SIGSTOP);
	CHECK_EQ(waitpid(r.pid, &st, WUNTRACED), r.pid);
	CHECK(WIFSTOPPED(st));
	/* What the shell does when its job stops: its own modes back. */
	tcgetattr(r.master, &cooked);
	cooked.c_lflag |= ICANON | ECHO | ISIG;
	tcsetattr(r.master, TCSANOW, &cooked);
	CHECK(!is_raw(&r));
	kill(r.pid, SIGCONT);			/* fg */
	CHECK(wait_mode(&r, 1));
	finish_run(&r);
}

TEST(tstp_restores_the_terminal_stops_and_continue_restores_raw)
{
	struct run r;
	int st;

	if (start(&r, 0) < 0)
		return;
	CHECK(wait_mode(&r, 1));
	kill(r.pid, SIGTSTP);
	CHECK_EQ(waitpid(r.pid, &st, WUNTRACED), r.pid);
	CHECK(WIFSTOPPED(st));
	CHECK(!is_raw(&r));			/* put back before stopping */
	kill(r.pid, SIGCONT);
	CHECK(wait_mode(&r, 1));
	CHECK_EQ(waitpid(r.pid, &st, WNOHANG), 0);	/* still running */
	finish_run(&r);
}

TEST(usr1_during_setup_and_xfsz_do_not_kill)
{
	struct run r;
	int st;

	if (start(&r, 500) < 0)
		return;
	for (int i = 0; i < 100 && !strstr(r.out, "setting up"); i++)
		drain(&r, 10);
	kill(r.pid, SIGUSR1);			/* while "decompressing" */
	kill(r.pid, SIGXFSZ);
	CHECK(wait_mode(&r, 1));
	drain(&r, 300);
	CHECK_EQ(waitpid(r.pid, &st, WNOHANG), 0);
	CHECK_EQ(count(r.out, "minivmm: counters"), 1);
	kill(r.pid, SIGUSR1);			/* and once running */
	drain(&r, 300);
	CHECK_EQ(count(r.out, "minivmm: counters"), 2);
	finish_run(&r);
}

TEST(fatal_signal_during_setup_is_one_line)
{
	struct run r;
	int st = 0;

	if (start(&r, 2000) < 0)
		return;
	for (int i = 0; i < 100 && !strstr(r.out, "setting up"); i++)
		drain(&r, 10);
	kill(r.pid, SIGTERM);
	waitpid(r.pid, &st, 0);
	r.pid = 0;
	drain(&r, 100);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 128 + SIGTERM);
	CHECK(strstr(r.out, "minivmm: ended by SIGTERM\r") != NULL);
	CHECK_EQ(count(r.out, "minivmm: "), 1);
	finish_run(&r);
}

RUN_TESTS()
