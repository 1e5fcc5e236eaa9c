/*
 * slirp_lib.h - libslirp, loaded on the first slirp network (issue 16).
 *
 * libslirp pulls in glib: 3 MB of mapped library pages that a run with
 * -net none, a tap or passt never uses, so ./minivmm does not link it.  The
 * types are the real ones from libslirp-dev's header; the functions
 * net/slirp.c calls are pointers in this table (common/dynlib.h).
 */
#ifndef MINIVMM_SLIRP_LIB_H
#define MINIVMM_SLIRP_LIB_H

#include <stddef.h>

#include <slirp/libslirp.h>

#include "common/dynlib.h"

/* Every libslirp function minivmm calls. */
#define SLIRP_LIB_FUNCS(X) \
	X(slirp_new)          \
	X(slirp_cleanup)      \
	X(slirp_input)        \
	X(slirp_pollfds_fill) \
	X(slirp_pollfds_poll) \
	X(slirp_handle_timer) \
	X(slirp_add_hostfwd)

struct slirp_lib {
	SLIRP_LIB_FUNCS(DYNLIB_FIELD)
};

/*
 * Loads libslirp.so.0 once per process.  Returns the table, or NULL with
 * one line in err naming the Debian package (libslirp0).
 */
const struct slirp_lib *slirp_lib_load(char *err, size_t errlen);

#endif
