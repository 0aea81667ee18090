/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dumping page contents into pagemap + pages images, and reading them back. */
#ifndef CR_MEM_PAGES_H
#define CR_MEM_PAGES_H

#include <stdint.h>
#include <sys/types.h>

#include "image.h"
#include "vma.h"

struct page_stats {
	uint64_t pages_scanned;	 /* pages in the dumpable mappings */
	uint64_t pages_skipped;	 /* never touched, zero pages, unmodified file pages */
	uint64_t pages_written;	 /* stored in the pages image */
	/* the same for shared memory objects (stats-dump's shpages_*) */
	uint64_t shpages_scanned;
	uint64_t shpages_written;
};

/*
 * Stores the populated private pages of a (frozen) task's mappings as
 * pagemap-ID + pages-ID. Only pages that hold data are stored: never-touched
 * pages, zero pages and file pages that were not copied-on-write are skipped
 * (found with the PAGEMAP_SCAN ioctl, no per-page pagemap reads).
 */
int pages_dump_private(pid_t pid, const struct vma_list *vmas, struct img_dir *d, uint64_t id,
		       struct page_stats *st);

/*
 * Stores the data of one shared memory object (MAP_SHARED|MAP_ANONYMOUS,
 * SysV shm), read through /proc/PID/map_files so that every page of the
 * object is found, mapped here or not. Offsets become the pagemap's vaddr.
 */
int pages_dump_shmem(pid_t pid, const struct vma *v, struct img_dir *d, uint64_t id, struct page_stats *st);

/* One run of the index: where its data sits in the pages image. */
struct page_run {
	uint64_t vaddr;
	uint32_t nr_pages;
	uint64_t offset;
	uint32_t crc32c;
};

struct page_index {
	struct page_run *runs;
	size_t n;
	int pages_fd; /* the pages image, opened for reading */
	uint64_t pages_size;
	uint64_t data_start; /* 0; older images: IMG_PAGES_HDR_SIZE */
};

/* Loads and checks pagemap-ID (every run inside the pages image, in order). */
int page_index_load(struct img_dir *d, uint64_t id, struct page_index *ret);
void page_index_free(struct page_index *pi);

#endif
