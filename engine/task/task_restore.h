/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A restored task's process state, set from outside in phase 4 (task_restore.c). */
#ifndef CR_TASK_TASK_RESTORE_H
#define CR_TASK_TASK_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "files.h"
#include "images/core.pb-c.h"
#include "infect.h"

/* Writes len bytes of data at off in the task's scratch area (checked against its size). */
int task_put(struct infect_ctl *c, size_t off, const void *data, size_t len);
/*
 * cwd and root, umask, personality, rlimits, signal handlers, child subreaper
 * and membarrier registrations of the task task_id, as core says. req: the
 * caller (a removed cwd is made again with its rights).
 */
int task_restore_process_state(struct cr_request *req, struct files_restore *files, uint64_t task_id,
			       struct infect_ctl *c, const TaskCore *core);
/* The files under /proc the task holds, opened by the task itself (with its own creds: call it after them). */
int task_restore_proc_fds(struct files_restore *files, uint64_t task_id, struct infect_ctl *c);

#endif
