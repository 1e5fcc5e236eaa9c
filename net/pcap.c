/*
 * pcap.c - the classic pcap file format: a 24-byte global header, then per
 * frame a 16-byte record header (seconds, microseconds, bytes kept, bytes
 * on the wire) and the bytes.  Format: https://wiki.wireshark.org/Development/LibpcapFileFormat
 */
#include "net/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "common/iov.h"
#include "common/log.h"
#include "net/backend.h"
#include "net/offload.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define LINKTYPE_ETHERNET 1
#define MAX_PIECES 64		/* record header + frame pieces per writev */

struct net_pcap {
	int fd;
	uint8_t *scratch;	/* NET_MAX_FRAME bytes for completed copies */
	char *path;		/* for the one message if writing fails */
	int error;		/* the first write error (-errno); then no more */
};

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, network;
};

struct pcap_rec_hdr {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

/* Writes all of iov, going on after short writes. 0 or -errno. */
static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt > 0) {
		ssize_t n = writev(fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		cnt = (int)iov_advance(&iov, (unsigned)cnt, (size_t)n);
	}
	return 0;
}

/*
 * Only a regular file (made if absent) is used: a FIFO would block the
 * open or later writes, and a device is not a capture file.  What exists
 * is looked at before it is opened, so a device is never truncated; the
 * open is non-blocking and checked again in case it changed meanwhile.
 */
struct net_pcap *net_pcap_open(const char *path, char *err, size_t errlen)
{
	struct net_pcap *p = calloc(1, sizeof(*p));
	struct stat st;

	if (!p || !(p->scratch = malloc(NET_MAX_FRAME)) ||
	    !(p->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail_mem;
	}
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail_mem;
	}
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK |
		     O_CLOEXEC, 0644);
	if (p->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail_mem;
	}
	if (fstat(p->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(p->fd);
		goto fail_mem;
	}
	struct pcap_file_hdr h = {
		.magic = PCAP_MAGIC_USEC,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = NET_PCAP_SNAPLEN,
		.network = LINKTYPE_ETHERNET,
	};
	struct iovec iov = { &h, sizeof(h) };
	int r = write_all(p->fd, &iov, 1);
	if (r < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		close(p->fd);
		goto fail_mem;
	}
	return p;
fail_mem:
	if (p) {
		free(p->path);
		free(p->scratch);
	}
	free(p);
	return NULL;
}

/*
 * A write error (a full disk, EFBIG past a file size limit) ends the
 * capture: said once, then every later frame is skipped, so the log is
 * not flooded and the file ends where the error came.
 */
static int note_error(struct net_pcap *p, int r)
{
	if (r < 0 && !p->error) {
		p->error = r;
		warn("pcap %s: %s; capture stopped", p->path, strerror(-r));
	}
	return r;
}

/* One record, header and frame, in one writev(). */
static int write_record(struct net_pcap *p, const struct iovec *iov,
			int iovcnt, size_t skip)
{
	struct iovec out[MAX_PIECES];
	struct pcap_rec_hdr rec;
	struct timeval tv;
	size_t wire = iov_size(iov, (unsigned)iovcnt), kept;
	int n;

	wire = wire > skip ? wire - skip : 0;
	/* The frame's pieces after skip, up to the snap length; a
	 * pathological chain keeps what fits in out. */
	n = 1 + (int)iov_slice(out + 1, MAX_PIECES - 1, iov, (unsigned)iovcnt,
			       skip, NET_PCAP_SNAPLEN);
	kept = iov_size(out + 1, (unsigned)n - 1);

	gettimeofday(&tv, NULL);
	rec.ts_sec = (uint32_t)tv.tv_sec;
	rec.ts_usec = (uint32_t)tv.tv_usec;
	rec.incl_len = (uint32_t)kept;
	rec.orig_len = (uint32_t)wire;
	out[0].iov_base = &rec;
	out[0].iov_len = sizeof(rec);

	return write_all(p->fd, out, n);
}

int net_pcap_write(struct net_pcap *p, const struct iovec *iov, int iovcnt,
		   size_t skip)
{
	return p->error ? p->error
			: note_error(p, write_record(p, iov, iovcnt, skip));
}

int net_pcap_write_completed(struct net_pcap *p, const uint8_t *frame,
			     size_t len)
{
	if (len < NET_HDR_LEN || len > NET_MAX_FRAME ||
	    !(frame[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		struct iovec iov = { (void *)(uintptr_t)frame, len };
		return net_pcap_write(p, &iov, 1, NET_HDR_LEN);
	}
	if (p->error)
		return p->error;
	memcpy(p->scratch, frame, len);
	net_offload_complete_csum(p->scratch, len);	/* bad offsets: as is */
	struct iovec iov = { p->scratch, len };
	return note_error(p, write_record(p, &iov, 1, NET_HDR_LEN));
}

void net_pcap_close(struct net_pcap *p)
{
	if (!p)
		return;
	close(p->fd);
	free(p->path);
	free(p->scratch);
	free(p);
}
