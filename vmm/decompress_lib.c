/*
 * decompress_lib.c - the decompressors' functions resolved into tables
 * (decompress_lib.h).  The first word of each error is the format's name,
 * as in vmm/decompress.c's other messages.
 */
#include "vmm/decompress_lib.h"

DYNLIB_LOADER(zlib_lib_load, zlib_lib, ZLIB_LIB_FUNCS,
	      "gzip", "libz.so.1", "zlib1g")
DYNLIB_LOADER(lzma_lib_load, lzma_lib, LZMA_LIB_FUNCS,
	      "xz", "liblzma.so.5", "liblzma5")
DYNLIB_LOADER(zstd_lib_load, zstd_lib, ZSTD_LIB_FUNCS,
	      "zstd", "libzstd.so.1", "libzstd1")
DYNLIB_LOADER(lz4_lib_load, lz4_lib, LZ4_LIB_FUNCS,
	      "lz4", "liblz4.so.1", "liblz4-1")
