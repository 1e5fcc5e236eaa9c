/*
 * privdrop.h - `--user NAME`: giving up root once everything that needs it
 * (/dev/kvm, the tap device, files named on the command line) is open.
 */
#ifndef MINIVMM_PRIVDROP_H
#define MINIVMM_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "vmm/options.h"

/*
 * The uid and primary gid of `name` (a name, or a bare number, which is
 * then the gid too).  Returns 0, or -1 with a one-line reason in err.
 */
int privdrop_lookup(const char *name, uid_t *uid, gid_t *gid, char *err,
		    size_t errlen);

/*
 * Becomes user `name` (a name, or a number for a uid without a passwd
 * entry): supplementary groups cleared to the user's primary group, then
 * setgid, then setuid, and a check that root cannot be taken back.
 * Returns 0, or -1 with a one-line reason in err.
 */
int privdrop_to_user(const char *name, char *err, size_t errlen);

/* main()'s call after set-up: does nothing without --user; dies on failure. */
void privdrop_start(const struct options *o);

#endif
