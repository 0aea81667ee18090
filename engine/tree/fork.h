/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Recreating the process tree on restore: every process with its exact pid
 * (clone3 with set_tid), its parent, session and process group, zombies with
 * their exit status. Each restored process runs criu's own code until the
 * restore has rebuilt it from outside; fork_tree() returns once all of them
 * wait, stopped at a known point, to be taken over.
 */
#ifndef CR_TREE_FORK_H
#define CR_TREE_FORK_H

#include <stdbool.h>

#include "pstree.h"

struct fork_ops {
	/*
	 * Runs inside each restored process (not zombies) once the whole tree
	 * exists with its sessions and groups: open fds and the like. Returns
	 * 0 or -errno (logged).
	 */
	int (*task_setup)(struct pstree_item *it, void *arg);
	/*
	 * Optional: runs inside each restored process (not zombies) once
	 * task_setup has run in all of them: its fd table. A process born
	 * sharing its parent's table (CLONE_FILES, pstree_shares_parent_files)
	 * runs it too; the callback decides who installs a shared table.
	 * Returns 0 or -errno (logged).
	 */
	int (*task_files)(struct pstree_item *it, void *arg);
	/*
	 * Optional: runs in each session leader right after setsid(), before it
	 * forks its children, so that they inherit what it sets up there (its
	 * controlling terminal). Returns 0 or -errno (logged).
	 */
	int (*session_setup)(struct pstree_item *it, void *arg);
	/*
	 * Optional: runs in the root of the tree before it forks its children,
	 * after session_setup, so that every task inherits what it sets up
	 * there (the tree's cgroup namespace). Returns 0 or -errno (logged).
	 */
	int (*root_setup)(struct pstree_item *it, void *arg);
	/*
	 * Optional: runs in each restored process (not zombies) before it forks
	 * any other (the root: after root_setup): the memory its children
	 * inherit. Returns 0 or -errno (logged).
	 */
	int (*mem_setup)(struct pstree_item *it, void *arg);
	void *arg;
	/*
	 * criu's own /proc (O_PATH), opened before criu entered the tree's
	 * mount namespace; -1: fork_tree() opens "/proc" itself.
	 */
	int proc_fd;
};

struct fork_result {
	pid_t root_pid;
	bool sibling; /* the root is our parent's child, not ours */
	void *shared; /* the barrier the tasks share with us */
	size_t shared_size;
};

/*
 * Forks the tree. The pstree items need pid, ppid, pgid, sid, state,
 * exit_code and files_id: a process that shares its parent's fd table is
 * cloned into it (CLONE_FILES). With sibling the root becomes a child of our parent
 * (CLONE_PARENT). On failure everything that was created is killed and the
 * phase and pid are logged. Returns 0 or -errno.
 */
int fork_tree(struct pstree *t, bool sibling, const struct fork_ops *ops, struct fork_result *ret);

/* Kills every process the restore created (after a later phase failed). */
void fork_tree_kill(struct pstree *t, const struct fork_result *fr);
/* Drops our side of the barrier once the tasks are taken over or dead. */
void fork_tree_release(struct fork_result *fr);

/* The number of restored tasks (not zombies) waiting to be taken over. */
size_t fork_tree_live(const struct pstree *t);

#endif
