/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroups of the tree: the freezer (v1 freezer.state, v2 cgroup.freeze),
 * every task's membership (v1 hierarchies and the cgroup2 line of
 * /proc/PID/cgroup) and the properties of the tree's cgroups, restored
 * according to --manage-cgroups and relocated with --cgroup-root.
 */
#ifndef CR_CGROUP_H
#define CR_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "options.h"
#include "pstree.h"

struct cg_freeze;

/*
 * --freeze-cgroup PATH: freezes the cgroup (and its descendants), seizes
 * and interrupts every thread in it while nothing can run, and thaws it
 * again: each thread then stops in its ptrace interrupt before it can
 * reach user space (fork, exit), and infect_seize_thread() takes it over.
 * The cgroup is always thawed when this returns, even on failure.
 */
int cgroup_freeze(const char *path, unsigned int timeout_s, struct cg_freeze **ret);
/*
 * After the tree is released (resumed or killed): lets go of the threads
 * of the cgroup that the dump did not take, and puts the freezer back into
 * the state it had before the dump. NULL is fine.
 */
void cgroup_freeze_finish(struct cg_freeze *f);

/* Before anything is frozen: --cgroup-props (-file) parse, --cgroup-yard opens. 0 or -errno, logged. */
int cgroup_dump_check(const struct cr_opts *o, int work_dir_fd);
/* Writes cgroup.img: the sets of every live task, and the tree's cgroups with their properties. */
int cgroup_dump(const struct pstree *t, const struct cr_opts *o, int work_dir_fd, struct img_dir *d);

struct cg_restore;

/*
 * Reads cgroup.img, creates the missing cgroups and sets their properties
 * as the mode says (relocated by --cgroup-root), and opens the cgroup.procs
 * files the tasks join through. Runs in criu's own namespaces, before the
 * tree is forked. *ret is NULL when nothing is to be done.
 */
int cgroup_restore_prepare(struct img_dir *d, const struct cr_opts *o, int work_dir_fd, struct cg_restore **ret);
/* Inside a forked task, before its fds are installed: it joins its cgroups. */
int cgroup_restore_task(const struct cg_restore *cr, uint64_t task_id);
/*
 * From criu, once thread idx of the task (0 is the leader; tid: criu's own
 * view of it) is made: it moves to its own cgroups where they are not its
 * process's (v1 "tasks", cgroup2 "cgroup.threads").
 */
int cgroup_restore_thread(const struct cg_restore *cr, uint64_t task_id, size_t idx, pid_t tid);
/* failed: the cgroups this restore created are removed (best effort). NULL is fine. */
void cgroup_restore_free(struct cg_restore *cr, bool failed);

#endif
