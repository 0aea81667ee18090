/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What mnt.c (dump) and mnt_restore.c (restore) share. */
#ifndef CR_NS_MNT_PRIV_H
#define CR_NS_MNT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "images/mnt.pb-c.h"
#include "options.h"

/* The KEY of --external mnt[MOUNTPOINT]:KEY (--ext-mount-map lands there too), or NULL. */
const char *mnt_external_key(const struct cr_opts *o, const char *mountpoint);
/* --ext-mount-map auto, or --external mnt[] / mnt[]:FLAGS. */
bool mnt_auto_external(const struct cr_opts *o);
/* Whether path is base or under it. */
bool mnt_path_under(const char *path, const char *base);
/*
 * The mount a peer group is rebuilt from at restore: the first member (tree
 * order) whose root holds every member's root, an external one if the group
 * has peers outside the tree; -1 if there is none.
 */
ssize_t mnt_group_leader(MntEntry *const *v, size_t n, uint32_t group);
/* A member of group whose root holds e's root (what e is made a slave of); -1 if none. */
ssize_t mnt_master_source(MntEntry *const *v, size_t n, uint32_t group, const MntEntry *e);
/* Reads and parses a mountinfo file (mnt_parse_mountinfo); -errno is logged with the path. */
int mnt_read_mountinfo(const char *path, bool skip_unbindable, MntEntry ***ret, size_t *ret_n);
/* Runs argv in directory cwd with stdin (in_fd >= 0) or stdout (out_fd >= 0) on a pipe end; its pid. */
pid_t mnt_spawn(char *const argv[], const char *cwd, int in_fd, int out_fd);
/* Waits for pid; -EIO (logged with what) unless it exited with 0. */
int mnt_wait_ok(pid_t pid, const char *what);
/* The per-mount flags a dump records; anything else (MS_BIND, MS_MOVE, ...) is hostile. */
uint32_t mnt_dumped_flags_mask(void);

/* The xattrs and ACLs of a tmpfs's files that tar keeps (not LSM labels such as security.selinux). */
#define TMPFS_TAR_XATTRS                                                                             \
	"--xattrs", "--xattrs-include=user.*", "--xattrs-include=trusted.*",                         \
		"--xattrs-include=security.capability", "--acls"

#endif
