/*
 * privdrop.c - dropping root for --user (see privdrop.h).
 *
 * The order matters: groups and gid first, while we may still change them,
 * then the uid.  setuid() from root sets the real, effective and saved uid
 * alike, so the last check (setuid(0) must fail) proves the drop cannot be
 * undone.  In a process with threads glibc applies set*id to all of them.
 */
#include "vmm/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

int privdrop_lookup(const char *name, uid_t *uid, gid_t *gid, char *err,
		    size_t errlen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *end;
	unsigned long v;
	int r;

	r = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (res) {
		*uid = pw.pw_uid;
		*gid = pw.pw_gid;
		return 0;
	}
	errno = 0;
	v = strtoul(name, &end, 10);
	if (!*name || *end || errno || v > 0xfffffffe || name[0] == '-') {
		snprintf(err, errlen, "--user %s: %s", name,
			 r ? strerror(r) : "no such user");
		return -1;
	}
	*uid = (uid_t)v;	/* a bare number: its group is the same number */
	*gid = (gid_t)v;
	return 0;
}

int privdrop_to_user(const char *name, char *err, size_t errlen)
{
	uid_t uid;
	gid_t gid;

	if (privdrop_lookup(name, &uid, &gid, err, errlen) < 0)
		return -1;
	if (getuid() == uid && geteuid() == uid && getgid() == gid && getegid() == gid)
		return 0;		/* already that user: nothing to drop */
	if (setgroups(1, &gid) < 0) {
		snprintf(err, errlen, "--user %s: setgroups: %s", name, strerror(errno));
		return -1;
	}
	if (setgid(gid) < 0) {
		snprintf(err, errlen, "--user %s: setgid(%u): %s", name, (unsigned)gid,
			 strerror(errno));
		return -1;
	}
	if (setuid(uid) < 0) {
		snprintf(err, errlen, "--user %s: setuid(%u): %s", name, (unsigned)uid,
			 strerror(errno));
		return -1;
	}
	if (uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(err, errlen, "--user %s: root could be taken back", name);
		return -1;
	}
	return 0;
}

void privdrop_start(const struct options *o)
{
	char err[256];

	if (!o->user)
		return;
	if (privdrop_to_user(o->user, err, sizeof(err)) < 0)
		die("%s", err);
	info("running as user %s (uid %u, gid %u)", o->user, (unsigned)getuid(),
	     (unsigned)getgid());
}
