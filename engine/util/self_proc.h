/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * criu's own /proc, for reopening its fds through /proc/self/fd/N. Once
 * criu is in a tree's mount namespace, "/proc" there is the tree's, where
 * criu's pid does not exist; this fd, opened before (self_proc_init), still
 * shows criu as "self" (a proc instance belongs to the pid namespace it was
 * mounted for). Without an init, the paths are looked up from "/".
 */
#ifndef CR_UTIL_SELF_PROC_H
#define CR_UTIL_SELF_PROC_H

#include <sys/types.h>

/* Opens /proc (once per process); 0 or -errno. Call before entering any mount namespace. */
int self_proc_init(void);
/* openat of rel (as "self/pagemap") in criu's /proc; in a task criu forked, "self" is that task. fd or -errno. */
int self_proc_open(const char *rel, int flags);
/* open /proc/self/fd/FD with flags (O_CLOEXEC added): a new description of fd's file. fd or -errno. */
int self_fd_open(int fd, int flags);
/* readlink of /proc/self/fd/FD into buf (NUL-terminated): its length or -errno. */
ssize_t self_fd_readlink(int fd, char *buf, size_t size);
/* chmod through /proc/self/fd/FD (an O_PATH fd's file); 0 or -errno. */
int self_fd_chmod(int fd, mode_t mode);
/*
 * fn(path, arg) with a path naming fd's file ("self/fd/FD", relative to
 * criu's /proc, which is the working directory during the call): for the
 * calls that take only a path (inotify_add_watch). fn's result, or -errno.
 */
int self_fd_with_path(int fd, int (*fn)(const char *path, void *arg), void *arg);

#endif
