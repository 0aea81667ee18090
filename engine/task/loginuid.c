/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The audit login uid (/proc/PID/loginuid) of a restored thread. */
#define LOG_PREFIX "restore: "
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "log.h"
#include "loginuid.h"

/* The thread's loginuid now (inherited from criu), or -1 when it cannot be read. */
static long current_loginuid(pid_t tid)
{
	char path[64];
	unsigned long v;
	FILE *f;
	long r = -1;

	snprintf(path, sizeof(path), "/proc/%d/loginuid", tid);
	f = fopen(path, "re");
	if (f && fscanf(f, "%lu", &v) == 1)
		r = (long)v;
	if (f)
		fclose(f);
	return r;
}

int rst_loginuid(struct infect_ctl *c, const CredsEntry *ce)
{
	static const char path[] = "/proc/self/loginuid";
	char val[16];
	long fd, ret;
	int r, r2;

	if (!ce->has_loginuid || current_loginuid(c->tid) == (long)ce->loginuid)
		return 0;
	snprintf(val, sizeof(val), "%u", ce->loginuid);
	if (c->scratch_size < 64 + sizeof(val))
		return pr_err_ret(-E2BIG, "pid %d: no room for the loginuid", c->tid);
	r = infect_write(c->tid, c->scratch, path, sizeof(path));
	if (r == 0)
		r = infect_write(c->tid, c->scratch + 64, val, strlen(val));
	if (r == 0)
		r = infect_call(c, &fd, "open(/proc/self/loginuid)", SYS_open, c->scratch, O_WRONLY, 0, 0, 0);
	if (r < 0)
		return r;
	r = infect_call(c, &ret, "write(loginuid)", SYS_write, (unsigned long)fd, c->scratch + 64, strlen(val), 0, 0);
	r2 = infect_call(c, &ret, "close(loginuid)", SYS_close, (unsigned long)fd, 0, 0, 0, 0);
	return r < 0 ? r : r2;
}
