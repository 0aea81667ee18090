/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Creating and opening files in directories that someone else may write to.
 *
 * criu runs as root and writes into images and work dirs that may belong to
 * another user, who can plant a symlink, a hard link or a FIFO under any name
 * criu is about to use. So every file criu writes is made by cr_create_at()
 * and every image it reads is opened by cr_open_regular_at():
 *
 *  - the last component of a name is never followed when it is a symlink;
 *  - a FIFO, a socket or a device is never opened (a FIFO would block, a
 *    device could act), except a character device such as /dev/null that the
 *    caller names in a directory only root or the caller can write;
 *  - criu writes only into a file it has just created (O_CREAT|O_EXCL): an
 *    old file of that name is unlinked first, so a planted hard link to
 *    /etc/shadow loses its name here and the target is never truncated.
 *
 * Directories above the last component are taken as the caller named them:
 * they are the caller's choice, not a planter's.
 *
 * A directory is "shared" when someone other than root and the caller (the
 * fsuid: the client's uid while a service job runs with its fs ids) may
 * create names in it: it is owned by another uid, or its group or others may
 * write to it. The sticky bit does not count: it stops others from removing
 * criu's files, not from planting names before criu creates them.
 */
#ifndef CR_UTIL_SAFE_OPEN_H
#define CR_UTIL_SAFE_OPEN_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Creates name under dirfd (a path relative to it, or absolute) for writing
 * and returns its fd (O_CLOEXEC), or -errno. flags are the access mode plus
 * O_TRUNC, O_APPEND, O_DIRECT...; O_CREAT, O_EXCL and O_NOFOLLOW are implied.
 * What is at the name now decides:
 *
 *   nothing            created with O_EXCL;
 *   a regular file     with O_TRUNC: unlinked, then created with O_EXCL
 *                      (in a directory the caller may not write to, where
 *                      it cannot unlink, only its own file with one link
 *                      is reused, truncated; anything else is -EACCES);
 *                      without O_TRUNC (appending, a service's log): opened
 *                      if it is the caller's own (owned by the fsuid, one
 *                      link), else replaced like with O_TRUNC;
 *   a symlink          in a shared directory: unlinked (a planted link) and
 *                      the file created; elsewhere -ELOOP (someone trusted
 *                      put it there; criu neither follows nor removes it);
 *   a character device in a directory that is not shared: opened as it is
 *                      (-o /dev/null), neither created nor truncated;
 *   anything else      -EEXIST (a directory, a FIFO, a socket...).
 *
 * A name planted again between the unlink and the create is retried a few
 * times, then -EEXIST. Quiet: the caller logs, with cr_create_strerror().
 */
int cr_create_at(int dirfd, const char *name, int flags, mode_t mode);

/*
 * Why cr_create_at(dirfd, name) failed with err, for a message: "a fifo is
 * in the way", "a symbolic link is in the way (criu does not write through
 * links)", or strerror. Written into buf; returns buf.
 */
const char *cr_create_strerror(int err, int dirfd, const char *name, char *buf, size_t size);

/*
 * Opens name under dirfd for reading (O_RDONLY|O_NONBLOCK|O_CLOEXEC plus
 * flags) only if it is a regular file, and returns its fd, or -errno:
 * -ELOOP when it is a symlink and flags have O_NOFOLLOW, -EINVAL when it is
 * anything else that is not a regular file, -ESTALE when it was replaced
 * between the look and the open. It is looked at before it is
 * opened, so a FIFO never blocks and a device is never opened; *st is filled
 * with what was found whenever the name could be looked at (also on -ELOOP
 * and -EINVAL, so that the caller can say what it was).
 */
int cr_open_regular_at(int dirfd, const char *name, int flags, struct stat *st);

/* "regular file", "directory", "symbolic link", "fifo", "socket", ... */
const char *cr_file_type_name(mode_t mode);

/*
 * Whether someone other than root and the caller may create names in the
 * directory dfd: 1 (and, if who is given, a description such as "its owner
 * uid 1000" written into it), 0, or -errno.
 */
int cr_dir_shared(int dfd, char *who, size_t size);

/*
 * Logs a warning when dfd (called what, path in messages: "images directory",
 * "work directory") is shared: criu uses it, never writing through a link.
 */
void cr_warn_shared_dir(int dfd, const char *what, const char *path);

#endif
