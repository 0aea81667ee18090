// SPDX-License-Identifier: LGPL-2.1-or-later
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "ptmx.h"

#define PTMX_TRIES 4096 /* at most so many ptys opened to reach an index */

int ptmx_open_index(const char *ptmx, uint32_t want, int flags, int *ret_fd)
{
	_cleanup_free_ int *held = calloc(PTMX_TRIES, sizeof(int));
	int nheld = 0, f = -1, r = 0;
	unsigned int got = 0;

	if (!held)
		return -ENOMEM;

	for (int tries = 0; tries < PTMX_TRIES; tries++) {
		f = open(ptmx, flags | O_NOCTTY | O_CLOEXEC);
		if (f < 0) {
			r = pr_perror_ret("cannot open %s", ptmx);
			break;
		}
		if (ioctl(f, TIOCGPTN, &got) < 0) {
			r = pr_perror_ret("TIOCGPTN on a new pty failed");
			break;
		}
		/* the kernel gives the lowest free index: past ours, it is taken */
		if (got >= want || nheld == PTMX_TRIES - 1)
			break;
		held[nheld++] = f;
		f = -1;
	}
	while (nheld > 0)
		close(held[--nheld]);
	if (r < 0) {
		if (f >= 0)
			close(f);
		return r;
	}
	if (got != want)
		pr_warn("pty %u: that index is taken, the pty is now /dev/pts/%u\n", want, got);
	*ret_fd = f;
	return 0;
}
