/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The tree's mount namespace: see mnt.c. */
#ifndef CR_NS_MNT_H
#define CR_NS_MNT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "image.h"
#include "images/mnt.pb-c.h"
#include "options.h"
#include "pstree.h"

/* Parses /proc/PID/mountinfo text; with skip_unbindable, unbindable mounts are left out. */
int mnt_parse_mountinfo(const char *text, bool skip_unbindable, MntEntry ***ret, size_t *ret_n);
void mnt_entries_free(MntEntry **v, size_t n);

/*
 * Writes mnt.img (and tmpfs-ID.img) for the mount namespace of the root of t
 * and the other ones its tasks are in (mnt-tasks.img says which); refuses
 * what it cannot restore.
 */
int mnt_ns_dump(const struct pstree *t, const struct cr_opts *o, struct img_dir *d);

/*
 * A detached clone of tmpfs mount m of pid (v: pid's mountinfo) with nothing
 * mounted on it or over it, to read all of its files (mnt_tmpfs.c): an fd
 * (close-on-exec), or -errno (logged).
 */
int mnt_tmpfs_open_uncovered(pid_t pid, MntEntry *const *v, size_t n, const MntEntry *m);

struct mnt_restore;
/* Reads and checks mnt.img against the options (--root, external mounts). */
int mnt_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct mnt_restore **ret);
/* In criu: a new mount namespace with the mounts under --root, then chroot there. */
int mnt_restore_build(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d);
/* Once the tree exists: proc and what depends on it, then pivot_root into --root. */
int mnt_restore_finish(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d);
/*
 * In a forked task, before its files and children: into its mount namespace
 * (the tree's other ones, mnt-tasks.img), at --root there.
 */
int mnt_restore_task(struct mnt_restore *m, uint64_t task_id);
/*
 * For files_roots: the root of the namespace of mount mnt_id (of the dump) if
 * it is not 0's; else -ENOENT (-ENODEV: the tree has one mount namespace).
 */
int mnt_restore_root_of(void *arg, uint32_t mnt_id);
void mnt_restore_free(struct mnt_restore *m);

/*
 * The filesystem options with the value of their context= option (SELinux)
 * replaced by "context" in quotes (--lsm-mount-context), into *ret
 * (malloc'ed). 1 when replaced, 0 when there is none (a copy), -errno.
 */
int mnt_options_with_context(const char *options, const char *context, char **ret);

#endif
