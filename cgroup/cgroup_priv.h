/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the files of cgroup/. */
#ifndef CR_CGROUP_PRIV_H
#define CR_CGROUP_PRIV_H

#include <stdbool.h>
#include <stddef.h>

/* dir/name's contents, the last newline removed (free *ret). Returns 0 or -errno, quietly. */
int cg_read_file(const char *dir, const char *name, char **ret);
/* Writes value into dir/name in one write(2). Returns 0 or -errno, quietly. */
int cg_write_file(const char *dir, const char *name, const char *value);

/* ---- cgroup.c: the hierarchies criu sees, shared with cgroup_restore.c ---- */
struct cr_opts;
struct cg_props_conf;
struct cg_hier {
	char *mnt;
	char *opts; /* v1: ",rw,cpu,cpuacct," (the super options); v2: NULL */
	bool ours;  /* mounted by criu in its yard, detached again when done */
};

/*
 * The hierarchies criu sees, and its "yard": a hierarchy the tree uses that
 * is not mounted here (a named one such as name=systemd, or one unmounted
 * since the dump) is mounted in a private directory while criu needs it,
 * then detached; open fds and the cgroups made stay. --cgroup-yard says the
 * operator mounted them all: criu mounts nothing.
 */
struct cg_hiers {
	struct cg_hier *h;
	size_t n;
	char *yard;
	bool no_yard;
	char *op_yard; /* --cgroup-yard, absolute: only the hierarchies mounted right in it are used */
};

/* The hierarchies of criu's mount namespace (--cgroup-yard, else a yard of criu's own when needed). */
int cg_hiers_init(struct cg_hiers *hs, const struct cr_opts *o, int work_dir_fd);
void cg_hiers_free(struct cg_hiers *hs);
/* Where the hierarchy of ctrl ("" is cgroup2) is mounted, or NULL. */
const char *cg_hier_mnt(const struct cg_hiers *hs, const char *ctrl);
/* The same, mounted in the yard if it is not: valid until the next call (NULL if it cannot be, logged). */
const char *cg_hier_get(struct cg_hiers *hs, const char *ctrl);
/* fn(name, arg) for each property kept for the hierarchy of ctrls (conf: --cgroup-props); stops at non-zero. */
int cg_for_each_prop(const struct cg_props_conf *conf, const char *ctrls, int (*fn)(const char *name, void *arg),
		     void *arg);

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
