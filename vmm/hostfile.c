#include "vmm/hostfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

int hostfile_open(const char *what, const char *path, uint64_t max, size_t *size)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO is refused below, not waited on in open(). */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		die("%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		die("%s %s: not a regular file", what, path);
	if (st.st_size == 0)
		die("%s %s: empty file", what, path);
	if ((uint64_t)st.st_size > max)
		die("%s %s: larger than %llu MiB", what, path,
		    (unsigned long long)(max >> 20));
	*size = (size_t)st.st_size;
	return fd;
}

void hostfile_read(int fd, const char *what, const char *path, void *dst, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (uint8_t *)dst + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s %s: read error: %s", what, path,
			    n < 0 ? strerror(errno) : "file shrank while reading");
		got += (size_t)n;
	}
}

void hostfile_check(const char *what, const char *path)
{
	size_t size;

	close(hostfile_open(what, path, UINT64_MAX, &size));
}

uint8_t *hostfile_load(const char *what, const char *path, uint64_t max, size_t *len)
{
	int fd = hostfile_open(what, path, max, len);
	uint8_t *buf = malloc(*len);

	if (!buf)
		die("%s %s: out of memory", what, path);
	hostfile_read(fd, what, path, buf, *len);
	close(fd);
	return buf;
}
