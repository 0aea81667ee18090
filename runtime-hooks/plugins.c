/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The plugin loader and hook dispatch (plugins.h, docs/plugins.md). */
#define LOG_PREFIX "plugins: "
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "images/inventory.pb-c.h"
#include "log.h"
#include "plugins.h"

#ifndef CR_PLUGIN_DEFAULT
#define CR_PLUGIN_DEFAULT "/usr/lib/criu"
#endif

#define EXPORT __attribute__((visibility("default")))

struct plugin {
	char *name;
	char *path;
	void *handle;
	int (*init)(int stage);
	void (*exit)(int stage, int ret);
	void *hooks[CR_PLUGIN_HOOK__MAX];
	bool inited;
	bool used; /* handled something during a dump: recorded in the inventory */
};

/* The running job's plugins (see plugins.h for why this is process-wide). */
static struct {
	struct plugin *v;
	size_t n;
	int stage;
	int images_dir_fd;
	const char *last; /* the plugin that answered the last hook call */
} ps = { .images_dir_fd = -EBADF };

/* For plugins: the images directory of the job; criu's fd, not to be closed. */
EXPORT int criu_get_image_dir(void)
{
	return ps.images_dir_fd;
}

static const char *const legacy_names[CR_PLUGIN_HOOK__MAX] = {
	[CR_PLUGIN_HOOK__DUMP_UNIX_SK] = "cr_plugin_dump_unix_sk",
	[CR_PLUGIN_HOOK__RESTORE_UNIX_SK] = "cr_plugin_restore_unix_sk",
	[CR_PLUGIN_HOOK__DUMP_EXT_FILE] = "cr_plugin_dump_file",
	[CR_PLUGIN_HOOK__RESTORE_EXT_FILE] = "cr_plugin_restore_file",
	[CR_PLUGIN_HOOK__DUMP_EXT_MOUNT] = "cr_plugin_dump_ext_mount",
	[CR_PLUGIN_HOOK__RESTORE_EXT_MOUNT] = "cr_plugin_restore_ext_mount",
	[CR_PLUGIN_HOOK__DUMP_EXT_LINK] = "cr_plugin_dump_ext_link",
	[CR_PLUGIN_HOOK__HANDLE_DEVICE_VMA] = "cr_plugin_handle_device_vma",
	[CR_PLUGIN_HOOK__UPDATE_VMA_MAP] = "cr_plugin_update_vma_map",
	[CR_PLUGIN_HOOK__RESUME_DEVICES_LATE] = "cr_plugin_resume_devices_late",
	[CR_PLUGIN_HOOK__PAUSE_DEVICES] = "cr_plugin_pause_devices",
	[CR_PLUGIN_HOOK__CHECKPOINT_DEVICES] = "cr_plugin_checkpoint_devices",
	[CR_PLUGIN_HOOK__POST_FORKING] = "cr_plugin_post_forking",
	[CR_PLUGIN_HOOK__RESTORE_INIT] = "cr_plugin_restore_init",
	[CR_PLUGIN_HOOK__DUMP_DEVICES_LATE] = "cr_plugin_dump_devices_late",
};

/* The descriptor form: CR_PLUGIN_DESC, checked against our header. */
static int take_descriptor(struct plugin *p, const cr_plugin_desc_t *d)
{
	if (d->version < CRIU_PLUGIN_VERSION_OLD || d->version > CRIU_PLUGIN_VERSION ||
	    d->max_hooks > CR_PLUGIN_HOOK__MAX)
		return pr_err_ret(-EINVAL,
				  "plugin %s (%s): corrupted plugin: API version %u.%u.%u with %u hooks, "
				  "this criu supports up to %d.%d.%d with %d hooks",
				  d->name ? d->name : "?", p->path, d->version >> 16, (d->version >> 8) & 0xff,
				  d->version & 0xff, d->max_hooks, CRIU_PLUGIN_VERSION_MAJOR, CRIU_PLUGIN_VERSION_MINOR,
				  CRIU_PLUGIN_VERSION_SUBLEVEL, CR_PLUGIN_HOOK__MAX);
	if (d->name && *d->name) {
		free(p->name);
		p->name = strdup(d->name);
		if (!p->name)
			return -ENOMEM;
	}
	p->init = d->init;
	p->exit = d->exit;
	/* a plugin built with an older header has a shorter table */
	for (unsigned int i = 0; i < d->max_hooks; i++)
		p->hooks[i] = d->hooks[i];
	return 0;
}

/* The plain-symbol (legacy) form: cr_plugin_init, cr_plugin_fini, cr_plugin_<hook>. */
static int take_symbols(struct plugin *p)
{
	bool any = false;

	p->init = (int (*)(int))dlsym(p->handle, "cr_plugin_init");
	p->exit = (void (*)(int, int))dlsym(p->handle, "cr_plugin_fini");
	any = p->init || p->exit;
	for (int i = 0; i < CR_PLUGIN_HOOK__MAX; i++) {
		p->hooks[i] = dlsym(p->handle, legacy_names[i]);
		any |= p->hooks[i] != NULL;
	}
	if (!any)
		return pr_err_ret(-EINVAL, "plugin %s: %s has neither CR_PLUGIN_DESC nor any cr_plugin_* function",
				  p->name, p->path);
	return 0;
}

static int load_one(const char *dir, const char *file, struct plugin *p)
{
	const cr_plugin_desc_t *d;
	size_t len = strlen(file);

	memset(p, 0, sizeof(*p));
	p->name = strndup(file, len - 3); /* without ".so" until the descriptor names it */
	if (!p->name || asprintf(&p->path, "%s/%s", dir, file) < 0) {
		p->path = NULL;
		return -ENOMEM;
	}
	p->handle = dlopen(p->path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle)
		return pr_err_ret(-ENOEXEC, "plugin %s: cannot load %s: %s", p->name, p->path, dlerror());
	d = dlsym(p->handle, "CR_PLUGIN_DESC");
	return d ? take_descriptor(p, d) : take_symbols(p);
}

static void unload_one(struct plugin *p)
{
	if (p->handle)
		dlclose(p->handle);
	free(p->name);
	free(p->path);
	memset(p, 0, sizeof(*p));
}

static int is_plugin_file(const struct dirent *de)
{
	size_t len = strlen(de->d_name);

	if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
		return 0;
	return len > 3 && de->d_name[0] != '.' && !strcmp(de->d_name + len - 3, ".so");
}

static int cmp_names(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Where the plugins are: -L, $CRIU_LIBS_DIR, the default (NULL: there is none). */
static const char *plugin_dir(const char *libdir)
{
	const char *env = getenv("CRIU_LIBS_DIR");
	struct stat st;

	if (libdir && *libdir)
		return libdir;
	if (env && *env)
		return env;
	if (stat(CR_PLUGIN_DEFAULT, &st) < 0)
		return NULL;
	return CR_PLUGIN_DEFAULT;
}

static const char *stage_name(int stage)
{
	return stage == CR_PLUGIN_STAGE__DUMP ? "dump" : stage == CR_PLUGIN_STAGE__PRE_DUMP ? "pre-dump" : "restore";
}

static int load_all(const char *dir)
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_plugin_file, cmp_names);
	int r = 0;

	if (n < 0)
		return pr_perror_ret("cannot read the plugin directory %s", dir);
	ps.v = calloc((size_t)n + 1, sizeof(*ps.v));
	if (!ps.v)
		r = -ENOMEM;
	for (int i = 0; r >= 0 && i < n; i++) {
		r = load_one(dir, names[i]->d_name, &ps.v[ps.n]);
		ps.n++;
		for (size_t k = 0; r >= 0 && k + 1 < ps.n; k++)
			if (!strcmp(ps.v[k].name, ps.v[ps.n - 1].name))
				r = pr_err_ret(-EEXIST, "plugin %s: loaded twice (%s and %s)", ps.v[k].name,
					       ps.v[k].path, ps.v[ps.n - 1].path);
		if (r >= 0)
			pr_info("loaded plugin %s (%s)\n", ps.v[ps.n - 1].name, ps.v[ps.n - 1].path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return r;
}

int plugins_init(const char *libdir, int stage, int images_dir_fd)
{
	const char *dir = plugin_dir(libdir);
	int r;

	plugins_fini(0); /* a job that did not clean up */
	ps.stage = stage;
	ps.images_dir_fd = images_dir_fd;
	if (!dir) {
		pr_debug("no plugin directory (%s does not exist)\n", CR_PLUGIN_DEFAULT);
		return 0;
	}
	r = load_all(dir);
	for (size_t i = 0; r >= 0 && i < ps.n; i++) {
		struct plugin *p = &ps.v[i];

		if (p->init) {
			r = p->init(stage);
			if (r != 0) {
				pr_err("plugin %s (%s): init for %s failed (%d)\n", p->name, p->path,
				       stage_name(stage), r);
				r = r < 0 ? r : -ECANCELED;
				break;
			}
		}
		p->inited = true;
	}
	if (r < 0)
		plugins_fini(r);
	return r;
}

void plugins_fini(int ret)
{
	for (size_t i = 0; i < ps.n; i++) {
		if (ps.v[i].inited && ps.v[i].exit)
			ps.v[i].exit(ps.stage, ret);
		ps.v[i].inited = false;
	}
	for (size_t i = ps.n; i-- > 0;)
		unload_one(&ps.v[i]);
	free(ps.v);
	ps.v = NULL;
	ps.n = 0;
	ps.last = NULL;
	ps.images_dir_fd = -EBADF;
}

size_t plugins_count(void)
{
	return ps.n;
}

bool plugins_loaded(const char *name)
{
	for (size_t i = 0; i < ps.n; i++)
		if (!strcmp(ps.v[i].name, name))
			return true;
	return false;
}

bool plugins_have_hook(int hook)
{
	for (size_t i = 0; hook >= 0 && hook < CR_PLUGIN_HOOK__MAX && i < ps.n; i++)
		if (ps.v[i].hooks[hook])
			return true;
	return false;
}

const char *plugins_last_handler(void)
{
	return ps.last;
}

int plugins_fill_inventory(InventoryEntry *inv)
{
	size_t n = 0;

	for (size_t i = 0; i < ps.n; i++)
		n += ps.v[i].used;
	if (!n)
		return 0;
	inv->plugins = calloc(n, sizeof(char *));
	if (!inv->plugins)
		return -ENOMEM;
	for (size_t i = 0; i < ps.n; i++)
		if (ps.v[i].used)
			inv->plugins[inv->n_plugins++] = ps.v[i].name;
	return 0;
}

static int plugins_run_restore_init(void);

int plugins_check_inventory(const InventoryEntry *inv)
{
	int r;

	for (size_t i = 0; i < inv->n_plugins; i++)
		if (!plugins_loaded(inv->plugins[i]))
			return pr_err_ret(-ENOENT,
					  "Missing required plugin %s: the dump used it; give its directory with "
					  "-L/--libdir or $CRIU_LIBS_DIR",
					  inv->plugins[i]);
	r = plugins_run_restore_init();
	return r == -ENOTSUP ? 0 : r;
}

/*
 * Asks the plugins in load order; the first answer other than -ENOTSUP
 * wins. At dump, a plugin that answered (with success) took part.
 */
#define RUN_PLUGINS(HOOK, ...)                                                                     \
	({                                                                                         \
		int __r = -ENOTSUP;                                                                \
		ps.last = NULL;                                                                    \
		for (size_t __i = 0; __i < ps.n; __i++) {                                          \
			CR_PLUGIN_HOOK__##HOOK##_t *__f = ps.v[__i].hooks[CR_PLUGIN_HOOK__##HOOK]; \
			if (!__f)                                                                  \
				continue;                                                          \
			__r = __f(__VA_ARGS__);                                                    \
			if (__r == -ENOTSUP)                                                       \
				continue;                                                          \
			ps.last = ps.v[__i].name;                                                  \
			if (__r >= 0 && ps.stage != CR_PLUGIN_STAGE__RESTORE)                      \
				ps.v[__i].used = true;                                             \
			pr_debug("plugin %s answered " #HOOK ": %d\n", ps.v[__i].name, __r);       \
			break;                                                                     \
		}                                                                                  \
		__r;                                                                               \
	})

static int plugins_run_restore_init(void)
{
	return RUN_PLUGINS(RESTORE_INIT);
}

int plugins_dump_unix_sk(int fd, int id)
{
	return RUN_PLUGINS(DUMP_UNIX_SK, fd, id);
}

int plugins_restore_unix_sk(int id)
{
	return RUN_PLUGINS(RESTORE_UNIX_SK, id);
}

int plugins_dump_ext_file(int fd, int id)
{
	return RUN_PLUGINS(DUMP_EXT_FILE, fd, id);
}

/* Legacy plugins take (int id) only; the extra argument is harmless to them on x86-64. */
int plugins_restore_ext_file(int id)
{
	bool retry = false;
	int r = RUN_PLUGINS(RESTORE_EXT_FILE, id, &retry);

	if (r < 0 && r != -ENOTSUP && retry)
		return pr_err_ret(-EOPNOTSUPP, "plugin %s asks to retry file %d later: not supported yet",
				  ps.last, id);
	return r;
}

int plugins_dump_ext_mount(char *mountpoint, int id)
{
	return RUN_PLUGINS(DUMP_EXT_MOUNT, mountpoint, id);
}

int plugins_restore_ext_mount(int id, char *mountpoint, char *old_root, int *is_file)
{
	return RUN_PLUGINS(RESTORE_EXT_MOUNT, id, mountpoint, old_root, is_file);
}

int plugins_dump_ext_link(int index, int type, char *kind)
{
	return RUN_PLUGINS(DUMP_EXT_LINK, index, type, kind);
}

int plugins_handle_device_vma(int fd, const struct stat *st)
{
	return RUN_PLUGINS(HANDLE_DEVICE_VMA, fd, st);
}

int plugins_update_vma_map(const char *path, uint64_t addr, uint64_t old_pgoff, uint64_t *new_pgoff,
			   int *plugin_fd)
{
	return RUN_PLUGINS(UPDATE_VMA_MAP, path, addr, old_pgoff, new_pgoff, plugin_fd);
}

int plugins_pause_devices(int pid)
{
	return RUN_PLUGINS(PAUSE_DEVICES, pid);
}

int plugins_checkpoint_devices(int pid)
{
	return RUN_PLUGINS(CHECKPOINT_DEVICES, pid);
}

int plugins_dump_devices_late(int pid)
{
	return RUN_PLUGINS(DUMP_DEVICES_LATE, pid);
}

int plugins_resume_devices_late(int pid)
{
	return RUN_PLUGINS(RESUME_DEVICES_LATE, pid);
}

int plugins_post_forking(void)
{
	return RUN_PLUGINS(POST_FORKING);
}
