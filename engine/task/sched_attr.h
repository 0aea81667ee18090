/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduling attributes of each thread (policy, its flags, nice, real-time
 * priority, deadline parameters: sched_getattr(2)) and the OOM score
 * adjustment of each process (/proc/PID/oom_score_adj). Both are read and
 * set from outside the task: criu, as root, may give a task what it had.
 */
#ifndef CR_TASK_SCHED_ATTR_H
#define CR_TASK_SCHED_ATTR_H

#include <stdbool.h>
#include <sys/types.h>

#include "images/core.pb-c.h"

/*
 * What an unprivileged caller has, below which its images may not go: the
 * nice of its task and its oom_score_adj (a restored task would otherwise
 * keep criu's, or take the image's lower ones).
 */
struct sched_floor {
	int nice;
	int oom_score_adj;
};

/* Reads the floor of the caller's task pid. 0 or -errno (logged). */
int sched_floor_read(pid_t pid, struct sched_floor *ret);

/* Fills tc->sched for thread tid. 0 or -errno (logged). */
int sched_dump_thread(pid_t tid, ThreadCore *tc);
/*
 * Gives thread tid the attributes of th. With a floor (an unprivileged
 * caller's image): no real-time policy, no nice below the caller's, and
 * the caller's nice where the image has none. 0 or -errno (logged).
 */
int sched_restore_thread(pid_t tid, const ThreadCore *th, const struct sched_floor *floor);

/* Fills core->oom_score_adj for process pid. 0 or -errno (logged). */
int oom_dump(pid_t pid, TaskCore *core);
/* Gives process pid the image's oom_score_adj; with a floor, never below it (the floor where none). */
int oom_restore(pid_t pid, const TaskCore *core, const struct sched_floor *floor);

#endif
