/*
 * seccomp.c - minivmm's run-time system-call allow-list (see seccomp.h for
 * what it allows and why it traps).
 *
 * The filter is a plain classic-BPF list: check the architecture (and
 * refuse x32 numbers), then one "equal? allow" pair per system call; these
 * calls have their arguments checked too:
 *   ioctl   only the request numbers in run_ioctls[] (KVM vCPU/VM calls,
 *           tap's TUNSETOFFLOAD, the terminal and non-blocking socket ones)
 *   socket  only AF_INET and AF_INET6 (libslirp's connections for the guest)
 *   mmap, mprotect   never PROT_EXEC
 *   openat  read-only (libslirp's /etc/resolv.conf)
 * The list was taken from strace of the probe guest (slirp with DHCP, ARP,
 * ping, UDP and TCP both ways through tests/peers/probe_peer.py, tap with
 * offloads), a Linux boot through the emulation fallback, and the exit
 * path (terminal restore, counters, thread joins); each entry says who
 * needs it.
 */
#include "vmm/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "vmm/console.h"

/* System calls allowed with any arguments. */
static const int run_syscalls[] = {
	/* Guest I/O, the console, tap frames, disk images, eventfds. */
	__NR_read, __NR_write, __NR_readv, __NR_writev,
	__NR_pread64, __NR_pwrite64, __NR_preadv, __NR_pwritev,
	__NR_preadv2, __NR_pwritev2, __NR_lseek, __NR_fdatasync, __NR_fsync,
	__NR_close, __NR_fcntl, __NR_fstat, __NR_newfstatat,
	/* The I/O thread's event loop (poll) and anything glib may use. */
	__NR_poll, __NR_ppoll, __NR_epoll_wait, __NR_epoll_pwait,
	/* Locks, condition variables, thread exit (pthread_join). */
	__NR_futex, __NR_sched_yield, __NR_exit, __NR_exit_group,
	__NR_restart_syscall, __NR_rt_sigreturn, __NR_rt_sigprocmask,
	/*
	 * A vCPU thread just created by machine_start() may still be in
	 * glibc's thread start-up when the filter lands (TSYNC).
	 */
	__NR_rseq, __NR_set_robust_list,
	/*
	 * vcpu_stop_all() kicks vCPU threads out of KVM_RUN; job control
	 * (signals.c) stops minivmm with raise(SIGSTOP) and, continued,
	 * asks whether it is in the terminal's foreground process group.
	 */
	__NR_tgkill, __NR_getpid, __NR_gettid, __NR_getpgrp, __NR_getpgid,
	/* Clocks (normally vDSO) and sleeps: slirp timers, rate limits. */
	__NR_clock_gettime, __NR_clock_getres, __NR_gettimeofday, __NR_time,
	__NR_nanosleep, __NR_clock_nanosleep,
	/* malloc and thread stacks (mmap/mprotect are checked for PROT_EXEC). */
	__NR_munmap, __NR_mremap, __NR_madvise, __NR_brk,
	/* libslirp: the guest's TCP/UDP/ICMP flows and hostfwd listeners. */
	__NR_connect, __NR_accept, __NR_accept4, __NR_bind, __NR_listen,
	__NR_sendto, __NR_recvfrom, __NR_sendmsg, __NR_recvmsg,
	__NR_sendmmsg, __NR_recvmmsg, __NR_shutdown, __NR_setsockopt,
	__NR_getsockopt, __NR_getsockname, __NR_getpeername,
	/* glib's random numbers (slirp's TCP initial sequence numbers). */
	__NR_getrandom,
};

/* ioctl request numbers allowed at run time. */
static const unsigned run_ioctls[] = {
	/* vCPU threads: the run loop and the emulation fallback (vmm/emu/). */
	KVM_RUN, KVM_GET_REGS, KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS,
	KVM_GET_FPU, KVM_SET_FPU, KVM_GET_XSAVE, KVM_SET_XSAVE,
	KVM_GET_VCPU_EVENTS, KVM_SET_VCPU_EVENTS, KVM_GET_MSRS, KVM_SET_MSRS,
	/* Interrupts from devices, and notify addresses moved with a BAR. */
	KVM_IRQ_LINE, KVM_IRQ_LINE_STATUS, KVM_SIGNAL_MSI, KVM_IRQFD,
	KVM_SET_GSI_ROUTING, KVM_IOEVENTFD, KVM_CHECK_EXTENSION,
	/* Firmware guests remap the BIOS region (firmware.c). */
	KVM_SET_USER_MEMORY_REGION,
	/* Mirroring the guest's receive offloads onto the tap (tap.c). */
	TUNSETOFFLOAD,
	/*
	 * Restoring the terminal at exit and around job control (TIOCGPGRP:
	 * tcgetpgrp); glib and slirp on sockets.
	 */
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, TIOCGPGRP, FIONBIO,
	FIONREAD,
};

#define NAME(n) [__NR_##n] = #n
static const char *const syscall_names[] = {
	NAME(read), NAME(write), NAME(open), NAME(close), NAME(stat), NAME(fstat),
	NAME(lstat), NAME(poll), NAME(lseek), NAME(mmap), NAME(mprotect),
	NAME(munmap), NAME(brk), NAME(rt_sigaction), NAME(rt_sigprocmask),
	NAME(rt_sigreturn), NAME(ioctl), NAME(pread64), NAME(pwrite64),
	NAME(readv), NAME(writev), NAME(access), NAME(pipe), NAME(select),
	NAME(sched_yield), NAME(mremap), NAME(msync), NAME(madvise), NAME(dup),
	NAME(dup2), NAME(nanosleep), NAME(getpid), NAME(sendfile), NAME(socket),
	NAME(connect), NAME(accept), NAME(sendto), NAME(recvfrom),
	NAME(sendmsg), NAME(recvmsg), NAME(shutdown), NAME(bind), NAME(listen),
	NAME(getsockname), NAME(getpeername), NAME(socketpair),
	NAME(setsockopt), NAME(getsockopt), NAME(clone), NAME(fork),
	NAME(vfork), NAME(execve), NAME(exit), NAME(wait4), NAME(kill),
	NAME(uname), NAME(fcntl), NAME(fsync), NAME(fdatasync),
	NAME(truncate), NAME(ftruncate), NAME(getdents), NAME(getcwd),
	NAME(chdir), NAME(rename), NAME(mkdir), NAME(rmdir), NAME(creat),
	NAME(link), NAME(unlink), NAME(symlink), NAME(readlink), NAME(chmod),
	NAME(chown), NAME(umask), NAME(gettimeofday), NAME(getrlimit),
	NAME(getrusage), NAME(sysinfo), NAME(ptrace), NAME(getuid),
	NAME(getgid), NAME(setuid), NAME(setgid), NAME(geteuid),
	NAME(getegid), NAME(setpgid), NAME(getppid), NAME(setsid),
	NAME(setgroups), NAME(sigaltstack), NAME(prctl), NAME(arch_prctl),
	NAME(setrlimit), NAME(chroot), NAME(mount), NAME(umount2),
	NAME(reboot), NAME(sethostname), NAME(init_module), NAME(gettid),
	NAME(tkill), NAME(time), NAME(futex), NAME(sched_setaffinity),
	NAME(sched_getaffinity), NAME(getdents64), NAME(set_tid_address),
	NAME(restart_syscall), NAME(clock_gettime), NAME(clock_getres),
	NAME(clock_nanosleep), NAME(exit_group), NAME(epoll_wait),
	NAME(tgkill), NAME(openat), NAME(mkdirat), NAME(newfstatat),
	NAME(unlinkat), NAME(renameat), NAME(readlinkat), NAME(faccessat),
	NAME(pselect6), NAME(ppoll), NAME(unshare), NAME(set_robust_list),
	NAME(epoll_pwait), NAME(timerfd_create), NAME(eventfd2),
	NAME(epoll_create1), NAME(dup3), NAME(pipe2), NAME(preadv),
	NAME(pwritev), NAME(recvmmsg), NAME(prlimit64), NAME(sendmmsg),
	NAME(setns), NAME(getrandom), NAME(memfd_create), NAME(bpf),
	NAME(execveat), NAME(userfaultfd), NAME(preadv2), NAME(pwritev2),
	NAME(statx), NAME(rseq), NAME(pidfd_open), NAME(clone3),
	NAME(openat2), NAME(accept4), NAME(seccomp), NAME(io_uring_setup),
};
#undef NAME

const char *seccomp_syscall_name(long nr)
{
	if (nr >= 0 && (size_t)nr < sizeof(syscall_names) / sizeof(syscall_names[0]) &&
	    syscall_names[nr])
		return syscall_names[nr];
	return "?";
}

/* ---- the SIGSYS handler ------------------------------------------------ */

/* Appends s to buf at *pos (async-signal-safe, no stdio). */
static void put_str(char *buf, size_t cap, size_t *pos, const char *s)
{
	while (*s && *pos + 1 < cap)
		buf[(*pos)++] = *s++;
}

static void put_num(char *buf, size_t cap, size_t *pos, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n < (int)sizeof(tmp));
	while (n > 0 && *pos + 1 < cap)
		buf[(*pos)++] = tmp[--n];
}

/*
 * One line naming the call, the terminal back as it was, status 1.  Only
 * async-signal-safe calls, all of them on the allow-list (write, ioctl
 * TCSETS, exit_group).
 */
/* log_eol(), taken at install; on a terminal, a line break first too. */
static const char *sigsys_eol = "\n", *sigsys_lead = "";

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[160];
	size_t pos = 0;
	long nr = si->si_syscall;

	(void)sig;
	(void)uc;
	put_str(line, sizeof(line), &pos, sigsys_lead);	/* off the guest's line */
	put_str(line, sizeof(line), &pos, "minivmm: seccomp: forbidden system call ");
	put_num(line, sizeof(line), &pos, (unsigned long)nr);
	put_str(line, sizeof(line), &pos, " (");
	put_str(line, sizeof(line), &pos, seccomp_syscall_name(nr));
	put_str(line, sizeof(line), &pos, "); please report this as a minivmm bug");
	put_str(line, sizeof(line), &pos, sigsys_eol);
	console_restore();
	if (write(STDERR_FILENO, line, pos) < 0) {
		/* Nothing more to be done about it. */
	}
	_exit(1);
}

/* ---- building the filter ----------------------------------------------- */

#define MAX_INSNS 256

struct prog {
	struct sock_filter insn[MAX_INSNS];
	unsigned n;
	bool full;
	unsigned calls;		/* system calls the filter lets through */
};

/* Calls the installed filter allows, for the -v message. */
static unsigned allowed_calls;

static void emit(struct prog *p, struct sock_filter f)
{
	if (p->n < MAX_INSNS)
		p->insn[p->n++] = f;
	else
		p->full = true;
}

#define LOAD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
/* if (A == k) allow; else fall through */
#define ALLOW_IF_EQ(k) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), 0, 1), RET(SECCOMP_RET_ALLOW)
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define TRAP SECCOMP_RET_TRAP

static void emit_allow_if_eq(struct prog *p, uint32_t k)
{
	struct sock_filter f[] = { ALLOW_IF_EQ(k) };

	emit(p, f[0]);
	emit(p, f[1]);
}

/*
 * Starts the argument check for system call nr: when A is not nr, jump over
 * the block's `len` instructions to the next block.  Counts the call.
 */
static void block_start(struct prog *p, int nr, unsigned len)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr,
					     0, (uint8_t)len));
	p->calls++;
}

/*
 * The argument checks: each block starts with A = nr and ends with A = nr
 * reloaded, so they chain.  Block for `nr`: if A != nr skip the block;
 * else test the argument and allow or trap.
 */
static void emit_ioctl_block(struct prog *p)
{
	unsigned n = sizeof(run_ioctls) / sizeof(run_ioctls[0]);

	/* Skip 1 (load) + 2 n (pairs) + 1 (trap) when not ioctl. */
	block_start(p, __NR_ioctl, 2 + 2 * n);
	/* The request is an unsigned int: compare its low 32 bits only. */
	emit(p, (struct sock_filter)LOAD(ARG_LO(1)));
	for (unsigned i = 0; i < n; i++)
		emit_allow_if_eq(p, run_ioctls[i]);
	emit(p, (struct sock_filter)RET(TRAP));
}

static void emit_socket_block(struct prog *p)
{
	block_start(p, __NR_socket, 6);
	emit(p, (struct sock_filter)LOAD(ARG_LO(0)));
	emit_allow_if_eq(p, AF_INET);
	emit_allow_if_eq(p, AF_INET6);
	emit(p, (struct sock_filter)RET(TRAP));
}

/*
 * openat for reading only (flags are argument 2): libslirp re-reads
 * /etc/resolv.conf at run time to forward the guest's DNS queries and to
 * announce DNS servers in IPv6 router advertisements (its RA timer fires
 * minutes into a run).  Writing, creating or truncating stays forbidden.
 */
static void emit_readonly_open_block(struct prog *p)
{
	const uint32_t writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND |
				O_EXCL | __O_TMPFILE;

	block_start(p, __NR_openat, 4);
	emit(p, (struct sock_filter)LOAD(ARG_LO(2)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, writes, 0, 1));
	emit(p, (struct sock_filter)RET(TRAP));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

/* mmap (prot is argument 2) and mprotect (argument 2 too): no PROT_EXEC. */
static void emit_noexec_block(struct prog *p, int nr)
{
	block_start(p, nr, 4);
	emit(p, (struct sock_filter)LOAD(ARG_LO(2)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
	emit(p, (struct sock_filter)RET(TRAP));
	/* Not executable: allowed.  (Fall-through path of the JSET.) */
	emit(p, (struct sock_filter)RET(SECCOMP_RET_ALLOW));
}

static void build(struct prog *p)
{
	p->n = 0;
	p->full = false;
	p->calls = sizeof(run_syscalls) / sizeof(run_syscalls[0]);
	emit(p, (struct sock_filter)LOAD(offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)LOAD(offsetof(struct seccomp_data, nr)));
	/* x32 numbers reach the same table with a high bit: refuse them. */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	for (size_t i = 0; i < sizeof(run_syscalls) / sizeof(run_syscalls[0]); i++)
		emit_allow_if_eq(p, (uint32_t)run_syscalls[i]);
	emit_ioctl_block(p);
	emit_socket_block(p);
	emit_readonly_open_block(p);
	emit_noexec_block(p, __NR_mmap);
	emit_noexec_block(p, __NR_mprotect);
	emit(p, (struct sock_filter)RET(TRAP));
}

int seccomp_install(char *err, size_t errlen)
{
	static struct prog p;
	struct sock_fprog fprog;
	struct sigaction sa;
	sigset_t set;
	long r;

	sigsys_eol = log_eol();
	sigsys_lead = sigsys_eol[0] == '\r' ? "\r\n" : "";
	build(&p);
	if (p.full) {
		snprintf(err, errlen, "seccomp: filter longer than %d instructions", MAX_INSNS);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0) {
		snprintf(err, errlen, "seccomp: sigaction: %s", strerror(errno));
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Needed without CAP_SYS_ADMIN (after --user), harmless with it. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "seccomp: PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	allowed_calls = p.calls;
	fprog.len = (unsigned short)p.n;
	fprog.filter = p.insn;
	r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
	if (r != 0) {
		/* TSYNC answers the id of a thread it could not synchronise. */
		snprintf(err, errlen, "seccomp: cannot install the filter: %s",
			 r > 0 ? "a thread has a different filter" : strerror(errno));
		return -1;
	}
	return 0;
}

void seccomp_start(const struct options *o)
{
	char err[256];
	const char *test = getenv("MINIVMM_TEST_SECCOMP_VIOLATION");

	if (o->no_seccomp) {
		info("seccomp: off (--no-seccomp)");
		return;
	}
	if (seccomp_install(err, sizeof(err)) < 0)
		die("%s (--no-seccomp runs without it)", err);
	info("seccomp: allow-list installed (%u system calls, %zu ioctls)",
	     allowed_calls,
	     sizeof(run_ioctls) / sizeof(run_ioctls[0]));
	if (test && strcmp(test, "1") == 0) {
		/* What an exploited device model would try first. */
		char *const argv[] = { NULL };

		execve("/bin/true", argv, argv);
	}
	if (test && strcmp(test, "open") == 0) {
		/* Reading a file is allowed (resolv.conf); writing one is not. */
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
		fd = open("/tmp/minivmm-seccomp-test", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
}
