/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files created and read without following planted links: see safe_open.h. */
#define LOG_PREFIX ""
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "safe_open.h"

/* How often a name planted again between our unlink and our create is retried. */
#define CREATE_TRIES 4

const char *cr_file_type_name(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
		return "regular file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "socket";
	case S_IFCHR:
		return "character device";
	case S_IFBLK:
		return "block device";
	}
	return "file of unknown type";
}

/*
 * The uid files are created and checked with: the euid, or the client's uid
 * while a service job runs with its fs ids. setfsuid() of an invalid id
 * changes nothing and returns the current one.
 */
static uid_t current_fsuid(void)
{
	return (uid_t)setfsuid((uid_t)-1);
}

int cr_dir_shared(int dfd, char *who, size_t size)
{
	struct stat st;
	char buf[64];

	if (fstat(dfd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != 0 && st.st_uid != current_fsuid())
		snprintf(buf, sizeof(buf), "its owner uid %u", (unsigned int)st.st_uid);
	else if (st.st_mode & S_IWOTH)
		snprintf(buf, sizeof(buf), "everyone (mode %04o)", (unsigned int)(st.st_mode & 07777));
	else if (st.st_mode & S_IWGRP)
		snprintf(buf, sizeof(buf), "its group gid %u (mode %04o)", (unsigned int)st.st_gid,
			 (unsigned int)(st.st_mode & 07777));
	else
		return 0;
	if (who)
		snprintf(who, size, "%s", buf);
	return 1;
}

void cr_warn_shared_dir(int dfd, const char *what, const char *path)
{
	char who[64];
	int r = cr_dir_shared(dfd, who, sizeof(who));

	if (r > 0)
		pr_warn("%s %s is writable by %s: criu creates its files there afresh and never writes "
			"through a link, but the files can be changed after criu wrote them\n",
			what, path, who);
}

/*
 * Splits name into the directory it lives in (opened as an O_PATH fd, so that
 * the directory cannot change under us between the look and the create) and
 * its last component.
 */
static int open_parent(int dirfd, const char *name, const char **ret_base)
{
	const char *slash = strrchr(name, '/');
	_cleanup_free_ char *dir = NULL;
	const char *base = slash ? slash + 1 : name;
	int fd;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return -EISDIR;
	if (slash) {
		dir = slash == name ? strdup("/") : strndup(name, (size_t)(slash - name));
		if (!dir)
			return -ENOMEM;
	}
	fd = openat(dirfd, dir ? dir : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_base = base;
	return fd;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       (a->st_mode & S_IFMT) == (b->st_mode & S_IFMT);
}

/* Opens what stands at base, if it still is what *was says; -EAGAIN if it changed. */
static int open_existing(int pfd, const char *base, int flags, const struct stat *was)
{
	_cleanup_close_ int fd = openat(pfd, base, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return errno == ENOENT || errno == ELOOP || errno == ENXIO ? -EAGAIN : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!same_file(&st, was))
		return -EAGAIN;
	return TAKE_FD(fd);
}

/* Our own log of an earlier run, to append to: one link, ours, still in place. */
static int open_own_file(int pfd, const char *base, int flags, const struct stat *was)
{
	int fd, fl;

	if (was->st_uid != current_fsuid() || was->st_nlink != 1)
		return -EAGAIN;
	fd = open_existing(pfd, base, (flags & ~O_TRUNC) | O_NONBLOCK, was);
	if (fd < 0)
		return fd;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* Our own file, emptied if flags have O_TRUNC; -EACCES if it is not ours. */
static int reuse_own_file(int pfd, const char *base, int flags, const struct stat *was)
{
	int fd = open_own_file(pfd, base, flags, was);

	if (fd == -EAGAIN)
		return -EACCES;
	if (fd >= 0 && (flags & O_TRUNC) && ftruncate(fd, 0) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int cr_create_at(int dirfd, const char *name, int flags, mode_t mode)
{
	int create = (flags & ~(O_TRUNC | O_CREAT | O_EXCL)) | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	_cleanup_close_ int pfd = -EBADF;
	const char *base = NULL;
	int shared;

	pfd = open_parent(dirfd, name, &base);
	if (pfd < 0)
		return pfd;
	shared = cr_dir_shared(pfd, NULL, 0);
	if (shared < 0)
		return shared;
	for (int i = 0; i < CREATE_TRIES; i++) {
		struct stat st;
		int fd;

		if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return -errno;
			fd = openat(pfd, base, create, mode);
			if (fd >= 0)
				return fd;
			if (errno != EEXIST)
				return -errno;
			continue; /* planted since we looked */
		}
		if (S_ISCHR(st.st_mode) && !shared) {
			fd = open_existing(pfd, base, flags & ~(O_TRUNC | O_CREAT | O_EXCL), &st);
			if (fd != -EAGAIN)
				return fd;
			continue;
		}
		if (S_ISREG(st.st_mode) && !(flags & O_TRUNC)) {
			fd = open_own_file(pfd, base, flags, &st);
			if (fd != -EAGAIN)
				return fd;
		} else if (S_ISLNK(st.st_mode) && !shared) {
			return -ELOOP;
		} else if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
			return -EEXIST;
		}
		/* Removes the name only: a link's target, or a hard link's other names, stay as they are. */
		if (unlinkat(pfd, base, 0) == 0 || errno == ENOENT)
			continue;
		if ((errno != EACCES && errno != EPERM) || !S_ISREG(st.st_mode))
			return -errno;
		/* a directory we may not write to, holding our own file: truncated in place */
		return reuse_own_file(pfd, base, flags, &st);
	}
	return -EEXIST;
}

const char *cr_create_strerror(int err, int dirfd, const char *name, char *buf, size_t size)
{
	struct stat st;

	if ((err == -EEXIST || err == -ELOOP) && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		snprintf(buf, size,
			 "a %s is in the way (criu does not write through links or into special files)",
			 cr_file_type_name(st.st_mode));
		return buf;
	}
	snprintf(buf, size, "%s", strerror(-err));
	return buf;
}

int cr_open_regular_at(int dirfd, const char *name, int flags, struct stat *st)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat was;

	if (fstatat(dirfd, name, &was, (flags & O_NOFOLLOW) ? AT_SYMLINK_NOFOLLOW : 0) < 0)
		return -errno;
	*st = was;
	if (S_ISLNK(was.st_mode))
		return -ELOOP;
	if (!S_ISREG(was.st_mode))
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0)
		return -errno;
	/* replaced between the look and the open */
	if (!S_ISREG(st->st_mode))
		return -EINVAL;
	if (!same_file(st, &was))
		return -ESTALE;
	return TAKE_FD(fd);
}
