/*
 * disk_image.h - opening the host side of a virtio-blk disk: a raw image
 * that is a regular file or a block device, never anything that could
 * block the open (a FIFO) or has no sectors (an empty file, /dev/zero),
 * locked the way QEMU locks its images so that an image has one writer.
 */
#ifndef MINIVMM_DISK_IMAGE_H
#define MINIVMM_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR 512

/*
 * Opens path read-only (ro) or read-write and locks it: a shared lock for
 * ro, an exclusive one otherwise, as an OFD lock over the whole file, so a
 * second writer (another minivmm, a QEMU, or the same image given twice to
 * this one) is refused while readers may share.  Returns the fd and sets
 * *bytes, or returns -1 with "path: reason" in err.
 */
int disk_image_open(const char *path, bool ro, uint64_t *bytes, char *err,
		    size_t errlen);

/*
 * Splits a -d argument "FILE[,ro]" into path and ro.  Returns 0, or -1
 * with "FILE[,x]: reason" in err.
 */
int disk_spec_parse(const char *spec, char *path, size_t pathlen, bool *ro,
		    char *err, size_t errlen);

#endif
