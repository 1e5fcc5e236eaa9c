/*
 * profile.h - where one run's time goes, step by step.
 *
 * main() marks the end of each set-up and tear-down step; with -v the
 * steps are printed at exit as one line, in milliseconds since main()
 * began.  `make bench` reads that line to show where start-up and
 * tear-down go (issue 16); exec and the dynamic loader come before the
 * first mark, the kernel's own process tear-down after the last.
 */
#ifndef MINIVMM_PROFILE_H
#define MINIVMM_PROFILE_H

/* Records that the step named STEP (a string literal) ended now.  Main
 * thread only; marks past the table's size are dropped. */
void profile_mark(const char *step);

/* "minivmm: steps (ms): options 0.04, vm 1.93, ..." on stderr. */
void profile_print(void);

#endif
