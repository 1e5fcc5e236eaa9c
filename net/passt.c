/*
 * passt.c - starting passt for `-net passt` (see passt.h for the how and
 * why); the frames then flow through net/stream.c.
 *
 * A private directory and a named socket rather than a socketpair and
 * passt's --fd: that keeps the one start-up signal this passt release
 * gives -- its socket answers -- so a passt that dies during its own
 * set-up is told apart from one that is running, before the guest starts.
 * The directory belongs to the user passt becomes, because passt binds the
 * socket after dropping root, and the 2023 release announces "bound" even
 * when bind() failed.
 */
#include "net/passt.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "net/stream.h"

struct passt_proc {
	pid_t pid;
	int log_fd;		/* passt's stderr: an unlinked file */
	char dir[88];		/* TMPDIR (64 at most) + /minivmm-passt.XXXXXX */
	char sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char log[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* The pid lives with the backend: the stream's opaque for why_closed. */
static struct passt_proc *proc_of(const struct net_backend *be);

/*
 * passt's last line worth showing, from its log: the tail is read and
 * lines about syslog (passt also tries the system logger, which a
 * container may lack) are passed over.  Empty when there is none.
 */
static void last_words(int fd, char *out, size_t len)
{
	char buf[2048];
	struct stat st;
	off_t at;
	ssize_t n;
	char *line, *end;

	out[0] = '\0';
	if (fd < 0 || fstat(fd, &st) < 0 || len == 0)
		return;
	at = st.st_size > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1 : 0;
	n = pread(fd, buf, sizeof(buf) - 1, at);
	if (n <= 0)
		return;
	buf[n] = '\0';
	end = buf + n;
	while (end > buf) {
		while (end > buf && (end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		line = end;
		while (line > buf && line[-1] != '\n')
			line--;
		if (*line && !(strncmp(line, "Failed to send ", 15) == 0 &&
			       strstr(line, "syslog"))) {
			memcpy(out, line, strlen(line) < len ? strlen(line) + 1 : len);
			out[len - 1] = '\0';
			return;
		}
		end = line;
	}
}

static void why_closed(void *opaque, char *buf, size_t len)
{
	struct passt_proc *p = opaque;
	char words[160];

	last_words(p->log_fd, words, sizeof(words));
	snprintf(buf, len, "passt (pid %d) %s%s", (int)p->pid,
		 words[0] ? "said: " : "gave no reason", words);
}

static void release(void *opaque)
{
	struct passt_proc *p = opaque;

	if (p->log_fd >= 0)
		close(p->log_fd);
	free(p);
}

/* The program to run: `program` itself if it has a '/', else PATH's first. */
static int find_program(const char *program, char *out, size_t len,
			char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	const char *name = program && *program ? program : "passt";

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0) {
			snprintf(err, errlen, "passt: %s: %s", name, strerror(errno));
			return -1;
		}
		snprintf(out, len, "%s", name);
		return 0;
	}
	for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);

		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, p, name) < len &&
		    access(out, X_OK) == 0)
			return 0;
		p += n + (colon ? 1 : 0);
	}
	snprintf(err, errlen, "passt: '%s' not found on PATH (install Debian's "
		 "passt package, or give passt=PROGRAM)", name);
	return -1;
}

/* In the child: passt with its messages in the log, nothing else open. */
static _Noreturn void exec_passt(const char *prog, const struct passt_proc *p,
				 const struct passt_run *r)
{
	char runas[32];
	const char *argv[12];
	int n = 0, devnull;
	sigset_t none;

	/* Its own session: a ^C on minivmm's terminal is the guest's. */
	setsid();
	/* Stops a passt still waiting for its client if minivmm dies first. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(p->log_fd, STDOUT_FILENO);
	dup2(p->log_fd, STDERR_FILENO);
	/* /dev/kvm, the VM and guest memory must not reach another program. */
	close_range(3, ~0U, 0);
	argv[n++] = "passt";
	argv[n++] = "-f";
	argv[n++] = "-q";
	argv[n++] = "-1";
	argv[n++] = "-s";
	argv[n++] = p->sock;
	if (r->runas) {
		snprintf(runas, sizeof(runas), "%u:%u", (unsigned)r->uid,
			 (unsigned)r->gid);
		argv[n++] = "--runas";
		argv[n++] = runas;
	}
	argv[n] = NULL;
	execv(prog, (char *const *)(uintptr_t)argv);
	dprintf(STDERR_FILENO, "cannot run %s: %s\n", prog, strerror(errno));
	_exit(127);
}

static long long ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Connects to passt's socket as soon as it answers.  Returns the fd, or
 * -1 with one line in err once passt has exited or PASST_START_MS passed
 * (then passt is killed: it is of no use to anyone).
 */
static int await_socket(struct passt_proc *p, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = ms_now() + PASST_START_MS;
	char words[160];
	int st;

	memcpy(sa.sun_path, p->sock, sizeof(p->sock));
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			snprintf(err, errlen, "passt: socket: %s", strerror(errno));
			break;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (waitpid(p->pid, &st, WNOHANG) == p->pid) {
			last_words(p->log_fd, words, sizeof(words));
			p->pid = 0;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				/* This passt says "bound" even when bind() failed. */
				snprintf(err, errlen, "passt: exited before it listened "
					 "(status 0: could it not bind %s?)", p->sock);
			else if (WIFEXITED(st))
				snprintf(err, errlen, "passt: exited with status %d before "
					 "it listened%s%s", WEXITSTATUS(st),
					 words[0] ? ": " : "", words);
			else
				snprintf(err, errlen, "passt: killed by signal %d before "
					 "it listened%s%s", WTERMSIG(st),
					 words[0] ? ": " : "", words);
			return -1;
		}
		if (ms_now() > deadline) {
			last_words(p->log_fd, words, sizeof(words));
			snprintf(err, errlen, "passt: no socket after %d s%s%s",
				 PASST_START_MS / 1000, words[0] ? "; it said: " : "",
				 words);
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000000 }, NULL);
	}
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	return -1;
}

/* Removes what is left of the directory (its names only: passt keeps going). */
static void remove_dir(struct passt_proc *p)
{
	unlink(p->sock);
	unlink(p->log);
	rmdir(p->dir);
}

/*
 * Whom passt runs as.  Started as root it drops to "nobody" by itself
 * unless told otherwise, so the directory must then be nobody's too.
 */
static struct passt_run effective_run(const struct passt_run *r)
{
	struct passt_run e = *r;
	struct passwd *pw;

	if (e.runas || geteuid() != 0)
		return e;
	pw = getpwnam("nobody");
	e.runas = true;
	e.uid = pw ? pw->pw_uid : 65534;
	e.gid = pw ? pw->pw_gid : 65534;
	return e;
}

struct net_backend *passt_start(struct evloop *loop, const struct passt_run *req,
				char *err, size_t errlen)
{
	struct passt_run run = effective_run(req);
	const struct passt_run *r = &run;
	const char *tmp = getenv("TMPDIR");
	char prog[PATH_MAX];
	struct passt_proc *p;
	struct stream_opts o;
	struct net_backend *be;
	int fd;

	if (find_program(r->program, prog, sizeof(prog), err, errlen) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "passt: out of memory");
		return NULL;
	}
	p->log_fd = -1;
	/* A socket path must fit sun_path: fall back to /tmp if TMPDIR is long. */
	if (!tmp || !*tmp || strlen(tmp) > 64)
		tmp = "/tmp";
	snprintf(p->dir, sizeof(p->dir), "%s/minivmm-passt.XXXXXX", tmp);
	if (!mkdtemp(p->dir)) {
		snprintf(err, errlen, "passt: cannot make a directory in %s: %s", tmp,
			 strerror(errno));
		free(p);
		return NULL;
	}
	snprintf(p->sock, sizeof(p->sock), "%.88s/passt.socket", p->dir);
	snprintf(p->log, sizeof(p->log), "%.88s/passt.log", p->dir);
	p->log_fd = open(p->log, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (p->log_fd < 0 || (r->runas && chown(p->dir, r->uid, r->gid) < 0)) {
		snprintf(err, errlen, "passt: cannot prepare %s: %s", p->dir,
			 strerror(errno));
		goto fail;
	}
	p->pid = fork();
	if (p->pid < 0) {
		snprintf(err, errlen, "passt: fork: %s", strerror(errno));
		goto fail;
	}
	if (p->pid == 0)
		exec_passt(prog, p, r);
	fd = await_socket(p, err, errlen);
	remove_dir(p);
	if (fd < 0)
		goto fail;
	info("passt: %s started (pid %d)", prog, (int)p->pid);
	o = (struct stream_opts){ .name = "passt", .data_valid = true,
				  .why_closed = why_closed, .why_opaque = p,
				  .release = release };
	be = stream_backend_create(fd, loop, &o, err, errlen);
	if (!be) {
		/* The stream closed fd: passt (one client only) exits now. */
		release(p);
		return NULL;
	}
	return be;
fail:
	remove_dir(p);
	release(p);
	return NULL;
}

static struct passt_proc *proc_of(const struct net_backend *be)
{
	return stream_backend_opaque(be);
}

pid_t passt_pid(const struct net_backend *be)
{
	return proc_of(be)->pid;
}
