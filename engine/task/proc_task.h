/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-process state that /proc tells without touching the task: credentials,
 * rlimits, personality, umask, cwd/root, and the mm fields. The messages are
 * filled with malloc'ed members, so that *__free_unpacked() releases them.
 */
#ifndef CR_TASK_PROC_TASK_H
#define CR_TASK_PROC_TASK_H

#include <sys/types.h>

#include "images/core.pb-c.h"
#include "images/mm.pb-c.h"

/* Fills creds, rlimits, personality, umask, comm, cwd, root, seccomp_mode. */
int proc_task_dump(pid_t pid, TaskCore *core);
/* One thread's credentials (securebits excepted: only the thread can tell). */
int proc_thread_creds(pid_t pid, pid_t tid, CredsEntry **ret);
/* Fills every mm field but brk (which needs the task's own brk(0)), auxv and exe. */
int proc_mm_dump(pid_t pid, MmEntry *mm);
/* Reads one "Key:\tvalue" line of /proc/PID/status (or task/TID/status) into buf. */
int proc_status_field(const char *status_path, const char *key, char *buf, size_t size);

void task_core_release(TaskCore *core);
void mm_entry_release(MmEntry *mm);

#endif
