/*
 * iov.c - copies between flat bytes and an iovec array (iov.h).
 */
#include "common/iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Copies between buf and bytes off.. of iov (to_iov: into iov). */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t off,
		       uint8_t *buf, size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, k;
		uint8_t *p = (uint8_t *)iov[i].iov_base;

		if (off >= l) {
			off -= l;
			continue;
		}
		k = l - off < len - done ? l - off : len - done;
		if (to_iov)
			memcpy(p + off, buf + done, k);
		else
			memcpy(buf + done, p + off, k);
		done += k;
		off = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off,
		  void *buf, size_t len)
{
	return iov_copy(iov, n, off, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
		    const void *buf, size_t len)
{
	/* iov_copy only reads buf when copying into iov. */
	return iov_copy(iov, n, off, (uint8_t *)(uintptr_t)buf, len, true);
}
