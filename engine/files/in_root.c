/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Paths read from images are untrusted: checkpoints travel as OCI images and
 * archives, and a restore as root must not let one reach what its tree could
 * not. Every path a file kind opens from an image goes through here:
 *
 *  - it is resolved inside the tree's root: openat2() with RESOLVE_IN_ROOT
 *    relative to an fd of that root (--root without a mount namespace, else
 *    criu's "/", which is the tree's root once its mount namespace is built),
 *    so ".." and absolute symlinks stop at the root and magic links are
 *    refused;
 *  - it is opened with the file-system rights of the tasks that hold it: for
 *    the open, criu's thread takes the fsuid, fsgid and groups that the
 *    images give those tasks (the syscalls, not the glibc wrappers, so that
 *    only this thread changes), and keeps in effect only those of its
 *    capabilities that the task had in effect (capset of this thread). So
 *    the kernel checks the file's mode and the task's CAP_DAC_OVERRIDE
 *    exactly as it would for the task itself. A file held by no task's fd
 *    table (only mapped) may be opened by any task of the tree: the tree's
 *    rights are the union of its tasks', since a task can pass an fd on.
 *
 * So a files.img that names /etc/shadow (0640 root:shadow) for a task of
 * uid 1000 fails with EACCES, as that task's own open would.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "files_priv.h"
#include "log.h"

/* criu's own file-system ids and capabilities, to come back to after an open as a task */
struct fs_ids {
	uid_t fsuid;
	gid_t fsgid;
	gid_t *groups;
	int ngroups;
	struct __user_cap_data_struct caps[2];
};

static int caps_get(struct __user_cap_data_struct caps[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return syscall(SYS_capget, &h, caps) < 0 ? -errno : 0;
}

/* This thread's capabilities only (capset of pid 0). */
static int caps_set(const struct __user_cap_data_struct caps[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return syscall(SYS_capset, &h, caps) < 0 ? -errno : 0;
}

static void fs_ids_free(struct fs_ids *s)
{
	free(s->groups);
	s->groups = NULL;
}

static int fs_ids_save(struct fs_ids *s)
{
	int n = getgroups(0, NULL);

	if (n < 0)
		return -errno;
	s->groups = calloc((size_t)n + 1, sizeof(gid_t));
	if (!s->groups)
		return -ENOMEM;
	s->ngroups = getgroups(n, s->groups);
	if (s->ngroups < 0) {
		fs_ids_free(s);
		return -errno;
	}
	s->fsuid = (uid_t)syscall(SYS_setfsuid, -1);
	s->fsgid = (gid_t)syscall(SYS_setfsgid, -1);
	if (caps_get(s->caps) < 0) {
		int r = -errno;

		fs_ids_free(s);
		return r;
	}
	return 0;
}

/* This thread only: the raw syscalls, not glibc's process-wide setxid broadcast. */
static int fs_ids_set(uid_t fsuid, gid_t fsgid, const gid_t *groups, size_t ngroups)
{
	if (syscall(SYS_setgroups, ngroups, groups) < 0)
		return -errno;
	syscall(SYS_setfsgid, fsgid);
	syscall(SYS_setfsuid, fsuid);
	/* setfs[ug]id report no error: read the ids back */
	if ((uid_t)syscall(SYS_setfsuid, -1) != fsuid || (gid_t)syscall(SYS_setfsgid, -1) != fsgid)
		return -EPERM;
	return 0;
}

/*
 * The task's rights: its fs ids, and of criu's capabilities only those the
 * task has in effect (one that kept CAP_DAC_OVERRIDE may open what it likes).
 */
/*
 * setgroups and setfs[ug]id need CAP_SETGID and CAP_SETUID in effect, which
 * criu may have put aside (a non-root caller's files: engine/restore.c):
 * everything it is permitted, for the switch only.
 */
static int caps_raise(const struct fs_ids *s)
{
	struct __user_cap_data_struct caps[2];

	memcpy(caps, s->caps, sizeof(caps));
	caps[0].effective = caps[0].permitted;
	caps[1].effective = caps[1].permitted;
	return caps_set(caps);
}

static int fs_ids_become(const struct fs_ids *s, const CredsEntry *c)
{
	struct __user_cap_data_struct caps[2];
	int r = caps_raise(s);

	if (r == 0)
		r = fs_ids_set(c->fsuid, c->fsgid, c->groups, c->n_groups);
	if (r < 0)
		return r;
	memcpy(caps, s->caps, sizeof(caps));
	caps[0].effective = s->caps[0].permitted & (uint32_t)c->cap_eff;
	caps[1].effective = s->caps[1].permitted & (uint32_t)(c->cap_eff >> 32);
	return caps_set(caps);
}

/* Back to criu's: its capabilities raised first, which setgroups needs. */
static int fs_ids_restore(struct fs_ids *s)
{
	int r = caps_raise(s);

	if (r == 0)
		r = fs_ids_set(s->fsuid, s->fsgid, s->groups, (size_t)s->ngroups);
	/* raised for the switch, and a fsuid back to 0 raises the file capabilities: criu's exact set again */
	if (r == 0)
		r = caps_set(s->caps);
	if (r < 0)
		pr_err("cannot take back criu's file-system ids %u:%u and capabilities: %s\n", s->fsuid,
		       s->fsgid, strerror(-r));
	return r;
}

static bool same_creds(const CredsEntry *a, const CredsEntry *b)
{
	/* no groups: groups may be NULL, which memcmp must not get even for 0 bytes */
	return a->fsuid == b->fsuid && a->fsgid == b->fsgid && a->cap_eff == b->cap_eff &&
	       a->n_groups == b->n_groups &&
	       (!a->n_groups || !memcmp(a->groups, b->groups, a->n_groups * sizeof(*a->groups)));
}

static bool holds(const struct task_fds *tf, uint64_t file_id)
{
	for (size_t i = 0; i < tf->n; i++)
		if (tf->fds[i]->file_id == file_id)
			return true;
	return false;
}

/*
 * The creds to open file_id with, one per distinct set: the tasks whose fd
 * tables hold it, or every task when none does (a mapped file). *ret_n is
 * 0 when the restore opens as criu (no creds given: unit tests).
 */
static int openers_of(const struct files_restore *fr, uint64_t file_id, const CredsEntry ***ret,
		      size_t *ret_n)
{
	const CredsEntry **v = calloc(fr->nr_tasks + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (int pass = 0; pass < 2 && !n; pass++)
		for (size_t t = 0; t < fr->nr_tasks; t++) {
			const CredsEntry *c = fr->tasks[t].creds;
			bool dup = false;

			if (!c || (pass == 0 && !holds(&fr->tasks[t], file_id)))
				continue;
			for (size_t k = 0; k < n && !dup; k++)
				dup = same_creds(v[k], c);
			if (!dup)
				v[n++] = c;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}

static int openat2_in(int dirfd, const char *path, int flags, mode_t mode, uint64_t resolve)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
	int f;

	if (flags & (O_CREAT | __O_TMPFILE))
		how.mode = mode & 07777;
	/* openat2, unlike open, refuses flags that O_PATH ignores */
	if (flags & O_PATH)
		how.flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	while (*path == '/')
		path++;
	f = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/* The flags an image may ask for: no creation, no O_TMPFILE, nothing openat2 refuses. */
int files_sane_open_flags(uint32_t flags)
{
	/* a file made with O_TMPFILE (__O_TMPFILE | O_DIRECTORY) keeps both bits: it is no directory */
	if (flags & __O_TMPFILE)
		flags &= ~(uint32_t)(O_DIRECTORY | __O_TMPFILE);
	return (int)(flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE |
			      O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_PATH | O_ASYNC));
}

int files_open_in_root(struct files_restore *fr, uint64_t file_id, int dirfd, const char *path, int flags,
		       uint64_t resolve, uid_t *ret_denied_uid)
{
	_cleanup_free_ const CredsEntry **v = NULL;
	struct fs_ids saved = {0};
	size_t n = 0;
	int r, f = -EACCES;

	if (dirfd < 0)
		dirfd = fr->root_fd;
	if (!resolve)
		resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
	r = openers_of(fr, file_id, &v, &n);
	if (r < 0)
		return r;
	if (!n)
		return openat2_in(dirfd, path, flags, 0, resolve);
	r = fs_ids_save(&saved);
	if (r < 0)
		return r;
	for (size_t k = 0; k < n; k++) {
		r = fs_ids_become(&saved, v[k]);
		f = r < 0 ? r : openat2_in(dirfd, path, flags, 0, resolve);
		r = fs_ids_restore(&saved);
		if (r < 0) {
			if (f >= 0)
				close(f);
			f = r;
			break;
		}
		if (f >= 0 || (f != -EACCES && f != -EPERM))
			break;
		if (ret_denied_uid)
			*ret_denied_uid = v[k]->fsuid;
	}
	fs_ids_free(&saved);
	return f;
}

int files_check_reopen(const CredsEntry *c, pid_t pid, const char *path, int accmode)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX + 32];
	_cleanup_close_ int dfd = -EBADF;
	struct fs_ids saved = {0};
	int mode = accmode == O_RDONLY ? R_OK : accmode == O_WRONLY ? W_OK : R_OK | W_OK, r, a;

	if (!c || path[0] != '/' || !slash || !slash[1])
		return 0;
	/* the directory as criu (its root may be out of the task's own reach: a non-dumpable task) */
	snprintf(dir, sizeof(dir), "/proc/%d/root%.*s", pid, (int)(slash - path), path);
	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return 0; /* the open itself reports what is wrong */
	r = fs_ids_save(&saved);
	if (r < 0)
		return r;
	r = fs_ids_become(&saved, c);
	a = r < 0 ? r : faccessat(dfd, slash + 1, mode, AT_EACCESS | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	r = fs_ids_restore(&saved);
	fs_ids_free(&saved);
	return r < 0 ? r : a;
}

int files_open_dir_in_root(const struct files_restore *fr, const char *path, int *ret_fd)
{
	int f = openat2_in(fr->root_fd, path, O_PATH | O_DIRECTORY, 0,
			   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	if (f < 0)
		return f;
	*ret_fd = f;
	return 0;
}

int files_create_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	return openat2_in(dirfd, name, flags, mode,
			  RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}
