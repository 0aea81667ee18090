/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The objects behind mappings that several tasks may share: shared anonymous
 * memory (MAP_SHARED|MAP_ANONYMOUS, shared /dev/zero) and unlinked files.
 *
 * Dump: a shared memory object is known by its shmem inode; the first
 * mapping of it seen in the tree stores its whole contents once as
 * pagemap-ID + pages-ID (ID assigned here) and every vma_entry of it gets
 * shmem_id and shmem_size. An unlinked file is handed to the files layer,
 * which keeps one ghost per inode (shared with open fds of it); the
 * vma_entry gets its file_id.
 *
 * Restore: see struct mm_shared in mm_restore.h.
 */
#ifndef CR_MEM_MM_OBJECTS_H
#define CR_MEM_MM_OBJECTS_H

#include <stdint.h>
#include <sys/types.h>

#include "files.h"
#include "image.h"
#include "images/mm.pb-c.h"
#include "pages.h"
#include "vma.h"

struct mm_objects_dump;

/* next_id: the counter ids are taken from (shared with the files layer's). */
int mm_objects_dump_init(uint64_t *next_id, struct files_dump *files, struct img_dir *d,
			 struct page_stats *st, struct mm_objects_dump **ret);
/*
 * Names in e the object behind v (nothing for mappings without one),
 * dumping it the first time it is seen. Returns 0 or -errno (logged).
 */
/* Refuses System V shm attachments that shmat() could not make again (mm_objects.c). */
int mm_objects_check_sysv_shm(pid_t pid, const struct vma_list *vl);
int mm_objects_dump_vma(struct mm_objects_dump *o, pid_t pid, struct vma *v, VmaEntry *e);
void mm_objects_dump_free(struct mm_objects_dump *o);

#endif
