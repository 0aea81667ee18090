/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files kept by plugins (plugin_files.c): unknown fd kinds, unix sockets with an outside peer. */
#ifndef CR_PLUGIN_FILES_H
#define CR_PLUGIN_FILES_H

#include "files.h"

/* FILE_PLUGIN: offered by files.c to the plugins when no kind matches; -ENOTSUP if none took it. */
extern const struct fd_ops plugin_fd_ops;

/*
 * A unix socket whose peer is outside the tree: offered to DUMP_UNIX_SK
 * (id = the socket's inode); 0 and fe->plugin set when a plugin took it,
 * -ENOTSUP when none did.
 */
int plugin_files_dump_unix_sk(FileEntry *fe, int local);
/* At restore, for a unix socket entry with fe->plugin: RESTORE_UNIX_SK(ino). */
int plugin_files_restore_unix_sk(const FileEntry *fe, int *ret_fd);

#endif
