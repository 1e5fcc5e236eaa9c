/*
 * slirp_lib.c - libslirp's functions resolved into a table (slirp_lib.h).
 */
#include "net/slirp_lib.h"

DYNLIB_LOADER(slirp_lib_load, slirp_lib, SLIRP_LIB_FUNCS,
	      "slirp", "libslirp.so.0", "libslirp0")
