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

/*
 * Parses /proc/PID/mountinfo text; -EREMOTE if a mount is unbindable, unless
 * skip_unbindable: then such mounts are left out.
 */
int mnt_parse_mountinfo(const char *text, bool skip_unbindable, MntEntry ***ret, size_t *ret_n);
void mnt_entries_free(MntEntry **v, size_t n);

/* Writes mnt.img (and tmpfs-ID.img) for the mount namespace of pid; refuses what it cannot restore. */
int mnt_ns_dump(pid_t pid, const struct cr_opts *o, struct img_dir *d);

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
void mnt_restore_free(struct mnt_restore *m);

/*
 * The filesystem options with the value of their context= option (SELinux)
 * replaced by "context" in quotes (--lsm-mount-context), into *ret
 * (malloc'ed). 1 when replaced, 0 when there is none (a copy), -errno.
 */
int mnt_options_with_context(const char *options, const char *context, char **ret);

#endif
