/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp filters of a process's threads. Filters are per thread and stack:
 * each thread has a chain, and threads created after a filter was installed
 * share it. The image keeps every distinct filter once (task_core.seccomp,
 * each naming the filter it is stacked on) and each thread names its newest.
 */
#ifndef CR_TASK_SECCOMP_H
#define CR_TASK_SECCOMP_H

#include <stddef.h>
#include <sys/types.h>

#include "images/core.pb-c.h"
#include "infect.h"

/*
 * Reads every seized thread's mode and filter chain (PTRACE_SECCOMP_GET_FILTER)
 * into core->seccomp and threads[i]->seccomp_mode/seccomp_filter.
 */
int seccomp_dump(pid_t pid, const struct infect_thread *th, size_t nth, TaskCore *core, ThreadCore **threads);
/* Checks the filters of an image (name: for messages). */
int seccomp_check(const char *name, const TaskCore *core, ThreadCore **th, size_t nth);
/*
 * Installs the filters, oldest first: the part common to all threads once in
 * the leader with SECCOMP_FILTER_FLAG_TSYNC (so that it stays shared), the rest
 * in each thread. lc runs syscalls in the leader (with a scratch area);
 * tids[i] is the thread of th[i]. Must run while the task still has
 * CAP_SYS_ADMIN, i.e. before its credentials are applied.
 */
int seccomp_restore(struct infect_ctl *lc, const pid_t *tids, const TaskCore *core, ThreadCore **th,
		    size_t nth);
/*
 * Sets SECCOMP_MODE_STRICT in every thread dumped in it. Only read, write,
 * _exit and sigreturn pass afterwards (criu's remote calls still do: the
 * task is seized with PTRACE_O_SUSPEND_SECCOMP), so it is the task's last
 * change before the control region is unmapped.
 */
int seccomp_restore_strict(const struct infect_ctl *lc, const pid_t *tids, ThreadCore **th, size_t nth);

#endif
