/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of cgroup/. */
#ifndef CR_CGROUP_PRIV_H
#define CR_CGROUP_PRIV_H

/* dir/name's contents, the last newline removed (free *ret). Returns 0 or -errno, quietly. */
int cg_read_file(const char *dir, const char *name, char **ret);
/* Writes value into dir/name in one write(2). Returns 0 or -errno, quietly. */
int cg_write_file(const char *dir, const char *name, const char *value);

#endif
