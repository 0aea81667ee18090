/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Jobs that seize live tasks (dump) run in a child of criu, the tracer, while
 * criu itself only waits for it. A runtime that kills criu kills the waiter:
 * the tracer, told by the kernel (PR_SET_PDEATHSIG), gives up at its next step
 * and puts every task back exactly as it was, through the failure path every
 * dump already has. See docs/reliability.md.
 */
#ifndef CR_GUARD_H
#define CR_GUARD_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * Runs fn(arg) in the tracer child and returns its result (0 or -errno); the
 * tracer's first error becomes ours (the RPC cr_errmsg, the CLI's message).
 * what names the job in messages.
 */
int guard_run(int (*fn)(void *), void *arg, const char *what);

/* In the tracer: whether criu, which started it, is gone (the job must stop). */
bool guard_aborted(void);

/*
 * Returns -ECANCELED (logged once) if criu is gone, else 0: for the steps of
 * a guarded job, so that it stops between two operations on a task.
 */
int guard_check(const char *step);

/* Whether pid is criu itself: this process, or the criu that waits for this tracer. */
bool guard_is_self(pid_t pid);

/*
 * In a helper child that criu forks during a job: makes it die with criu
 * (PR_SET_PDEATHSIG), or exit at once if criu (parent) is already gone.
 */
void guard_die_with(pid_t parent);

#endif
