/*
 * pcap.c - the classic pcap file format: a 24-byte global header, then per
 * frame a 16-byte record header (seconds, microseconds, bytes kept, bytes
 * on the wire) and the bytes.  Format: https://wiki.wireshark.org/Development/LibpcapFileFormat
 */
#include "net/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include "net/backend.h"
#include "net/offload.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define LINKTYPE_ETHERNET 1
#define MAX_PIECES 64		/* record header + frame pieces per writev */

struct net_pcap {
	int fd;
	pthread_mutex_t lock;
	uint8_t *scratch;	/* NET_MAX_FRAME bytes for completed copies */
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
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

struct net_pcap *net_pcap_open(const char *path)
{
	struct net_pcap *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->scratch = malloc(NET_MAX_FRAME);
	if (!p->scratch) {
		free(p);
		errno = ENOMEM;
		return NULL;
	}
	p->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (p->fd < 0)
		goto fail;
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
		close(p->fd);
		errno = -r;
		goto fail;
	}
	pthread_mutex_init(&p->lock, NULL);
	return p;
fail:;
	int saved = errno;
	free(p->scratch);
	free(p);
	errno = saved;
	return NULL;
}

/* net_pcap_write() with p->lock already held. */
static int write_locked(struct net_pcap *p, const struct iovec *iov,
			int iovcnt, size_t skip)
{
	struct iovec out[MAX_PIECES];
	struct pcap_rec_hdr rec;
	struct timeval tv;
	size_t wire = 0, kept = 0;
	int n = 1;

	for (int i = 0; i < iovcnt; i++)
		wire += iov[i].iov_len;
	wire = wire > skip ? wire - skip : 0;

	/* The frame's pieces after skip, up to the snap length. */
	for (int i = 0; i < iovcnt && kept < NET_PCAP_SNAPLEN; i++) {
		size_t len = iov[i].iov_len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		if (n == MAX_PIECES)
			break;	/* a pathological chain: keep what fits */
		size_t take = len - skip;
		if (take > NET_PCAP_SNAPLEN - kept)
			take = NET_PCAP_SNAPLEN - kept;
		out[n].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[n].iov_len = take;
		skip = 0;
		kept += take;
		n++;
	}

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
	pthread_mutex_lock(&p->lock);
	int r = write_locked(p, iov, iovcnt, skip);
	pthread_mutex_unlock(&p->lock);
	return r;
}

int net_pcap_write_completed(struct net_pcap *p, const uint8_t *frame,
			     size_t len)
{
	if (len < NET_HDR_LEN || len > NET_MAX_FRAME ||
	    !(frame[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		struct iovec iov = { (void *)(uintptr_t)frame, len };
		return net_pcap_write(p, &iov, 1, NET_HDR_LEN);
	}
	/* The scratch copy belongs to whoever holds the lock. */
	pthread_mutex_lock(&p->lock);
	memcpy(p->scratch, frame, len);
	net_offload_complete_csum(p->scratch, len);	/* bad offsets: as is */
	struct iovec iov = { p->scratch, len };
	int r = write_locked(p, &iov, 1, NET_HDR_LEN);
	pthread_mutex_unlock(&p->lock);
	return r;
}

void net_pcap_close(struct net_pcap *p)
{
	if (!p)
		return;
	close(p->fd);
	pthread_mutex_destroy(&p->lock);
	free(p->scratch);
	free(p);
}
