/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a file whole: the loop that every short read needs. */
#ifndef CR_UTIL_FILEIO_H
#define CR_UTIL_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads exactly len bytes at off (pread, again after EINTR or a short
 * read): 0, -ENODATA when the file ends first, or -errno.
 */
int cr_pread_full(int fd, void *buf, size_t len, uint64_t off);

#endif
