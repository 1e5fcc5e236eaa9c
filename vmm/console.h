/*
 * console.h - the user's terminal as the guest's serial console.
 *
 * When stdin is a terminal it is put in raw mode (so Ctrl-C reaches the
 * guest) and restored on every exit path through atexit() and the fatal
 * signal handlers.  Ctrl-A x quits minivmm; Ctrl-A Ctrl-A sends one Ctrl-A.
 */
#ifndef MINIVMM_CONSOLE_H
#define MINIVMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct evloop;

/* Receives guest-bound bytes; returns how many it took. */
typedef size_t (*console_input_fn)(void *opaque, const uint8_t *buf, size_t len);
typedef void (*console_quit_fn)(void *opaque);

/*
 * Watches stdin on loop; typed bytes go to input(), the escape sequence to
 * quit().  Puts the terminal in raw mode if stdin is one.
 */
void console_start(struct evloop *loop, console_input_fn input,
		   console_quit_fn quit, void *opaque);

/*
 * Restores the terminal; safe to call more than once, and from a signal
 * handler (only tcsetattr).
 */
void console_restore(void);

/* On SIGCONT: raw again if the console was raw and minivmm is in front. */
void console_resume(void);

/*
 * Splits typed bytes into guest input and escape commands (exposed for the
 * unit tests).  Writes guest bytes to out (at most len), returns their
 * count, and sets *quit when Ctrl-A x was seen.  *state carries a pending
 * Ctrl-A across calls.
 */
size_t console_filter(const uint8_t *in, size_t len, uint8_t *out, int *state,
		      int *quit);

#endif
