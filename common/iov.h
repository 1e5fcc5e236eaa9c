/*
 * iov.h - the iovec helpers every layer shares: how long an array is,
 * copies between it and a flat buffer from any byte offset, a byte range
 * of it as a new array without a copy, and stepping past bytes a short
 * readv/writev already moved.
 *
 * An offset past the end is not an error: the helpers do what fits and
 * say how much (callers that need all of it compare the count).
 * Zero-length pieces are allowed anywhere and never copied out.
 */
#ifndef MINIVMM_IOV_H
#define MINIVMM_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/* The sum of the n lengths. */
size_t iov_size(const struct iovec *iov, unsigned n);

/* Copies up to len bytes of iov, from byte off on, into buf; the bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off,
		  void *buf, size_t len);

/* Copies up to len bytes of buf into iov from byte off on; the bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off,
		    const void *buf, size_t len);

/*
 * Points out[0..max) at bytes [off, off + len) of iov, no copy; returns the
 * pieces used.  Stops early when out is full: iov_size(out, ret) < len then
 * (unless iov itself ends first).
 */
unsigned iov_slice(struct iovec *out, unsigned max, const struct iovec *iov,
		   unsigned n, size_t off, size_t len);

/*
 * Steps *iov past `done` bytes (what a short readv/writev moved), dropping
 * the pieces it used up and shortening the next; returns the pieces left.
 * The array is changed in place.
 */
unsigned iov_advance(struct iovec **iov, unsigned n, size_t done);

#endif
