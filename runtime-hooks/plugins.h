/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plugins (include/criu-plugin.h, docs/plugins.md, PROTOCOL.md §8): shared
 * objects loaded for one dump or restore that handle what the engine cannot
 * (fds of unknown kinds, unix sockets with a peer outside the tree,
 * devices, ...).
 *
 * The loaded set belongs to the running job. It is a process-wide state
 * like the log's, because plugins call back into criu without a context
 * (criu_get_image_dir()); a job loads it with plugins_init() and drops it
 * with plugins_fini(), and jobs never overlap in one process.
 *
 * Every hook call asks the plugins in load order; the first answer other
 * than -ENOTSUP wins and is returned. -ENOTSUP means nobody handled it:
 * the engine then applies its own rule.
 */
#ifndef CR_PLUGINS_H
#define CR_PLUGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "criu-plugin.h"

struct InventoryEntry;

/*
 * Loads every *.so of libdir (else $CRIU_LIBS_DIR, else the installed
 * default, which may be missing) in name order and initialises each for
 * stage (CR_PLUGIN_STAGE__*). images_dir_fd is what criu_get_image_dir()
 * returns to them (not theirs to close). A plugin that does not load, has
 * a bad version or whose init fails refuses the job: -errno, logged with
 * the plugin's name.
 */
int plugins_init(const char *libdir, int stage, int images_dir_fd);
/* Calls every initialised plugin's exit(stage, ret) and unloads them. */
void plugins_fini(int ret);
size_t plugins_count(void);

/*
 * Dump: the names of the plugins that handled something (answered a
 * dump-time hook with something other than -ENOTSUP), for the inventory.
 * The strings live until plugins_fini().
 */
int plugins_fill_inventory(struct InventoryEntry *inv);
/*
 * Restore: every plugin the dump used must be loaded ("Missing required
 * plugin"); then RESTORE_INIT is called.
 */
int plugins_check_inventory(const struct InventoryEntry *inv);
/* Whether a plugin of this name is loaded. */
bool plugins_loaded(const char *name);
/* Whether some loaded plugin has this hook (CR_PLUGIN_HOOK__*): callers skip work no plugin wants. */
bool plugins_have_hook(int hook);
/* The name of the plugin that answered the last hook call, or NULL. */
const char *plugins_last_handler(void);

/* One wrapper per hook (criu-plugin.h): -ENOTSUP when no plugin handled it. */
int plugins_dump_unix_sk(int fd, int id);
int plugins_restore_unix_sk(int id);
int plugins_dump_ext_file(int fd, int id);
int plugins_restore_ext_file(int id);
/* Mounts (ns/mnt.c) and net links (ns/net_rtnl.c). */
int plugins_dump_ext_mount(char *mountpoint, int id);
int plugins_restore_ext_mount(int id, char *mountpoint, char *old_root, int *is_file);
int plugins_dump_ext_link(int index, int type, char *kind);
/* Device mappings (mm_objects.c) and their mapping again at restore (mm_restore.c). */
int plugins_handle_device_vma(int fd, const struct stat *st);
int plugins_update_vma_map(const char *path, uint64_t addr, uint64_t old_pgoff, uint64_t *new_pgoff,
			   int *plugin_fd);
int plugins_pause_devices(int pid);
int plugins_checkpoint_devices(int pid);
int plugins_dump_devices_late(int pid);
int plugins_resume_devices_late(int pid);
int plugins_post_forking(void);

#endif
