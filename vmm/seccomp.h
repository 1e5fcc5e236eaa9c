/*
 * seccomp.h - the system-call allow-list minivmm runs under once set-up is
 * done (the VM, its devices, backends and vCPU threads exist).
 *
 * Only what the running monitor needs is allowed: the KVM and tap ioctls
 * used at run time (no KVM_CREATE_*), I/O on descriptors it already holds,
 * the socket calls libslirp makes for the guest's connections (IPv4/IPv6
 * sockets only), memory management without PROT_EXEC, futexes, clocks,
 * signals to its own threads, and exit.  Files may be opened for reading
 * only (libslirp re-reads /etc/resolv.conf).  No exec, no fork, no new
 * namespaces, no ptrace, no writing or creating files.
 *
 * Anything else raises SIGSYS (SECCOMP_RET_TRAP); minivmm's handler prints
 * one line, "minivmm: seccomp: forbidden system call N (name); ...",
 * restores the terminal and exits with status 1.  The call itself never
 * runs either way.  RET_TRAP rather than RET_KILL_PROCESS because a silent
 * kill (status 159, no message) would look like a crash and give a user
 * nothing to report; the handler cannot be switched off by the guest,
 * since rt_sigaction is not on the list, and a SIGSYS raised while it is
 * blocked or ignored kills the process as RET_KILL would.
 */
#ifndef MINIVMM_SECCOMP_H
#define MINIVMM_SECCOMP_H

#include <stddef.h>

#include "vmm/options.h"

/*
 * Installs the filter on every thread of the process (SECCOMP_FILTER_FLAG_TSYNC)
 * and the SIGSYS handler.  Returns 0, or -1 with a one-line reason in err.
 */
int seccomp_install(char *err, size_t errlen);

/*
 * main()'s call once the vCPU threads run: installs the filter unless
 * --no-seccomp was given; dies on failure.  With the environment variable
 * MINIVMM_TEST_SECCOMP_VIOLATION=1 (tests only) it then makes a forbidden
 * call (execve), so a test can see the refusal; with =open it opens a file
 * for reading (allowed) and then one for writing (refused).
 */
void seccomp_start(const struct options *o);

/* The name of an x86-64 system call for messages ("?" if not known). */
const char *seccomp_syscall_name(long nr);

#endif
