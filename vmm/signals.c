#include "vmm/signals.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/evloop.h"
#include "common/log.h"
#include "vmm/console.h"
#include "vmm/vcpu.h"


static const int async_fatal[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2, SIGALRM, SIGVTALRM,
	SIGPROF, SIGXCPU, SIGIO, SIGPWR, SIGSTKFLT,
};
#ifndef SIGNALS_SANITIZED
static const int sync_fatal[] = {
	SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT,
};
#endif
static const int job_control[] = { SIGTSTP, SIGTTIN, SIGTTOU, SIGCONT };

static struct signal_actions actions;
static int signal_fd = -1;
static const char *eol = "\n";	/* log_eol(), fixed before any handler runs */

const char *signals_name(int sig, char *buf, unsigned len)
{
	const char *abbrev = sigabbrev_np(sig);

	if (sig >= SIGRTMIN && sig <= SIGRTMAX)
		snprintf(buf, len, "SIGRT%d", sig - SIGRTMIN);
	else if (sig == SIGIO)	/* glibc's abbreviation is its alias, POLL */
		snprintf(buf, len, "SIGIO");
	else if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

/* Async-signal-safe: the terminal back, then one line with write(). */
static void say_in_handler(int sig, const char *what)
{
	char line[160], name[32];
	const char *parts[] = { "minivmm: ", what, " ",
				signals_name(sig, name, sizeof(name)), eol };
	size_t pos = 0;

	console_restore();
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		for (const char *c = parts[i]; *c && pos < sizeof(line); c++)
			line[pos++] = *c;
	if (write(STDERR_FILENO, line, pos) < 0) {
		/* Nothing more to be done about it. */
	}
}

/*
 * SA_RESETHAND put the default action back; raising the signal again
 * (it stays blocked until the handler returns) takes it, core dump and
 * all, and a fault re-executed after return does the same.
 */
#ifndef SIGNALS_SANITIZED
static void on_sync_fatal(int sig)
{
	say_in_handler(sig, "crashed with");
	raise(sig);
}
#endif

static void on_async_during_setup(int sig)
{
	say_in_handler(sig, "ended by");
	_exit(128 + sig);
}

static void handle(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* The asynchronous fatal set: the list, and every real-time signal but the kick. */
static void async_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof(async_fatal) / sizeof(async_fatal[0]); i++)
		sigaddset(set, async_fatal[i]);
	for (int s = SIGRTMIN; s <= SIGRTMAX; s++)
		if (s != vcpu_kick_signal())
			sigaddset(set, s);
}

void signals_early(void)
{
	sigset_t set;

	eol = log_eol();
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	async_set(&set);
	for (int s = 1; s <= SIGRTMAX; s++)
		if (sigismember(&set, s) == 1)
			handle(s, on_async_during_setup, SA_RESETHAND);
#ifndef SIGNALS_SANITIZED
	for (size_t i = 0; i < sizeof(sync_fatal) / sizeof(sync_fatal[0]); i++)
		handle(sync_fatal[i], on_sync_fatal, SA_RESETHAND);
#endif
	signal(SIGPIPE, SIG_IGN);	/* a closed terminal or pipe: EPIPE */
	signal(SIGXFSZ, SIG_IGN);	/* past ulimit -f: EFBIG */
}

static void on_signalfd(void *opaque, short revents)
{
	struct signalfd_siginfo si;

	(void)opaque;
	(void)revents;
	while (read(signal_fd, &si, sizeof(si)) == sizeof(si)) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGUSR1) {
			actions.counters(actions.opaque);
		} else if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			/* The default action, with the terminal put back first. */
			console_restore();
			raise(SIGSTOP);
			console_resume();	/* continued */
		} else if (sig == SIGCONT) {
			/* After SIGSTOP the shell has made the terminal cooked. */
			console_resume();
		} else {
			actions.stop(actions.opaque, sig);
		}
	}
}

void signals_start(struct evloop *loop, const struct signal_actions *a)
{
	sigset_t set;

	actions = *a;
	async_set(&set);
	sigaddset(&set, SIGUSR1);
	for (size_t i = 0; i < sizeof(job_control) / sizeof(job_control[0]); i++)
		sigaddset(&set, job_control[i]);
	/* Blocked here, inherited by every vCPU thread made after this. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal_fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (signal_fd < 0)
		die("signalfd: %s", strerror(errno));
	if (evloop_watch(loop, signal_fd, POLLIN, on_signalfd, NULL) < 0)
		die("signalfd: event loop full");
}
