/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scheduling attributes and the OOM score adjustment (see sched_attr.h). */
#define LOG_PREFIX "sched: "
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "sched_attr.h"

/* the flags a task can hold; the others are requests (keep params, util clamps) */
#define SCHED_KEPT_FLAGS (SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_RECLAIM | SCHED_FLAG_DL_OVERRUN)

int sched_dump_thread(pid_t tid, ThreadCore *tc)
{
	struct sched_attr a;
	SchedEntry *se;

	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0) < 0)
		return pr_perror_ret("tid %d: sched_getattr", tid);
	se = malloc(sizeof(*se));
	if (!se)
		return -ENOMEM;
	sched_entry__init(se);
	se->policy = a.sched_policy;
	se->flags = a.sched_flags & SCHED_KEPT_FLAGS;
	se->nice = a.sched_nice;
	se->prio = a.sched_priority;
	if (a.sched_policy == SCHED_DEADLINE) {
		se->has_runtime = se->has_deadline = se->has_period = true;
		se->runtime = a.sched_runtime;
		se->deadline = a.sched_deadline;
		se->period = a.sched_period;
	}
	tc->sched = se;
	return 0;
}

/* /proc/PID/oom_score_adj of pid into *ret. 0 or -errno (logged). */
static int read_oom_score_adj(pid_t pid, int *ret)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? pr_perror_ret("pid %d: cannot read %s", pid, path)
			     : pr_err_ret(-EIO, "pid %d: %s is empty", pid, path);
	buf[n] = '\0';
	*ret = (int)strtol(buf, NULL, 10);
	return 0;
}

int sched_floor_read(pid_t pid, struct sched_floor *ret)
{
	errno = 0;
	ret->nice = getpriority(PRIO_PROCESS, (id_t)pid);
	if (ret->nice == -1 && errno)
		return pr_perror_ret("pid %d: cannot read the caller's nice", pid);
	return read_oom_score_adj(pid, &ret->oom_score_adj);
}

int sched_restore_thread(pid_t tid, const ThreadCore *th, const struct sched_floor *floor)
{
	const SchedEntry *se = th->sched;
	struct sched_attr a;

	memset(&a, 0, sizeof(a));
	a.size = SCHED_ATTR_SIZE_VER0;
	if (!se) {
		if (!floor)
			return 0;
		/* criu's own nice is not the caller's to have */
		a.sched_policy = SCHED_NORMAL;
		a.sched_nice = floor->nice;
	} else {
		if (floor && (se->policy == SCHED_FIFO || se->policy == SCHED_RR || se->policy == SCHED_DEADLINE ||
			      se->nice < floor->nice))
			return pr_err_ret(-EPERM,
					  "tid %d: the image asks for policy %u, nice %d: not for an unprivileged caller "
					  "(its nice is %d)",
					  tid, se->policy, se->nice, floor->nice);
		a.sched_policy = se->policy;
		a.sched_flags = se->flags & SCHED_KEPT_FLAGS;
		a.sched_nice = se->nice;
		a.sched_priority = se->prio;
		a.sched_runtime = se->runtime;
		a.sched_deadline = se->deadline;
		a.sched_period = se->period;
	}
	if (syscall(SYS_sched_setattr, tid, &a, 0) < 0)
		return pr_perror_ret("tid %d: sched_setattr (policy %u, nice %d, priority %u, flags %#llx)", tid,
				     a.sched_policy, a.sched_nice, a.sched_priority, (unsigned long long)a.sched_flags);
	return 0;
}

int oom_dump(pid_t pid, TaskCore *core)
{
	int v, r = read_oom_score_adj(pid, &v);

	if (r < 0)
		return r;
	core->has_oom_score_adj = true;
	core->oom_score_adj = v;
	return 0;
}

int oom_restore(pid_t pid, const TaskCore *core, const struct sched_floor *floor)
{
	char path[64], buf[32];
	int fd, len, v;

	if (!core->has_oom_score_adj && !floor)
		return 0;
	v = core->has_oom_score_adj ? core->oom_score_adj : floor->oom_score_adj;
	if (v < -1000 || v > 1000)
		return pr_err_ret(-EINVAL, "pid %d: oom_score_adj %d in the image is out of range", pid, v);
	if (floor && v < floor->oom_score_adj)
		return pr_err_ret(-EPERM,
				  "pid %d: the image asks for oom_score_adj %d, below the caller's %d: not for an "
				  "unprivileged caller",
				  pid, v, floor->oom_score_adj);
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	len = snprintf(buf, sizeof(buf), "%d", v);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	if (write(fd, buf, (size_t)len) != len) {
		int r = pr_perror_ret("pid %d: cannot write %d to %s", pid, v, path);

		close(fd);
		return r;
	}
	close(fd);
	return 0;
}
