/*
 * decompress_lib.h - the kernel decompressors, each loaded when a bzImage
 * of its format is first unpacked (issue 16).
 *
 * A run with an uncompressed kernel maps none of them, a gzip kernel only
 * zlib.  The types are the real ones from the -dev headers; the functions
 * vmm/decompress.c calls are pointers in these tables (common/dynlib.h).
 */
#ifndef MINIVMM_DECOMPRESS_LIB_H
#define MINIVMM_DECOMPRESS_LIB_H

#include <stddef.h>

#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "common/dynlib.h"

/* inflateInit2() is a macro over inflateInit2_(). */
#define ZLIB_LIB_FUNCS(X) X(inflateInit2_) X(inflate) X(inflateEnd)
#define LZMA_LIB_FUNCS(X) \
	X(lzma_alone_decoder) X(lzma_stream_decoder) X(lzma_code) X(lzma_end)
#define ZSTD_LIB_FUNCS(X) \
	X(ZSTD_createDCtx) X(ZSTD_freeDCtx) X(ZSTD_DCtx_setParameter) \
	X(ZSTD_decompressStream) X(ZSTD_isError) X(ZSTD_getErrorName)
#define LZ4_LIB_FUNCS(X) X(LZ4_decompress_safe)

struct zlib_lib { ZLIB_LIB_FUNCS(DYNLIB_FIELD) };
struct lzma_lib { LZMA_LIB_FUNCS(DYNLIB_FIELD) };
struct zstd_lib { ZSTD_LIB_FUNCS(DYNLIB_FIELD) };
struct lz4_lib { LZ4_LIB_FUNCS(DYNLIB_FIELD) };

/*
 * Each loads its library once per process and returns the table, or NULL
 * with one line in err naming the Debian package.
 */
const struct zlib_lib *zlib_lib_load(char *err, size_t errlen);
const struct lzma_lib *lzma_lib_load(char *err, size_t errlen);
const struct zstd_lib *zstd_lib_load(char *err, size_t errlen);
const struct lz4_lib *lz4_lib_load(char *err, size_t errlen);

#endif
