/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Terminals: pty pairs (pty.c) and a shell job's terminal (tty.c). */
#ifndef CR_FILES_PTY_H
#define CR_FILES_PTY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "files.h"
#include "images/locks-tty.pb-c.h"

extern const struct fd_ops pty_master_fd_ops, pty_slave_fd_ops;

/* Whether a->local is the controlling terminal of the shell job's outside session. */
bool tty_is_shell_job_terminal(struct files_dump *fd, const struct fd_dump_arg *a);

/*
 * In a restored session leader right after setsid(), before it forks: takes
 * its pty back as controlling terminal, so that its children inherit it.
 */
int files_restore_session(struct files_restore *fr);
/* In a restored task, before criu's copies are closed: a session leader sets its foreground group. */
int pty_restore_ctty(struct files_restore *fr);
/*
 * orphan_pts_master (RPC): a pty slave whose master was outside the tree
 * gets a new pty whose master is sent to the client with the
 * orphan-pts-master notification. Set before files_restore_prepare().
 */
void pty_set_orphan_pts_master(bool on);

/*
 * pty_queue.c: the bytes queued in pty p (master m, criu's copy) into p, and
 * put back at once (the tree is frozen); the slave's input only if
 * slave_held (a slave description of the tree keeps the slave open). 0 or -errno.
 */
int pty_queues_take(int m, PtyEntry *p, bool slave_held);
/* Whether rdev is a pty slave; its index. */
bool pty_slave_rdev(dev_t rdev);
uint32_t pty_index_of(dev_t rdev);
/* Whether pty index has its master in the tree and is a tree session leader's controlling terminal. */
bool pty_is_tree_ctty(const struct files_dump *fd, uint32_t index);
/* At restore, in criu: a new slave description of the tree's pty index (made if need be), or -errno. */
int pty_open_slave_of(struct files_restore *fr, uint32_t index, int flags);

/* At restore: queues them again in the new pty of master m. 0 or -errno. */
int pty_queues_put(int m, const PtyEntry *p);

#endif
