/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Removed objects other than regular files: a directory (an open fd of it,
 * a task's cwd or root), a FIFO, a character device and a symlink (an O_PATH
 * fd of it) held open after their names went. At restore each is made again at its old path (same
 * kind, mode, owner, device number), opened or entered, and its name is
 * removed again, so the task holds a nameless one as before: a removed
 * directory was empty (rmdir wants it so), and a FIFO's buffer is pipes.img's.
 *
 * The path is an image's: its directory is resolved in the tree's root
 * (RESOLVE_IN_ROOT, no magic link); missing directories on the way (removed
 * with it) are made one by one right in their parent, never through a
 * symlink, and removed again afterwards. The node is made with the exact
 * old name so that /proc/PID/cwd reads as before; if that name is taken, a
 * ".criu-ghost.PID" name beside it. Nothing existing is ever opened or
 * removed: only the names made here are, and only while they still are the
 * inode made. Creation runs with criu's current rights: a non-root caller's
 * restore has them dropped (restore_caller.c), so such a caller cannot get a
 * device node it could not make itself (mknod needs CAP_MKNOD) or another
 * owner's object (chown needs CAP_CHOWN).
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "files.h"
#include "log.h"
#include "self_proc.h"

static int openat2_flags(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC), .resolve = resolve};
	int f;

	while (*path == '/')
		path++;
	f = (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)

/* dir's missing components made one by one from root_fd; *ret_fd is dir. */
static int make_parents(struct ghost_node *g, int root_fd, char *dir, int *ret_fd)
{
	_cleanup_close_ int cur = openat2_flags(root_fd, "/", O_PATH | O_DIRECTORY, BENEATH);
	char *save = NULL;

	if (cur < 0)
		return cur;
	for (char *c = strtok_r(dir, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		next = openat2_flags(cur, c, O_PATH | O_DIRECTORY, BENEATH);
		if (next == -ENOENT) {
			if (g->nr_made == GHOST_NODE_MAX_PARENTS || strlen(c) > NAME_MAX)
				return -ENAMETOOLONG;
			if (mkdirat(cur, c, 0700) < 0)
				return -errno;
			g->made_in[g->nr_made] = fcntl(cur, F_DUPFD_CLOEXEC, 0);
			snprintf(g->made[g->nr_made], sizeof(g->made[0]), "%s", c);
			g->nr_made++;
			next = openat2_flags(cur, c, O_PATH | O_DIRECTORY, BENEATH);
		}
		if (next < 0)
			return next;
		close(cur);
		cur = next;
	}
	*ret_fd = TAKE_FD(cur);
	return 0;
}

static int make_node(int dfd, const char *name, const struct ghost_node_spec *s)
{
	mode_t type = s->mode & S_IFMT;

	if (S_ISDIR(type))
		return mkdirat(dfd, name, 0700) < 0 ? -errno : 0;
	if (S_ISLNK(type))
		return symlinkat(s->target, dfd, name) < 0 ? -errno : 0;
	return mknodat(dfd, name, type | 0600, S_ISCHR(type) ? (dev_t)s->rdev : 0) < 0 ? -errno : 0;
}

/* The node right in g->dirfd: its old name, or a name beside it if that one is taken. */
static int make_named(struct ghost_node *g, const char *base, const struct ghost_node_spec *s)
{
	int r;

	snprintf(g->name, sizeof(g->name), "%s", base);
	r = make_node(g->dirfd, g->name, s);
	if (r != -EEXIST)
		return r;
	snprintf(g->name, sizeof(g->name), "%s.criu-ghost.%d", base, getpid());
	return make_node(g->dirfd, g->name, s);
}

/* Owner, then mode (a chown clears set-ID bits), of the node made. */
static int set_owner_mode(int pfd, const struct ghost_node_spec *s)
{
	if (fchownat(pfd, "", s->uid, s->gid, AT_EMPTY_PATH) < 0)
		return -errno;
	if (S_ISLNK(s->mode)) /* a symlink has no mode of its own */
		return 0;
	return self_fd_chmod(pfd, s->mode & 07777);
}

/* Whether path has a "." or ".." component: refused before anything is made. */
static bool has_dots(const char *path)
{
	for (const char *c = path; (c = strchr(c, '/')); c++)
		if (c[1] == '.' && (c[2] == '/' || !c[2] || (c[2] == '.' && (c[3] == '/' || !c[3]))))
			return true;
	return false;
}

static int split_path(const char *path, char **ret_dir, const char **ret_base)
{
	const char *slash = strrchr(path, '/');

	if (path[0] != '/' || !slash || !slash[1] || has_dots(path) || strlen(slash + 1) > NAME_MAX - 24)
		return -EINVAL;
	*ret_dir = strndup(path, (size_t)(slash - path));
	*ret_base = slash + 1;
	return *ret_dir ? 0 : -ENOMEM;
}

static int node_open_dir(struct ghost_node *g, int root_fd, char *dir)
{
	int r = openat2_flags(root_fd, *dir ? dir : "/", O_PATH | O_DIRECTORY,
			      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);

	if (r >= 0) {
		g->dirfd = r;
		return 0;
	}
	if (r != -ENOENT)
		return r;
	return make_parents(g, root_fd, dir, &g->dirfd);
}

int ghost_node_make(int root_fd, const char *path, const struct ghost_node_spec *s, struct ghost_node *g,
		    int *ret_fd)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int pfd = -EBADF;
	const char *base;
	struct stat st;
	int r = split_path(path, &dir, &base);

	*g = (struct ghost_node){.dirfd = -EBADF};
	if (r < 0)
		return r;
	if (!S_ISDIR(s->mode) && !S_ISFIFO(s->mode) && !S_ISCHR(s->mode) && !(S_ISLNK(s->mode) && s->target))
		return -EINVAL;
	r = node_open_dir(g, root_fd, dir);
	if (r == 0)
		r = make_named(g, base, s);
	if (r < 0)
		goto fail;
	g->named = true;
	pfd = openat2_flags(g->dirfd, g->name, O_PATH | O_NOFOLLOW, BENEATH);
	if (pfd < 0 || fstat(pfd, &st) < 0) {
		r = pfd < 0 ? pfd : -errno;
		goto fail;
	}
	g->dev = st.st_dev;
	g->ino = st.st_ino;
	r = set_owner_mode(pfd, s);
	if (r < 0)
		goto fail;
	*ret_fd = TAKE_FD(pfd);
	return 0;
fail:
	ghost_node_remove(g);
	return r;
}

int ghost_node_remove(struct ghost_node *g)
{
	struct stat st;
	int r = 0;

	if (g->named && fstatat(g->dirfd, g->name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == g->dev &&
	    st.st_ino == g->ino && unlinkat(g->dirfd, g->name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
		r = -errno;
	g->named = false;
	if (g->dirfd >= 0)
		close(g->dirfd);
	g->dirfd = -EBADF;
	/* the directories made on the way, innermost first: empty again unless someone used them */
	while (g->nr_made) {
		g->nr_made--;
		if (unlinkat(g->made_in[g->nr_made], g->made[g->nr_made], AT_REMOVEDIR) < 0)
			pr_warn("cannot remove the directory %s made for a removed object: %s\n",
				g->made[g->nr_made], strerror(errno));
		close(g->made_in[g->nr_made]);
	}
	return r;
}
