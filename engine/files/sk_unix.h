/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unix sockets: what sk_unix.c, sk_unix_restore.c and sk_unix_scm.c (files in flight) share. */
#ifndef CR_FILES_SK_UNIX_H
#define CR_FILES_SK_UNIX_H

#include <sys/socket.h>

#include "files_priv.h"

/* Socket states and shutdown bits as sock_diag gives them (sk_unix.c, sk_unix_restore.c). */
#define USK_LISTEN	  10 /* TCP_LISTEN */
#define USK_ESTABLISHED	  1  /* TCP_ESTABLISHED */
#define USK_RCV_SHUTDOWN  1
#define USK_SEND_SHUTDOWN 2
#define USK_SHUTDOWN_MASK 3

/* The unix fd kind's open (sk_unix_restore.c): the first one makes every unix socket of the image. */
int usk_restore_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd);

/* Upper bound of fds one queued message carries (the kernel's SCM_MAX_FD is 253). */
#define USK_MAX_RIGHTS 253

/*
 * The fds of one peek (SCM_RIGHTS in mh, ours now): closes them all and
 * returns how many there were, or -EOPNOTSUPP when the control was cut short.
 */
int usk_scm_drop(struct msghdr *mh);

/*
 * The fds of one peek at message packet of the socket fe (a: the task's fd
 * of it): each is dumped as a description (files_dump_inflight) and its id
 * recorded in fe's rights; every fd is closed or kept by the files. Returns
 * how many fds the message carried, or -errno (logged).
 */
int usk_scm_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe, struct msghdr *mh,
		 uint32_t packet);

/* At dump_finish: unix sockets in flight become the ids of the tree's sockets, or are refused. */
int usk_scm_dump_finish(struct files_dump *fd);

/* Restore: whether fe's rights name messages and files of the image. */
int usk_scm_check(const struct files_restore *fr, const FileEntry *fe);

#endif
