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

/* Fills tc->sched for thread tid. 0 or -errno (logged). */
int sched_dump_thread(pid_t tid, ThreadCore *tc);
/*
 * Gives thread tid the attributes of th (nothing if the image has none).
 * An unprivileged caller's image may not ask for what its owner could not
 * set itself (a real-time policy, a negative nice). 0 or -errno (logged).
 */
int sched_restore_thread(pid_t tid, const ThreadCore *th, bool privileged);

/* Fills core->oom_score_adj for process pid. 0 or -errno (logged). */
int oom_dump(pid_t pid, TaskCore *core);
/* Gives process pid the image's oom_score_adj (below 0 only for a privileged caller). 0 or -errno (logged). */
int oom_restore(pid_t pid, const TaskCore *core, bool privileged);

#endif
