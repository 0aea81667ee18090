// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu option sets: creation, the connection settings and the one-value
 * options. Every criu_set_X() works on the process-wide set and is a thin
 * wrapper of criu_local_set_X().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libcriu.h"

LC_EXPORT const char *criu_lib_version = CRIU_VERSION;

/* The set used by the criu_* functions without "local". */
criu_opts *lc_global_opts;

/* Replaces a string field with a copy of value. */
int lc_set_string(char **field, const char *value)
{
	char *copy;

	if (!value)
		return -EINVAL;
	copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/* Appends elem to a protobuf-c repeated field (arrayp is a T ** / char ***). */
int lc_append(void *arrayp, size_t *nr, void *elem)
{
	void **array = *(void ***)arrayp;

	array = reallocarray(array, *nr + 1, sizeof(*array));
	if (!array)
		return -ENOMEM;
	array[*nr] = elem;
	*(void ***)arrayp = array;
	(*nr)++;
	return 0;
}

void criu_free_service(criu_opts *opts)
{
	if (!opts)
		return;
	free(opts->service_address);
	opts->service_address = NULL;
	free(opts->service_binary);
	opts->service_binary = NULL;
}

void criu_local_free_opts(criu_opts *opts)
{
	if (!opts)
		return;
	/* Every string, array and sub-message was malloc'ed by us: protobuf-c frees the tree. */
	if (opts->rpc)
		criu_opts__free_unpacked(opts->rpc, NULL);
	criu_free_service(opts);
	free(opts);
}

int criu_local_init_opts(criu_opts **ret_opts)
{
	criu_opts *opts;

	if (!ret_opts)
		return -EINVAL;
	criu_local_free_opts(*ret_opts);
	*ret_opts = NULL;

	opts = calloc(1, sizeof(*opts));
	if (!opts)
		return -ENOMEM;
	opts->rpc = malloc(sizeof(*opts->rpc));
	if (!opts->rpc) {
		free(opts);
		return -ENOMEM;
	}
	criu_opts__init(opts->rpc);
	opts->service_comm = CRIU_COMM_BIN;
	opts->service_fd = -1;
	*ret_opts = opts;
	return 0;
}

int criu_init_opts(void)
{
	return criu_local_init_opts(&lc_global_opts);
}

void criu_free_opts(void)
{
	criu_local_free_opts(lc_global_opts);
	lc_global_opts = NULL;
}

int criu_local_set_service_address(criu_opts *opts, const char *path)
{
	char *copy;

	if (!opts)
		return -EINVAL;
	copy = strdup(path ? path : LC_DEFAULT_ADDRESS);
	if (!copy)
		return -ENOMEM;
	criu_free_service(opts);
	opts->service_comm = CRIU_COMM_SK;
	opts->service_address = copy;
	return 0;
}

int criu_set_service_address(const char *path)
{
	return criu_local_set_service_address(lc_global_opts, path);
}

void criu_local_set_service_fd(criu_opts *opts, int fd)
{
	if (!opts)
		return;
	criu_free_service(opts);
	opts->service_comm = CRIU_COMM_FD;
	opts->service_fd = fd;
}

void criu_set_service_fd(int fd)
{
	criu_local_set_service_fd(lc_global_opts, fd);
}

int criu_local_set_service_binary(criu_opts *opts, const char *path)
{
	char *copy;

	if (!opts)
		return -EINVAL;
	copy = strdup(path ? path : LC_DEFAULT_BINARY);
	if (!copy)
		return -ENOMEM;
	criu_free_service(opts);
	opts->service_comm = CRIU_COMM_BIN;
	opts->service_binary = copy;
	return 0;
}

int criu_set_service_binary(const char *path)
{
	return criu_local_set_service_binary(lc_global_opts, path);
}

void criu_local_set_notify_cb(criu_opts *opts, int (*cb)(char *action, criu_notify_arg_t na))
{
	if (!opts)
		return;
	opts->notify = cb;
	opts->rpc->has_notify_scripts = true;
	opts->rpc->notify_scripts = true;
}

void criu_set_notify_cb(int (*cb)(char *action, criu_notify_arg_t na))
{
	criu_local_set_notify_cb(lc_global_opts, cb);
}

void criu_local_set_images_dir_fd(criu_opts *opts, int fd)
{
	if (opts)
		opts->rpc->images_dir_fd = fd; /* required field: no has_ flag */
}

void criu_set_images_dir_fd(int fd)
{
	criu_local_set_images_dir_fd(lc_global_opts, fd);
}

/*
 * One-value options: criu_local_set_<name>(opts, v) sets the optional field
 * <field> of the request options, criu_set_<name>(v) does it on the global set.
 */
#define LC_SCALAR_SETTER(name, field, type, rpc_type)                                                        \
	void criu_local_set_##name(criu_opts *opts, type val)                                                \
	{                                                                                                    \
		if (!opts)                                                                                   \
			return;                                                                              \
		opts->rpc->has_##field = true;                                                               \
		opts->rpc->field = (rpc_type)val;                                                            \
	}                                                                                                    \
	void criu_set_##name(type val)                                                                       \
	{                                                                                                    \
		criu_local_set_##name(lc_global_opts, val);                                                  \
	}

#define LC_BOOL_SETTER(name) LC_SCALAR_SETTER(name, name, bool, protobuf_c_boolean)

LC_SCALAR_SETTER(pid, pid, int, int32_t)
LC_SCALAR_SETTER(work_dir_fd, work_dir_fd, int, int32_t)
LC_SCALAR_SETTER(log_level, log_level, int, int32_t)
LC_SCALAR_SETTER(cpu_cap, cpu_cap, unsigned int, uint32_t)
LC_SCALAR_SETTER(timeout, timeout, unsigned int, uint32_t)
LC_SCALAR_SETTER(ghost_limit, ghost_limit, unsigned int, uint32_t)
LC_SCALAR_SETTER(manage_cgroups_mode, manage_cgroups_mode, enum criu_cg_mode, CriuCgMode)
LC_SCALAR_SETTER(pidfd_store_sk, pidfd_store_sk, int, int32_t)
LC_SCALAR_SETTER(empty_ns, empty_ns, int, uint32_t)

LC_BOOL_SETTER(leave_running)
LC_BOOL_SETTER(ext_unix_sk)
LC_BOOL_SETTER(tcp_established)
LC_BOOL_SETTER(tcp_skip_in_flight)
LC_BOOL_SETTER(tcp_close)
LC_BOOL_SETTER(weak_sysctls)
LC_BOOL_SETTER(evasive_devices)
LC_BOOL_SETTER(shell_job)
LC_BOOL_SETTER(skip_file_rwx_check)
LC_BOOL_SETTER(unprivileged)
LC_BOOL_SETTER(orphan_pts_master)
LC_BOOL_SETTER(file_locks)
LC_BOOL_SETTER(track_mem)
LC_BOOL_SETTER(auto_dedup)
LC_BOOL_SETTER(force_irmap)
LC_BOOL_SETTER(link_remap)
LC_BOOL_SETTER(auto_ext_mnt)
LC_BOOL_SETTER(ext_sharing)
LC_BOOL_SETTER(ext_masters)
LC_BOOL_SETTER(manage_cgroups)
LC_BOOL_SETTER(mntns_compat_mode)

/*
 * String options: a copy of the value replaces the previous one.
 * -EINVAL for NULL, -ENOMEM when the copy fails.
 */
#define LC_STRING_SETTER(name, field)                                                                        \
	int criu_local_set_##name(criu_opts *opts, const char *val)                                          \
	{                                                                                                    \
		if (!opts)                                                                                   \
			return -EINVAL;                                                                      \
		return lc_set_string(&opts->rpc->field, val);                                                \
	}                                                                                                    \
	int criu_set_##name(const char *val)                                                                 \
	{                                                                                                    \
		return criu_local_set_##name(lc_global_opts, val);                                           \
	}

LC_STRING_SETTER(parent_images, parent_img)
LC_STRING_SETTER(log_file, log_file)
LC_STRING_SETTER(root, root)
LC_STRING_SETTER(freeze_cgroup, freeze_cgroup)
LC_STRING_SETTER(lsm_profile, lsm_profile)
LC_STRING_SETTER(lsm_mount_context, lsm_mount_context)
LC_STRING_SETTER(config_file, config_file)

/* Enumerated options whose value is checked here (criu would reject it later). */
int criu_local_set_pre_dump_mode(criu_opts *opts, enum criu_pre_dump_mode mode)
{
	if (!opts || (mode != CRIU_PRE_DUMP_SPLICE && mode != CRIU_PRE_DUMP_READ))
		return -EINVAL;
	opts->rpc->has_pre_dump_mode = true;
	opts->rpc->pre_dump_mode = (CriuPreDumpMode)mode;
	return 0;
}

int criu_set_pre_dump_mode(enum criu_pre_dump_mode mode)
{
	return criu_local_set_pre_dump_mode(lc_global_opts, mode);
}

int criu_local_set_network_lock(criu_opts *opts, enum criu_network_lock_method method)
{
	if (!opts || method < CRIU_NETWORK_LOCK_IPTABLES || method > CRIU_NETWORK_LOCK_SKIP)
		return -EINVAL;
	opts->rpc->has_network_lock = true;
	opts->rpc->network_lock = (CriuNetworkLockMethod)method;
	return 0;
}

int criu_set_network_lock(enum criu_network_lock_method method)
{
	return criu_local_set_network_lock(lc_global_opts, method);
}

int criu_local_set_image_io_mode(criu_opts *opts, enum criu_image_io_mode mode)
{
	if (!opts || (mode != CRIU_IMAGE_IO_WRITEBACK && mode != CRIU_IMAGE_IO_DIRECT))
		return -EINVAL;
	opts->rpc->has_image_io_mode = true;
	opts->rpc->image_io_mode = (CriuImageIoMode)mode;
	return 0;
}

int criu_set_image_io_mode(enum criu_image_io_mode mode)
{
	return criu_local_set_image_io_mode(lc_global_opts, mode);
}
