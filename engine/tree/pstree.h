/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The process tree: walking and freezing it on dump, writing and reading
 * tree.img, and recreating it with exact pids on restore.
 */
#ifndef CR_TREE_PSTREE_H
#define CR_TREE_PSTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "image.h"

enum pstree_state {
	PST_RUNNING = 1, /* same values as task_state in core.proto */
	PST_STOPPED = 2,
	PST_ZOMBIE = 3,
};

/*
 * Two views of a pid. pid and tids are criu's: what ptrace, kill and /proc
 * take. vpid, vtids, ppid, pgid and sid are the tree's own, as its pid
 * namespace sees them: what the images hold and the restored tasks use. In a
 * tree that shares criu's pid namespace the two are equal. On restore, pid
 * is the image's until fork_tree() learns the host pid of each task.
 */
struct pstree_item {
	uint64_t id; /* core image id */
	pid_t pid, vpid, ppid, pgid, sid;
	enum pstree_state state;
	int exit_code; /* zombies: the wait status */
	char comm[17];
	pid_t *tids;  /* the leader first */
	pid_t *vtids; /* the same threads, in the tree's pid namespace */
	size_t nr_threads;
	struct pstree_item *parent;
	struct pstree_item **children;
	size_t nr_children;
	/*
	 * The core id of the task whose fd table this one shares
	 * (clone(CLONE_FILES)): the first of them in tree order; its own id
	 * when the table is its own. Zombies: their own id.
	 */
	uint64_t files_id;
	void *priv; /* the phase's own per-task data */
};

struct pstree {
	struct pstree_item **items; /* parents before children */
	size_t n, cap;
	struct pstree_item *root;
};

/* Fields of /proc/PID/stat that the tree needs. */
struct proc_stat {
	char comm[17];
	char state;
	pid_t ppid, pgid, sid;
	int exit_code;
	unsigned int flags;
};

int proc_read_stat(pid_t pid, struct proc_stat *st);
/*
 * The pid, process group and session of a task (or thread) in its own pid
 * namespace: the last fields of NSpid, NSpgid and NSsid in /proc/PID/status.
 * Any argument but pid may be NULL. Returns 0 or -errno.
 */
int proc_read_nsids(pid_t pid, pid_t *ret_vpid, pid_t *ret_pgid, pid_t *ret_sid);
/* The pid of a task (or thread) of the tree as the tree sees it; -errno if it is gone. */
pid_t proc_ns_pid(pid_t pid);
/* The host tid of a thread of process pid (host) whose tid in its own namespace is vtid. */
pid_t proc_host_tid(pid_t pid, pid_t vtid);
/* The threads of a process, sorted, the leader first. */
int proc_read_tids(pid_t pid, pid_t **ret, size_t *ret_n);

/*
 * Freezes a thread group and returns its threads (leader first); the tree
 * walk calls it for every process before it reads that process's children,
 * so no child can appear behind its back.
 */
typedef int (*pstree_freeze_fn)(pid_t pid, void *arg, pid_t **ret_tids, size_t *ret_n);

/* Walks and freezes the tree under root. ids come from *next_id. */
int pstree_collect(pid_t root, pstree_freeze_fn freeze, void *arg, uint64_t *next_id, struct pstree *ret);
/*
 * Dump, after pstree_collect(): the tree's own view of every pid (vpid,
 * vtids, ppid, pgid, sid), for a tree in a pid namespace of its own.
 */
int pstree_read_vpids(struct pstree *t);
/*
 * Dump, after pstree_collect(): which processes share one fd table
 * (kcmp KCMP_FILES), into files_id. Refuses by name a sharing the restore
 * cannot make again: a process that shares a table its parent does not
 * (only a task holding the table can clone a child into it), or a thread
 * with a table of its own. Returns 0 or -errno (logged).
 */
int pstree_collect_fd_tables(struct pstree *t);
/* Restore: whether it was born sharing its parent's fd table (clone3 with CLONE_FILES). */
bool pstree_shares_parent_files(const struct pstree_item *it);
void pstree_free(struct pstree *t);
/* The item whose pid in the tree's namespace is vpid. */
struct pstree_item *pstree_find(const struct pstree *t, pid_t vpid);

int pstree_write(const struct pstree *t, struct img_dir *d);
/* Reads tree.img and checks it: unique pids, parents known and listed first. */
int pstree_read(struct img_dir *d, struct pstree *ret);

#endif
