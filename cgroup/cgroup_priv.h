/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of cgroup/. */
#ifndef CR_CGROUP_PRIV_H
#define CR_CGROUP_PRIV_H

#include <stdbool.h>

/* dir/name's contents, the last newline removed (free *ret). Returns 0 or -errno, quietly. */
int cg_read_file(const char *dir, const char *name, char **ret);
/* Writes value into dir/name in one write(2). Returns 0 or -errno, quietly. */
int cg_write_file(const char *dir, const char *name, const char *value);

/* props.c: --cgroup-props, the properties the dump records per controller. */
struct cg_props_conf;
/* Parses text (criu's --cgroup-props format); 0 or -errno, logged. */
int cg_props_parse(const char *text, struct cg_props_conf **ret);
/* --cgroup-props text, else --cgroup-props-file (relative to the work dir), else none (*ret NULL). */
int cg_props_load(const char *text, const char *file, int work_dir_fd, struct cg_props_conf **ret);
void cg_props_free(struct cg_props_conf *conf);
/* The properties given for controller ctrl ("" is cgroup2), NULL-terminated, or NULL; *replace: only them. */
const char *const *cg_props_for(const struct cg_props_conf *conf, const char *ctrl, bool *replace);

#endif
