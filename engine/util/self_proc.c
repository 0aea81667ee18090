/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* criu's own /proc (self_proc.h). */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "self_proc.h"

/* one of the reserved service fds CONVENTIONS.md allows: criu's /proc, for the whole process */
static int self_proc = -1;

int self_proc_init(void)
{
	if (self_proc >= 0 && fcntl(self_proc, F_GETFD) >= 0)
		return 0;
	self_proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return self_proc < 0 ? -errno : 0;
}

/* "self/fd/N" relative to criu's /proc, or the absolute path without one. */
static int where(int fd, char *path, size_t size)
{
	bool have = self_proc >= 0 && fcntl(self_proc, F_GETFD) >= 0;

	snprintf(path, size, "%sself/fd/%d", have ? "" : "/proc/", fd);
	return have ? self_proc : AT_FDCWD;
}

int self_proc_open(const char *rel, int flags)
{
	bool have = self_proc >= 0 && fcntl(self_proc, F_GETFD) >= 0;
	char path[64];
	int f;

	snprintf(path, sizeof(path), "%s%s", have ? "" : "/proc/", rel);
	f = openat(have ? self_proc : AT_FDCWD, path, flags | O_CLOEXEC);
	return f < 0 ? -errno : f;
}

int self_fd_open(int fd, int flags)
{
	char path[48];
	int dir = where(fd, path, sizeof(path));
	int f = openat(dir, path, flags | O_CLOEXEC);

	return f < 0 ? -errno : f;
}

ssize_t self_fd_readlink(int fd, char *buf, size_t size)
{
	char path[48];
	int dir = where(fd, path, sizeof(path));
	ssize_t n = readlinkat(dir, path, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

int self_fd_chmod(int fd, mode_t mode)
{
	char path[48];
	int dir = where(fd, path, sizeof(path));

	return fchmodat(dir, path, mode, 0) < 0 ? -errno : 0;
}

int self_fd_with_path(int fd, int (*fn)(const char *path, void *arg), void *arg)
{
	char path[48];
	int dir = where(fd, path, sizeof(path)), cwd, r, back;

	if (dir == AT_FDCWD)
		return fn(path, arg);
	cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cwd < 0)
		return -errno;
	if (fchdir(dir) < 0) {
		r = -errno;
		close(cwd);
		return r;
	}
	r = fn(path, arg);
	back = fchdir(cwd) < 0 ? -errno : 0;
	close(cwd);
	return r < 0 || back == 0 ? r : back;
}
