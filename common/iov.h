/*
 * iov.h - copies between flat bytes and an iovec array (a guest's
 * buffers, a backend's pieces of a frame), for devices/ and net/ alike.
 */
#ifndef MINIVMM_COMMON_IOV_H
#define MINIVMM_COMMON_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/*
 * Copy len bytes from byte `off` of the n pieces of iov into buf, or from
 * buf into them.  Return the bytes copied (fewer when the array ends
 * first).
 */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off,
		  void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
		    const void *buf, size_t len);

#endif
