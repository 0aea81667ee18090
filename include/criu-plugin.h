/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plugin interface of criu (plugin API 0.2.0).
 *
 * A plugin is a shared object in the plugin directory (--libdir, else
 * $CRIU_LIBS_DIR, else the built-in default). It exports one descriptor,
 * CR_PLUGIN_DESC, normally made with CR_PLUGIN_REGISTER() or
 * CR_PLUGIN_REGISTER_DUMMY(), and fills its hook table with
 * CR_PLUGIN_REGISTER_HOOK():
 *
 *	static int my_init(int stage) { return 0; }
 *	static void my_exit(int stage, int ret) { }
 *	CR_PLUGIN_REGISTER("example", my_init, my_exit)
 *
 *	static int my_pause(int pid) { ... }
 *	CR_PLUGIN_REGISTER_HOOK(CR_PLUGIN_HOOK__PAUSE_DEVICES, my_pause)
 *
 * A hook returns -ENOTSUP for "not mine": criu then asks the next plugin.
 * The hook numbers below are part of the ABI and never change.
 */
#ifndef __CRIU_PLUGIN_H__
#define __CRIU_PLUGIN_H__

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "criu-log.h"

#define CRIU_PLUGIN_GEN_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + (c))
#define CRIU_PLUGIN_VERSION_MAJOR	 0
#define CRIU_PLUGIN_VERSION_MINOR	 2
#define CRIU_PLUGIN_VERSION_SUBLEVEL	 0

/* Plugins without a descriptor (legacy cr_plugin_* symbols) count as this. */
#define CRIU_PLUGIN_VERSION_OLD CRIU_PLUGIN_GEN_VERSION(0, 1, 0)
#define CRIU_PLUGIN_VERSION                                                                                  \
	CRIU_PLUGIN_GEN_VERSION(CRIU_PLUGIN_VERSION_MAJOR, CRIU_PLUGIN_VERSION_MINOR,                        \
				CRIU_PLUGIN_VERSION_SUBLEVEL)

#ifdef __cplusplus
extern "C" {
#endif

/* Where criu calls into plugins; the index into cr_plugin_desc_t.hooks. */
enum {
	CR_PLUGIN_HOOK__DUMP_UNIX_SK = 0,	 /* external unix socket, dump */
	CR_PLUGIN_HOOK__RESTORE_UNIX_SK = 1,	 /* ... restore: returns the fd */
	CR_PLUGIN_HOOK__DUMP_EXT_FILE = 2,	 /* file of an unknown kind, dump */
	CR_PLUGIN_HOOK__RESTORE_EXT_FILE = 3,	 /* ... restore: returns the fd */
	CR_PLUGIN_HOOK__DUMP_EXT_MOUNT = 4,	 /* mount of an unknown kind, dump */
	CR_PLUGIN_HOOK__RESTORE_EXT_MOUNT = 5,	 /* ... restore */
	CR_PLUGIN_HOOK__DUMP_EXT_LINK = 6,	 /* network link of an unknown kind */
	CR_PLUGIN_HOOK__HANDLE_DEVICE_VMA = 7,	 /* device mapping found in smaps */
	CR_PLUGIN_HOOK__UPDATE_VMA_MAP = 8,	 /* file mapping about to be restored */
	CR_PLUGIN_HOOK__RESUME_DEVICES_LATE = 9, /* restore, per task, before resume */
	CR_PLUGIN_HOOK__PAUSE_DEVICES = 10,	 /* dump, while seizing */
	CR_PLUGIN_HOOK__CHECKPOINT_DEVICES = 11, /* dump, after seizing */
	CR_PLUGIN_HOOK__POST_FORKING = 12,	 /* restore, all tasks forked */
	CR_PLUGIN_HOOK__RESTORE_INIT = 13,	 /* restore, plugins just loaded */
	CR_PLUGIN_HOOK__DUMP_DEVICES_LATE = 14,	 /* dump, late device state */

	CR_PLUGIN_HOOK__MAX = 15
};

/*
 * Declares the callback type of a hook as <hook>_t, e.g.
 * CR_PLUGIN_HOOK__PAUSE_DEVICES_t.
 */
#define DECLARE_PLUGIN_HOOK_ARGS(__hook, ...) typedef int(__hook##_t)(__VA_ARGS__)

DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__DUMP_UNIX_SK, int fd, int id);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__RESTORE_UNIX_SK, int id);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__DUMP_EXT_FILE, int fd, int id);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__RESTORE_EXT_FILE, int id, bool *retry_needed);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__DUMP_EXT_MOUNT, char *mountpoint, int id);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__RESTORE_EXT_MOUNT, int id, char *mountpoint, char *old_root,
			 int *is_file);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__DUMP_EXT_LINK, int index, int type, char *kind);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__HANDLE_DEVICE_VMA, int fd, const struct stat *st);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__UPDATE_VMA_MAP, const char *path, const uint64_t addr,
			 const uint64_t old_pgoff, uint64_t *new_pgoff, int *plugin_fd);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__RESUME_DEVICES_LATE, int pid);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__PAUSE_DEVICES, int pid);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__CHECKPOINT_DEVICES, int pid);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__POST_FORKING, void);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__RESTORE_INIT, void);
DECLARE_PLUGIN_HOOK_ARGS(CR_PLUGIN_HOOK__DUMP_DEVICES_LATE, int id);

/* The job a plugin is initialised (and finished) for. */
enum {
	CR_PLUGIN_STAGE__DUMP = 0,
	CR_PLUGIN_STAGE__PRE_DUMP = 1,
	CR_PLUGIN_STAGE__RESTORE = 2,

	CR_PLUGIN_STAGE_MAX
};

/*
 * What a plugin exports as CR_PLUGIN_DESC. init() returns non-zero to fail
 * the job; exit() gets the job's result. version and max_hooks tell criu
 * which header the plugin was built with.
 */
typedef struct {
	const char *name;
	int (*init)(int stage);
	void (*exit)(int stage, int ret);
	unsigned int version;
	unsigned int max_hooks;
	void *hooks[CR_PLUGIN_HOOK__MAX];
} cr_plugin_desc_t;

extern cr_plugin_desc_t CR_PLUGIN_DESC;

#define CR_PLUGIN_REGISTER(___name, ___init, ___exit)                                                        \
	cr_plugin_desc_t CR_PLUGIN_DESC = {                                                                  \
		.name = ___name,                                                                             \
		.init = ___init,                                                                             \
		.exit = ___exit,                                                                             \
		.version = CRIU_PLUGIN_VERSION,                                                              \
		.max_hooks = CR_PLUGIN_HOOK__MAX,                                                            \
	};

static inline int cr_plugin_dummy_init(int stage)
{
	(void)stage;
	return 0;
}

static inline void cr_plugin_dummy_exit(int stage, int ret)
{
	(void)stage;
	(void)ret;
}

/* A plugin that only provides hooks and needs no set-up. */
#define CR_PLUGIN_REGISTER_DUMMY(___name)                                                                    \
	cr_plugin_desc_t CR_PLUGIN_DESC = {                                                                  \
		.name = ___name,                                                                             \
		.init = cr_plugin_dummy_init,                                                                \
		.exit = cr_plugin_dummy_exit,                                                                \
		.version = CRIU_PLUGIN_VERSION,                                                              \
		.max_hooks = CR_PLUGIN_HOOK__MAX,                                                            \
	};

/* Fills one slot of the hook table when the plugin is loaded. */
#define CR_PLUGIN_REGISTER_HOOK(__hook, __func)                                                              \
	static void __attribute__((constructor)) cr_plugin_register_hook_##__func(void)                      \
	{                                                                                                    \
		CR_PLUGIN_DESC.hooks[__hook] = (void *)__func;                                               \
	}

/* Provided by criu to plugins: an fd of the images directory of the job. */
extern int criu_get_image_dir(void);

/*
 * Legacy plugins: instead of CR_PLUGIN_DESC they export functions named
 * cr_plugin_init, cr_plugin_fini, cr_plugin_dump_unix_sk, ... of these types
 * (and cr_plugin_pause_devices, cr_plugin_checkpoint_devices,
 * cr_plugin_restore_init, cr_plugin_dump_devices_late with the hook types
 * above). Kept for old plugins; new ones use the descriptor. criu calls
 * cr_plugin_init(stage) and cr_plugin_fini(stage, ret) like the
 * descriptor's init and exit, so a plugin may declare those arguments.
 */
typedef int(cr_plugin_init_t)(void);
typedef void(cr_plugin_fini_t)(void);
typedef int(cr_plugin_dump_unix_sk_t)(int fd, int id);
typedef int(cr_plugin_restore_unix_sk_t)(int id);
typedef int(cr_plugin_dump_file_t)(int fd, int id);
typedef int(cr_plugin_restore_file_t)(int id);
typedef int(cr_plugin_dump_ext_mount_t)(char *mountpoint, int id);
typedef int(cr_plugin_restore_ext_mount_t)(int id, char *mountpoint, char *old_root, int *is_file);
typedef int(cr_plugin_dump_ext_link_t)(int index, int type, char *kind);
typedef int(cr_plugin_handle_device_vma_t)(int fd, const struct stat *st);
typedef int(cr_plugin_update_vma_map_t)(const char *path, const uint64_t addr, const uint64_t old_pgoff,
					uint64_t *new_pgoff, int *plugin_fd);
typedef int(cr_plugin_resume_devices_late_t)(int pid);
typedef int(cr_plugin_post_forking_t)(void);

#ifdef __cplusplus
}
#endif

#endif /* __CRIU_PLUGIN_H__ */
