/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX timers (timer_create(2)) of a process: their ids, clocks and
 * notification from /proc/PID/timers, their remaining time, interval and
 * overrun from timer_gettime/timer_getoverrun run inside the frozen task.
 * Restore recreates them with the same ids (prctl PR_TIMER_CREATE_RESTORE_IDS,
 * or creating and deleting up to each id on older kernels) and arms them
 * with the remaining time, relative to the moment of restore.
 */
#ifndef CR_TASK_TIMERS_H
#define CR_TASK_TIMERS_H

#include <stddef.h>
#include <sys/types.h>

#include "images/core.pb-c.h"
#include "infect.h"

/* Fills core->posix_timers; c runs syscalls in the process (its scratch area is used). */
int posix_timers_dump(pid_t pid, size_t nthreads, struct infect_ctl *c, TaskCore *core);
/* Parses the text of /proc/PID/timers into core->posix_timers (times left 0). */
int posix_timers_parse(const char *text, TaskCore *core);
/* Checks the timers of an image (name: for messages) against the process's threads. */
int posix_timers_check(const char *name, const TaskCore *core, ThreadCore **th, size_t nth);
/*
 * Creates and arms the timers through c (the leader, with a scratch area).
 * The threads that timers signal (SIGEV_THREAD_ID) must exist already.
 */
int posix_timers_restore(struct infect_ctl *c, const TaskCore *core);
/* setitimer() of each itimer, in the task: last, so that they lose as little time as possible. */
int itimers_restore(struct infect_ctl *c, const TaskCore *core);

#endif
