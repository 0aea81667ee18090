/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copy-on-write sharing kept across a restore. A private anonymous mapping
 * that a child inherited from its parent over fork shares the pages neither
 * wrote since; rebuilding each address space on its own would copy them.
 *
 * Before the fork, criu gives every such mapping (same place, same kind and
 * flags in a task and its parent) a slot in an "arena": a reserved range
 * free in criu's layout and in every task's final one. Each task, still
 * running criu's code and before it forks anything, fills its slots: a slot
 * its forker did not hold is mapped and filled from the task's pages; an
 * inherited one only gets the pages that differ from what the forker left
 * there (and the pages the task does not have are dropped), so the rest
 * stays shared. Its children inherit the slots in turn, over any number of
 * generations. When criu rebuilds a task (mm_restore) it moves each slot to
 * its final address with mremap, which keeps the pages and their sharing,
 * and fills only the other mappings.
 *
 * A private file mapping's slot maps the file criu opened by its path
 * right before the fork (in the tree's mount namespace and root); mm_restore moves it only if the task finds
 * that same file (inode) at the path in its root, and maps it anew otherwise.
 *
 * Not kept yet: mappings the child split or changed (mprotect of a part,
 * mremap), unlinked files, memfds and hugetlb or MAP_DROPPABLE mappings:
 * they are restored per task as before, with the right contents.
 */
#ifndef CR_MEM_COW_H
#define CR_MEM_COW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "mm_restore.h"
#include "pages.h"
#include "pstree.h"

struct cow_slot {
	uint64_t start, end; /* where the tasks have it */
	uint64_t tmp;	     /* where it sits until each task's rebuild */
	uint32_t flags;	     /* the vma_entry flags it is mapped with */
	/* a private file mapping: its file (the image's path), opened by criu before the fork */
	const char *path;
	uint64_t pgoff, dev, ino;
	int fd;
	bool dead; /* its file could not be opened: the tasks map it on their own */
};

struct cow_task {
	struct mm_image *m; /* NULL: a zombie, or no slot */
	int32_t *slot;	    /* per vma of m: its slot, or -1 */
	struct page_index pi;
	size_t *order;		    /* runs of pi by address */
	const unsigned char *pages; /* pages-ID, mapped read-only, or NULL */
};

struct cow_plan {
	struct cow_slot *slots;
	size_t n, cap;
	struct cow_task *tasks; /* by tree index */
	size_t nt;
	uint64_t arena, arena_size; /* reserved in criu (PROT_NONE) before the fork */
	/* per slot: whether this process holds it filled; every process has its own copy (fork) */
	bool *mapped;
};

/*
 * In criu, before the fork: finds the slots of the tree, reserves the arena,
 * maps the pages of the tasks that have slots and sets each image's cow_tmp.
 * mms: by tree index, NULL for a zombie. Without a free range it logs and
 * keeps no sharing. Returns 0 or -errno (logged).
 */
int cow_plan_make(struct cow_plan *p, const struct pstree *t, struct mm_image **mms, struct img_dir *d);

/*
 * Right before the fork, where criu sees the tree's paths (its mount
 * namespace and root): opens the files of the private file slots. A file
 * that is not a regular file there leaves its slot to the tasks' own mapping.
 */
int cow_plan_open_files(struct cow_plan *p);

/* In task idx, before it forks: its slots filled (see above). Returns 0 or -errno (logged). */
int cow_task_setup(struct cow_plan *p, size_t idx);

/* Whether task idx has slots to fill. */
bool cow_task_has_slots(const struct cow_plan *p, size_t idx);

/* criu's side: the arena, the mapped pages and the plan (the images keep their cow_tmp). */
void cow_plan_free(struct cow_plan *p);

#endif
