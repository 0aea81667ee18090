/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files reopened by path: regular files (unlinked ones with their contents,
 * up to --ghost-limit), directories and character devices (removed ones
 * made again at their path: ghost_node.c).
 *
 * At restore every path of files.img is untrusted (in_root.c): it is
 * resolved in the tree's root, opened with the rights of the tasks that
 * hold it, and must still be the kind of file it was (a regular file's path
 * that now names a FIFO, a device or a directory is refused; the open never
 * blocks). A regular file is then checked by content, never by inode
 * (file_check.h: mode, build-id or size). Ghosts (unlinked files) get their
 * contents from the images only and a new nameless inode in their old
 * directory. A --link-remap link must be the name the dump made,
 * link_remap.<file id> beside the removed path, and pass the same check;
 * only such a link is removed after the restore, if it still is the inode
 * criu opened.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "file_check.h"
#include "files_priv.h"
#include "log.h"
#include "self_proc.h"

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_PREFIX   "/memfd:"
/* a memfd's data goes into its files.img record: what one holds, less room for the rest */
#define MEMFD_DATA_MAX ((uint64_t)IMG_RECORD_MAX - (1u << 20))

/*
 * The restore reopens a file by its path in the tree's root (in_root.c). If
 * that path now leads to another mount than the file's (one mounted over it,
 * or over a directory above it), the file would come back on that mount, or
 * be another file: refused by name. A path that leads nowhere is left to the
 * checks that follow (removed files, the restore's own identity checks).
 */
static pid_t task_seeing_mount(const struct files_dump *fd, pid_t holder, uint32_t mnt_id);

static int check_reachable_mount(const struct files_dump *fd, const struct fd_dump_arg *a, const FileEntry *fe)
{
	struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
	_cleanup_close_ int f = -EBADF, ns_root = -EBADF;
	const char *path = fe->path;
	struct statx own, there;
	int root = fd->root_fd;
	pid_t owner;

	if (fd->root_fd < 0 || path[0] != '/')
		return 0;
	/* in a tree with several mount namespaces: resolved in the one of the file's mount (as the restore does) */
	owner = fe->has_mnt_id ? task_seeing_mount(fd, a->pid, fe->mnt_id) : 0;
	if (owner > 0) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/%d/root", owner);
		ns_root = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ns_root >= 0)
			root = ns_root;
	}
	f = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (f < 0)
		return 0;
	if (statx(a->local, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_TYPE, &own) < 0 ||
	    statx(f, "", AT_EMPTY_PATH, STATX_MNT_ID | STATX_TYPE, &there) < 0)
		return pr_perror_ret("pid %d fd %d: statx of %s", a->pid, a->fd, path);
	if (!(own.stx_mask & there.stx_mask & STATX_MNT_ID) || own.stx_mnt_id == there.stx_mnt_id)
		return 0;
	/* a device is its number, wherever its node is (a container's /dev/null, a runtime's fd of the host's) */
	if (S_ISCHR(own.stx_mode) && S_ISCHR(there.stx_mode) && own.stx_rdev_major == there.stx_rdev_major &&
	    own.stx_rdev_minor == there.stx_rdev_minor)
		return 0;
	return pr_err_ret(-EOPNOTSUPP,
			  "pid %d fd %d: %s is on mount %llu, but its path now leads to mount %llu (%s): "
			  "not supported: a file under a mount that is mounted over would be reopened on the other one",
			  a->pid, a->fd, path, (unsigned long long)own.stx_mnt_id, (unsigned long long)there.stx_mnt_id,
			  own.stx_dev_major == there.stx_dev_major && own.stx_dev_minor == there.stx_dev_minor &&
					  own.stx_ino == there.stx_ino
				  ? "the same file"
				  : "another file");
}

static int set_path(FileEntry *fe, const char *link)
{
	size_t len = strlen(link), sl = strlen(DELETED_SUFFIX);

	if (len > sl && !strcmp(link + len - sl, DELETED_SUFFIX)) {
		fe->has_deleted = true;
		fe->deleted = true;
		len -= sl;
	}
	fe->path = strndup(link, len);
	return fe->path ? 0 : -ENOMEM;
}

/*
 * Whose root the path of a file on mount mnt_id is in: criu's (0), if the
 * mount is in criu's namespace (the file's path is then criu's, even for a
 * chrooted task); else a task of the tree whose namespace has the mount.
 * The holder itself if none is found (a mount no task sees any more).
 */
static pid_t task_seeing_mount(const struct files_dump *fd, pid_t holder, uint32_t mnt_id)
{
	for (size_t i = 0; mnt_id && i <= fd->nr_pids + 1; i++) {
		pid_t pid = i == 0 ? getpid() : i <= fd->nr_pids ? fd->pids[i - 1] : holder;
		char path[64], line[512];
		_cleanup_fclose_ FILE *f = NULL;
		unsigned int id;

		snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "%u", &id) == 1 && id == mnt_id)
				return i == 0 ? 0 : pid;
	}
	return mnt_id ? holder : 0;
}

/* Makes a hard link beside the removed path to reopen the file by at restore. */
static int link_remap(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	char name[PATH_MAX], at[PATH_MAX + 32], **tmp;
	const char *slash = strrchr(fe->path, '/');
	pid_t owner;

	if (!fd->link_remap)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: %s was removed but the file keeps %lu other link(s); "
				  "dump with --link-remap to reopen it through a new link",
				  a->pid, a->fd, fe->path, (unsigned long)a->st.st_nlink);
	if (!slash || snprintf(name, sizeof(name), "%.*s/link_remap.%" PRIu64, (int)(slash - fe->path), fe->path,
			       fe->id) >= (int)sizeof(name))
		return pr_err_ret(-ENAMETOOLONG, "pid %d fd %d: %s: no room for a link", a->pid, a->fd, fe->path);
	/* the path is in the namespace of the file's mount: made through a task's root there (or criu's) */
	owner = task_seeing_mount(fd, a->pid, fe->mnt_id);
	if (owner)
		snprintf(at, sizeof(at), "/proc/%d/root%s", owner, name);
	else
		snprintf(at, sizeof(at), "%s", name);
	if (linkat(a->local, "", AT_FDCWD, at, AT_EMPTY_PATH) < 0)
		return pr_perror_ret("pid %d fd %d: cannot link %s as %s (--link-remap)", a->pid, a->fd, fe->path,
				     name);
	tmp = realloc(fd->remaps, (fd->nr_remaps + 1) * sizeof(*tmp));
	if (!tmp || !(fe->link_remap = strdup(name))) {
		unlink(at);
		if (tmp)
			fd->remaps = tmp;
		return -ENOMEM;
	}
	fd->remaps = tmp;
	fd->remaps[fd->nr_remaps] = strdup(at);
	if (!fd->remaps[fd->nr_remaps]) {
		unlink(at);
		return -ENOMEM;
	}
	fd->nr_remaps++;
	pr_info("pid %d fd %d: %s (removed) is reopened through %s\n", a->pid, a->fd, fe->path, name);
	return 0;
}

/* An ELF file's build-id, which the restore checks it by (file_check.h). */
static int dump_build_id(const struct fd_dump_arg *a, FileEntry *fe)
{
	uint8_t id[ELF_BUILD_ID_MAX];
	struct file_ident fi;

	file_ident_read(a->local, &a->st, id, &fi);
	if (!fi.build_id)
		return 0;
	fe->build_id.data = malloc(fi.build_id_len);
	if (!fe->build_id.data)
		return -ENOMEM;
	memcpy(fe->build_id.data, fi.build_id, fi.build_id_len);
	fe->build_id.len = fi.build_id_len;
	fe->has_build_id = true;
	return 0;
}

static bool regular_match(const struct stat *st, const char *link)
{
	return S_ISREG(st->st_mode) && link[0] == '/';
}

/*
 * A file of /proc/N, N a process of the task's pid namespace that has
 * exited since: nothing could open it at restore.
 */
static int check_proc_pid(const struct fd_dump_arg *a, const char *path)
{
	char dir[96];
	struct stat st;
	size_t n;

	if (strncmp(path, "/proc/", 6) || !(n = strspn(path + 6, "0123456789")) || (path[6 + n] && path[6 + n] != '/'))
		return 0;
	snprintf(dir, sizeof(dir), "/proc/%d/root/proc/%.*s", a->pid, (int)n, path + 6);
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return 0;
	return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: %s belongs to process %.*s, which has exited: not supported",
			  a->pid, a->fd, path, (int)n, path + 6);
}

/* A memfd made with MFD_HUGETLB lives on hugetlbfs: its page size is st_blksize there. */
static int memfd_huge_size(const struct fd_dump_arg *a, FileEntry *fe)
{
	struct statfs sf;

	if (fstatfs(a->local, &sf) < 0)
		return pr_perror_ret("pid %d fd %d: cannot statfs %s", a->pid, a->fd, fe->path);
	if (sf.f_type != HUGETLBFS_MAGIC)
		return 0;
	fe->has_memfd_huge_size = true;
	fe->memfd_huge_size = (uint64_t)a->st.st_blksize;
	return 0;
}

static int regular_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	int r = set_path(fe, a->link);

	if (r == 0 && a->fd >= 0)
		r = check_proc_pid(a, fe->path);
	if (r < 0)
		return r;
	fe->has_mode = fe->has_size = fe->has_uid = fe->has_gid = true;
	fe->mode = a->st.st_mode;
	fe->size = (uint64_t)a->st.st_size;
	fe->uid = a->st.st_uid;
	fe->gid = a->st.st_gid;
	/* an unlinked file whose name was taken again is unlinked all the same */
	if (!fe->deleted && a->st.st_nlink == 0) {
		fe->has_deleted = true;
		fe->deleted = true;
	}
	if (fe->deleted && !strncmp(fe->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX))) {
		int seals = fcntl(a->local, F_GET_SEALS);

		if (seals < 0 && errno != EINVAL)
			return pr_perror_ret("pid %d fd %d: cannot read the seals of %s", a->pid, a->fd, fe->path);
		fe->has_memfd_seals = seals >= 0;
		fe->memfd_seals = seals >= 0 ? (uint32_t)seals : 0;
		r = memfd_huge_size(a, fe);
		if (r < 0)
			return r;
	}
	if (!fe->deleted) {
		r = check_reachable_mount(fd, a, fe);
		if (r == 0)
			r = dump_build_id(a, fe);
		if (r < 0)
			return r;
		/* the restore opens it with the task's rights: one it opened before dropping them is lost */
		r = a->fd >= 0 ? files_check_reopen(fd->creds, a->pid, fe->path, (int)(fe->flags & O_ACCMODE)) : 0;
		if (r == -EACCES || r == -EPERM)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: %s (mode %o, owner %u:%u) was opened with rights the task no "
					  "longer has (fsuid %u): the restore opens it with the task's rights; not supported",
					  a->pid, a->fd, fe->path, a->st.st_mode & 07777, a->st.st_uid, a->st.st_gid,
					  fd->creds->fsuid);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d: cannot check that the task may open %s again", a->pid,
					  a->fd, fe->path);
	}
	/* removed from its place but linked elsewhere: a copy would not be that file */
	if (fe->deleted && a->st.st_nlink > 0 && a->fd >= 0)
		return link_remap(fd, a, fe);
	/* one removed file seen through two mounts: the restore makes it again on one (refused) */
	if (fe->deleted && fe->has_mnt_id) {
		const struct dumped_file *g = files_find_ghost(fd, fe->dev, fe->ino);

		if (g && g->fe->has_mnt_id && g->fe->mnt_id != fe->mnt_id)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: removed %s is held through mount %u here and mount %u by file "
					  "%" PRIu64 ": not supported yet (it would come back on one of them)",
					  a->pid, a->fd, fe->path, fe->mnt_id, g->fe->mnt_id, g->fe->id);
	}
	/*
	 * one inode, one ghost: other descriptions and mappings of it share the
	 * contents. A memfd is memory, not a removed file: --ghost-limit is not
	 * its limit (as in criu), the size of an image record is.
	 */
	if (fe->deleted && !files_find_ghost(fd, fe->dev, fe->ino))
		return ghost_dump(a, fe,
				  fe->has_memfd_seals ? MEMFD_DATA_MAX : files_dump_ghost_limit(fd));
	return 0;
}

static const char *type_name(mode_t m)
{
	return S_ISREG(m)    ? "a regular file"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISBLK(m)  ? "a block device"
			     : "a symlink";
}

/* The dumped position, and the dumped O_NONBLOCK (the open itself never blocks). */
static int finish_open(const FileEntry *fe, const char *path, int f)
{
	int flags = files_sane_open_flags(fe->flags);

	if (!(flags & O_PATH) &&
	    fcntl(f, F_SETFL, flags & (O_NONBLOCK | O_APPEND | O_DIRECT | O_NOATIME)) < 0) /* O_ASYNC: in the task */
		return pr_perror_ret("file %" PRIu64 ": cannot set the flags of %s", fe->id, path);
	/* a directory's position is a cookie of its file system; lseek takes it back */
	if (fe->has_pos && fe->pos && !(flags & O_PATH) &&
	    (fe->kind == FILE_KIND__FILE_REGULAR || fe->kind == FILE_KIND__FILE_DIRECTORY) &&
	    lseek(f, (off_t)fe->pos, SEEK_SET) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot seek %s to %" PRIu64, fe->id, path, fe->pos);
	return 0;
}

/*
 * Reopens path (from the image) with the dumped flags, resolved in the
 * tree's root (dirfd < 0) or right in dirfd (resolve), with the rights of the
 * tasks that hold it (in_root.c). It must be the kind of file it was: a
 * regular file's path that now names a FIFO or a device is refused before
 * anything reads or writes it.
 */
static int reopen(struct files_restore *fr, const FileEntry *fe, int dirfd, const char *path,
		  uint64_t resolve, int *ret_fd)
{
	int flags = files_sane_open_flags(fe->flags) | O_NOCTTY | O_NONBLOCK;
	_cleanup_close_ int f = -EBADF;
	uid_t denied = 0;
	struct stat st;
	int r;

	/* looked at first without opening it: a device swapped in for a file is never opened */
	if (fe->has_mode && !S_ISCHR(fe->mode) && !S_ISBLK(fe->mode) && !(flags & O_PATH)) {
		_cleanup_close_ int p = files_open_in_root(fr, fe->id, dirfd, path, O_PATH, resolve, &denied);

		if (p >= 0 && fstat(p, &st) == 0 && (st.st_mode & S_IFMT) != (fe->mode & S_IFMT))
			return pr_err_ret(-ENXIO, "file %" PRIu64 ": %s is %s, not %s as dumped", fe->id, path,
					  type_name(st.st_mode), type_name(fe->mode));
	}
	f = files_open_in_root(fr, fe->id, dirfd, path, flags, resolve, &denied);
	if (f == -EACCES || f == -EPERM)
		return pr_err_ret(f,
				  "file %" PRIu64 ": %s: the task that holds it (fsuid %u) may not open it",
				  fe->id, path, denied);
	if (f == -EXDEV || f == -ELOOP)
		return pr_err_ret(f,
				  "file %" PRIu64 ": %s leads out of the tree's root or through a magic link",
				  fe->id, path);
	if (f < 0)
		return pr_err_ret(f, "file %" PRIu64 ": cannot open %s", fe->id, path);
	if (fstat(f, &st) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot stat %s", fe->id, path);
	if (fe->has_mode && (st.st_mode & S_IFMT) != (fe->mode & S_IFMT))
		return pr_err_ret(-ENXIO, "file %" PRIu64 ": %s is %s, not %s as dumped", fe->id, path,
				  type_name(st.st_mode), type_name(fe->mode));
	r = finish_open(fe, path, f);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(f);
	return 0;
}

/* Reopens a file criu made itself (a ghost) through its fd, with the dumped flags. */
static int reopen_own(const FileEntry *fe, int own, const char *what, int *ret_fd)
{
	_cleanup_close_ int f = -EBADF;
	int r;

	/* a symlink's O_PATH fd is the one wanted: /proc/self/fd/N with O_NOFOLLOW would be that magic link */
	if (fe->kind == FILE_KIND__FILE_SYMLINK) {
		f = fcntl(own, F_DUPFD_CLOEXEC, 0);
		if (f < 0)
			f = -errno;
	} else {
		f = self_fd_open(own, files_sane_open_flags(fe->flags) | O_NOCTTY | O_NONBLOCK);
	}
	if (f < 0)
		return pr_err_ret(f, "file %" PRIu64 ": cannot reopen %s", fe->id, what);
	r = finish_open(fe, what, f);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(f);
	return 0;
}

/*
 * A memfd comes back as a memfd of the same name, filled, then sealed as it
 * was (a memfd made without MFD_ALLOW_SEALING reads as sealed with F_SEAL_SEAL).
 */
static int create_memfd_ghost(struct files_restore *fr, const FileEntry *fe, const FileEntry *data, int *ret_fd)
{
	_cleanup_close_ int w = -EBADF;
	unsigned int flags = MFD_CLOEXEC | (fe->has_memfd_seals ? MFD_ALLOW_SEALING : 0);
	uint64_t huge = fe->has_memfd_huge_size ? fe->memfd_huge_size : 0;
	int r;

	/* a hugetlb memfd comes back with its page size: a power of two the kernel's MFD_HUGE_* can say */
	if (huge && (huge & (huge - 1) || huge < (64u << 10) || __builtin_ctzll(huge) > 63))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": %s: bad huge page size %" PRIu64, fe->id,
				  fe->path, huge);
	if (huge)
		flags |= MFD_HUGETLB | ((unsigned int)__builtin_ctzll(huge) << MFD_HUGE_SHIFT);
	w = (int)memfd_create(fe->path + strlen(MEMFD_PREFIX), flags);
	if (w < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot recreate %s%s", fe->id, fe->path,
				     huge ? " with huge pages" : "");
	r = huge ? ghost_fill_mapped(w, fe, data) : ghost_fill(w, fe, data);
	if (r < 0)
		return r;
	if (fchown(w, fe->uid, fe->gid) < 0 || fchmod(w, fe->mode & 07777) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot set owner and mode of %s", fe->id, fe->path);
	r = ghost_set_times(w, fe, data);
	if (r < 0)
		return r;
	if (fe->has_memfd_seals && fe->memfd_seals && fcntl(w, F_ADD_SEALS, (int)fe->memfd_seals) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot seal %s with %#x", fe->id, fe->path, fe->memfd_seals);
	/*
	 * memfd_create's own description counts as no writer of the inode, so
	 * the task may execveat() it; a reopen for writing would make that
	 * ETXTBSY. It is kept for the shared mappings and the other
	 * descriptions, and a read-write description is taken to be that one.
	 */
	r = fcntl(w, F_DUPFD_CLOEXEC, fr->fd_floor);
	if (r < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot keep %s", fe->id, fe->path);
	files_restore_set_memfd_origin(fr, fe, r);
	if ((fe->flags & O_ACCMODE) == O_RDWR) {
		r = finish_open(fe, fe->path, w);
		if (r < 0)
			return r;
		*ret_fd = TAKE_FD(w);
		return 0;
	}
	return reopen_own(fe, w, fe->path, ret_fd);
}

/* The entry of the same unlinked inode that carries its contents, if any. */
static const FileEntry *ghost_data_of(const struct files_restore *fr, const FileEntry *fe)
{
	if (fe->has_ghost_data)
		return fe;
	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *o = fr->files[k];

		if (o->kind == FILE_KIND__FILE_REGULAR && o->deleted && o->has_ghost_data && o->dev == fe->dev &&
		    o->ino == fe->ino)
			return o;
	}
	return NULL;
}

/* Our fd of an already recreated ghost of the same inode, or -1. */
static int ghost_made(const struct files_restore *fr, const FileEntry *fe)
{
	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *o = fr->files[k];

		if (o != fe && o->kind == FILE_KIND__FILE_REGULAR && o->deleted && fr->file_fds[k] >= 0 &&
		    o->dev == fe->dev && o->ino == fe->ino)
			return fr->file_fds[k];
	}
	return -1;
}

/*
 * A ghost's owner and mode come from the image: a set-user-ID or
 * set-group-ID file of an owner other than a task's would hand that task the
 * owner's rights through exec. Any task of the tree may get an fd passed on,
 * so one such task that is not root is enough to refuse it.
 */
int files_check_ghost_owner(const struct files_restore *fr, const FileEntry *fe)
{
	if (!(fe->mode & (S_ISUID | S_ISGID)))
		return 0;
	for (size_t t = 0; t < fr->nr_tasks; t++) {
		const CredsEntry *c = fr->tasks[t].creds;

		if (c && c->fsuid != 0 &&
		    (fe->uid != c->fsuid || ((fe->mode & S_ISGID) && fe->gid != c->fsgid)))
			return pr_err_ret(-EPERM,
					  "file %" PRIu64
					  ": unlinked %s is set-ID (mode %o) of owner %u:%u, not of "
					  "a task of the tree (fsuid %u)",
					  fe->id, fe->path, fe->mode & 07777, fe->uid, fe->gid, c->fsuid);
	}
	return 0;
}

/* Removes name from dfd if it still names the inode of fd (nobody put another file there meanwhile). */
static int unlink_own(int dfd, const char *name, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) < 0 || fstatat(dfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return -EEXIST;
	return unlinkat(dfd, name, 0) < 0 ? -errno : 0;
}

/*
 * A directory on a mount made read-only (the file system itself may be
 * written): a detached clone of that mount, made writable, for criu alone.
 */
static int writable_clone(int dfd)
{
	struct mount_attr rw = {.attr_clr = MOUNT_ATTR_RDONLY};
	_cleanup_close_ int t = open_tree(dfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

	if (t < 0 || mount_setattr(t, "", AT_EMPTY_PATH, &rw, sizeof(rw)) < 0)
		return -errno;
	return TAKE_FD(t);
}

/*
 * The new inode of a ghost, in the directory the file was in, resolved in
 * the tree's root: a name made with O_EXCL right in that directory (no
 * symlink followed) and removed at once. The file's own name when it is
 * free, so that /proc/PID/fd and maps name it as at dump ("NAME (deleted)");
 * else a name that keeps the old one as its prefix. *ret_fd is read-write
 * (to fill it). On a mount made read-only, the inode is made through a
 * writable clone of the mount (the file system takes writes) and *ret_own
 * is it opened read-only through the tree's own mount, for the task's
 * descriptions; else -1.
 */
static int make_ghost_inode(const struct files_restore *fr, const FileEntry *fe, int *ret_fd, int *ret_own)
{
	const char *slash = strrchr(fe->path, '/');
	_cleanup_free_ char *dir = strndup(fe->path, slash ? (size_t)(slash - fe->path) : 0);
	_cleanup_close_ int dfd = -EBADF, clone = -EBADF;
	char name[NAME_MAX + 1];
	int w, r, at;

	*ret_own = -1;
	if (!dir)
		return -ENOMEM;
	if (!slash || !slash[1] || strlen(slash + 1) > NAME_MAX - 24)
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": unlinked file with a bad path %s",
				  fe->id, fe->path);
	r = files_open_dir_in_root(fr, *dir ? dir : "/", &dfd);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot open the directory of unlinked %s", fe->id,
				  fe->path);
	at = dfd;
	snprintf(name, sizeof(name), "%s", slash + 1);
	w = files_create_beneath(dfd, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, 0600);
	if (w == -EROFS) {
		clone = writable_clone(dfd);
		if (clone < 0)
			return pr_err_ret(clone, "file %" PRIu64 ": %s is on a read-only mount, which cannot be cloned writable",
					  fe->id, dir);
		at = clone;
		w = files_create_beneath(clone, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, 0600);
	}
	if (w == -EEXIST) {
		snprintf(name, sizeof(name), "%s.criu-ghost.%d", slash + 1, getpid());
		w = files_create_beneath(at, name, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, 0600);
	}
	if (w >= 0 && at != dfd) {
		*ret_own = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (*ret_own < 0)
			r = pr_perror_ret("file %" PRIu64 ": cannot open %s/%s through its read-only mount", fe->id, dir,
					  name);
	}
	if (w < 0)
		return pr_err_ret(w, "file %" PRIu64 ": cannot recreate unlinked %s in %s", fe->id, fe->path,
				  *dir ? dir : "/");
	if (r >= 0) {
		r = unlink_own(at, name, w);
		if (r < 0)
			pr_err("file %" PRIu64 ": cannot remove %s/%s: %s\n", fe->id, dir, name, strerror(-r));
	}
	if (r < 0) {
		close(w);
		if (*ret_own >= 0)
			close(*ret_own);
		*ret_own = -1;
		return r;
	}
	*ret_fd = w;
	return 0;
}

/*
 * An unlinked file comes back as a new file with the same contents, mode and
 * owner (its contents from the images only), made next to where it was
 * and unlinked before anything is written to it.
 * Every entry of one dumped inode (fds opened apart, mappings) gets the same
 * new inode.
 */
/* Whether another entry of fe's memfd holds memfd_create's own description already. */
static bool memfd_origin_given(const struct files_restore *fr, const FileEntry *fe, int origin)
{
	pid_t me = getpid();

	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *o = fr->files[k];

		if (o != fe && o->deleted && o->dev == fe->dev && o->ino == fe->ino && fr->file_fds[k] >= 0 &&
		    syscall(SYS_kcmp, me, me, KCMP_FILE, fr->file_fds[k], origin) == 0)
			return true;
	}
	return false;
}

/* The first read-write description of a memfd is memfd_create's own (see create_memfd_ghost). */
static int give_memfd_origin(const FileEntry *fe, int origin, int *ret_fd)
{
	_cleanup_close_ int f = fcntl(origin, F_DUPFD_CLOEXEC, 0);
	int r;

	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot share %s", fe->id, fe->path);
	r = finish_open(fe, fe->path, f);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(f);
	return 0;
}

static int open_ghost(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	_cleanup_close_ int w = -EBADF, own = -EBADF;
	const FileEntry *data;
	int r, origin = files_restore_memfd_origin(fr, fe), made = origin >= 0 ? origin : ghost_made(fr, fe);

	if (origin >= 0 && (fe->flags & O_ACCMODE) == O_RDWR && !memfd_origin_given(fr, fe, origin))
		return give_memfd_origin(fe, origin, ret_fd);
	if (made >= 0)
		return reopen_own(fe, made, fe->path, ret_fd);
	data = ghost_data_of(fr, fe);
	if (!data)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": unlinked %s without its contents", fe->id, fe->path);
	r = files_check_ghost_owner(fr, fe);
	if (r < 0)
		return r;
	if (!strncmp(fe->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)))
		return create_memfd_ghost(fr, fe, data, ret_fd);
	r = make_ghost_inode(fr, fe, &w, &own);
	if (r < 0)
		return r;
	r = ghost_fill(w, fe, data);
	if (r < 0)
		return r;
	if (fchown(w, fe->uid, fe->gid) < 0 || fchmod(w, fe->mode & 07777) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot set owner and mode of unlinked %s", fe->id,
				     fe->path);
	r = ghost_set_times(w, fe, data);
	if (r < 0)
		return r;
	return reopen_own(fe, own >= 0 ? own : w, fe->path, ret_fd);
}

/*
 * The file reopened by path against what it was at dump (file_check.h);
 * never by inode. A description open for writing is checked by type and
 * mode only: the tree writes to it, and may have gone on writing after a
 * --leave-running dump (a log, a counter), so its size and contents say
 * nothing about which file it is. (CRIU skips only write-only O_APPEND.)
 */
static int check_content(const struct files_restore *fr, const FileEntry *fe, int fd, const char *path)
{
	bool ro = (fe->flags & O_ACCMODE) == O_RDONLY;
	struct file_ident want = {
		.has_mode = fe->has_mode,
		.mode = fe->mode,
		.has_size = fe->has_size && ro,
		.size = fe->size,
		.build_id = fe->has_build_id && ro ? fe->build_id.data : NULL,
		.build_id_len = fe->has_build_id && ro ? fe->build_id.len : 0,
	};
	char why[320];
	int r = file_check(&fr->check, fd, &want, why, sizeof(why));

	return r < 0 ? pr_err_ret(r, "file %" PRIu64 ": %s: %s", fe->id, path, why) : 0;
}

/*
 * A --link-remap link is a name criu made at dump: "link_remap.<file id>" in
 * the directory of the removed path (link_remap() above). Anything else in
 * an image is refused by name and never opened or unlinked.
 */
static int check_remap_name(const FileEntry *fe, const char **ret_base)
{
	const char *ps = strrchr(fe->path, '/'), *rs = strrchr(fe->link_remap, '/');
	char want[64];

	snprintf(want, sizeof(want), "link_remap.%" PRIu64, fe->id);
	if (!ps || !rs || ps - fe->path != rs - fe->link_remap ||
	    strncmp(fe->path, fe->link_remap, (size_t)(ps - fe->path)) || strcmp(rs + 1, want))
		return pr_err_ret(-EBADMSG,
				  "files.img: file %" PRIu64
				  ": link_remap %s is not %s beside %s, the only name "
				  "--link-remap makes: refused",
				  fe->id, fe->link_remap, want, fe->path);
	*ret_base = rs + 1;
	return 0;
}

static int open_remap(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const char *base, *slash = strrchr(fe->path, '/');
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -EBADF, f = -EBADF;
	struct restored_remap *tmp;
	struct stat st;
	int r = check_remap_name(fe, &base);

	if (r < 0)
		return r;
	dir = strndup(fe->path, (size_t)(slash - fe->path));
	if (!dir)
		return -ENOMEM;
	r = files_open_dir_in_root(fr, *dir ? dir : "/", &dfd);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot open the directory of link %s", fe->id,
				  fe->link_remap);
	r = reopen(fr, fe, dfd, base, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, &f);
	if (r < 0)
		return r;
	if (fstat(f, &st) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot stat %s", fe->id, fe->link_remap);
	r = check_content(fr, fe, f, fe->link_remap);
	if (r < 0)
		return r;
	tmp = realloc(fr->remaps, (fr->nr_remaps + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	fr->remaps = tmp;
	tmp[fr->nr_remaps].name = strdup(base);
	if (!tmp[fr->nr_remaps].name)
		return -ENOMEM;
	/* the link goes once the whole restore has succeeded, if it still is this inode */
	tmp[fr->nr_remaps].dirfd = TAKE_FD(dfd);
	tmp[fr->nr_remaps].dev = st.st_dev;
	tmp[fr->nr_remaps].ino = st.st_ino;
	fr->nr_remaps++;
	*ret_fd = TAKE_FD(f);
	return 0;
}

static int regular_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	_cleanup_close_ int f = -EBADF;
	int r;

	if (!fe->path || fe->path[0] != '/')
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": no absolute path", fe->id);
	/* a regular file says so: without its mode nothing would stop a FIFO or a device */
	if (!fe->has_mode || !S_ISREG(fe->mode))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 " (%s): a regular file without a regular mode",
				  fe->id, fe->path);
	if (fe->link_remap)
		return open_remap(fr, fe, ret_fd);
	if (fe->deleted)
		return open_ghost(fr, fe, ret_fd);
	r = reopen(fr, fe, -1, fe->path, 0, &f);
	if (r >= 0)
		r = check_content(fr, fe, f, fe->path);
	if (r >= 0)
		*ret_fd = TAKE_FD(f);
	return r;
}

static bool directory_match(const struct stat *st, const char *link)
{
	return S_ISDIR(st->st_mode) && link[0] == '/';
}

static int path_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	int r = set_path(fe, a->link);

	if (r == 0 && a->fd >= 0 && S_ISDIR(a->st.st_mode))
		r = check_proc_pid(a, fe->path);
	if (r < 0)
		return r;
	/* a removed directory or device node is made again at restore (ghost_node.c): its owner too */
	if (a->st.st_nlink == 0)
		fe->deleted = true;
	if (!fe->deleted) {
		r = check_reachable_mount(fd, a, fe);
		if (r < 0)
			return r;
	}
	fe->has_deleted = fe->deleted;
	fe->has_uid = fe->has_gid = fe->deleted;
	fe->uid = a->st.st_uid;
	fe->gid = a->st.st_gid;
	fe->has_mode = true;
	fe->mode = a->st.st_mode;
	fe->has_rdev = S_ISCHR(a->st.st_mode);
	fe->rdev = a->st.st_rdev;
	return 0;
}

/* A character device node for rdev under dir (depth levels down), for --evasive-devices. */
static int find_chardev(const char *dir, dev_t rdev, int depth, char *out, size_t size)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == rdev) {
			snprintf(out, size, "%s", path);
			return 0;
		}
		if (S_ISDIR(st.st_mode) && depth > 0 && find_chardev(path, rdev, depth - 1, out, size) == 0)
			return 0;
	}
	return -ENOENT;
}

static bool same_kind(int fd, const FileEntry *fe)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == (fe->mode & S_IFMT) &&
	       (!fe->has_rdev || st.st_rdev == fe->rdev);
}

/*
 * A removed device node is made again only for a device the tree could
 * reach anyway: through a node of it under /dev in the tree's root that the
 * tasks holding it may open as dumped (the open itself, with their rights).
 * Else an image could hand a task /dev/mem by naming a removed node of it.
 */
static int check_device_reachable(struct files_restore *fr, const FileEntry *fe)
{
	int flags = (files_sane_open_flags(fe->flags) & O_ACCMODE) | O_NOCTTY | O_NONBLOCK;
	char other[PATH_MAX];
	_cleanup_close_ int f = -EBADF;
	uid_t denied = 0;

	if (find_chardev("/dev", (dev_t)fe->rdev, 2, other, sizeof(other)) < 0)
		return pr_err_ret(-EPERM,
				  "file %" PRIu64 ": removed device %s (%u:%u): no node of it under /dev, "
				  "so it is not made again",
				  fe->id, fe->path, major(fe->rdev), minor(fe->rdev));
	if (files_sane_open_flags(fe->flags) & O_PATH)
		return 0;
	f = files_open_in_root(fr, fe->id, -1, other, flags, 0, &denied);
	if (f < 0 || !same_kind(f, fe))
		return pr_err_ret(f < 0 ? f : -EPERM,
				  "file %" PRIu64 ": removed device %s (%u:%u): the tasks that hold it (fsuid %u) "
				  "may not open its node %s, so it is not made again",
				  fe->id, fe->path, major(fe->rdev), minor(fe->rdev), denied, other);
	return 0;
}

/* Our fd of an already remade removed node dev:ino of fe's kind, or -1. */
static int node_made(const struct files_restore *fr, const FileEntry *fe)
{
	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *o = fr->files[k];

		if (o != fe && o->kind == fe->kind && o->deleted && fr->file_fds[k] >= 0 && o->dev == fe->dev &&
		    o->ino == fe->ino)
			return fr->file_fds[k];
	}
	return -1;
}

/*
 * A removed directory or character device: made again at its old path with
 * its mode, owner and device number (ghost_node.c), opened with the dumped
 * flags, and removed again. Descriptions of one inode share the new one.
 */
static int open_deleted_node(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	struct ghost_node_spec spec = {
		.mode = fe->mode, .rdev = fe->rdev, .uid = fe->uid, .gid = fe->gid, .target = fe->symlink_target};
	_cleanup_close_ int p = -EBADF, f = -EBADF;
	struct ghost_node g;
	int made = node_made(fr, fe), r, rm;

	if (made >= 0)
		return reopen_own(fe, made, fe->path, ret_fd);
	if (!fe->has_uid || !fe->has_gid || (S_ISCHR(fe->mode) && !fe->has_rdev))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": removed %s without its owner", fe->id,
				  fe->path);
	r = files_check_ghost_owner(fr, fe);
	if (r == 0 && S_ISCHR(fe->mode))
		r = check_device_reachable(fr, fe);
	if (r < 0)
		return r;
	r = ghost_node_make(fr->root_fd, fe->path, &spec, &g, &p);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot make removed %s (%s, mode %o, owner %u:%u) again",
				  fe->id, fe->path, type_name(fe->mode), fe->mode & 07777, fe->uid, fe->gid);
	r = reopen_own(fe, p, fe->path, &f);
	rm = ghost_node_remove(&g);
	if (r < 0)
		return r;
	if (rm < 0)
		return pr_err_ret(rm, "file %" PRIu64 ": cannot remove %s again", fe->id, fe->path);
	*ret_fd = TAKE_FD(f);
	return 0;
}

static int path_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	char other[PATH_MAX];
	int r;

	if (!fe->path || fe->path[0] != '/')
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": no absolute path", fe->id);
	if (!fe->has_mode || (fe->kind == FILE_KIND__FILE_DIRECTORY) != S_ISDIR(fe->mode) ||
	    (fe->kind == FILE_KIND__FILE_CHARDEV) != S_ISCHR(fe->mode))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": %s has mode %o, not its kind's",
				  fe->id, fe->path, fe->has_mode ? fe->mode : 0);
	if (fe->deleted)
		return open_deleted_node(fr, fe, ret_fd);
	if (fe->kind == FILE_KIND__FILE_CHARDEV && fr->evasive_devices) {
		/* the dumped path if it still is the device, else any node of it under /dev */
		int f = -1;

		if (reopen(fr, fe, -1, fe->path, 0, &f) == 0 && same_kind(f, fe)) {
			*ret_fd = f;
			return 0;
		}
		if (f >= 0)
			close(f);
		if (find_chardev("/dev", (dev_t)fe->rdev, 2, other, sizeof(other)) < 0)
			return pr_err_ret(-ENOENT, "file %" PRIu64 ": %s (device %u:%u) is gone and no other node of it is under /dev",
					  fe->id, fe->path, major(fe->rdev), minor(fe->rdev));
		pr_info("file %" PRIu64 ": %s is gone; --evasive-devices: %s instead\n", fe->id, fe->path, other);
		return reopen(fr, fe, -1, other, 0, ret_fd);
	}
	r = reopen(fr, fe, -1, fe->path, 0, ret_fd);
	if (r < 0)
		return r;
	if (!same_kind(*ret_fd, fe)) {
		close(*ret_fd);
		return pr_err_ret(-ENXIO, "file %" PRIu64 ": %s is no longer the same kind of file (device %u:%u)",
				  fe->id, fe->path, major(fe->rdev), minor(fe->rdev));
	}
	return 0;
}

static bool chardev_match(const struct stat *st, const char *link)
{
	/* ttys need their own handling: only plain character devices here */
	return S_ISCHR(st->st_mode) && link[0] == '/' && strncmp(link, "/dev/pts/", 9) &&
	       strncmp(link, "/dev/tty", 8) && strcmp(link, "/dev/ptmx") && strcmp(link, "/dev/console");
}

const struct fd_ops regular_fd_ops = {
	.name = "regular file",
	.kind = FILE_KIND__FILE_REGULAR,
	.match = regular_match,
	.dump = regular_dump,
	.open = regular_open,
};

const struct fd_ops directory_fd_ops = {
	.name = "directory",
	.kind = FILE_KIND__FILE_DIRECTORY,
	.match = directory_match,
	.dump = path_dump,
	.open = path_open,
};

/* ---- a symlink itself, held by an O_PATH | O_NOFOLLOW fd ---- */

static bool symlink_match(const struct stat *st, const char *link)
{
	return S_ISLNK(st->st_mode) && link[0] == '/';
}

static int symlink_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(a->local, "", target, sizeof(target) - 1);
	int r;

	if (n < 0)
		return pr_perror_ret("pid %d fd %d: cannot read the symlink %s", a->pid, a->fd, a->link);
	target[n] = '\0';
	r = path_dump(fd, a, fe);
	if (r < 0)
		return r;
	fe->symlink_target = strdup(target);
	return fe->symlink_target ? 0 : -ENOMEM;
}

/* The symlink at the path, if it still points where it did; a removed one made again and removed. */
static int symlink_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	char target[PATH_MAX];
	_cleanup_close_ int f = -EBADF;
	ssize_t n;
	int r;

	if (!fe->path || fe->path[0] != '/' || !fe->symlink_target || !fe->has_mode || !S_ISLNK(fe->mode))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": a symlink without its path or target",
				  fe->id);
	if ((files_sane_open_flags(fe->flags) & (O_PATH | O_NOFOLLOW)) != (O_PATH | O_NOFOLLOW))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": a symlink held without O_PATH | O_NOFOLLOW",
				  fe->id);
	if (fe->deleted)
		return open_deleted_node(fr, fe, ret_fd);
	r = reopen(fr, fe, -1, fe->path, 0, &f);
	if (r < 0)
		return r;
	n = readlinkat(f, "", target, sizeof(target) - 1);
	if (n < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot read the symlink %s", fe->id, fe->path);
	target[n] = '\0';
	if (strcmp(target, fe->symlink_target))
		return pr_err_ret(-ENXIO, "file %" PRIu64 ": the symlink %s points to %s, not %s as dumped", fe->id,
				  fe->path, target, fe->symlink_target);
	*ret_fd = TAKE_FD(f);
	return 0;
}

const struct fd_ops symlink_fd_ops = {
	.name = "symlink",
	.kind = FILE_KIND__FILE_SYMLINK,
	.match = symlink_match,
	.dump = symlink_dump,
	.open = symlink_open,
};

/* ---- a namespace file (open("/proc/self/ns/net")) ---- */

static const char *const ns_types[] = {"net", "uts", "ipc", "mnt", "pid", "cgroup", "time", "user"};

bool files_ns_file_path(const char *path)
{
	if (strncmp(path, "/proc/self/ns/", 14))
		return false;
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++)
		if (!strcmp(path + 14, ns_types[i]))
			return true;
	return false;
}

/* "net:[4026531840]": the type, if it is one of ns_types. */
static const char *ns_type_of(const char *link)
{
	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++) {
		size_t n = strlen(ns_types[i]);

		if (!strncmp(link, ns_types[i], n) && link[n] == ':' && link[n + 1] == '[')
			return ns_types[i];
	}
	return NULL;
}

static bool ns_match(const struct stat *st, const char *link)
{
	return S_ISREG(st->st_mode) && ns_type_of(link);
}

/*
 * Only the holder's own namespace of that type is kept: the restored task
 * opens its own again. Another namespace (a child's, one held only by the
 * fd) is refused by name.
 */
static int ns_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	const char *type = ns_type_of(a->link);
	char own[64], path[64];
	struct stat st;

	snprintf(own, sizeof(own), "/proc/%d/ns/%s", a->pid, type);
	if (stat(own, &st) < 0)
		return pr_perror_ret("pid %d fd %d: cannot stat %s", a->pid, a->fd, own);
	if (st.st_ino != a->st.st_ino || st.st_dev != a->st.st_dev)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: %s is not the task's own %s namespace (%s is %lu): not supported yet",
				  a->pid, a->fd, a->link, type, own, (unsigned long)st.st_ino);
	snprintf(path, sizeof(path), "/proc/self/ns/%s", type);
	fe->path = strdup(path);
	return fe->path ? 0 : -ENOMEM;
}

static int ns_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	return pr_err_ret(-EINVAL, "file %" PRIu64 ": a namespace file is opened by its task", fe->id);
}

const struct fd_ops ns_fd_ops = {
	.name = "namespace file",
	.kind = FILE_KIND__FILE_NS,
	.match = ns_match,
	.dump = ns_dump,
	.open = ns_open,
};

const struct fd_ops chardev_fd_ops = {
	.name = "character device",
	.kind = FILE_KIND__FILE_CHARDEV,
	.match = chardev_match,
	.dump = path_dump,
	.open = path_open,
};
