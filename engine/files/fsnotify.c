/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * inotify and fanotify groups, with their watches and marks. A watched
 * inode is kept by file handle (fdinfo gives it) and reopened at restore
 * with open_by_handle_at through a mount of its file system; the path seen
 * at dump is the fallback (with --force-irmap, a watch without one fails
 * the dump). inotify watch descriptors are kept exactly
 * (INOTIFY_IOC_SETNEXTWD before each add). fanotify mount and file-system
 * marks are kept by the path of the mount. Events queued but not read yet
 * are not kept; fanotify permission events in flight are refused by the
 * kernel's own rules (the group is just recreated).
 */
#define LOG_PREFIX "files: "
#include <dirent.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "fdinfo.h"
#include "files_priv.h"
#include "log.h"
#include "self_proc.h"

static dev_t kdev_to_dev(uint32_t sdev)
{
	return makedev(sdev >> 20, sdev & 0xfffff);
}

/*
 * The mount point of a mount in pid's mountinfo: by mount id (mnt_id > 0)
 * or else the first one of file system dev.
 */
static int mount_path(pid_t pid, uint32_t mnt_id, dev_t dev, size_t skip, char *ret, size_t size)
{
	char path[64], line[PATH_MAX + 256], mp[PATH_MAX];
	_cleanup_fclose_ FILE *f = NULL;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/mountinfo");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned int id, parent, ma, mi;

		if (sscanf(line, "%u %u %u:%u %*s %4095s", &id, &parent, &ma, &mi, mp) != 5)
			continue;
		if (mnt_id ? id != mnt_id : makedev(ma, mi) != dev)
			continue;
		if (skip--)
			continue;
		if (strlen(mp) >= size)
			return -ENAMETOOLONG;
		strcpy(ret, mp);
		return 0;
	}
	return -ENOENT;
}

/*
 * The watched inode, O_PATH, through any mount of its file system: pid's
 * (reached through its root, so that the name the fd reads is the one the
 * task sees), or criu's own (pid 0).
 */
static int open_handle(pid_t pid, const FsnotifyMarkEntry *m)
{
	struct {
		struct file_handle h;
		unsigned char buf[FDINFO_HANDLE_MAX];
	} fh;
	char mp[PATH_MAX];

	if (!m->has_handle || !m->handle.len || m->handle.len > FDINFO_HANDLE_MAX)
		return -ENOENT;
	fh.h.handle_bytes = (unsigned int)m->handle.len;
	fh.h.handle_type = m->handle_type;
	memcpy(fh.h.f_handle, m->handle.data, m->handle.len);
	for (size_t i = 0; mount_path(pid, 0, (dev_t)m->dev, i, mp, sizeof(mp)) == 0; i++) {
		char at[PATH_MAX + 64];
		/* open_by_handle_at takes no O_PATH fd for the mount */
		_cleanup_close_ int mfd = -EBADF;

		if (pid)
			snprintf(at, sizeof(at), "/proc/%d/root%s", pid, mp);
		else
			snprintf(at, sizeof(at), "%s", mp);
		mfd = open(at, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		struct stat st;
		int f;

		if (mfd < 0)
			continue;
		f = open_by_handle_at(mfd, &fh.h, O_PATH | O_CLOEXEC);
		if (f < 0)
			continue;
		if (fstat(f, &st) == 0 && st.st_ino == m->ino)
			return f;
		close(f);
	}
	return -ENOENT;
}

/*
 * The watched inode: by its path resolved in the tree's root (in_root.c),
 * whatever its inode number now (another host, a copied root: files are
 * known by path, file_check.h); by its handle only when the path is gone.
 */
static int open_mark_target(struct files_restore *fr, const FileEntry *fe, const FsnotifyMarkEntry *m)
{
	int f = -ENOENT;

	if (m->has_ghost_file_id) { /* the removed file, as restored for the fds that hold it */
		int r = files_restore_inflight_fd(fr, m->ghost_file_id, &f);

		if (r < 0)
			return pr_err_ret(r, "file %" PRIu64 ": the watched removed file %" PRIu64 " cannot be opened",
					  fe->id, m->ghost_file_id);
		f = fcntl(f, F_DUPFD_CLOEXEC, 0);
		return f < 0 ? -errno : f;
	}

	if (m->path && m->path[0] == '/')
		f = files_open_in_root(fr, fe->id, -1, m->path, O_PATH, 0, NULL);
	return f >= 0 ? f : open_handle(0, m);
}

static int new_mark(FsnotifyEntry *e, FsnotifyMarkEntry **ret)
{
	FsnotifyMarkEntry **tmp = realloc(e->marks, (e->n_marks + 1) * sizeof(*tmp)), *m;

	if (!tmp)
		return -ENOMEM;
	e->marks = tmp;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	fsnotify_mark_entry__init(m);
	e->marks[e->n_marks++] = m;
	*ret = m;
	return 0;
}

#define IRMAP_MAX_DEPTH	  16
#define IRMAP_MAX_ENTRIES 200000

/* Below dir (an fd; rel its path in the task's root): the entry of dev:ino, as a path into out. */
static int irmap_walk(int dir, const char *rel, dev_t dev, uint64_t ino, int depth, size_t *seen, char *out,
		      size_t size)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int dup = fcntl(dir, F_DUPFD_CLOEXEC, 0);

	if (dup < 0 || !(d = fdopendir(dup))) {
		if (dup >= 0)
			close(dup);
		return -ENOENT;
	}
	while ((de = readdir(d)) && ++*seen < IRMAP_MAX_ENTRIES) {
		char sub[PATH_MAX];
		struct stat st;
		int c, r;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", strcmp(rel, "/") ? rel : "", de->d_name) >= (int)sizeof(sub))
			continue;
		if (st.st_dev == dev && st.st_ino == ino) {
			snprintf(out, size, "%s", sub);
			return 0;
		}
		if (!S_ISDIR(st.st_mode) || depth >= IRMAP_MAX_DEPTH)
			continue;
		c = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (c < 0)
			continue;
		r = irmap_walk(c, sub, dev, ino, depth + 1, seen, out, size);
		close(c);
		if (r == 0)
			return 0;
	}
	return -ENOENT;
}

/* --irmap-scan-path: dev:ino looked for below each directory given, in the task's root. */
static int irmap_scan(const struct files_dump *fd, pid_t pid, dev_t dev, uint64_t ino, char *out, size_t size)
{
	for (size_t i = 0; i < fd->nr_irmap_scan; i++) {
		char root[64];
		const char *dir = fd->irmap_scan[i];
		_cleanup_close_ int rfd = -EBADF, dfd = -EBADF;
		struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
		size_t seen = 0;

		if (dir[0] != '/')
			continue;
		snprintf(root, sizeof(root), "/proc/%d/root", pid);
		rfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		dfd = rfd < 0 ? -1 : (int)syscall(SYS_openat2, rfd, dir, &how, sizeof(how));
		if (dfd < 0)
			continue;
		if (irmap_walk(dfd, dir, dev, ino, 0, &seen, out, size) == 0) {
			pr_info("pid %d: inode %" PRIu64 " found at %s (--irmap-scan-path %s)\n", pid, ino, out, dir);
			return 0;
		}
	}
	return -ENOENT;
}

static int dump_inode_mark(const struct files_dump *fd, const struct fd_dump_arg *a, const struct fdinfo_mark *fm,
			   FsnotifyMarkEntry *m)
{
	char path[PATH_MAX];
	_cleanup_close_ int f = -EBADF;
	struct stat st;
	ssize_t n;

	m->kind = FSNOTIFY_MARK_KIND__FSN_INODE;
	m->has_dev = m->has_ino = true;
	m->dev = kdev_to_dev(fm->sdev);
	m->ino = fm->ino;
	if (!fm->handle_bytes)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: watch on inode %" PRIu64
				  " of device %u:%u, whose file system "
				  "gives no file handle",
				  a->pid, a->fd, fm->ino, major(m->dev), minor(m->dev));
	m->has_handle = m->has_handle_type = true;
	m->handle_type = fm->handle_type;
	m->handle.data = malloc(fm->handle_bytes);
	if (!m->handle.data)
		return -ENOMEM;
	memcpy(m->handle.data, fm->handle, fm->handle_bytes);
	m->handle.len = fm->handle_bytes;
	f = open_handle(a->pid, m);
	if (f < 0 && irmap_scan(fd, a->pid, (dev_t)m->dev, m->ino, path, sizeof(path)) == 0)
		return (m->path = strdup(path)) ? 0 : -ENOMEM;
	if (f < 0)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: the watched inode %" PRIu64
				  " of device %u:%u cannot be opened by its "
				  "handle (removed, or its file system is not mounted here), nor found below any "
				  "--irmap-scan-path",
				  a->pid, a->fd, fm->ino, major(m->dev), minor(m->dev));
	/* a removed file: watched again on its ghost, if an fd of the tree holds it (dump_finish) */
	if (fstat(f, &st) == 0 && st.st_nlink == 0 && !S_ISDIR(st.st_mode)) {
		m->has_ghost_file_id = true;
		m->ghost_file_id = 0;
	}
	n = self_fd_readlink(f, path, sizeof(path));
	if (n > 0) {
		m->path = strdup(path);
		if (!m->path)
			return -ENOMEM;
	}
	/* --force-irmap: the name must be there for a restore that cannot use the handle */
	if (fd->force_irmap && (n <= 0 || path[0] != '/' || strstr(path, " (deleted)")) &&
	    irmap_scan(fd, a->pid, (dev_t)m->dev, m->ino, path, sizeof(path)) == 0) {
		free(m->path);
		m->path = strdup(path);
		return m->path ? 0 : -ENOMEM;
	}
	if (fd->force_irmap && (n <= 0 || path[0] != '/' || strstr(path, " (deleted)")))
		return pr_err_ret(-ENOENT,
				  "pid %d fd %d: the watched inode %" PRIu64 " of device %u:%u has no name to keep "
				  "(--force-irmap)",
				  a->pid, a->fd, fm->ino, major(m->dev), minor(m->dev));
	return 0;
}

static int dump_marks(const struct files_dump *fd, const struct fd_dump_arg *a, const char *info, FsnotifyEntry *e)
{
	const char *pos = info;
	struct fdinfo_mark fm;
	int r;

	while ((r = fdinfo_mark_next(&pos, &fm)) > 0) {
		FsnotifyMarkEntry *m;
		char mp[PATH_MAX];

		r = new_mark(e, &m);
		if (r < 0)
			return r;
		m->mask = fm.mask;
		m->has_wd = fm.has_wd;
		m->wd = fm.wd;
		m->has_ignored_mask = m->has_mflags = !fm.has_wd;
		m->ignored_mask = fm.ignored_mask;
		m->mflags = fm.mflags;
		if (fm.kind == FDINFO_MARK_INODE) {
			r = dump_inode_mark(fd, a, &fm, m);
			if (r < 0)
				return r;
			continue;
		}
		m->kind = fm.kind == FDINFO_MARK_MOUNT ? FSNOTIFY_MARK_KIND__FSN_MOUNT
						       : FSNOTIFY_MARK_KIND__FSN_SB;
		m->has_dev = fm.kind == FDINFO_MARK_SB;
		m->dev = kdev_to_dev(fm.sdev);
		r = mount_path(a->pid, fm.kind == FDINFO_MARK_MOUNT ? fm.mnt_id : 0, (dev_t)m->dev, 0, mp,
			       sizeof(mp));
		if (r < 0)
			return pr_err_ret(
				r, "pid %d fd %d: cannot find the %s of a fanotify mark (mnt_id %u, dev %#x)",
				a->pid, a->fd, fm.kind == FDINFO_MARK_MOUNT ? "mount" : "file system",
				fm.mnt_id, fm.sdev);
		m->path = strdup(mp);
		if (!m->path)
			return -ENOMEM;
	}
	if (r == -EOPNOTSUPP)
		return pr_err_ret(r, "pid %d fd %d: a kind of notification mark that cannot be dumped yet",
				  a->pid, a->fd);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot parse the marks in fdinfo", a->pid, a->fd);
	return 0;
}

static int fsnotify_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ char *info = NULL;
	FsnotifyEntry *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	fsnotify_entry__init(e);
	fe->fsnotify = e;
	r = fdinfo_read(a->local, &info);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read fdinfo", a->pid, a->fd);
	if (fe->kind == FILE_KIND__FILE_FANOTIFY) {
		r = fdinfo_fanotify(info, &e->fan_flags, &e->fan_event_flags);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d: cannot parse the fanotify flags", a->pid, a->fd);
		e->has_fan_flags = e->has_fan_event_flags = true;
	}
	return dump_marks(fd, a, info, e);
}

/* ---- inotify ---- */

static bool inotify_match(const struct stat *st, const char *link)
{
	return !strcmp(link, "anon_inode:inotify");
}

static int cmp_wd(const void *a, const void *b)
{
	const FsnotifyMarkEntry *x = *(FsnotifyMarkEntry *const *)a, *y = *(FsnotifyMarkEntry *const *)b;

	return x->wd < y->wd ? -1 : x->wd > y->wd;
}

struct watch_arg {
	int ifd;
	uint32_t mask;
};

static int watch_at(const char *path, void *arg)
{
	const struct watch_arg *w = arg;
	int wd = inotify_add_watch(w->ifd, path, w->mask);

	return wd < 0 ? -errno : wd;
}

static int add_watch(struct files_restore *fr, const FileEntry *fe, int ifd, const FsnotifyMarkEntry *m)
{
	_cleanup_close_ int t = -EBADF;
	struct watch_arg w = {.ifd = ifd, .mask = m->mask};
	int wd;

	if (m->kind != FSNOTIFY_MARK_KIND__FSN_INODE || !m->has_wd || m->wd < 1 || m->wd > INT_MAX)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": bad inotify watch", fe->id);
	t = open_mark_target(fr, fe, m);
	if (t < 0)
		return pr_err_ret(-ENOENT, "file %" PRIu64 ": cannot find the watched %s (inode %" PRIu64 ")",
				  fe->id, m->path ? m->path : "file", m->ino);
	if (ioctl(ifd, INOTIFY_IOC_SETNEXTWD, (unsigned long)m->wd) < 0)
		pr_warn("file %" PRIu64 ": INOTIFY_IOC_SETNEXTWD: %s; watch descriptors may differ\n", fe->id,
			strerror(errno));
	/* through criu's own /proc: the tree's, once criu is in its mount namespace, does not show criu */
	wd = self_fd_with_path(t, watch_at, &w);
	if (wd < 0)
		return pr_err_ret(wd, "file %" PRIu64 ": cannot watch %s (mask %#x)", fe->id,
				  m->path ? m->path : "its file", m->mask);
	if ((uint32_t)wd != m->wd)
		return pr_err_ret(-EEXIST, "file %" PRIu64 ": watch on %s came back as wd %d, not %u", fe->id,
				  m->path ? m->path : "its file", wd, m->wd);
	return 0;
}

static int inotify_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	_cleanup_free_ FsnotifyMarkEntry **marks = NULL;
	_cleanup_close_ int f = -EBADF;
	size_t n;

	if (!fe->fsnotify)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": inotify without its watches", fe->id);
	n = fe->fsnotify->n_marks;
	marks = malloc((n + 1) * sizeof(*marks));
	if (!marks)
		return -ENOMEM;
	memcpy(marks, fe->fsnotify->marks, n * sizeof(*marks));
	qsort(marks, n, sizeof(*marks), cmp_wd); /* the kernel hands out wds upwards */
	f = inotify_init1(IN_CLOEXEC | (fe->flags & O_NONBLOCK ? IN_NONBLOCK : 0));
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": inotify_init1 failed", fe->id);
	for (size_t i = 0; i < n; i++) {
		int r = add_watch(fr, fe, f, marks[i]);

		if (r < 0)
			return r;
	}
	*ret_fd = TAKE_FD(f);
	return 0;
}

/*
 * Once every fd of the tree is known: a watch on a removed file is kept only
 * on a file an fd of the tree holds (its ghost is watched at restore).
 */
static int fsnotify_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	for (size_t i = 0; fe->fsnotify && i < fe->fsnotify->n_marks; i++) {
		FsnotifyMarkEntry *m = fe->fsnotify->marks[i];
		struct dumped_file *g;

		if (!m->has_ghost_file_id)
			continue;
		g = files_find_ghost(fd, m->dev, m->ino);
		if (!g)
			return pr_err_ret(-EOPNOTSUPP,
					  "file %" PRIu64 ": watch on a removed file (inode %" PRIu64
					  ") that no fd of the tree holds: not supported yet",
					  fe->id, m->ino);
		m->ghost_file_id = g->fe->id;
	}
	return 0;
}

const struct fd_ops inotify_fd_ops = {
	.name = "inotify",
	.kind = FILE_KIND__FILE_INOTIFY,
	.match = inotify_match,
	.dump = fsnotify_dump,
	.open = inotify_open,
	.dump_finish = fsnotify_dump_finish,
};

/* ---- fanotify ---- */

static bool fanotify_match(const struct stat *st, const char *link)
{
	return !strcmp(link, "anon_inode:[fanotify]");
}

struct mark_arg {
	int ffd;
	unsigned int flags;
	uint64_t mask;
};

static int mark_at(const char *path, void *arg)
{
	const struct mark_arg *a = arg;

	return fanotify_mark(a->ffd, a->flags, a->mask, AT_FDCWD, path) < 0 ? -errno : 0;
}

/*
 * fanotify_mark of path, or of the object of the O_PATH fd dfd through
 * criu's own /proc (fanotify takes no O_PATH fd, and the tree's /proc does
 * not show criu once criu is in its mount namespace).
 */
static int mark(int ffd, unsigned int flags, uint64_t mask, int dfd, const char *path)
{
	struct mark_arg a = {.ffd = ffd, .flags = flags, .mask = mask};

	if (dfd == AT_FDCWD)
		return mark_at(path, &a);
	return self_fd_with_path(dfd, mark_at, &a);
}

static int add_mark(struct files_restore *fr, const FileEntry *fe, int ffd, const FsnotifyMarkEntry *m)
{
	unsigned int flags = FAN_MARK_ADD | (m->mflags & FAN_MARK_EVICTABLE);
	_cleanup_close_ int t = -EBADF;
	const char *path = m->path;
	int dfd = AT_FDCWD, r; /* dfd: an O_PATH fd of the object to mark, path NULL */

	if (m->kind == FSNOTIFY_MARK_KIND__FSN_INODE) {
		t = open_mark_target(fr, fe, m);
		if (t < 0)
			return pr_err_ret(-ENOENT,
					  "file %" PRIu64 ": cannot find the marked %s (inode %" PRIu64 ")",
					  fe->id, m->path ? m->path : "file", m->ino);
		dfd = t, path = NULL;
	} else if (m->path) {
		/* a mount or file system: its path from the image, resolved in the tree's root too */
		flags |= m->kind == FSNOTIFY_MARK_KIND__FSN_MOUNT ? FAN_MARK_MOUNT : FAN_MARK_FILESYSTEM;
		t = m->path[0] == '/' ? files_open_in_root(fr, fe->id, -1, m->path, O_PATH, 0, NULL)
				      : -EBADMSG;
		if (t < 0)
			return pr_err_ret(t, "file %" PRIu64 ": cannot open the marked %s", fe->id, m->path);
		dfd = t, path = NULL;
	}
	if (dfd == AT_FDCWD && !path)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": fanotify mark without a path", fe->id);
	if (m->mask && (r = mark(ffd, flags, m->mask, dfd, path)) < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot mark %s (mask %#x)", fe->id,
				  m->path ? m->path : "its file", m->mask);
	flags |= (m->mflags & FAN_MARK_IGNORE ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK) |
		 (m->mflags & FAN_MARK_IGNORED_SURV_MODIFY);
	if (m->ignored_mask && (r = mark(ffd, flags, m->ignored_mask, dfd, path)) < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot set the ignored mask %#x on %s", fe->id,
				  m->ignored_mask, m->path ? m->path : "its file");
	return 0;
}

static int fanotify_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const FsnotifyEntry *e = fe->fsnotify;
	_cleanup_close_ int f = -EBADF;
	unsigned int flags;

	if (!e || !e->has_fan_flags)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": fanotify without its flags", fe->id);
	/* FAN_CLOEXEC is kept as it was: the group shows it in fdinfo; each fd gets its own at install */
	flags = (e->fan_flags & ~FAN_NONBLOCK) | (fe->flags & O_NONBLOCK ? FAN_NONBLOCK : 0);
	f = fanotify_init(flags, e->fan_event_flags);
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": fanotify_init(%#x, %#x) failed", fe->id, flags,
				     e->fan_event_flags);
	for (size_t i = 0; i < e->n_marks; i++) {
		int r = add_mark(fr, fe, f, e->marks[i]);

		if (r < 0)
			return r;
	}
	*ret_fd = TAKE_FD(f);
	return 0;
}

const struct fd_ops fanotify_fd_ops = {
	.name = "fanotify",
	.kind = FILE_KIND__FILE_FANOTIFY,
	.match = fanotify_match,
	.dump = fsnotify_dump,
	.open = fanotify_open,
	.dump_finish = fsnotify_dump_finish,
};
