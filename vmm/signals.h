/*
 * signals.h - what every signal does to minivmm, in one place.
 *
 * Default-fatal signals never leave the terminal raw (the console,
 * vmm/console.c) and always say one line:
 *   - asynchronous ones (HUP, INT, QUIT, TERM, USR2, ALRM, VTALRM, PROF,
 *     XCPU, IO, PWR, STKFLT, the real-time ones but the vCPU kick) are
 *     blocked in every thread and read from a signalfd by the I/O thread,
 *     which ends the run cleanly: status 128 + signal, one line naming it;
 *   - synchronous ones (SEGV, BUS, FPE, ILL, TRAP, ABRT) restore the
 *     terminal and say so in their handler, then take their default action;
 *   - before the I/O thread runs, an asynchronous one does the same in a
 *     handler and exits with 128 + signal.
 * SIGUSR1 prints the device counters, and is blocked from the first line
 * of main(), so one sent during set-up (a long decompression) waits for
 * the I/O thread instead of killing minivmm.
 * Job control: SIGTSTP/TTIN/TTOU restore the terminal, then stop; on
 * SIGCONT (after those, or after SIGSTOP) the console is raw again if
 * minivmm is in the terminal's foreground.
 * SIGPIPE and SIGXFSZ are ignored: the write fails instead (EPIPE, EFBIG)
 * and is reported where it happened (a pcap file past `ulimit -f`).
 */
#ifndef MINIVMM_SIGNALS_H
#define MINIVMM_SIGNALS_H

/*
 * Sanitizer builds report a crash themselves: their handlers for the
 * synchronous signals stay (signals.c), and tests/unit/test_signals.c
 * then checks the asynchronous ones only.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SIGNALS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIGNALS_SANITIZED 1
#endif
#endif

struct evloop;

struct signal_actions {
	void (*counters)(void *opaque);		/* SIGUSR1 */
	void (*stop)(void *opaque, int sig);	/* a fatal signal: end the run */
	void *opaque;
};

/* First thing in main(): the set-up handlers, SIGUSR1 blocked. */
void signals_early(void);

/*
 * Once the terminal may go raw and before any vCPU thread exists (they
 * inherit the mask): blocks the asynchronous set and reads it through a
 * signalfd on loop.  Dies with one line if the signalfd cannot be made.
 */
void signals_start(struct evloop *loop, const struct signal_actions *a);

/* "SIGTERM" for SIGTERM, "SIGRT3" for SIGRTMIN+3, "signal 99" otherwise. */
const char *signals_name(int sig, char *buf, unsigned len);

#endif
