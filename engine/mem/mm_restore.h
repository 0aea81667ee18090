/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rebuilding an address space from outside. The task is a copy of criu,
 * seized and signal-blocked; with remote syscalls we:
 *
 *   1. map a private "control region" at an address free in both the old and
 *      the new layout: one page holding a `syscall` instruction (the gadget
 *      for every later call) and a scratch area for call arguments;
 *   2. park vdso/vvar in that region, unmap everything else, and move them
 *      to their dumped addresses (same kernel: same sizes and layout);
 *   3. map every dumped VMA writable, fill its pages straight from the
 *      pages image, then give it its final protection and madvise state;
 *   4. set the mm fields with PR_SET_MM_MAP (code/data/brk/stack/args/env,
 *      auxv, exe).
 *
 * The control region stays until mm_restore_finish() unmaps it as the very
 * last remote call of the task.
 */
#ifndef CR_MEM_MM_RESTORE_H
#define CR_MEM_MM_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "file_check.h"
#include "image.h"
#include "images/mm.pb-c.h"
#include "infect.h"

struct mm_image {
	MmEntry *mm;
	VmaEntry **vmas;
	size_t n;
	/* a datagram socket pair by which criu hands the task fds (mm_prepare_channel) */
	int chan_criu; /* criu's end, or -1 */
	int chan_task; /* the task's end, at this number in the task, or -1 */
	/* per vma: where the task holds it, filled, since before its fork (cow.h); NULL or tmp 0: nowhere */
	struct mm_cow_hold *cow;
};

struct mm_cow_hold {
	uint64_t tmp;
	uint64_t dev, ino; /* a file mapping's: the file it holds (0, 0: anonymous) */
};

/* Reads and checks mm-ID.img: sorted, page-aligned, non-overlapping user mappings. */
int mm_image_load(struct img_dir *d, uint64_t id, struct mm_image *ret);
void mm_image_free(struct mm_image *m);

struct files_restore;
/*
 * Before the fork: a socket pair whose one end the task keeps
 * (files_restore_keep_fd), for criu to hand it the fds its mappings need
 * and that it cannot open by a path of its own: the ghost of a deleted
 * file, a shared memory object, a plugin's device fd. No /proc path of
 * criu's is needed, so it works from inside any pid and mount namespace.
 */
int mm_prepare_channel(struct mm_image *m, struct files_restore *fr, uint64_t task_id);

/* Checks the CRC of every run of pages-ID, before anything is created. */
int mm_pages_verify(struct img_dir *d, uint64_t id);

/*
 * What the tasks of one restore share: objects made once and mapped by all.
 * A shared anonymous memory object is made by the first task that maps it
 * (anonymous shared memory again, so that it stays VMA_ANON_SHARED), filled
 * from its pages image, and kept open by criu; every mapping, that task's
 * included, maps criu's fd at its offset through /proc/<criu>/fd/N.
 * Unlinked mapped files come from the ghosts the files layer holds.
 * Zero-initialised; set files once files_restore_prepare() has run.
 */
struct shmem_obj;
struct files_restore;

struct mm_shared {
	struct files_restore *files;
	struct shmem_obj *shmem;
	size_t nr_shmem, cap_shmem;
	struct file_check_opts check; /* --file-validation, --skip-file-rwx-check */
};

/* Phase 1: notes the shared objects m maps and checks their images (once each). */
int mm_shared_collect(struct mm_shared *s, struct img_dir *d, const struct mm_image *m);
/* Closes criu's fds of the objects. */
void mm_shared_free(struct mm_shared *s);

/* Where the control region ended up (for the thread and state steps). */
struct mm_region {
	uint64_t start, size;
};

/*
 * Rebuilds the address space of c->tid (the leader; its threads do not exist
 * yet) from m and pages-ID. On return, c's gadget and scratch live in the
 * control region. pages_written counts restored pages.
 */
int mm_restore(struct infect_ctl *c, struct img_dir *d, uint64_t id, const struct mm_image *m, struct mm_shared *s,
	       struct mm_region *reg, uint64_t *pages_written);
/* Unmaps the control region: the last remote call the task runs. */
int mm_restore_finish(struct infect_ctl *c, const struct mm_region *reg);

#endif
