#include "devices/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"

/*
 * QEMU's image locking (util/osdep.c, block/file-posix.c) takes OFD locks:
 * they belong to the open file, not the process, so they also catch one
 * process opening an image twice, and are released by the close.  QEMU
 * locks single bytes per permission; one lock over the whole file covers
 * all of them, so minivmm and QEMU also keep each other out.
 */
static int lock_image(int fd, bool ro)
{
	struct flock fl = {
		.l_type = ro ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,	/* to the end, however long */
	};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

int disk_image_open(const char *path, bool ro, uint64_t *bytes, char *err,
		    size_t errlen)
{
	struct stat st;
	int fd, r;

	/* O_NONBLOCK: a FIFO must be refused, not waited on in open(). */
	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file or block device",
			 path);
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		st.st_size = end < 0 ? 0 : end;
	}
	if (st.st_size < DISK_SECTOR) {
		snprintf(err, errlen, "%s: %s (a disk needs at least one "
			 "%d-byte sector)", path, st.st_size ? "too small" : "empty",
			 DISK_SECTOR);
		goto fail;
	}
	r = lock_image(fd, ro);
	if (r == -EAGAIN || r == -EACCES) {
		snprintf(err, errlen, "%s: in use (locked by another minivmm, a "
			 "QEMU, or another -d of this one)%s", path,
			 ro ? "" : "; ,ro shares it with other readers");
		goto fail;
	}
	if (r < 0)	/* a file system without locks: go on, as QEMU does */
		warn("-d %s: cannot lock it (%s): other users are not kept out",
		     path, strerror(-r));
	/* Regular I/O from here on, whatever the file. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	*bytes = (uint64_t)st.st_size;
	return fd;
fail:
	close(fd);
	return -1;
}

int disk_spec_parse(const char *spec, char *path, size_t pathlen, bool *ro,
		    char *err, size_t errlen)
{
	const char *comma = strrchr(spec, ',');
	size_t n;

	*ro = comma && strcmp(comma, ",ro") == 0;
	if (comma && !*ro) {
		snprintf(err, errlen, "%s: unknown option '%s' (only ,ro)", spec,
			 comma + 1);
		return -1;
	}
	n = comma ? (size_t)(comma - spec) : strlen(spec);
	if (n == 0 || n >= pathlen) {
		snprintf(err, errlen, "%s: %s", spec, n ? "path too long"
							: "no file named");
		return -1;
	}
	memcpy(path, spec, n);
	path[n] = '\0';
	return 0;
}
