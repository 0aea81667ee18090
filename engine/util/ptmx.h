/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A new pty of a devpts instance with a chosen index. */
#ifndef CR_UTIL_PTMX_H
#define CR_UTIL_PTMX_H

#include <stdint.h>

/*
 * Opens ptmx (a devpts instance's ptmx, or /dev/ptmx) until the kernel
 * hands out index want (it gives the lowest free one); when want is taken
 * the pty gets another index (logged). The new master in *ret_fd, still
 * locked. 0 or -errno (logged).
 */
int ptmx_open_index(const char *ptmx, uint32_t want, int flags, int *ret_fd);

#endif
