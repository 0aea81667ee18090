/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mnt namespace, restore: the mounts of mnt.img made under --root, in a new
 * mount namespace for each of the tree's (mnt.c tells the whole story).
 */
#define LOG_PREFIX "mnt: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "guard.h"
#include "images/mnt.pb-c.h"
#include "log.h"
#include "self_proc.h"
#include "mnt.h"
#include "mnt_priv.h"
#include "plugins.h"
#include "ptmx.h"


/* ---- restore ---- */

struct mnt_restore {
	MntEntry **v;
	size_t n;
	bool *deferred; /* made by the helper in the tree's pid namespace */
	int *clone_fd;	/* external with peers or a master outside: open_tree clone of its source */
	char *root;	/* --root */
	int host_root_fd;
	bool built;
	size_t nr_ns;	  /* the tree's mount namespaces: 0 the root task's, then the others */
	int *ns_fd;	  /* [nr_ns]: each one (ns 0: the one criu made) */
	int *ns_root_fd;  /* [nr_ns]: --root seen in it, where its files' paths resolve */
	MntNsTask **tasks; /* the tasks in namespaces other than 0 */
	size_t nr_tasks;
	size_t cur_ns;	  /* the one criu (or its helper) is in */
	int *mnt_fd;	  /* [n]: each mount as criu made it (O_PATH), even if another hides it later */
};

/*
 * Where an external mount comes from: the path --external maps its key to, or
 * (auto) the path of the dump. A relative path is taken from criu's root: the
 * mounts are made from there, whatever directory criu was started in.
 */
static const char *external_source(const struct cr_opts *o, const MntEntry *e, char *buf, size_t size)
{
	const char *p = mnt_external_key(o, e->external);

	if (!p && e->ext_auto_path && mnt_auto_external(o))
		p = e->ext_auto_path;
	if (!p || p[0] == '/')
		return p;
	snprintf(buf, size, "/%s", p);
	return buf;
}

static const MntEntry *find_id(const struct mnt_restore *m, uint32_t id, size_t before)
{
	for (size_t k = 0; k < before; k++)
		if (m->v[k]->id == id)
			return m->v[k];
	return NULL;
}

/* Absolute, no ".." component, and short enough to put under --root. */
static bool path_sane(const char *p)
{
	size_t len = strlen(p);

	if (p[0] != '/' || len >= PATH_MAX - 256 || strstr(p, "/../"))
		return false;
	return !(len >= 3 && !strcmp(p + len - 3, "/.."));
}

/* Whether path is root or below it ("/a" is within "/", "/a/b" within "/a", "/ab" not). */
static bool root_within(const char *path, const char *root)
{
	size_t n = strlen(root);

	if (!strcmp(root, "/"))
		return true;
	return !strncmp(path, root, n) && (path[n] == '\0' || path[n] == '/');
}

static int check_entries(struct mnt_restore *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const MntEntry *e = m->v[i];
		const MntEntry *src = e->has_bind_of ? find_id(m, e->bind_of, i) : NULL;

		/* each namespace's mounts follow those of the one before, its root first */
		bool first = i == 0 || e->ns != m->v[i - 1]->ns;
		const MntEntry *parent = first ? NULL : find_id(m, e->parent_id, i);

		if ((i == 0 && e->ns) || (i && e->ns != m->v[i - 1]->ns && e->ns != m->v[i - 1]->ns + 1))
			return pr_err_ret(-EBADMSG, "mnt.img: mount %zu (id %u): namespace %u out of order", i + 1,
					  e->id, e->ns);
		if (!path_sane(e->mountpoint) || !path_sane(e->root) || first != (e->parent_id == 0) ||
		    (first && strcmp(e->mountpoint, "/")) || (!first && (!parent || parent->ns != e->ns)) ||
		    (e->has_bind_of && (!src || !root_within(e->root, src->root))) || find_id(m, e->id, i))
			return pr_err_ret(-EBADMSG, "mnt.img: mount %zu (id %u at %s) is malformed", i + 1, e->id,
					  e->mountpoint);
		if (e->flags & ~mnt_dumped_flags_mask())
			return pr_err_ret(-EBADMSG, "mnt.img: mount %u at %s: flags %#x are not mount flags a dump records",
					  e->id, e->mountpoint, e->flags & ~mnt_dumped_flags_mask());
	}
	m->nr_ns = m->n ? m->v[m->n - 1]->ns + 1 : 0;
	return 0;
}

static int openat2_in_root(int rfd, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	int f;

	while (*path == '/')
		path++;
	f = (int)syscall(SYS_openat2, rfd, *path ? path : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/* Makes path exist in the root rfd: each missing component right in its parent, found in the root. */
static int make_in_root(int rfd, const char *path, bool file)
{
	_cleanup_free_ char *p = strdup(path);
	char *slash = NULL;

	if (!p)
		return -ENOMEM;
	for (char *c = p + 1;; c = slash + 1) {
		_cleanup_close_ int parent = -EBADF, here = -EBADF;
		bool last;

		slash = strchr(c, '/');
		last = !slash;
		if (slash)
			*slash = 0;
		here = openat2_in_root(rfd, p, O_PATH);
		if (here == -ENOENT && *c) {
			char *up = strrchr(p, '/');

			*up = 0;
			parent = openat2_in_root(rfd, *p ? p : "/", O_PATH | O_DIRECTORY);
			*up = '/';
			if (parent < 0)
				return parent;
			if (last && file) {
				here = openat(parent, c, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
					      0644);
				if (here < 0)
					return -errno;
			} else if (mkdirat(parent, c, 0755) < 0 && errno != EEXIST) {
				return -errno;
			}
		} else if (here < 0 && here != -ENOENT) {
			return here;
		}
		if (last)
			return 0;
		*slash = '/';
	}
}

/*
 * root + path, resolved inside root with openat2(RESOLVE_IN_ROOT): ".." and
 * the absolute symlinks of the root's own files stop at it, so that neither
 * a mountpoint nor a bind source of mnt.img leads out of it. With create, a
 * missing mountpoint is made (a directory, or an empty file). ret: the path
 * the kernel found, for mount(2).
 */
static int path_in_root(const char *root, const char *path, bool create, bool file, char *ret, size_t size)
{
	_cleanup_close_ int rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), f = -EBADF;
	ssize_t n;
	int r;

	if (rfd < 0)
		return -errno;
	f = openat2_in_root(rfd, path, O_PATH);
	if (f == -ENOENT && create) {
		r = make_in_root(rfd, path, file);
		if (r < 0)
			return r;
		f = openat2_in_root(rfd, path, O_PATH);
	}
	if (f < 0)
		return f;
	n = self_fd_readlink(f, ret, size);
	if (n < 0)
		return (int)n;
	if ((size_t)n == size - 1 || strncmp(ret, root, strlen(root)) ||
	    (ret[strlen(root)] != '/' && ret[strlen(root)] != 0 && strcmp(root, "/")))
		return -EXDEV;
	return 0;
}

static int restore_tmpfs(struct img_dir *d, const MntEntry *e, const char *target)
{
	char *argv[] = { "tar", "--extract", "--numeric-owner", "--same-permissions", TMPFS_TAR_XATTRS, "-f", "-", NULL };
	struct img_reader *rd = NULL;
	ProtobufCMessage *msg;
	/* a tar that dies early makes our writes fail with EPIPE, not kill criu */
	struct sigaction ign = {.sa_handler = SIG_IGN}, old_pipe;
	int p[2], r;
	pid_t tar;

	r = img_open(d, IMG_TMPFS, e->id, &rd);
	if (r < 0)
		return pr_err_ret(r, "tmpfs at %s: its files (tmpfs-%u.img) cannot be read", e->mountpoint, e->id);
	if (pipe2(p, O_CLOEXEC) < 0) {
		img_close(rd);
		return pr_perror_ret("tmpfs at %s: pipe", e->mountpoint);
	}
	tar = mnt_spawn(argv, target, p[0], -1);
	close(p[0]);
	if (tar < 0) {
		close(p[1]);
		img_close(rd);
		return pr_err_ret(tar, "tmpfs at %s: cannot run tar", e->mountpoint);
	}
	sigaction(SIGPIPE, &ign, &old_pipe);
	while ((r = img_read_msg(rd, &blob_chunk__descriptor, &msg)) > 0) {
		BlobChunk *c = (BlobChunk *)msg;
		size_t off = 0;

		while (r > 0 && off < c->data.len) {
			ssize_t k = write(p[1], c->data.data + off, c->data.len - off);

			if (k < 0 && errno != EINTR)
				r = pr_perror_ret("tmpfs at %s: feeding tar", e->mountpoint);
			off += k > 0 ? (size_t)k : 0;
		}
		blob_chunk__free_unpacked(c, NULL);
		if (r < 0)
			break;
	}
	close(p[1]);
	sigaction(SIGPIPE, &old_pipe, NULL);
	img_close(rd);
	if (mnt_wait_ok(tar, "tar extraction") < 0 && r >= 0)
		r = pr_err_ret(-EIO, "tmpfs at %s: tar could not extract its files", e->mountpoint);
	return r < 0 ? r : 0;
}

static int remount_flags(const char *target, uint32_t flags, const MntEntry *e)
{
	unsigned long f = MS_REMOUNT | MS_BIND | flags;

	if (mount(NULL, target, NULL, f, NULL) < 0)
		return pr_perror_ret("mount %u at %s: cannot set its flags %#x", e->id, e->mountpoint, flags);
	return 0;
}

/*
 * A bind of /dev/pts/N of the tree's devpts whose pty no restored task
 * holds (LXC's ttys that nothing had open): the pty is made for the bind
 * and let go after it (*ret_master), so the bind shows a terminal that hung
 * up, as its master (LXC's) is gone. -ENOENT when rel is no pty.
 */
static int make_unheld_pty(const struct mnt_restore *m, const MntEntry *s, const char *rel, int *ret_master)
{
	char ptmx_rel[PATH_MAX], ptmx[PATH_MAX], *end;
	unsigned long n;
	int r;

	if (rel[0] != '/' || rel[1] < '0' || rel[1] > '9')
		return -ENOENT;
	n = strtoul(rel + 1, &end, 10);
	if (*end || n > UINT32_MAX)
		return -ENOENT;
	snprintf(ptmx_rel, sizeof(ptmx_rel), "%s/ptmx", s == m->v[0] ? "" : s->mountpoint);
	r = path_in_root(m->root, ptmx_rel, false, false, ptmx, sizeof(ptmx));
	if (r == 0)
		r = ptmx_open_index(ptmx, (uint32_t)n, O_RDWR, ret_master);
	if (r < 0)
		return pr_err_ret(r, "devpts at %s: cannot make pty %lu", s->mountpoint, n);
	pr_info("devpts at %s: pty %lu is held by no restored task: made for its bind, it hangs up after "
		"it\n",
		s->mountpoint, n);
	return 0;
}

int mnt_options_with_context(const char *options, const char *context, char **ret)
{
	const char *p = options, *val = NULL, *end;

	/* an option of its own, not fscontext=, defcontext= or rootcontext= */
	while (*p && !val) {
		if (!strncmp(p, "context=", 8))
			val = p + 8;
		else if ((p = strchr(p, ',')))
			p++;
		else
			break;
	}
	if (!val) {
		*ret = strdup(options);
		return *ret ? 0 : -ENOMEM;
	}
	/* a quoted value holds commas ("...:s0:c82,c137") */
	end = *val == '"' ? strchr(val + 1, '"') : val;
	if (!end)
		return -EINVAL;
	end = strchr(end, ',');
	if (asprintf(ret, "%.*s\"%s\"%s", (int)(val - options), options, context, end ? end : "") < 0)
		return -ENOMEM;
	return 1;
}

/* Whether the mount at path (criu's view, the topmost there) receives propagation from a master. */
static bool mount_has_master(const char *path)
{
	MntEntry **v = NULL;
	size_t n = 0;
	bool master = false;

	if (mnt_read_mountinfo("/proc/self/mountinfo", false, &v, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i]->mountpoint, path))
			master = v[i]->master_id != 0;
	mnt_entries_free(v, n);
	return master;
}

/* A new mount of its filesystem (not a bind), its tmpfs files put back. */
static int mount_new(const MntEntry *e, const struct cr_opts *o, struct img_dir *d, const char *target)
{
	_cleanup_free_ char *data = NULL;
	int r;
	unsigned long flags = e->flags | (e->sb_ro ? MS_RDONLY : 0);
	bool ro_later = e->has_content && (flags & MS_RDONLY);
	bool newinstance = !strcmp(e->fstype, "devpts") && !strstr(e->options, "newinstance");

	/* a devpts of its own, never the host's */
	if (asprintf(&data, "%s%s%s", e->options, newinstance && *e->options ? "," : "",
		     newinstance ? "newinstance" : "") < 0)
		return -ENOMEM;
	if (o->lsm_mount_context) {
		char *with = NULL;

		r = mnt_options_with_context(data, o->lsm_mount_context, &with);
		if (r < 0)
			return pr_err_ret(r, "mount %u at %s: bad context= in %s", e->id, e->mountpoint,
					  data);
		if (r > 0)
			pr_info("mount %u at %s: context=\"%s\" (--lsm-mount-context)\n", e->id,
				e->mountpoint, o->lsm_mount_context);
		free(data);
		data = with;
	}
	if (ro_later)
		flags &= ~(unsigned long)MS_RDONLY;
	if (mount(e->source, target, e->fstype, flags, data) < 0)
		return pr_perror_ret("mount %u at %s: cannot mount %s (%s)", e->id, e->mountpoint, e->fstype,
				     data);
	if (e->has_content) {
		r = restore_tmpfs(d, e, target);
		if (r < 0)
			return r;
	}
	if (ro_later && e->sb_ro && mount(NULL, target, NULL, MS_REMOUNT | MS_RDONLY, data) < 0)
		return pr_perror_ret("mount %u at %s: cannot make it read-only", e->id, e->mountpoint);
	if (ro_later)
		return remount_flags(target, e->flags, e);
	return 0;
}

/* Where bind e (v[i]) takes its source: root + the source's mountpoint + the part of it e shows. */
static int bind_source_path(const struct mnt_restore *m, size_t i, char *source, size_t size, int *pty_master)
{
	const MntEntry *e = m->v[i], *s = find_id(m, e->bind_of, i);
	const char *rel = e->root + (strcmp(s->root, "/") ? strlen(s->root) : 0);
	char in_root[PATH_MAX];
	int r;

	/* a namespace's root is --root itself */
	snprintf(in_root, sizeof(in_root), "%s%s", s->parent_id == 0 ? "" : s->mountpoint, rel);
	r = path_in_root(m->root, *in_root ? in_root : "/", false, false, source, size);
	if (r == -ENOENT && !strcmp(s->fstype, "devpts") && make_unheld_pty(m, s, rel, pty_master) == 0)
		r = path_in_root(m->root, in_root, false, false, source, size);
	if (r < 0)
		return pr_err_ret(r, "mount %u at %s: its source %s is not in --root %s", e->id, e->mountpoint,
				  in_root, m->root);
	return 0;
}

/* openat2 of root (a path on the filesystem of v[k]) on mount v[k] alone, crossing no other mount. */
static int open_on_mount(const struct mnt_restore *m, size_t k, const char *root)
{
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
	const char *rel = root + (strcmp(m->v[k]->root, "/") ? strlen(m->v[k]->root) : 0);
	int f;

	while (*rel == '/')
		rel++;
	/* its whole root (a file's bind too) */
	if (!*rel)
		f = fcntl(m->mnt_fd[k], F_DUPFD_CLOEXEC, 0);
	else
		f = (int)syscall(SYS_openat2, m->mnt_fd[k], rel, &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/*
 * For bind v[i]: a copy (open_tree) of what it shows, taken through the fd
 * of a mount made before it of the same filesystem, never by a path another
 * mount could cover (a mount moved over its source, one of another
 * namespace): its root is looked up on that mount alone, the one with the
 * longest root first (the others may have mounts over the way). -ENOENT if
 * none has it (a mount of the helper, a plugin's, a pty made later): by
 * path then.
 */
static int bind_clone(const struct mnt_restore *m, size_t i)
{
	const MntEntry *e = m->v[i];
	_cleanup_free_ size_t *cand = calloc(i + 1, sizeof(*cand));
	_cleanup_close_ int f = -ENOENT;
	size_t nc = 0, k = 0;

	if (!cand)
		return -ENOMEM;
	/* the candidates, longest root first (insertion: tree order among equals) */
	for (size_t c = 0; c < i; c++) {
		const MntEntry *s = m->v[c];
		size_t at = nc;

		/* open_tree copies mounts of the caller's namespace only */
		if (m->mnt_fd[c] < 0 || s->ns != m->cur_ns || s->dev != e->dev || s->external ||
		    !root_within(e->root, s->root))
			continue;
		while (at > 0 && strlen(m->v[cand[at - 1]]->root) < strlen(s->root)) {
			cand[at] = cand[at - 1];
			at--;
		}
		cand[at] = c;
		nc++;
	}
	for (k = 0; k < nc; k++) {
		f = open_on_mount(m, cand[k], e->root);
		if (f >= 0 || (f != -ENOENT && f != -EXDEV && f != -ENOTDIR))
			break;
	}
	if (f == -ENOENT || f == -EXDEV || f == -ENOTDIR)
		return -ENOENT;
	if (f < 0)
		return pr_err_ret(f, "mount %u at %s: cannot find its root %s on mount %u", e->id, e->mountpoint,
				  e->root, m->v[cand[k]]->id);
	m->clone_fd[i] = (int)syscall(SYS_open_tree, f, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (m->clone_fd[i] < 0)
		return pr_perror_ret("mount %u at %s: cannot copy %s of mount %u", e->id, e->mountpoint, e->root,
				     m->v[cand[k]]->id);
	pr_debug("mount %u at %s: its root %s found on mount %u at %s\n", e->id, e->mountpoint, e->root,
		 m->v[cand[k]]->id, m->v[cand[k]]->mountpoint);
	return 0;
}

/* Whether v[i] is a bind of a mount of another of the tree's mount namespaces. */
static bool cross_ns_bind(const struct mnt_restore *m, size_t i)
{
	const MntEntry *e = m->v[i];

	return !e->external && e->has_bind_of && find_id(m, e->bind_of, i)->ns != e->ns;
}

/* Into the tree's mount namespace k (criu, or its helper); its root and cwd become that namespace's. */
static int enter_ns(struct mnt_restore *m, size_t k)
{
	if (m->cur_ns == k)
		return 0;
	if (setns(m->ns_fd[k], CLONE_NEWNS) < 0)
		return pr_perror_ret("cannot enter the tree's mount namespace %zu", k);
	m->cur_ns = k;
	return 0;
}

/* For a bind across namespaces: a copy (open_tree) of its source, taken in the source's namespace. */
static int take_cross_ns_source(struct mnt_restore *m, size_t i)
{
	const MntEntry *e = m->v[i];
	char source[PATH_MAX];
	_cleanup_close_ int pty_master = -EBADF;
	int r = enter_ns(m, find_id(m, e->bind_of, i)->ns);

	if (r == 0)
		r = bind_clone(m, i);
	if (r != -ENOENT)
		return r;
	r = bind_source_path(m, i, source, sizeof(source), &pty_master);
	if (r < 0)
		return r;
	m->clone_fd[i] = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (m->clone_fd[i] < 0)
		return pr_perror_ret("mount %u at %s (namespace %u): cannot copy its source %s", e->id,
				     e->mountpoint, e->ns, source);
	return 0;
}

/*
 * Where v[i] is attached: its mountpoint looked up on its parent mount alone
 * (O_PATH), which may be covered by now (a mount moved over it at dump);
 * -ENOENT if the parent has no fd (the root, a mount of the helper).
 */
static int attach_point(const struct mnt_restore *m, size_t i)
{
	const MntEntry *e = m->v[i];
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS};
	const char *rel;
	size_t k;
	int f;

	if (!e->parent_id)
		return -ENOENT;
	for (k = 0; k < i && m->v[k]->id != e->parent_id; k++)
		;
	if (k == i || m->mnt_fd[k] < 0)
		return -ENOENT;
	rel = e->mountpoint + (strcmp(m->v[k]->mountpoint, "/") ? strlen(m->v[k]->mountpoint) : 0);
	while (*rel == '/')
		rel++;
	f = (int)syscall(SYS_openat2, m->mnt_fd[k], *rel ? rel : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}

/*
 * Makes v[i]'s mountpoint on its parent mount alone: each missing component
 * right there (a directory; the last an empty file if file). -ENOENT if the
 * parent has no fd; -EXDEV if another mount is on the way.
 */
static int make_on_parent(const struct mnt_restore *m, size_t i, bool file)
{
	const MntEntry *e = m->v[i];
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS};
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int dir = -EBADF;
	char *save = NULL;
	size_t k;

	if (!e->parent_id)
		return -ENOENT;
	for (k = 0; k < i && m->v[k]->id != e->parent_id; k++)
		;
	if (k == i || m->mnt_fd[k] < 0)
		return -ENOENT;
	rel = strdup(e->mountpoint + (strcmp(m->v[k]->mountpoint, "/") ? strlen(m->v[k]->mountpoint) : 0));
	dir = fcntl(m->mnt_fd[k], F_DUPFD_CLOEXEC, 0);
	if (!rel || dir < 0)
		return -ENOMEM;
	for (char *c = strtok_r(rel, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		bool last = !save || !*save;
		int next;

		if (last && file) {
			next = openat(dir, c, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (next < 0)
				return -errno;
			close(next);
			return 0;
		}
		if (mkdirat(dir, c, 0755) < 0 && errno != EEXIST)
			return -errno;
		next = (int)syscall(SYS_openat2, dir, c, &how, sizeof(how));
		if (next < 0)
			return -errno;
		close(dir);
		dir = next;
	}
	return 0;
}

/* Whether fd and path are the same file on the same mount. */
static bool same_place(int fd, const char *path)
{
	struct statx a, b;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &a) < 0 ||
	    statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_MNT_ID, &b) < 0)
		return true; /* the path is used as before */
	return a.stx_ino == b.stx_ino && a.stx_dev_major == b.stx_dev_major && a.stx_dev_minor == b.stx_dev_minor &&
	       a.stx_mnt_id == b.stx_mnt_id;
}

/* "/proc/self/fd/N": for the calls that take a path, the mount fd is on (its root). */
static const char *fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

/* Sets fsconfig's options from a mount(2) options string (commas; a quoted value may hold some). */
static int fs_set_options(int fsfd, const char *options)
{
	_cleanup_free_ char *copy = strdup(options);
	char *p = copy;

	if (!copy)
		return -ENOMEM;
	while (p && *p) {
		char *o = p, *eq, *q = p;
		bool quoted = false;

		for (; *q && (quoted || *q != ','); q++)
			quoted ^= *q == '"';
		p = *q ? q + 1 : NULL;
		*q = 0;
		if (!*o)
			continue;
		eq = strchr(o, '=');
		if (eq)
			*eq = 0;
		if (syscall(SYS_fsconfig, fsfd, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL,
			    0) < 0)
			return -errno;
	}
	return 0;
}

static uint64_t mount_attrs(uint32_t flags)
{
	uint64_t a = 0;

	a |= flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0;
	a |= flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0;
	a |= flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0;
	a |= flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0;
	a |= flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0;
	a |= flags & MS_NOATIME ? MOUNT_ATTR_NOATIME : flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME : 0;
	return a;
}

/* A detached new mount of e's filesystem (fsopen, fsmount), read-write if its files come after. */
static int fs_new(const MntEntry *e, int *ret)
{
	_cleanup_close_ int fsfd = (int)syscall(SYS_fsopen, e->fstype, FSOPEN_CLOEXEC);
	bool ro_later = e->has_content && e->sb_ro;
	int r = fsfd < 0 ? -errno : 0, mfd;

	if (r == 0 && e->source && *e->source &&
	    syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_STRING, "source", e->source, 0) < 0)
		r = -errno;
	if (r == 0)
		r = fs_set_options(fsfd, e->options ? e->options : "");
	if (r == 0 && !strcmp(e->fstype, "devpts") && !strstr(e->options, "newinstance") &&
	    syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_FLAG, "newinstance", NULL, 0) < 0)
		r = -errno;
	if (r == 0 && e->sb_ro && !ro_later && syscall(SYS_fsconfig, fsfd, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
		r = -errno;
	if (r == 0 && syscall(SYS_fsconfig, fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		r = -errno;
	if (r < 0)
		return pr_err_ret(r, "mount %u at %s: cannot make a %s (%s)", e->id, e->mountpoint, e->fstype,
				  e->options);
	mfd = (int)syscall(SYS_fsmount, fsfd, FSMOUNT_CLOEXEC,
			   mount_attrs(e->has_content ? e->flags & ~(uint32_t)MS_RDONLY : e->flags));
	if (mfd < 0)
		return pr_perror_ret("mount %u at %s: fsmount of its %s", e->id, e->mountpoint, e->fstype);
	*ret = mfd;
	return 0;
}

/*
 * v[i] whose parent mount is covered by another by now (at fd at): made
 * detached (a copy of its source, or a new mount), attached at at, and set
 * through its own fd, which m->mnt_fd keeps: no path reaches it any more.
 */
static int make_hidden(const struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t i, int at,
		       const char *source)
{
	const MntEntry *e = m->v[i];
	_cleanup_close_ int mfd = -EBADF;
	char path[64];
	int r = 0;

	if (e->external || e->plugin || o->lsm_mount_context)
		return pr_err_ret(-EOPNOTSUPP, "mount %u at %s: not supported yet: an external mount, a plugin's or "
					       "one with --lsm-mount-context, under a mount covered by another",
				  e->id, e->mountpoint);
	if (m->clone_fd[i] >= 0)
		mfd = fcntl(m->clone_fd[i], F_DUPFD_CLOEXEC, 0);
	else if (source[0])
		mfd = (int)syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	else
		r = fs_new(e, &mfd);
	if (r < 0)
		return r;
	if (mfd < 0)
		return pr_perror_ret("mount %u at %s: cannot copy %s", e->id, e->mountpoint, source);
	if (syscall(SYS_move_mount, mfd, "", at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pr_perror_ret("mount %u at %s: cannot attach it under the mount that covers its parent", e->id,
				     e->mountpoint);
	fd_path(mfd, path, sizeof(path));
	if (e->has_content) {
		r = restore_tmpfs(d, e, path);
		if (r == 0 && e->sb_ro && mount(NULL, path, NULL, MS_REMOUNT | MS_RDONLY, e->options) < 0)
			r = pr_perror_ret("mount %u at %s: cannot make it read-only", e->id, e->mountpoint);
	}
	if (r == 0 && (source[0] || e->has_content))
		r = remount_flags(path, e->flags, e);
	if (r < 0)
		return r;
	pr_info("mount %u at %s: made under the mount that covers its parent\n", e->id, e->mountpoint);
	m->mnt_fd[i] = TAKE_FD(mfd);
	return 0;
}

/* One mount at root + its mountpoint; criu or the helper, both at the host's root. */
/*
 * What v[i] is made from: source (a path, or a description of the copy in
 * clone_fd[i]; empty for a new mount) and whether it is a file.
 */
static int mount_source(const struct mnt_restore *m, const struct cr_opts *o, size_t i, char *source, size_t size,
			bool *is_file, int *pty_master)
{
	const MntEntry *e = m->v[i];
	struct stat st;
	int r;

	source[0] = 0;
	if (e->external) {
		/* mnt_restore_prepare() refused a key without a path */
		char ext_path[PATH_MAX];

		snprintf(source, size, "%s", external_source(o, e, ext_path, sizeof(ext_path)));
		*is_file = stat(source, &st) == 0 && !S_ISDIR(st.st_mode);
		return 0;
	}
	if (!e->has_bind_of)
		return 0;
	/* a copy of the part of its source it shows (or one take_cross_ns_source took) */
	r = m->clone_fd[i] >= 0 ? 0 : bind_clone(m, i);
	/* a bind onto itself shows its own mountpoint: made first */
	if (r == -ENOENT && make_on_parent(m, i, false) == 0)
		r = bind_clone(m, i);
	if (r < 0 && r != -ENOENT)
		return r;
	if (m->clone_fd[i] >= 0) {
		snprintf(source, size, "%s of mount %u", e->root, e->bind_of);
		*is_file = fstat(m->clone_fd[i], &st) == 0 && !S_ISDIR(st.st_mode);
		return 0;
	}
	r = bind_source_path(m, i, source, size, pty_master);
	if (r == 0)
		*is_file = stat(source, &st) == 0 && !S_ISDIR(st.st_mode);
	return r;
}

/*
 * Attaches the copy in clone_fd[i] at target. External: a copy of the source
 * taken in criu's namespace keeps the source's peers and master; else one of
 * another mount of the tree.
 */
static int attach_copy(const struct mnt_restore *m, size_t i, const char *target, const char *source)
{
	const MntEntry *e = m->v[i];

	if (syscall(SYS_move_mount, m->clone_fd[i], "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return pr_perror_ret("mount %u at %s: cannot attach the copy of %s", e->id, e->mountpoint, source);
	/* the copy is the mount now (its path may not lead to it: a removed root's reads "(deleted)") */
	m->mnt_fd[i] = fcntl(m->clone_fd[i], F_DUPFD_CLOEXEC, 0);
	if (m->mnt_fd[i] < 0)
		return pr_perror_ret("mount %u at %s: cannot keep its fd", e->id, e->mountpoint);
	if (!e->external) {
		pr_info("mount %u at %s (namespace %u): a bind of %s\n", e->id, e->mountpoint, e->ns, source);
		return remount_flags(target, e->flags, e);
	}
	if (e->ext_master && mount(NULL, target, NULL, MS_SLAVE, NULL) < 0)
		return pr_perror_ret("mount %u at %s: cannot make it a slave of %s's peers", e->id, e->mountpoint,
				     source);
	if (e->ext_master && !mount_has_master(target))
		return pr_err_ret(-EINVAL,
				  "mount %u at %s was a slave of a peer group outside the tree, but its source %s is in "
				  "no peer group here: it would be private",
				  e->id, e->mountpoint, source);
	pr_info("mount %u at %s: %s%s%s\n", e->id, e->mountpoint, source, e->ext_peers ? ", a peer of its mount" : "",
		e->ext_master ? ", a slave of its mount" : "");
	return remount_flags(target, e->flags, e);
}

static int make_mount_at(const struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t i)
{
	const MntEntry *e = m->v[i];
	char target[PATH_MAX], source[PATH_MAX];
	_cleanup_close_ int pty_master = -EBADF, at = -EBADF;
	bool is_file = false;
	int r;

	snprintf(target, sizeof(target), "%s%s", m->root, e->mountpoint);
	if (e->plugin) {
		int plugin_file = 0;

		r = plugins_restore_ext_mount((int)e->id, target, (char *)"/", &plugin_file);
		if (r == -ENOTSUP)
			return pr_err_ret(-ENOTSUP, "mount %u at %s: no plugin restores it (a plugin took it at dump)",
					  e->id, e->mountpoint);
		if (r < 0)
			return pr_err_ret(r, "mount %u at %s: plugin %s failed", e->id, e->mountpoint,
					  plugins_last_handler());
		pr_info("mount %u at %s: made by plugin %s\n", e->id, e->mountpoint, plugins_last_handler());
		return 0;
	}
	r = mount_source(m, o, i, source, sizeof(source), &is_file, &pty_master);
	if (r < 0)
		return r;
	/* the mountpoint is made on the parent mount, not on one that covers it */
	at = attach_point(m, i);
	if (at == -ENOENT && make_on_parent(m, i, is_file) == 0)
		at = attach_point(m, i);
	r = path_in_root(m->root, e->mountpoint, at < 0, is_file, target, sizeof(target));
	if (at >= 0 && (r < 0 || !same_place(at, target)))
		return make_hidden(m, o, d, i, at, source);
	if (r < 0)
		return pr_err_ret(r, "mount %u: cannot make its mountpoint %s in --root %s", e->id, e->mountpoint,
				  m->root);
	if (m->clone_fd[i] >= 0)
		return attach_copy(m, i, target, source);
	if (source[0]) {
		if (mount(source, target, NULL, MS_BIND, NULL) < 0)
			return pr_perror_ret("mount %u at %s: cannot bind %s", e->id, e->mountpoint, source);
		return remount_flags(target, e->flags, e);
	}
	return mount_new(e, o, d, target);
}

/* mnt-tasks.img: which task is in which of the tree's other mount namespaces. */
static int read_ns_tasks(struct mnt_restore *m, struct img_dir *d)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *msg;
	int r = img_open(d, IMG_MNTNS_TASKS, 0, &rd);

	if (r == -ENOENT)
		return pr_err_ret(-EBADMSG, "mnt.img has %zu mount namespaces, but mnt-tasks.img is missing",
				  m->nr_ns);
	while (r >= 0 && (r = img_read_msg(rd, &mnt_ns_task__descriptor, &msg)) > 0) {
		MntNsTask *t = (MntNsTask *)msg, **nv = realloc(m->tasks, (m->nr_tasks + 1) * sizeof(*nv));

		if (!nv || t->ns == 0 || t->ns >= m->nr_ns) {
			r = nv ? pr_err_ret(-EBADMSG, "mnt-tasks.img: task %" PRIu64 " in mount namespace %u of %zu",
					    t->task_id, t->ns, m->nr_ns)
			       : -ENOMEM;
			mnt_ns_task__free_unpacked(t, NULL);
			if (nv)
				m->tasks = nv;
			break;
		}
		m->tasks = nv;
		m->tasks[m->nr_tasks++] = t;
	}
	if (rd)
		img_close(rd);
	return r < 0 ? r : 0;
}

/*
 * A bind of a removed directory or file: made again on its source mount
 * (mode, owner, contents), for the bind; *ret_dir and name say where, for
 * the caller to remove it once the bind exists.
 */
static int make_deleted_root(const struct mnt_restore *m, size_t i, int *ret_dir, char *name, size_t size)
{
	const MntEntry *e = m->v[i];
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS};
	_cleanup_free_ char *rel = NULL;
	_cleanup_close_ int dir = -EBADF, f = -EBADF;
	const char *slash;
	size_t k;

	for (k = 0; k < i && m->v[k]->id != e->bind_of; k++)
		;
	if (k == i || m->mnt_fd[k] < 0 || !e->has_root_mode)
		return pr_err_ret(-EOPNOTSUPP, "mount %u at %s: not supported yet: a bind of removed %s from mount %u",
				  e->id, e->mountpoint, e->root, e->bind_of);
	/* the dump never records one: a set-ID file from an image would hand its owner's rights out */
	if (e->root_mode & (S_ISUID | S_ISGID) || (!S_ISDIR(e->root_mode) && !S_ISREG(e->root_mode)))
		return pr_err_ret(-EBADMSG, "mnt.img: mount %u at %s: removed root %s of mode %o", e->id,
				  e->mountpoint, e->root, e->root_mode);
	rel = strdup(e->root + (strcmp(m->v[k]->root, "/") ? strlen(m->v[k]->root) : 0));
	if (!rel)
		return -ENOMEM;
	slash = strrchr(rel, '/');
	if (!slash || !slash[1] || strlen(slash + 1) >= size)
		return pr_err_ret(-EBADMSG, "mnt.img: mount %u: removed root %s", e->id, e->root);
	snprintf(name, size, "%s", slash + 1);
	rel[slash - rel] = 0;
	dir = (int)syscall(SYS_openat2, m->mnt_fd[k], *rel ? rel + 1 : ".", &how, sizeof(how));
	if (dir < 0)
		return pr_perror_ret("mount %u at %s: cannot open the directory of removed %s", e->id, e->mountpoint,
				     e->root);
	if (S_ISDIR(e->root_mode)) {
		if (mkdirat(dir, name, 0700) < 0)
			return pr_perror_ret("mount %u at %s: cannot make removed %s again", e->id, e->mountpoint,
					     e->root);
		f = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	} else {
		f = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	*ret_dir = TAKE_FD(dir);
	if (f < 0)
		return pr_perror_ret("mount %u at %s: cannot make removed %s again", e->id, e->mountpoint, e->root);
	if ((e->has_root_data && write(f, e->root_data.data, e->root_data.len) != (ssize_t)e->root_data.len) ||
	    fchown(f, e->root_uid, e->root_gid) < 0 || fchmod(f, e->root_mode & 07777) < 0)
		return pr_perror_ret("mount %u at %s: cannot fill removed %s again", e->id, e->mountpoint, e->root);
	return 0;
}

/* make_mount_at(); a removed root is made for the bind and removed again after it. */
static int make_mount(const struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t i)
{
	const MntEntry *e = m->v[i];
	_cleanup_close_ int dir = -EBADF;
	char name[NAME_MAX + 1];
	int r = 0;

	if (e->root_deleted)
		r = make_deleted_root(m, i, &dir, name, sizeof(name));
	if (r == 0)
		r = make_mount_at(m, o, d, i);
	if (dir >= 0 && unlinkat(dir, name, S_ISDIR(e->root_mode) ? AT_REMOVEDIR : 0) < 0 && r == 0)
		r = pr_perror_ret("mount %u at %s: cannot remove %s again", e->id, e->mountpoint, e->root);
	return r;
}

/*
 * make_mount(), then an fd of the new mount: its propagation is set through
 * it (restore_propagation), so a mount made over it later does not hide it.
 */
static int mount_one(const struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t i)
{
	_cleanup_close_ int rfd = -EBADF;
	int r = make_mount(m, o, d, i);

	/* make_hidden() and attach_copy() keep their own */
	if (r < 0 || m->v[i]->plugin || m->mnt_fd[i] >= 0)
		return r;
	/* looked up, not named: a path of it may read "(deleted)" (a pty that hung up, a removed root) */
	rfd = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = rfd < 0 ? -errno : openat2_in_root(rfd, m->v[i]->mountpoint, O_PATH);
	if (r >= 0)
		m->mnt_fd[i] = r;
	if (r < 0)
		return pr_err_ret(r, "mount %u at %s: cannot open it once made", m->v[i]->id, m->v[i]->mountpoint);
	return 0;
}

int mnt_restore_prepare(struct img_dir *d, const struct cr_opts *o, struct mnt_restore **ret)
{
	struct mnt_restore *m = calloc(1, sizeof(*m));
	struct img_reader *rd = NULL;
	ProtobufCMessage *msg;
	int r;

	if (!m)
		return -ENOMEM;
	m->host_root_fd = -EBADF;
	r = img_open(d, IMG_MNTNS, 0, &rd);
	if (r == -ENOENT)
		r = pr_err_ret(-EBADMSG, "the tree had its own mount namespace, but mnt.img is missing");
	while (r >= 0 && (r = img_read_msg(rd, &mnt_entry__descriptor, &msg)) > 0) {
		MntEntry **nv = realloc(m->v, (m->n + 1) * sizeof(*nv));

		if (!nv) {
			mnt_entry__free_unpacked((MntEntry *)msg, NULL);
			r = -ENOMEM;
			break;
		}
		m->v = nv;
		m->v[m->n++] = (MntEntry *)msg;
	}
	if (rd)
		img_close(rd);
	if (r >= 0 && !m->n)
		r = pr_err_ret(-EBADMSG, "mnt.img: no mounts");
	if (r >= 0)
		r = check_entries(m);
	if (r >= 0 && !o->root)
		r = pr_err_ret(-EINVAL, "the tree had its own mount namespace: --root PATH (the root filesystem to "
					"restore it on) is needed");
	if (r >= 0) {
		m->root = realpath(o->root, NULL);
		if (!m->root)
			r = pr_perror_ret("--root %s", o->root);
	}
	if (r >= 0) {
		m->deferred = calloc(m->n, sizeof(bool));
		m->clone_fd = calloc(m->n, sizeof(int));
		m->ns_fd = calloc(m->nr_ns, sizeof(int));
		m->ns_root_fd = calloc(m->nr_ns, sizeof(int));
		m->mnt_fd = calloc(m->n, sizeof(int));
		if (!m->deferred || !m->clone_fd || !m->ns_fd || !m->ns_root_fd || !m->mnt_fd)
			r = -ENOMEM;
		for (size_t i = 0; m->clone_fd && m->mnt_fd && i < m->n; i++)
			m->clone_fd[i] = m->mnt_fd[i] = -EBADF;
		for (size_t k = 0; m->ns_fd && m->ns_root_fd && k < m->nr_ns; k++)
			m->ns_fd[k] = m->ns_root_fd[k] = -EBADF;
	}
	if (r >= 0 && m->nr_ns > 1)
		r = read_ns_tasks(m, d);
	for (size_t i = 1; r >= 0 && i < m->n; i++) {
		const MntEntry *e = m->v[i];
		const MntEntry *p = find_id(m, e->parent_id, i), *s = e->has_bind_of ? find_id(m, e->bind_of, i) : NULL;
		char ext_path[PATH_MAX];

		for (size_t k = 0; k < i; k++)
			if ((m->v[k] == p || m->v[k] == s) && m->deferred[k])
				m->deferred[i] = true;
		m->deferred[i] |= !e->external && !e->has_bind_of && !strcmp(e->fstype, "proc");
		/* a pty (runc's /dev/console): it exists once the files are open */
		m->deferred[i] |= s && !strcmp(s->fstype, "devpts") && strcmp(e->root, s->root);
		if (e->external && !external_source(o, e, ext_path, sizeof(ext_path)))
			r = pr_err_ret(-ENOENT,
				       "mount at %s was external (key %s): --external mnt[%s]:PATH (or --ext-mount-map "
				       "%s:PATH) is needed",
				       e->mountpoint, e->external, e->external, e->external);
		if (r >= 0 && e->external && (e->ext_peers || e->ext_master)) {
			const char *p = external_source(o, e, ext_path, sizeof(ext_path));

			/* still in criu's namespace: the copy is a peer (or slave) of what p lies on */
			m->clone_fd[i] = (int)syscall(SYS_open_tree, AT_FDCWD, p, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
			if (m->clone_fd[i] < 0)
				r = pr_perror_ret("mount at %s (external, key %s): cannot copy %s", e->mountpoint,
						  e->external, p);
		}
	}
	if (r < 0) {
		mnt_restore_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

/*
 * The tree's mount namespace k > 0: a copy of namespace 0, made private, in
 * which --root is covered by k's own root and mounts. Its binds of mounts of
 * other namespaces are copies (open_tree) taken there first. It is pivoted
 * into once the deferred mounts are made (mnt_restore_finish).
 */
static int build_other_ns(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d, size_t k)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n; i++)
		if (m->v[i]->ns == k && !m->deferred[i] && cross_ns_bind(m, i))
			r = take_cross_ns_source(m, i);
	if (r == 0)
		r = enter_ns(m, 0);
	if (r < 0)
		return r;
	if (unshare(CLONE_NEWNS) < 0)
		return pr_perror_ret("cannot create the tree's mount namespace %zu", k);
	/* what is mounted here must not show in namespace 0 */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pr_perror_ret("cannot make mount namespace %zu private", k);
	m->ns_fd[k] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (m->ns_fd[k] < 0)
		return pr_perror_ret("cannot open mount namespace %zu", k);
	m->cur_ns = k;
	for (size_t i = 0; r == 0 && i < m->n; i++)
		if (m->v[i]->ns == k && !m->deferred[i])
			r = mount_one(m, o, d, i);
	if (r < 0)
		return r;
	m->ns_root_fd[k] = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->ns_root_fd[k] < 0)
		return pr_perror_ret("mount namespace %zu: cannot open its root %s", k, m->root);
	pr_info("mount namespace %zu of the tree made under %s\n", k, m->root);
	return 0;
}

int mnt_restore_build(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d)
{
	int r = 0;

	if (unshare(CLONE_NEWNS) < 0)
		return pr_perror_ret("cannot create a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pr_perror_ret("cannot make the new mount namespace private");
	/* the new namespace's copy of our root: where the helper and the pivot start from */
	m->host_root_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->host_root_fd < 0)
		return pr_perror_ret("cannot open /");
	/* the root must be a mount of its own to become the namespace's root */
	if (mount(m->root, m->root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return pr_perror_ret("--root %s: cannot bind it onto itself", m->root);
	m->ns_fd[0] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (m->ns_fd[0] < 0)
		return pr_perror_ret("cannot open the new mount namespace");
	m->mnt_fd[0] = open(m->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (m->mnt_fd[0] < 0)
		return pr_perror_ret("cannot open --root %s", m->root);
	for (size_t i = 1; r == 0 && i < m->n && m->v[i]->ns == 0; i++)
		if (!m->deferred[i])
			r = mount_one(m, o, d, i);
	for (size_t k = 1; r == 0 && k < m->nr_ns; k++)
		r = build_other_ns(m, o, d, k);
	if (r == 0)
		r = enter_ns(m, 0);
	if (r < 0)
		return r;
	m->built = true;
	/* files and tasks see the tree's paths from here on */
	if (chroot(m->root) < 0 || chdir("/") < 0)
		return pr_perror_ret("cannot chroot into --root %s", m->root);
	pr_info("%zu mounts made under %s\n", m->n - 1, m->root);
	return 0;
}

/* O_PATH fds of every mount, each opened at its mountpoint in its namespace (after the pivots). */
static int open_mounts(struct mnt_restore *m, int *fds)
{
	for (size_t i = 0; i < m->n; i++) {
		int r = enter_ns(m, m->v[i]->ns);

		if (r < 0)
			return r;
		/* made by the mount helper (deferred): found at its path, which nothing hides (dump) */
		fds[i] = m->mnt_fd[i] >= 0 ? fcntl(m->mnt_fd[i], F_DUPFD_CLOEXEC, 0)
					   : open(m->v[i]->mountpoint, O_PATH | O_CLOEXEC);
		if (fds[i] < 0)
			return pr_perror_ret("mount %u at %s (namespace %u): cannot open it", m->v[i]->id,
					     m->v[i]->mountpoint, m->v[i]->ns);
	}
	return 0;
}

/* to joins from's peer group (or becomes a slave of its master); across namespaces too. */
static int set_group(const struct mnt_restore *m, const int *fds, size_t from, size_t to)
{
	const MntEntry *f = m->v[from], *t = m->v[to];

	if (syscall(SYS_move_mount, fds[from], "", fds[to], "",
		    MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return pr_perror_ret("mount %u at %s: cannot join the propagation of mount %u at %s", t->id,
				     t->mountpoint, f->id, f->mountpoint);
	return 0;
}

/* In e's namespace: the kernel changes propagation of the caller's own mounts only. */
static int set_propagation(struct mnt_restore *m, const int *fds, size_t i, unsigned long flag, const char *what)
{
	const MntEntry *e = m->v[i];
	struct mount_attr attr = {.propagation = flag};
	int r = enter_ns(m, e->ns);

	if (r < 0)
		return r;
	if (syscall(SYS_mount_setattr, fds[i], "", AT_EMPTY_PATH, &attr, sizeof(attr)) < 0)
		return pr_perror_ret("mount %u at %s: cannot make it %s", e->id, e->mountpoint, what);
	return 0;
}

/*
 * After pivot_root, every mount at its own path: the peer groups and masters
 * of the dump. A group's leader becomes shared (and first a slave, if the
 * group had a master); the other members join it with MOVE_MOUNT_SET_GROUP.
 * A group waits until the group it is a slave of exists.
 */
static int restore_propagation(struct mnt_restore *m, int *fds)
{
	_cleanup_free_ bool *done = calloc(m->n, sizeof(bool));
	size_t left = 0, nr_groups = 0;
	int r;

	if (!done)
		return -ENOMEM;
	/* binds of a shared source came out shared: only what is set below is */
	for (size_t i = 1; i < m->n; i++)
		if (!(m->v[i]->external && (m->v[i]->ext_peers || m->v[i]->ext_master))) {
			r = set_propagation(m, fds, i, MS_PRIVATE, "private");
			if (r < 0)
				return r;
		}
	for (size_t i = 0; i < m->n; i++)
		left += !(done[i] = !m->v[i]->shared_id && !m->v[i]->master_id);
	while (left) {
		size_t before = left;

		for (size_t i = 0; i < m->n; i++) {
			const MntEntry *e = m->v[i];
			ssize_t l = e->shared_id ? mnt_group_leader(m->v, m->n, e->shared_id) : (ssize_t)i;

			if (l < 0)
				return pr_err_ret(-EBADMSG, "mnt.img: peer group %u has no member to rebuild it from",
						  e->shared_id);
			if (done[i] || l != (ssize_t)i)
				continue;
			if (e->master_id && !e->ext_master) {
				ssize_t ms = mnt_master_source(m->v, m->n, e->master_id, e);
				ssize_t ml = ms < 0 ? -1 : mnt_group_leader(m->v, m->n, e->master_id);

				if (ms < 0 || ml < 0)
					return pr_err_ret(-EBADMSG, "mnt.img: mount %u: no mount of its master group %u",
							  e->id, e->master_id);
				if (!done[ml])
					continue;
				r = set_group(m, fds, (size_t)ms, i);
				if (r == 0)
					r = set_propagation(m, fds, i, MS_SLAVE, "a slave");
				if (r < 0)
					return r;
			}
			/* an external copy is a peer of its source already, if that one was shared */
			if (e->shared_id) {
				r = set_propagation(m, fds, i, MS_SHARED, "shared");
				if (r < 0)
					return r;
			}
			for (size_t k = 0; k < m->n; k++) {
				if (k == i || !e->shared_id || m->v[k]->shared_id != e->shared_id)
					continue;
				r = set_group(m, fds, i, k);
				if (r < 0)
					return r;
				done[k] = true;
				left--;
			}
			done[i] = true;
			left--;
			nr_groups++;
		}
		if (left == before)
			return pr_err_ret(-EBADMSG, "mnt.img: the mounts' masters form a loop");
	}
	/* last: binds of it were made from it above */
	for (size_t i = 1; i < m->n; i++)
		if (m->v[i]->unbindable) {
			if (m->v[i]->shared_id || m->v[i]->master_id)
				return pr_err_ret(-EBADMSG, "mnt.img: mount %u: unbindable and in a peer group",
						  m->v[i]->id);
			r = set_propagation(m, fds, i, MS_UNBINDABLE, "unbindable");
			if (r < 0)
				return r;
		}
	if (nr_groups)
		pr_info("%zu peer groups and slaves set up\n", nr_groups);
	return 0;
}

static int back_to_host_root(const struct mnt_restore *m)
{
	if (fchdir(m->host_root_fd) < 0 || chroot(".") < 0)
		return pr_perror_ret("cannot go back to the host's root");
	return 0;
}

/* Namespace k's own root (over --root there) becomes its root; the copy of namespace 0 under it goes. */
static int pivot_other_ns(struct mnt_restore *m, size_t k)
{
	int r = enter_ns(m, k);

	if (r == 0 && chdir(m->root) < 0)
		r = pr_perror_ret("mount namespace %zu: cannot enter %s", k, m->root);
	if (r == 0 && syscall(SYS_pivot_root, ".", ".") < 0)
		r = pr_perror_ret("mount namespace %zu: pivot_root into %s", k, m->root);
	if (r == 0 && umount2(".", MNT_DETACH) < 0)
		r = pr_perror_ret("mount namespace %zu: cannot detach the old root after pivot_root", k);
	if (r == 0 && chdir("/") < 0)
		r = -errno;
	return r;
}

/* The peer groups and masters of every namespace, then criu back in namespace 0 (at the tree's root). */
static int finish_propagation(struct mnt_restore *m)
{
	int *fds = calloc(m->n + 1, sizeof(int)), r;

	if (!fds)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++)
		fds[i] = -EBADF;
	r = open_mounts(m, fds);
	if (r == 0)
		r = restore_propagation(m, fds);
	for (size_t i = 0; i < m->n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	if (r == 0)
		r = enter_ns(m, 0);
	return r;
}

int mnt_restore_finish(struct mnt_restore *m, const struct cr_opts *o, struct img_dir *d)
{
	size_t nr_deferred = 0;
	int r;

	if (!m || !m->built)
		return 0;
	for (size_t i = 1; i < m->n; i++)
		nr_deferred += m->deferred[i];
	if (nr_deferred) {
		/* born in the tree's pid namespace (criu's children are): proc shows the tree's pids */
		pid_t parent = getpid(), pid = fork();

		if (pid < 0)
			return pr_perror_ret("cannot fork the mount helper");
		if (pid == 0) {
			guard_die_with(parent);
			r = back_to_host_root(m);
			for (size_t i = 1; r == 0 && i < m->n; i++) {
				if (!m->deferred[i])
					continue;
				if (cross_ns_bind(m, i))
					r = take_cross_ns_source(m, i);
				if (r == 0)
					r = enter_ns(m, m->v[i]->ns);
				if (r == 0)
					r = mount_one(m, o, d, i);
			}
			_exit(r < 0 ? 1 : 0);
		}
		r = mnt_wait_ok(pid, "the mount helper (proc and what is under it)");
		if (r < 0)
			return r;
	}
	r = back_to_host_root(m);
	if (r == 0 && chdir(m->root) < 0)
		r = pr_perror_ret("cannot enter --root %s", m->root);
	if (r == 0 && syscall(SYS_pivot_root, ".", ".") < 0)
		r = pr_perror_ret("pivot_root into %s", m->root);
	if (r == 0 && umount2(".", MNT_DETACH) < 0)
		r = pr_perror_ret("cannot detach the old root after pivot_root");
	if (r == 0 && chdir("/") < 0)
		r = -errno;
	if (r == 0 && (m->v[0]->flags & ~(uint32_t)MS_RELATIME))
		r = remount_flags("/", m->v[0]->flags, m->v[0]);
	for (size_t k = 1; r == 0 && k < m->nr_ns; k++)
		r = pivot_other_ns(m, k);
	if (r == 0)
		r = finish_propagation(m);
	if (r == 0)
		pr_info("the tree's root is %s (pivot_root), %zu mounts made in its pid namespace\n", m->root,
			nr_deferred);
	return r;
}

int mnt_restore_task(struct mnt_restore *m, uint64_t task_id)
{
	size_t k = 0;

	if (!m || !m->built || m->nr_ns < 2)
		return 0;
	for (size_t i = 0; i < m->nr_tasks; i++)
		if (m->tasks[i]->task_id == task_id)
			k = m->tasks[i]->ns;
	/* a child of a task of another namespace may go back to 0: every task enters its own */
	if (setns(m->ns_fd[k], CLONE_NEWNS) < 0)
		return pr_perror_ret("task %" PRIu64 ": cannot enter the tree's mount namespace %zu", task_id, k);
	if (chroot(m->root) < 0 || chdir("/") < 0)
		return pr_perror_ret("task %" PRIu64 ": cannot enter --root %s in mount namespace %zu", task_id,
				     m->root, k);
	return 0;
}

int mnt_restore_root_of(void *arg, uint32_t mnt_id)
{
	const struct mnt_restore *m = arg;

	if (!m || m->nr_ns < 2)
		return -ENODEV;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i]->id == mnt_id)
			return m->v[i]->ns && m->ns_root_fd[m->v[i]->ns] >= 0 ? m->ns_root_fd[m->v[i]->ns] : -ENOENT;
	return -ENOENT;
}

void mnt_restore_free(struct mnt_restore *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->clone_fd && i < m->n; i++)
		if (m->clone_fd[i] >= 0)
			close(m->clone_fd[i]);
	free(m->clone_fd);
	for (size_t i = 0; m->mnt_fd && i < m->n; i++)
		if (m->mnt_fd[i] >= 0)
			close(m->mnt_fd[i]);
	free(m->mnt_fd);
	for (size_t k = 0; m->ns_fd && m->ns_root_fd && k < m->nr_ns; k++) {
		if (m->ns_fd[k] >= 0)
			close(m->ns_fd[k]);
		if (m->ns_root_fd[k] >= 0)
			close(m->ns_root_fd[k]);
	}
	free(m->ns_fd);
	free(m->ns_root_fd);
	for (size_t i = 0; i < m->nr_tasks; i++)
		mnt_ns_task__free_unpacked(m->tasks[i], NULL);
	free(m->tasks);
	mnt_entries_free(m->v, m->n);
	free(m->deferred);
	free(m->root);
	if (m->host_root_fd >= 0)
		close(m->host_root_fd);
	free(m);
}
