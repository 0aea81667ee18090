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

struct pstree_item {
	uint64_t id; /* core image id */
	pid_t pid, ppid, pgid, sid;
	enum pstree_state state;
	int exit_code; /* zombies: the wait status */
	char comm[17];
	pid_t *tids; /* the leader first */
	size_t nr_threads;
	struct pstree_item *parent;
	struct pstree_item **children;
	size_t nr_children;
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
void pstree_free(struct pstree *t);
struct pstree_item *pstree_find(const struct pstree *t, pid_t pid);

int pstree_write(const struct pstree *t, struct img_dir *d);
/* Reads tree.img and checks it: unique pids, parents known and listed first. */
int pstree_read(struct img_dir *d, struct pstree *ret);

#endif
