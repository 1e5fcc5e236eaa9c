/*
 * dynlib.h - a shared library loaded when a run first needs it.
 *
 * ./minivmm links only libc: libslirp (and glib behind it) and the kernel
 * decompressors cost 3 MB of mapped pages that a run with -net none and an
 * uncompressed kernel never touches (issue 16).  Each library group has a
 * small loader (net/slirp_lib.c, vmm/decompress_lib.c) that describes the
 * library here and resolves the functions minivmm calls into a table of
 * pointers; the types still come from the real -dev headers.
 */
#ifndef MINIVMM_DYNLIB_H
#define MINIVMM_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

struct dynlib {
	const char *what;		/* "slirp": the message's first word */
	const char *soname;		/* "libslirp.so.0" */
	const char *package;		/* Debian package that ships it */
	const char *const *symbols;	/* NULL-terminated */
	void **slots;			/* one per symbol, filled in order */
	/* state */
	void *handle;
	bool failed;			/* tried once; the error stays */
	char error[256];
};

/*
 * Opens lib->soname and resolves every symbol into lib->slots; a second call
 * returns the first answer.  Returns 0, or -1 with one line in err such as
 * "slirp: cannot load libslirp.so.0 (install the Debian package libslirp0):
 * <dlerror>" -- never a crash when the library is missing or too old.
 */
int dynlib_load(struct dynlib *lib, char *err, size_t errlen);

/*
 * A table of one library's functions, typed from its -dev header:
 *   #define ZLIB_FUNCS(X) X(inflate) X(inflateEnd)
 *   struct zlib_lib { ZLIB_FUNCS(DYNLIB_FIELD) };
 *   DYNLIB_LOADER(zlib_lib_load, zlib_lib, ZLIB_FUNCS, "gzip", "libz.so.1",
 *                 "zlib1g")
 * defines const struct zlib_lib *zlib_lib_load(char *err, size_t errlen),
 * which returns the filled table, or NULL with dynlib_load()'s line in err.
 */
#define DYNLIB_FIELD(name) __typeof__(name) *name;
#define DYNLIB_NAME_(name) #name,
#define DYNLIB_INDEX_(name) dynlib_idx_##name,
/* POSIX dlsym(): a void * that holds a function converts back to it. */
#define DYNLIB_FILL_(name) \
	table.name = (__typeof__(table.name))slots[dynlib_idx_##name];
#define DYNLIB_LOADER(fn, type, FUNCS, what_, soname_, package_)          \
	const struct type *fn(char *err, size_t errlen)                   \
	{                                                                 \
		enum { FUNCS(DYNLIB_INDEX_) dynlib_n_ };                  \
		static const char *const names[] = { FUNCS(DYNLIB_NAME_) NULL }; \
		static void *slots[dynlib_n_];                            \
		static struct type table;                                 \
		static struct dynlib lib = {                              \
			.what = what_, .soname = soname_,                 \
			.package = package_, .symbols = names,            \
			.slots = slots,                                   \
		};                                                        \
		if (dynlib_load(&lib, err, errlen) < 0)                   \
			return NULL;                                      \
		FUNCS(DYNLIB_FILL_)                                       \
		return &table;                                            \
	}

#endif
