/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"

int fault_inject(const char *point)
{
	const char *env = getenv("CRIU_FAULT");
	size_t len = strlen(point);

	for (const char *p = env; p && *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && !strncmp(p, point, len))
			return pr_err_ret(-EIO, "fault injected at %s (CRIU_FAULT)", point);
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}
