/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel interfaces newer than Debian 12's headers (the kernel here is 6.18).
 * Each definition is guarded, so newer headers win. Grouped by interface.
 */
#ifndef CR_COMPAT_H
#define CR_COMPAT_H

#include <linux/fs.h>
#include <linux/types.h>
#include <sys/ioctl.h>

/* ---- PAGEMAP_SCAN (Linux 6.7, Documentation/admin-guide/mm/pagemap.rst) ---- */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_WPALLOWED  (1 << 0)
#define PAGE_IS_WRITTEN	   (1 << 1)
#define PAGE_IS_FILE	   (1 << 2)
#define PAGE_IS_PRESENT	   (1 << 3)
#define PAGE_IS_SWAPPED	   (1 << 4)
#define PAGE_IS_PFNZERO	   (1 << 5)
#define PAGE_IS_HUGE	   (1 << 6)
#define PAGE_IS_SOFT_DIRTY (1 << 7)

struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

#define PM_SCAN_WP_MATCHING	(1 << 0)
#define PM_SCAN_CHECK_WPASYNC	(1 << 1)

struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_arg)
#endif
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD (1 << 8) /* Linux 6.14: a MADV_GUARD_INSTALL region */
#endif

/* ---- userfaultfd write-protect tracking (Linux 6.4 / 6.7, userfaultfd.rst) ---- */
#include <linux/userfaultfd.h>
#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)
#endif
#ifndef UFFD_FEATURE_WP_ASYNC
#define UFFD_FEATURE_WP_ASYNC (1 << 15)
#endif

/* ---- timerfd (linux/timerfd.h clashes with glibc's sys/timerfd.h) ---- */
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, __u64)
#endif

/* ---- inotify: the next watch descriptor (linux/inotify.h clashes with sys/inotify.h) ---- */
#ifndef INOTIFY_IOC_SETNEXTWD
#define INOTIFY_IOC_SETNEXTWD _IOW('I', 0, __s32)
#endif

/* ---- pidfd_open() of a thread (Linux 6.9, linux/pidfd.h) ---- */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

/* ---- ptrace (Linux 5.13) ---- */
#ifndef PTRACE_GET_RSEQ_CONFIGURATION
#define PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#endif

/* ---- prctl: timer_create() takes the id to use (Linux 6.17, linux/prctl.h) ---- */
#ifndef PR_TIMER_CREATE_RESTORE_IDS
#define PR_TIMER_CREATE_RESTORE_IDS	77
#define PR_TIMER_CREATE_RESTORE_IDS_OFF 0
#define PR_TIMER_CREATE_RESTORE_IDS_ON	1
#define PR_TIMER_CREATE_RESTORE_IDS_GET 2
#endif

/* ---- membarrier(2) MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3): an enum, so no #ifdef guard ---- */
#define CR_MEMBARRIER_CMD_GET_REGISTRATIONS (1 << 9)

/* ---- MAP_DROPPABLE (Linux 6.11, mmap(2)): a mapping type, as MAP_PRIVATE is ---- */
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

/* ---- bridge attributes newer than the headers (linux/if_link.h enums, so no #ifdef guard) ---- */
#define CR_IFLA_BR_FDB_N_LEARNED	   48 /* Linux 6.8, read-only */
#define CR_IFLA_BR_FDB_MAX_LEARNED	   49 /* Linux 6.8 */
#define CR_IFLA_BRPORT_MAB		   40 /* Linux 6.2 */
#define CR_IFLA_BRPORT_MCAST_N_GROUPS	   41 /* Linux 6.3, read-only */
#define CR_IFLA_BRPORT_MCAST_MAX_GROUPS	   42 /* Linux 6.3 */
#define CR_IFLA_BRPORT_NEIGH_VLAN_SUPPRESS 43 /* Linux 6.5 */
#define CR_IFLA_BRPORT_BACKUP_NHID	   44 /* Linux 6.7 */
#define CR_IFLA_MACVLAN_BC_CUTOFF	   9  /* Linux 6.2 */

/* memfd_create: the huge page size of an MFD_HUGETLB memfd, as log2 << MFD_HUGE_SHIFT (linux/memfd.h) */
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif

#endif
