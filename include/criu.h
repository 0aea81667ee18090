/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libcriu: a client of the criu RPC protocol (libcriu.so.2, criu 4.2 interface).
 *
 * The library only builds requests and reads answers; the work is done by a
 * criu process. By default every call starts "criu swrk <fd>" (found on PATH)
 * on a fresh socket pair, sends one request, waits for the answer and reaps
 * the process.
 *
 * Two ways to hold options:
 *  - the global set: criu_init_opts(), then criu_set_*() / criu_add_*(), then
 *    criu_dump() and friends. One set per process, not thread-safe.
 *  - private sets: criu_local_init_opts(&o), then criu_local_*(o, ...). Calls
 *    on different sets may run in parallel threads.
 *
 * Functions returning int give 0 (or a documented positive value) on success
 * and a negative errno value on failure. The library never prints.
 */
#ifndef __CRIU_LIB_H__
#define __CRIU_LIB_H__

#include <stdbool.h>
#include <stddef.h>

#include "version.h"
#include "rpc.pb-c.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Values for criu_set_log_level(); same meaning as criu's -v0 .. -v4. */
#define CRIU_LOG_UNSET (-1)
#define CRIU_LOG_MSG   (0) /* unconditional output */
#define CRIU_LOG_ERROR (1)
#define CRIU_LOG_WARN  (2)
#define CRIU_LOG_INFO  (3)
#define CRIU_LOG_DEBUG (4)

/* How a call reaches criu. */
enum criu_service_comm {
	CRIU_COMM_SK,  /* connect to a "criu service" socket */
	CRIU_COMM_FD,  /* use a socket the caller already holds */
	CRIU_COMM_BIN, /* start "<binary> swrk <fd>" per call (default) */
};

/* Matches criu_cg_mode of rpc.proto. */
enum criu_cg_mode {
	CRIU_CG_MODE_IGNORE = 0,
	CRIU_CG_MODE_NONE = 1,
	CRIU_CG_MODE_PROPS = 2,
	CRIU_CG_MODE_SOFT = 3,
	CRIU_CG_MODE_FULL = 4,
	CRIU_CG_MODE_STRICT = 5,
	CRIU_CG_MODE_DEFAULT = 6,
};

enum criu_network_lock_method {
	CRIU_NETWORK_LOCK_IPTABLES = 1,
	CRIU_NETWORK_LOCK_NFTABLES = 2,
	CRIU_NETWORK_LOCK_SKIP = 3,
};

enum criu_pre_dump_mode {
	CRIU_PRE_DUMP_SPLICE = 1,
	CRIU_PRE_DUMP_READ = 2,
};

/* How the pages image is written (criu_opts.image_io_mode). */
enum criu_image_io_mode {
	CRIU_IMAGE_IO_WRITEBACK = 0,
	CRIU_IMAGE_IO_DIRECT = 1,
};

typedef struct criu_opts criu_opts;

/*
 * A notification handed to the callback of criu_set_notify_cb(). Read it
 * with the criu_notify_*() helpers; it is only valid during the callback.
 */
typedef CriuNotify *criu_notify_arg_t;

/* Opaque argument of the criu_dump_iters() callback (currently NULL). */
typedef void *criu_predump_info;

/* ---- options held in the process-wide set ---- */

/* Creates (or resets) the global option set. Call it before anything else. */
int criu_init_opts(void);
void criu_free_opts(void);

/* Connection: NULL selects the default socket path / binary name. */
int criu_set_service_address(const char *path);
void criu_set_service_fd(int fd);
int criu_set_service_binary(const char *path);

void criu_set_pid(int pid);
void criu_set_images_dir_fd(int fd); /* needed by dump and restore */
void criu_set_work_dir_fd(int fd);
int criu_set_parent_images(const char *path);

void criu_set_leave_running(bool leave_running);
void criu_set_ext_unix_sk(bool ext_unix_sk);
int criu_add_unix_sk(unsigned int inode);
void criu_set_tcp_established(bool tcp_established);
void criu_set_tcp_skip_in_flight(bool tcp_skip_in_flight);
void criu_set_tcp_close(bool tcp_close);
void criu_set_weak_sysctls(bool val);
void criu_set_evasive_devices(bool evasive_devices);
void criu_set_shell_job(bool shell_job);
void criu_set_skip_file_rwx_check(bool skip_file_rwx_check);
void criu_set_unprivileged(bool unprivileged);
void criu_set_orphan_pts_master(bool orphan_pts_master);
void criu_set_file_locks(bool file_locks);
void criu_set_track_mem(bool track_mem);
void criu_set_auto_dedup(bool auto_dedup);
void criu_set_force_irmap(bool force_irmap);
void criu_set_link_remap(bool link_remap);
void criu_set_auto_ext_mnt(bool val);
void criu_set_ext_sharing(bool val);
void criu_set_ext_masters(bool val);
void criu_set_manage_cgroups(bool manage);
void criu_set_mntns_compat_mode(bool val);

void criu_set_log_level(int log_level);
void criu_set_cpu_cap(unsigned int cap);
void criu_set_timeout(unsigned int timeout);
void criu_set_ghost_limit(unsigned int limit);
void criu_set_manage_cgroups_mode(enum criu_cg_mode mode);
void criu_set_pidfd_store_sk(int sk);
void criu_set_empty_ns(int namespaces);

int criu_set_log_file(const char *log_file);
int criu_set_root(const char *root);
int criu_set_freeze_cgroup(const char *name);
int criu_set_lsm_profile(const char *name);
int criu_set_lsm_mount_context(const char *name);
int criu_set_config_file(const char *path);
int criu_set_exec_cmd(int argc, char *argv[]);

int criu_add_ext_mount(const char *key, const char *val);
int criu_add_veth_pair(const char *in, const char *out);
/* ctrl NULL: every controller; ctrl "": the cgroup2 unified hierarchy. */
int criu_add_cg_root(const char *ctrl, const char *path);
int criu_add_enable_fs(const char *fs);
int criu_add_skip_mnt(const char *mnt);
int criu_add_irmap_path(const char *path);
/* fd is a descriptor of the caller, inherited by the swrk process. */
int criu_add_inherit_fd(int fd, const char *key);
int criu_add_external(const char *key);

int criu_set_page_server_address_port(const char *address, int port);
int criu_set_pre_dump_mode(enum criu_pre_dump_mode mode);
int criu_set_network_lock(enum criu_network_lock_method method);
int criu_set_image_io_mode(enum criu_image_io_mode mode);
int criu_join_ns_add(const char *ns, const char *ns_file, const char *extra_opt);

/*
 * Installs a callback run for every notification criu sends during the
 * request (and asks criu to send them). Returning 0 lets criu go on; any
 * other value makes criu abort and is returned by the running call.
 */
void criu_set_notify_cb(int (*cb)(char *action, criu_notify_arg_t na));

/* Root task pid carried by the notification, 0 when it has none. */
int criu_notify_pid(criu_notify_arg_t na);

/*
 * The pty master criu passed with the last "orphan-pts-master"
 * notification, or -1. The caller owns it (and should close it).
 */
int criu_get_orphan_pts_master_fd(void);

/*
 * Requests. Return values:
 *   0              success
 *   > 0            restore: pid of the restored root task;
 *                  dump: 1 when this process is the restored copy of a self-dump
 *   -EBADE         criu answered "failed"; errno holds criu's error code (or 0)
 *   -ECONNREFUSED  criu could not be reached or started; errno says why
 *   -ECOMM         sending or receiving failed; errno says why
 *   -EINVAL        criu rejected the request type, or bad arguments
 *   -EBADMSG       criu sent an answer of the wrong type
 *   other < 0      the value a notify callback returned
 */
int criu_check(void);
int criu_dump(void);
int criu_pre_dump(void); /* one pre-dump (SINGLE_PRE_DUMP) */
int criu_restore(void);
/* Restores the tree as a child of the caller; always uses a swrk process. */
int criu_restore_child(void);

/*
 * Pre-dumps until more() returns 0, then dumps, all on one connection.
 * more() > 0: another pre-dump; 0: final dump; < 0: stop, return that value.
 * Needs criu_set_pid().
 */
int criu_dump_iters(int (*more)(criu_predump_info pi));

/*
 * Version of the criu that serves the requests, as
 * major * 10000 + minor * 100 + sublevel; a build from git counts as the
 * next minor release.
 */
int criu_get_version(void);
/* 1 if criu is at least minimum, 0 if older, < 0 on error. */
int criu_check_version(int minimum);

/*
 * Set the members for the features to query, pass sizeof(struct); on
 * success each member says whether that feature is available.
 */
struct criu_feature_check {
	bool mem_track;
	bool lazy_pages;
	bool pidfd_store;
};

int criu_feature_check(struct criu_feature_check *features, size_t size);

/* ---- the same on a private option set ---- */

/* *opts must be NULL or a set from an earlier call; it is replaced. */
int criu_local_init_opts(criu_opts **opts);
void criu_local_free_opts(criu_opts *opts);

int criu_local_set_service_address(criu_opts *opts, const char *path);
void criu_local_set_service_fd(criu_opts *opts, int fd);
int criu_local_set_service_binary(criu_opts *opts, const char *path);

void criu_local_set_pid(criu_opts *opts, int pid);
void criu_local_set_images_dir_fd(criu_opts *opts, int fd);
void criu_local_set_work_dir_fd(criu_opts *opts, int fd);
int criu_local_set_parent_images(criu_opts *opts, const char *path);

void criu_local_set_leave_running(criu_opts *opts, bool leave_running);
void criu_local_set_ext_unix_sk(criu_opts *opts, bool ext_unix_sk);
int criu_local_add_unix_sk(criu_opts *opts, unsigned int inode);
void criu_local_set_tcp_established(criu_opts *opts, bool tcp_established);
void criu_local_set_tcp_skip_in_flight(criu_opts *opts, bool tcp_skip_in_flight);
void criu_local_set_tcp_close(criu_opts *opts, bool tcp_close);
void criu_local_set_weak_sysctls(criu_opts *opts, bool val);
void criu_local_set_evasive_devices(criu_opts *opts, bool evasive_devices);
void criu_local_set_shell_job(criu_opts *opts, bool shell_job);
void criu_local_set_skip_file_rwx_check(criu_opts *opts, bool skip_file_rwx_check);
void criu_local_set_unprivileged(criu_opts *opts, bool unprivileged);
void criu_local_set_orphan_pts_master(criu_opts *opts, bool orphan_pts_master);
void criu_local_set_file_locks(criu_opts *opts, bool file_locks);
void criu_local_set_track_mem(criu_opts *opts, bool track_mem);
void criu_local_set_auto_dedup(criu_opts *opts, bool auto_dedup);
void criu_local_set_force_irmap(criu_opts *opts, bool force_irmap);
void criu_local_set_link_remap(criu_opts *opts, bool link_remap);
void criu_local_set_auto_ext_mnt(criu_opts *opts, bool val);
void criu_local_set_ext_sharing(criu_opts *opts, bool val);
void criu_local_set_ext_masters(criu_opts *opts, bool val);
void criu_local_set_manage_cgroups(criu_opts *opts, bool manage);
void criu_local_set_mntns_compat_mode(criu_opts *opts, bool val);

void criu_local_set_log_level(criu_opts *opts, int log_level);
void criu_local_set_cpu_cap(criu_opts *opts, unsigned int cap);
void criu_local_set_timeout(criu_opts *opts, unsigned int timeout);
void criu_local_set_ghost_limit(criu_opts *opts, unsigned int limit);
void criu_local_set_manage_cgroups_mode(criu_opts *opts, enum criu_cg_mode mode);
void criu_local_set_pidfd_store_sk(criu_opts *opts, int sk);
void criu_local_set_empty_ns(criu_opts *opts, int namespaces);

int criu_local_set_log_file(criu_opts *opts, const char *log_file);
int criu_local_set_root(criu_opts *opts, const char *root);
int criu_local_set_freeze_cgroup(criu_opts *opts, const char *name);
int criu_local_set_lsm_profile(criu_opts *opts, const char *name);
int criu_local_set_lsm_mount_context(criu_opts *opts, const char *name);
int criu_local_set_config_file(criu_opts *opts, const char *path);
int criu_local_set_exec_cmd(criu_opts *opts, int argc, char *argv[]);

int criu_local_add_ext_mount(criu_opts *opts, const char *key, const char *val);
int criu_local_add_veth_pair(criu_opts *opts, const char *in, const char *out);
int criu_local_add_cg_root(criu_opts *opts, const char *ctrl, const char *path);
int criu_local_add_enable_fs(criu_opts *opts, const char *fs);
int criu_local_add_skip_mnt(criu_opts *opts, const char *mnt);
int criu_local_add_irmap_path(criu_opts *opts, const char *path);
int criu_local_add_inherit_fd(criu_opts *opts, int fd, const char *key);
int criu_local_add_external(criu_opts *opts, const char *key);

/* Cgroup options that only exist on private sets. */
int criu_local_add_cg_props(criu_opts *opts, const char *stream);
int criu_local_add_cg_props_file(criu_opts *opts, const char *path);
int criu_local_add_cg_dump_controller(criu_opts *opts, const char *name);
int criu_local_add_cg_yard(criu_opts *opts, const char *path);

int criu_local_set_page_server_address_port(criu_opts *opts, const char *address, int port);
int criu_local_set_pre_dump_mode(criu_opts *opts, enum criu_pre_dump_mode mode);
int criu_local_set_network_lock(criu_opts *opts, enum criu_network_lock_method method);
int criu_local_set_image_io_mode(criu_opts *opts, enum criu_image_io_mode mode);
int criu_local_join_ns_add(criu_opts *opts, const char *ns, const char *ns_file, const char *extra_opt);

void criu_local_set_notify_cb(criu_opts *opts, int (*cb)(char *action, criu_notify_arg_t na));

int criu_local_check(criu_opts *opts);
int criu_local_dump(criu_opts *opts);
int criu_local_pre_dump(criu_opts *opts);
int criu_local_restore(criu_opts *opts);
int criu_local_restore_child(criu_opts *opts);
int criu_local_dump_iters(criu_opts *opts, int (*more)(criu_predump_info pi));

int criu_local_get_version(criu_opts *opts);
int criu_local_check_version(criu_opts *opts, int minimum);

int criu_local_feature_check(criu_opts *opts, struct criu_feature_check *features, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* __CRIU_LIB_H__ */
