/*
 * passt.h - `-net passt`: minivmm starts passt (https://passt.top) and talks
 * to it with the framed-socket backend (net/stream.h).
 *
 * What the guest sees is passt's network, not slirp's: DHCP (and NDP,
 * DHCPv6) hand out the host's own address and gateway, taken from the
 * host's interface with the default route; connections and datagrams leave
 * through ordinary host sockets, without NAT tables; the gateway address
 * stands for the host itself (passt maps it to 127.0.0.1).  passt needs a
 * routable interface: on a host without a default route it refuses to
 * start, and minivmm says so in one line.
 *
 * How it is started (before privileges are dropped and seccomp is on):
 *  - a private directory (mkdtemp, mode 0700) under $TMPDIR or /tmp, owned
 *    by the user passt will run as;
 *  - `passt -f -q -1 -s DIR/passt.socket [--runas UID:GID]`: foreground,
 *    quiet, one client only (-1: passt exits when minivmm's connection
 *    closes, which is how minivmm stops it, even if minivmm is killed), in
 *    a session of its own, with every other descriptor closed and its
 *    messages in DIR/passt.log;
 *  - minivmm connects as soon as the socket answers, then removes the
 *    socket, the log's name and the directory: nothing else can ever
 *    connect.  If passt exits first, or has not listened after
 *    PASST_START_MS, the error is one line with passt's last message.
 *
 * Frames passt sends carry complete checksums it computed itself, so they
 * are marked DATA_VALID (the device passes that on only to a guest that
 * negotiated GUEST_CSUM).
 */
#ifndef MINIVMM_NET_PASST_H
#define MINIVMM_NET_PASST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/evloop.h"
#include "net/backend.h"

#define PASST_START_MS 10000

struct passt_run {
	const char *program;	/* NULL or "": "passt" found on PATH */
	/*
	 * runas: passt is told whom to become (--runas) and its directory is
	 * given to that user.  Without it, started as root, passt becomes
	 * "nobody" (passt's own default, made explicit here).
	 */
	bool runas;
	uid_t uid;
	gid_t gid;
};

/*
 * Starts passt and connects to it.  Returns the backend (name "passt"), or
 * NULL with one line in err, e.g. "passt: exited with status 1 before it
 * listened: External interface not usable".
 */
struct net_backend *passt_start(struct evloop *loop, const struct passt_run *r,
				char *err, size_t errlen);

/* The pid of the passt a backend made by passt_start() talks to. */
pid_t passt_pid(const struct net_backend *be);

#endif
