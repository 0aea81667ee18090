/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The mappings of one address space, as /proc/PID/smaps describes them. */
#ifndef CR_MEM_VMA_H
#define CR_MEM_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "images/mm.pb-c.h"

/* madvise state that a restore must reapply (vma_entry.madv) */
#define VMA_MADV_DONTFORK   (1u << 0)
#define VMA_MADV_WIPEONFORK (1u << 1)
#define VMA_MADV_HUGEPAGE   (1u << 2)
#define VMA_MADV_NOHUGEPAGE (1u << 3)
#define VMA_MADV_MERGEABLE  (1u << 4)
#define VMA_MADV_DONTDUMP   (1u << 5)
#define VMA_MADV_RANDOM	    (1u << 6)
#define VMA_MADV_SEQUENTIAL (1u << 7)

/* mlock state (vma_entry.lock) */
#define VMA_LOCKED	1u
#define VMA_LOCKONFAULT 2u

struct vma {
	uint64_t start, end;
	uint64_t pgoff;
	VmaKind kind;
	uint32_t prot;	/* PROT_* */
	uint32_t flags; /* MAP_* to recreate it */
	uint32_t madv;	/* VMA_MADV_* */
	bool deleted;
	bool accounted; /* VmFlags "ac" (VM_ACCOUNT) */
	bool may_write; /* VM_MAYWRITE: the file was opened for writing */
	uint32_t lock; /* VMA_LOCKED or VMA_LOCKONFAULT (vma_entry.lock) */
	bool plugin; /* a device mapping a plugin took: its pages are the plugin's */
	uint64_t dev, ino;
	uint64_t kpage_size; /* smaps KernelPageSize: a hugetlb mapping's page size */
	char *path; /* file mappings and special names, or NULL */
};

/* What /proc/PID/maps names an anonymous MAP_HUGETLB mapping (private or shared). */
#define HUGETLB_ANON_PATH "/anon_hugepage (deleted)"
/* MAP_HUGETLB and its page size (MAP_HUGE_*), as vma.flags and vma_entry.flags carry them. */
#define VMA_HUGETLB_FLAGS (MAP_HUGETLB | (0x3fu << MAP_HUGE_SHIFT))

struct vma_list {
	struct vma *v;
	size_t n, cap;
};

/* Reads /proc/PID/smaps into list (address order). Returns 0 or -errno (logged). */
int vma_collect(pid_t pid, struct vma_list *list);
/* Parses smaps text (for tests); name is for messages. */
int vma_parse_smaps(const char *text, size_t len, const char *name, struct vma_list *list);
void vma_list_free(struct vma_list *list);

/* Whether a vma's contents are dumped as pages (anonymous or COW'ed private data). */
bool vma_has_dumpable_pages(const struct vma *v);

#endif
