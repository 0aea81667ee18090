/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fds of kinds the engine does not know, kept by a plugin
 * (CR_PLUGIN_HOOK__DUMP_EXT_FILE / RESTORE_EXT_FILE, docs/plugins.md).
 *
 * files.c offers such an fd here before refusing it: the plugins are asked
 * with our copy of the description and the file id, and the first that
 * answers 0 keeps whatever it needs in its own images. The file_entry only
 * names the plugin. At restore, criu asks the plugins for the id before
 * forking, like every other kind's open, and the task gets the returned
 * description at its original fd number.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files_priv.h"
#include "log.h"
#include "plugins.h"

/* Never chosen by the kind table: files.c offers unknown fds explicitly. */
static bool plugin_match(const struct stat *st, const char *link)
{
	return false;
}

static int plugin_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	int r;

	if (fe->id > INT32_MAX)
		return -ENOTSUP;
	r = plugins_dump_ext_file(a->local, (int)fe->id);
	if (r == -ENOTSUP)
		return r;
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d (%s): plugin %s failed to dump it", a->pid, a->fd, a->link,
				  plugins_last_handler());
	fe->plugin = strdup(plugins_last_handler());
	if (!fe->plugin)
		return -ENOMEM;
	pr_info("pid %d fd %d (%s): file %" PRIu64 " dumped by plugin %s\n", a->pid, a->fd, a->link, fe->id,
		fe->plugin);
	return 0;
}

static int plugin_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int r;

	if (!fe->plugin || fe->id > INT32_MAX)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": a plugin's file without its plugin", fe->id);
	if (!plugins_loaded(fe->plugin))
		return pr_err_ret(-ENOENT, "file %" PRIu64 ": Missing required plugin %s", fe->id, fe->plugin);
	r = plugins_restore_ext_file((int)fe->id);
	if (r == -ENOTSUP)
		return pr_err_ret(-EOPNOTSUPP, "file %" PRIu64 ": no plugin restores it (plugin %s dumped it)",
				  fe->id, fe->plugin);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": plugin %s failed to restore it", fe->id,
				  plugins_last_handler());
	*ret_fd = r;
	return 0;
}

int plugin_files_restore_unix_sk(const FileEntry *fe, int *ret_fd)
{
	int id = (int)fe->unix_sk->ino, r;

	if (!plugins_loaded(fe->plugin))
		return pr_err_ret(-ENOENT, "unix socket %" PRIu64 ": Missing required plugin %s", fe->unix_sk->ino,
				  fe->plugin);
	r = plugins_restore_unix_sk(id);
	if (r == -ENOTSUP)
		return pr_err_ret(-EOPNOTSUPP, "unix socket %" PRIu64 ": no plugin restores it (plugin %s dumped it)",
				  fe->unix_sk->ino, fe->plugin);
	if (r < 0)
		return pr_err_ret(r, "unix socket %" PRIu64 ": plugin %s failed to restore it", fe->unix_sk->ino,
				  plugins_last_handler());
	*ret_fd = r;
	return 0;
}

int plugin_files_dump_unix_sk(FileEntry *fe, int local)
{
	int r = plugins_dump_unix_sk(local, (int)fe->unix_sk->ino);

	if (r == -ENOTSUP)
		return r;
	if (r < 0)
		return pr_err_ret(r, "unix socket %" PRIu64 ": plugin %s failed to dump it", fe->unix_sk->ino,
				  plugins_last_handler());
	fe->plugin = strdup(plugins_last_handler());
	if (!fe->plugin)
		return -ENOMEM;
	pr_info("unix socket %" PRIu64 ": its outside peer %" PRIu64 " is handled by plugin %s\n", fe->unix_sk->ino,
		fe->unix_sk->peer_ino, fe->plugin);
	return 0;
}

const struct fd_ops plugin_fd_ops = {
	.name = "plugin's file",
	.kind = FILE_KIND__FILE_PLUGIN,
	.match = plugin_match,
	.dump = plugin_dump,
	.open = plugin_open,
};
