// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu options that hold lists or small records: mounts, cgroup roots,
 * inherited fds, externals, namespaces to join, the exec command, the page
 * server. On failure the option set is left as it was.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcriu.h"

/* Appends a copy of value to a repeated string field. */
static int append_string(char ***array, size_t *nr, const char *value)
{
	char *copy;
	int r;

	if (!value)
		return -EINVAL;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	r = lc_append(array, nr, copy);
	if (r < 0)
		free(copy);
	return r;
}

/* Strings for two-string records; NULL b is allowed when b_optional. */
static int dup_pair(const char *a, const char *b, bool b_optional, char **ret_a, char **ret_b)
{
	char *ca, *cb = NULL;

	if (!a || (!b && !b_optional))
		return -EINVAL;
	ca = strdup(a);
	if (!ca)
		return -ENOMEM;
	if (b) {
		cb = strdup(b);
		if (!cb) {
			free(ca);
			return -ENOMEM;
		}
	}
	*ret_a = ca;
	*ret_b = cb;
	return 0;
}

#define LC_STRING_ADDER(name, field)                                                                         \
	int criu_local_add_##name(criu_opts *opts, const char *val)                                          \
	{                                                                                                    \
		if (!opts)                                                                                   \
			return -EINVAL;                                                                      \
		return append_string(&opts->rpc->field, &opts->rpc->n_##field, val);                         \
	}                                                                                                    \
	int criu_add_##name(const char *val)                                                                 \
	{                                                                                                    \
		return criu_local_add_##name(lc_global_opts, val);                                           \
	}

LC_STRING_ADDER(enable_fs, enable_fs)
LC_STRING_ADDER(skip_mnt, skip_mnt)
LC_STRING_ADDER(irmap_path, irmap_scan_paths)
LC_STRING_ADDER(external, external)

int criu_local_add_ext_mount(criu_opts *opts, const char *key, const char *val)
{
	ExtMountMap *m;
	int r;

	if (!opts)
		return -EINVAL;
	m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	ext_mount_map__init(m);
	r = dup_pair(key, val, false, &m->key, &m->val);
	if (r == 0)
		r = lc_append(&opts->rpc->ext_mnt, &opts->rpc->n_ext_mnt, m);
	if (r < 0)
		ext_mount_map__free_unpacked(m, NULL);
	return r;
}

int criu_add_ext_mount(const char *key, const char *val)
{
	return criu_local_add_ext_mount(lc_global_opts, key, val);
}

int criu_local_add_veth_pair(criu_opts *opts, const char *in, const char *out)
{
	CriuVethPair *p;
	int r;

	if (!opts)
		return -EINVAL;
	p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	criu_veth_pair__init(p);
	r = dup_pair(in, out, false, &p->if_in, &p->if_out);
	if (r == 0)
		r = lc_append(&opts->rpc->veths, &opts->rpc->n_veths, p);
	if (r < 0)
		criu_veth_pair__free_unpacked(p, NULL);
	return r;
}

int criu_add_veth_pair(const char *in, const char *out)
{
	return criu_local_add_veth_pair(lc_global_opts, in, out);
}

/* ctrl NULL leaves the field absent (all controllers); "" is sent as "". */
int criu_local_add_cg_root(criu_opts *opts, const char *ctrl, const char *path)
{
	CgroupRoot *root;
	int r;

	if (!opts)
		return -EINVAL;
	root = malloc(sizeof(*root));
	if (!root)
		return -ENOMEM;
	cgroup_root__init(root);
	r = dup_pair(path, ctrl, true, &root->path, &root->ctrl);
	if (r == 0)
		r = lc_append(&opts->rpc->cg_root, &opts->rpc->n_cg_root, root);
	if (r < 0)
		cgroup_root__free_unpacked(root, NULL);
	return r;
}

int criu_add_cg_root(const char *ctrl, const char *path)
{
	return criu_local_add_cg_root(lc_global_opts, ctrl, path);
}

/*
 * The fd is the caller's; a swrk process inherits it under the same number.
 * A criu service cannot see the caller's fds, so CRIU_COMM_SK refuses.
 */
int criu_local_add_inherit_fd(criu_opts *opts, int fd, const char *key)
{
	InheritFd *f;
	int r;

	if (!opts || !key || fd < 0 || opts->service_comm == CRIU_COMM_SK)
		return -EINVAL;
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	inherit_fd__init(f);
	f->fd = fd;
	f->key = strdup(key);
	r = f->key ? lc_append(&opts->rpc->inherit_fd, &opts->rpc->n_inherit_fd, f) : -ENOMEM;
	if (r < 0)
		inherit_fd__free_unpacked(f, NULL);
	return r;
}

int criu_add_inherit_fd(int fd, const char *key)
{
	return criu_local_add_inherit_fd(lc_global_opts, fd, key);
}

int criu_local_join_ns_add(criu_opts *opts, const char *ns, const char *ns_file, const char *extra_opt)
{
	JoinNamespace *j;
	int r;

	if (!opts)
		return -EINVAL;
	j = malloc(sizeof(*j));
	if (!j)
		return -ENOMEM;
	join_namespace__init(j);
	r = dup_pair(ns, ns_file, false, &j->ns, &j->ns_file);
	if (r == 0 && extra_opt) {
		j->extra_opt = strdup(extra_opt);
		if (!j->extra_opt)
			r = -ENOMEM;
	}
	if (r == 0)
		r = lc_append(&opts->rpc->join_ns, &opts->rpc->n_join_ns, j);
	if (r < 0)
		join_namespace__free_unpacked(j, NULL);
	return r;
}

int criu_join_ns_add(const char *ns, const char *ns_file, const char *extra_opt)
{
	return criu_local_join_ns_add(lc_global_opts, ns, ns_file, extra_opt);
}

/* Also turns ext_unix_sk on, unless the caller explicitly turned it off. */
int criu_local_add_unix_sk(criu_opts *opts, unsigned int inode)
{
	UnixSk *u;
	int r;

	if (!opts || (opts->rpc->has_ext_unix_sk && !opts->rpc->ext_unix_sk))
		return -EINVAL;
	u = malloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	unix_sk__init(u);
	u->inode = inode;
	r = lc_append(&opts->rpc->unix_sk_ino, &opts->rpc->n_unix_sk_ino, u);
	if (r < 0) {
		free(u);
		return r;
	}
	criu_local_set_ext_unix_sk(opts, true);
	return 0;
}

int criu_add_unix_sk(unsigned int inode)
{
	return criu_local_add_unix_sk(lc_global_opts, inode);
}

/* Replaces the command criu runs after a successful restore. */
int criu_local_set_exec_cmd(criu_opts *opts, int argc, char *argv[])
{
	char **cmd;
	int i;

	if (!opts || argc <= 0 || !argv)
		return -EINVAL;
	for (i = 0; i < argc; i++)
		if (!argv[i])
			return -EINVAL;
	cmd = calloc(argc, sizeof(*cmd));
	if (!cmd)
		return -ENOMEM;
	for (i = 0; i < argc; i++) {
		cmd[i] = strdup(argv[i]);
		if (!cmd[i]) {
			while (i-- > 0)
				free(cmd[i]);
			free(cmd);
			return -ENOMEM;
		}
	}
	for (i = 0; i < (int)opts->rpc->n_exec_cmd; i++)
		free(opts->rpc->exec_cmd[i]);
	free(opts->rpc->exec_cmd);
	opts->rpc->exec_cmd = cmd;
	opts->rpc->n_exec_cmd = argc;
	return 0;
}

int criu_set_exec_cmd(int argc, char *argv[])
{
	return criu_local_set_exec_cmd(lc_global_opts, argc, argv);
}

int criu_local_set_page_server_address_port(criu_opts *opts, const char *address, int port)
{
	CriuPageServerInfo *ps;

	if (!opts || !address)
		return -EINVAL;
	ps = malloc(sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	criu_page_server_info__init(ps);
	ps->address = strdup(address);
	if (!ps->address) {
		free(ps);
		return -ENOMEM;
	}
	ps->has_port = true;
	ps->port = port;
	if (opts->rpc->ps)
		criu_page_server_info__free_unpacked(opts->rpc->ps, NULL);
	opts->rpc->ps = ps;
	return 0;
}

int criu_set_page_server_address_port(const char *address, int port)
{
	return criu_local_set_page_server_address_port(lc_global_opts, address, port);
}

/* Cgroup options that have no global-set variant in libcriu. */
int criu_local_add_cg_props(criu_opts *opts, const char *stream)
{
	return opts ? lc_set_string(&opts->rpc->cgroup_props, stream) : -EINVAL;
}

int criu_local_add_cg_props_file(criu_opts *opts, const char *path)
{
	return opts ? lc_set_string(&opts->rpc->cgroup_props_file, path) : -EINVAL;
}

int criu_local_add_cg_yard(criu_opts *opts, const char *path)
{
	return opts ? lc_set_string(&opts->rpc->cgroup_yard, path) : -EINVAL;
}

int criu_local_add_cg_dump_controller(criu_opts *opts, const char *name)
{
	if (!opts)
		return -EINVAL;
	return append_string(&opts->rpc->cgroup_dump_controller, &opts->rpc->n_cgroup_dump_controller, name);
}
