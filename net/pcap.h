/*
 * pcap.h - capture frames to a classic libpcap file (what tcpdump -r and
 * wireshark read): LINKTYPE_ETHERNET, microsecond timestamps, host byte
 * order (readers detect it from the magic number).
 *
 * The device captures both directions through one handle, and only from
 * the I/O thread under that device's lock (its queue handlers and its
 * backend's receive callback), so a handle has no lock of its own.  Each
 * record goes out with one writev(), so a reader never sees half a record
 * from a live capture.
 */
#ifndef MINIVMM_NET_PCAP_H
#define MINIVMM_NET_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define NET_PCAP_SNAPLEN 262144	/* bytes kept of each frame (tcpdump's) */

struct net_pcap;

/*
 * Creates (truncates) path, which must be a regular file if it exists, and
 * writes the file header.  NULL with "path: reason" in err.
 */
struct net_pcap *net_pcap_open(const char *path, char *err, size_t errlen);

/*
 * Appends one frame: the bytes of iov[0..iovcnt) after the first skip
 * (the virtio-net header), time-stamped now.  Returns 0 or -errno.  The
 * first write error is logged (one line) and stops the capture: every
 * later call returns that error without writing.
 */
int net_pcap_write(struct net_pcap *p, const struct iovec *iov, int iovcnt,
		   size_t skip);

/*
 * Appends a flat virtio-net header + Ethernet frame as the wire would
 * carry it: a NEEDS_CSUM checksum is completed in a private copy first
 * (the caller's buffer is never changed).  A frame whose csum_start or
 * csum_offset is out of range is written as it is.  0 or -errno.
 */
int net_pcap_write_completed(struct net_pcap *p, const uint8_t *frame,
			     size_t len);

/* Flushes and closes; NULL is ignored. */
void net_pcap_close(struct net_pcap *p);

#endif
