/*
 * hostfile.h - reading the files a user names (kernel, initrd, firmware,
 * ROMs) with one-line errors: "<what> <path>: <reason>", status 1.
 */
#ifndef MINIVMM_HOSTFILE_H
#define MINIVMM_HOSTFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Opens a regular, non-empty file of at most max bytes; returns the fd and
 * sets *size.  Dies with a one-line message otherwise.
 */
int hostfile_open(const char *what, const char *path, uint64_t max, size_t *size);

/* Dies unless hostfile_open() would accept path (any size). */
void hostfile_check(const char *what, const char *path);

/* Reads exactly len bytes from fd into dst, or dies. */
void hostfile_read(int fd, const char *what, const char *path, void *dst, size_t len);

/* The whole file in a new malloc'd buffer (caller frees), or dies. */
uint8_t *hostfile_load(const char *what, const char *path, uint64_t max, size_t *len);

#endif
