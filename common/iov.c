/*
 * iov.c - iovec helpers (see iov.h).
 */
#include "common/iov.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

size_t iov_size(const struct iovec *iov, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

/* Copies between buf and the bytes of iov from offset off on (to_iov: into iov). */
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

unsigned iov_slice(struct iovec *out, unsigned max, const struct iovec *iov,
		   unsigned n, size_t off, size_t len)
{
	unsigned cnt = 0;

	for (unsigned i = 0; i < n && len > 0 && cnt < max; i++) {
		size_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		out[cnt].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[cnt].iov_len = l;
		cnt++;
		len -= l;
		off = 0;
	}
	return cnt;
}

unsigned iov_advance(struct iovec **iov, unsigned n, size_t done)
{
	struct iovec *v = *iov;

	while (n > 0 && done >= v->iov_len) {
		done -= v->iov_len;
		v++;
		n--;
	}
	if (n > 0) {
		v->iov_base = (uint8_t *)v->iov_base + done;
		v->iov_len -= done;
	}
	*iov = v;
	return n;
}
