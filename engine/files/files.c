/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Dispatch over the fd kinds, fd tables, and the shared-description logic. */
#define LOG_PREFIX "files: "
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file_check.h"
#include "files_priv.h"
#include "sk_net.h"
#include "locks.h"
#include "log.h"
#include "self_proc.h"
#include "options.h"
#include "pstree.h"
#include "pty.h"
#include "plugin_files.h"

static const struct fd_ops *const fd_kinds[] = {
	&mqueue_fd_ops, /* before regular files: a queue is a regular file of the mqueue fs */
	&regular_fd_ops, &directory_fd_ops, &chardev_fd_ops, &symlink_fd_ops, &ns_fd_ops, &pipe_fd_ops, &fifo_fd_ops, &pty_master_fd_ops, &pty_slave_fd_ops, &tty_fd_ops,
	&eventfd_fd_ops, &signalfd_fd_ops, &timerfd_fd_ops, &epoll_fd_ops, &inotify_fd_ops, &fanotify_fd_ops,
	&pidfd_fd_ops,
	&unix_fd_ops,
	&inet_sk_fd_ops, &netlink_sk_fd_ops, &packet_sk_fd_ops,
	&plugin_fd_ops,
};

static const struct fd_ops *ops_by_kind(FileKind kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds); i++)
		if (fd_kinds[i]->kind == kind)
			return fd_kinds[i];
	return NULL;
}

static const char *kind_of(const struct stat *st, const char *link)
{
	if (S_ISSOCK(st->st_mode))
		return "socket";
	if (!strncmp(link, "anon_inode:", 11))
		return link + 11;
	if (S_ISBLK(st->st_mode))
		return "block device";
	return "unknown";
}

/* ---- dump ---- */

int files_dump_init(uint64_t *next_id, uint64_t ghost_limit, struct files_dump **ret)
{
	struct files_dump *fd = calloc(1, sizeof(*fd));

	if (!fd)
		return -ENOMEM;
	fd->next_id = next_id;
	fd->ghost_limit = ghost_limit;
	fd->root_fd = -EBADF;
	*ret = fd;
	return 0;
}

uint64_t files_dump_ghost_limit(const struct files_dump *fd)
{
	return fd->ghost_limit;
}

void files_dump_set_shell_job(struct files_dump *fd, pid_t ext_sid)
{
	fd->shell_job = true;
	fd->shell_job_sid = ext_sid;
}

bool files_dump_shell_job_sid(const struct files_dump *fd, pid_t *ret_sid)
{
	*ret_sid = fd->shell_job_sid;
	return fd->shell_job;
}

void files_dump_set_link_remap(struct files_dump *fd, bool on)
{
	fd->link_remap = on;
}

void files_dump_set_external(struct files_dump *fd, char *const *external, size_t n)
{
	fd->external = external;
	fd->nr_external = n;
}

void files_dump_set_creds(struct files_dump *fd, const CredsEntry *creds)
{
	fd->creds = creds;
}

void files_dump_set_force_irmap(struct files_dump *fd, bool on, char *const *scan, size_t nr_scan)
{
	fd->force_irmap = on;
	fd->irmap_scan = scan;
	fd->nr_irmap_scan = nr_scan;
}

int files_dump_set_root(struct files_dump *fd, pid_t root)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/root", root);
	if (fd->root_fd >= 0)
		close(fd->root_fd);
	fd->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd->root_fd < 0 ? pr_perror_ret("pid %d: cannot open %s", root, path) : 0;
}


/* The --external tty[RDEV:DEV] that st is, or NULL. */
const char *files_external_tty(const struct files_dump *fd, const struct stat *st)
{
	for (size_t i = 0; S_ISCHR(st->st_mode) && i < fd->nr_external; i++) {
		unsigned long long rdev, dev;

		if (cr_external_tty(fd->external[i], &rdev, &dev) && rdev == st->st_rdev && dev == st->st_dev)
			return fd->external[i];
	}
	return NULL;
}

void files_dump_abort(struct files_dump *fd)
{
	for (size_t i = 0; fd && i < fd->nr_remaps; i++)
		if (unlink(fd->remaps[i]) < 0)
			pr_perror("cannot remove the link %s made for --link-remap", fd->remaps[i]);
}

void files_dump_free(struct files_dump *fd)
{
	if (!fd)
		return;
	for (size_t i = 0; i < fd->nr_remaps; i++)
		free(fd->remaps[i]);
	free(fd->remaps);
	for (size_t i = 0; i < fd->nr_files; i++) {
		close(fd->files[i].local);
		file_entry__free_unpacked(fd->files[i].fe, NULL);
	}
	for (size_t i = 0; i < fd->nr_pipes; i++) {
		close(fd->pipes[i].local);
		pipe_entry__free_unpacked(fd->pipes[i].pe, NULL);
	}
	free(fd->files);
	free(fd->pipes);
	free(fd->pids);
	free(fd->ext_unix);
	free(fd->usk_inflight);
	sk_net_dump_free(fd->net);
	if (fd->root_fd >= 0)
		close(fd->root_fd);
	free(fd);
}

static int read_fdinfo(pid_t pid, int n, unsigned int *flags, uint64_t *pos)
{
	char path[64], buf[4096];
	_cleanup_close_ int f = -EBADF;
	ssize_t len;
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, n);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	len = read(f, buf, sizeof(buf) - 1);
	if (len < 0)
		return -errno;
	buf[len] = '\0';
	p = strstr(buf, "pos:");
	*pos = p ? strtoull(p + 4, NULL, 10) : 0;
	p = strstr(buf, "flags:");
	if (!p)
		return -EBADMSG;
	*flags = (unsigned int)strtoul(p + 6, NULL, 8);
	return 0;
}

uint32_t files_fd_mnt_id(int local)
{
	char path[64], buf[4096];
	_cleanup_close_ int f = -EBADF;
	ssize_t len;
	const char *p;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", local);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	len = read(f, buf, sizeof(buf) - 1);
	if (len < 0)
		return 0;
	buf[len] = '\0';
	p = strstr(buf, "mnt_id:");
	return p ? (uint32_t)strtoul(p + 7, NULL, 10) : 0;
}

/* The already dumped description this fd shares, if any (kcmp on our copies). */
static struct dumped_file *find_shared(struct files_dump *fd, int local, const struct stat *st)
{
	pid_t self = getpid();

	for (size_t i = 0; i < fd->nr_files; i++) {
		struct dumped_file *df = &fd->files[i];

		if (df->fe->has_ino && df->fe->ino != st->st_ino)
			continue;
		if (syscall(SYS_kcmp, self, self, KCMP_FILE, local, df->local) == 0)
			return df;
	}
	return NULL;
}

static int add_file(struct files_dump *fd, FileEntry *fe, int local)
{
	if (fd->nr_files == fd->cap_files) {
		size_t cap = fd->cap_files ? fd->cap_files * 2 : 64;
		struct dumped_file *nf = realloc(fd->files, cap * sizeof(*nf));

		if (!nf)
			return -ENOMEM;
		fd->files = nf;
		fd->cap_files = cap;
	}
	fd->files[fd->nr_files].fe = fe;
	fd->files[fd->nr_files].local = local;
	fd->nr_files++;
	return 0;
}

/* Whether host pid is a process of the tree, or a thread of one. */
static bool in_tree(const struct files_dump *fd, pid_t pid, int type)
{
	pid_t tgid = pid;

	if (type == F_OWNER_TID) {
		char path[64], line[128];
		_cleanup_fclose_ FILE *f = NULL;

		snprintf(path, sizeof(path), "/proc/%d/status", pid);
		f = fopen(path, "re");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "Tgid: %d", &tgid) == 1)
				break;
	}
	for (size_t i = 0; i < fd->nr_pids; i++)
		if (fd->pids[i] == tgid)
			return true;
	return false;
}

/*
 * The description's owner for SIGIO and its signal. An owner in the tree is
 * kept by its pid there; one outside it cannot be restored: refused.
 */
static int dump_fown(const struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	struct f_owner_ex own = { 0 };
	int sig = fcntl(a->local, F_GETSIG);
	FownEntry *fo;
	pid_t v = 0;

	if (sig < 0 || fcntl(a->local, F_GETOWN_EX, &own) < 0)
		return 0; /* a kind without an owner (the kernel answers for every file, but be lenient) */
	if (!own.pid && !sig)
		return 0;
	if (own.pid) {
		bool grp = own.type == F_OWNER_PGRP;

		if (!grp && !in_tree(fd, own.pid, own.type))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: not supported yet: its SIGIO owner %d is outside the tree",
					  a->pid, a->fd, own.pid);
		/* set by the task before its other threads exist again */
		if (own.type == F_OWNER_TID && !in_tree(fd, own.pid, F_OWNER_PID))
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: not supported yet: its SIGIO owner is thread %d, not a main thread",
					  a->pid, a->fd, own.pid);
		v = proc_ns_pid(own.pid);
		if (v <= 0)
			return pr_err_ret(v < 0 ? v : -ESRCH, "pid %d fd %d: the SIGIO owner %s %d has no pid in the tree",
					  a->pid, a->fd, grp ? "process group" : "task", own.pid);
	}
	fo = malloc(sizeof(*fo));
	if (!fo)
		return -ENOMEM;
	fown_entry__init(fo);
	fo->type = (uint32_t)own.type;
	fo->pid = v;
	fo->signum = (uint32_t)sig;
	fe->fown = fo;
	return 0;
}

/* A new file_entry for a (not yet seen) description; on success fd owns a->local. */
static int new_entry(struct files_dump *fd, const struct fd_ops *ops, const struct fd_dump_arg *a, uint64_t *ret_id)
{
	FileEntry *fe = calloc(1, sizeof(*fe));
	int r;

	if (!fe)
		return -ENOMEM;
	file_entry__init(fe);
	fe->id = (*fd->next_id)++;
	fe->kind = ops->kind;
	fe->flags = a->flags & ~O_CLOEXEC;
	fe->has_pos = true;
	fe->pos = a->pos;
	fe->has_ino = true;
	fe->ino = a->st.st_ino;
	fe->has_dev = true;
	fe->dev = a->st.st_dev;
	fe->mnt_id = files_fd_mnt_id(a->local);
	fe->has_mnt_id = fe->mnt_id != 0;
	r = ops->dump(fd, a, fe);
	if (r >= 0)
		r = dump_fown(fd, a, fe);
	if (r >= 0)
		r = add_file(fd, fe, a->local);
	if (r < 0) {
		file_entry__free_unpacked(fe, NULL);
		return r;
	}
	*ret_id = fe->id;
	return 0;
}

/* Dumps one description; *ret_id gets its id (an existing one when shared). */
static int dump_one_fd(struct files_dump *fd, pid_t pid, int pidfd, int n, uint64_t *ret_id, bool *cloexec)
{
	char path[64], link[PATH_MAX];
	struct fd_dump_arg a = { .pid = pid, .fd = n, .link = link };
	const struct fd_ops *ops = NULL;
	struct dumped_file *shared;
	const char *ext_tty;
	ssize_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, n);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return pr_perror_ret("pid %d fd %d: cannot read %s", pid, n, path);
	link[len] = '\0';
	r = read_fdinfo(pid, n, &a.flags, &a.pos);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read fdinfo", pid, n);
	*cloexec = a.flags & O_CLOEXEC;
	a.local = (int)syscall(SYS_pidfd_getfd, pidfd, n, 0);
	if (a.local < 0)
		return pr_perror_ret("pid %d fd %d (%s): pidfd_getfd failed", pid, n, link);
	if (fstat(a.local, &a.st) < 0) {
		r = pr_perror_ret("pid %d fd %d (%s): cannot stat", pid, n, link);
		goto err;
	}
	/* a pty slave (a container's console) is pty.c's; other terminals cannot be external yet */
	ext_tty = files_external_tty(fd, &a.st);
	if (ext_tty && !pty_slave_fd_ops.match(&a.st, link)) {
		r = pr_err_ret(-EOPNOTSUPP,
			       "pid %d fd %d: %s is the external terminal --external %s: not supported yet (only "
			       "a pty slave can be external)",
			       pid, n, link, ext_tty);
		goto err;
	}
	shared = find_shared(fd, a.local, &a.st);
	if (shared) {
		*ret_id = shared->fe->id;
		close(a.local);
		return file_locks_dump_fd(fd, pid, n, shared->fe);
	}
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds) && !ops; i++)
		if (fd_kinds[i]->match_fd ? fd_kinds[i]->match_fd(a.local, &a.st, link) : fd_kinds[i]->match(&a.st, link))
			ops = fd_kinds[i];
	if (!ops) {
		/* an unknown kind: the plugins may keep it (plugin_files.c) */
		r = new_entry(fd, &plugin_fd_ops, &a, ret_id);
		if (r == -ENOTSUP)
			r = pr_err_ret(-EOPNOTSUPP,
				       "pid %d fd %d: %s (%s) is a kind of fd that cannot be dumped yet (no plugin took it)",
				       pid, n, link, kind_of(&a.st, link));
		if (r < 0)
			goto err;
		return file_locks_dump_fd(fd, pid, n, fd->files[fd->nr_files - 1].fe);
	}
	r = new_entry(fd, ops, &a, ret_id);
	if (r < 0)
		goto err;
	/* the entry owns a.local now */
	return file_locks_dump_fd(fd, pid, n, fd->files[fd->nr_files - 1].fe);
err:
	close(a.local);
	return r;
}

/*
 * A file in flight in a socket queue of pid's (we got local by peeking, and
 * own it on every path): the description already dumped, or a new one. A unix
 * socket is not dumped from here (its own queue would be peeked inside this
 * one's): 1 tells the caller to find it among the tree's sockets later.
 */
int files_dump_inflight(struct files_dump *fd, pid_t pid, int local, uint64_t *ret_id)
{
	char link[PATH_MAX];
	struct fd_dump_arg a = {.pid = pid, .fd = -1, .local = local, .link = link};
	const struct fd_ops *ops = &plugin_fd_ops;
	struct dumped_file *shared;
	ssize_t len;
	int r;

	len = self_fd_readlink(local, link, sizeof(link));
	r = len < 0 ? (int)len : fstat(local, &a.st) < 0 ? -errno : 0;
	if (r >= 0) {
		link[len] = '\0';
		r = read_fdinfo(getpid(), local, &a.flags, &a.pos);
	}
	if (r < 0) {
		close(local);
		return pr_err_ret(r, "pid %d: cannot inspect a file in flight in a socket queue", pid);
	}
	shared = find_shared(fd, local, &a.st);
	if (shared || unix_fd_ops.match_fd(local, &a.st, link)) {
		if (shared)
			*ret_id = shared->fe->id;
		close(local);
		return shared ? 0 : 1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(fd_kinds) && ops == &plugin_fd_ops; i++)
		if (fd_kinds[i]->match_fd ? fd_kinds[i]->match_fd(local, &a.st, link)
					  : fd_kinds[i]->match(&a.st, link))
			ops = fd_kinds[i];
	if (ops == &pidfd_fd_ops) { /* made at restore by a task that holds it (post_install), not by criu */
		close(local);
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: a pidfd (%s) in flight in a socket queue: not supported yet", pid,
				  link);
	}
	r = new_entry(fd, ops, &a, ret_id);
	if (r < 0) {
		close(local);
		return pr_err_ret(r, "pid %d: %s (%s), in flight in a socket queue, cannot be dumped", pid,
				  link, kind_of(&a.st, link));
	}
	pr_info("pid %d: %s in flight in a socket queue is file %" PRIu64 "\n", pid, link, *ret_id);
	return 0;
}

struct dumped_file *files_find_ghost(struct files_dump *fd, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < fd->nr_files; i++) {
		const FileEntry *fe = fd->files[i].fe;

		if (fe->kind == FILE_KIND__FILE_REGULAR && fe->deleted && fe->has_ghost_data && fe->dev == dev &&
		    fe->ino == ino)
			return &fd->files[i];
	}
	return NULL;
}

int files_dump_mapped_file(struct files_dump *fd, pid_t pid, const char *map_path, const char *link,
			   uint64_t *ret_id)
{
	struct fd_dump_arg a = { .pid = pid, .fd = -1, .link = link, .flags = O_RDONLY };
	struct dumped_file *ghost;
	int r;

	a.local = open(map_path, O_RDONLY | O_CLOEXEC);
	if (a.local < 0)
		return pr_perror_ret("pid %d: cannot open the mapped file %s (%s)", pid, link, map_path);
	if (fstat(a.local, &a.st) < 0) {
		r = pr_perror_ret("pid %d: cannot stat the mapped file %s", pid, link);
		goto err;
	}
	ghost = files_find_ghost(fd, a.st.st_dev, a.st.st_ino);
	if (ghost) {
		*ret_id = ghost->fe->id;
		close(a.local);
		return 0;
	}
	if (!S_ISREG(a.st.st_mode) || link[0] != '/') {
		r = pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: mapping of unlinked %s (mode %#o)", pid, link,
			       a.st.st_mode);
		goto err;
	}
	r = new_entry(fd, &regular_fd_ops, &a, ret_id);
	if (r < 0)
		goto err;
	return 0;
err:
	close(a.local);
	return r;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int list_fds(pid_t pid, int **ret, size_t *ret_n)
{
	char path[64];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int *fds = NULL;
	size_t n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return pr_perror_ret("pid %d: cannot list %s", pid, path);
	while ((de = readdir(d))) {
		int *nf;

		if (de->d_name[0] == '.')
			continue;
		nf = realloc(fds, (n + 1) * sizeof(*fds));
		if (!nf) {
			free(fds);
			return -ENOMEM;
		}
		fds = nf;
		fds[n++] = atoi(de->d_name);
	}
	qsort(fds, n, sizeof(*fds), cmp_int);
	*ret = fds;
	*ret_n = n;
	return 0;
}

static int note_task_pid(struct files_dump *fd, pid_t pid)
{
	pid_t *tmp = realloc(fd->pids, (fd->nr_pids + 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	fd->pids = tmp;
	fd->pids[fd->nr_pids++] = pid;
	return 0;
}

/* A task whose fds were dumped, or a child of one (zombies have no fds but are in the tree). */
bool files_dump_in_tree(const struct files_dump *fd, pid_t pid)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;
	pid_t ppid = 0;

	for (size_t i = 0; i < fd->nr_pids; i++)
		if (fd->pids[i] == pid)
			return true;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	for (size_t i = 0; ppid > 0 && i < fd->nr_pids; i++)
		if (fd->pids[i] == ppid)
			return true;
	return false;
}

/* Lets the kinds resolve what refers to other descriptions, now that all are known. */
static int dump_finish_kinds(struct files_dump *fd)
{
	for (size_t i = 0; i < fd->nr_files; i++) {
		const struct fd_ops *ops = ops_by_kind(fd->files[i].fe->kind);
		int r = ops && ops->dump_finish ? ops->dump_finish(fd, fd->files[i].fe, fd->files[i].local) : 0;

		if (r < 0)
			return r;
	}
	return 0;
}

int files_dump_task(struct files_dump *fd, pid_t pid, struct img_dir *d, uint64_t task_id)
{
	_cleanup_free_ int *fds = NULL;
	_cleanup_close_ int pidfd = -EBADF;
	struct img_writer *w = NULL;
	size_t n = 0;
	int r;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return pr_perror_ret("pid %d: pidfd_open failed", pid);
	r = note_task_pid(fd, pid);
	if (r < 0)
		return r;
	r = list_fds(pid, &fds, &n);
	if (r < 0)
		return r;
	r = img_create(d, IMG_FDTABLE, task_id, &w);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		FdEntry e = FD_ENTRY__INIT;
		bool cloexec = false;

		r = dump_one_fd(fd, pid, pidfd, fds[i], &e.file_id, &cloexec);
		if (r < 0)
			break;
		e.fd = (uint32_t)fds[i];
		e.cloexec = cloexec;
		r = img_write_msg(w, &e.base);
	}
	return img_finish(w, r);
}

int files_dump_task_shared(struct files_dump *fd, pid_t pid)
{
	return note_task_pid(fd, pid);
}

int files_dump_finish(struct files_dump *fd, struct img_dir *d)
{
	struct img_writer *w = NULL;
	int r;

	for (size_t i = 0; i < fd->nr_pipes; i++) {
		const struct dumped_pipe *p = &fd->pipes[i];

		/*
		 * An end outside the tree (a runtime's stdio pipe): the restore
		 * takes the runtime's new pipe through --inherit-fd fd[N]:pipe:[INO],
		 * or makes a pipe of its own whose other end nobody holds.
		 */
		if (!p->has_read || !p->has_write)
			pr_info("pid %d fd %d: pipe:[%" PRIu64 "] has its %s end outside the dumped tree\n", p->pid,
				p->fd, p->pe->ino, p->has_read ? "write" : "read");
	}
	r = dump_finish_kinds(fd);
	if (r < 0)
		return r;
	r = sk_net_dump_write(fd, d); /* netlock.img */
	if (r < 0)
		return r;
	r = img_create(d, IMG_FILES, 0, &w);
	for (size_t i = 0; r >= 0 && i < fd->nr_files; i++)
		r = img_write_msg(w, &fd->files[i].fe->base);
	r = img_finish(w, r);
	if (r < 0 || !fd->nr_pipes)
		return r;
	r = img_create(d, IMG_PIPES, 0, &w);
	for (size_t i = 0; r >= 0 && i < fd->nr_pipes; i++)
		r = img_write_msg(w, &fd->pipes[i].pe->base);
	return img_finish(w, r);
}

/* ---- restore ---- */

static int load_records(struct img_dir *d, enum img_kind kind, uint64_t id, const ProtobufCMessageDescriptor *desc,
			void ***ret, size_t *ret_n)
{
	struct img_reader *r = NULL;
	ProtobufCMessage *m;
	int n, err = img_open(d, kind, id, &r);

	*ret = NULL;
	*ret_n = 0;
	if (err == -ENOENT)
		return 0; /* absent by the inventory: nothing of that kind */
	if (err < 0)
		return err;
	*ret = calloc(img_reader_count(r) + 1, sizeof(void *));
	if (!*ret) {
		img_close(r);
		return -ENOMEM;
	}
	while ((n = img_read_msg(r, desc, &m)) > 0)
		(*ret)[(*ret_n)++] = m;
	img_close(r);
	return n;
}

static int restore_check(struct files_restore *fr)
{
	int max_fd = 0;

	for (size_t t = 0; t < fr->nr_tasks; t++)
		for (size_t i = 0; i < fr->tasks[t].n; i++) {
			const FdEntry *e = fr->tasks[t].fds[i];
			bool known = false;

			for (size_t k = 0; k < fr->nr_files && !known; k++)
				known = fr->files[k]->id == e->file_id;
			if (!known || e->fd > INT_MAX / 2)
				return pr_err_ret(-EBADMSG, "fdtable-%" PRIu64 ".img: fd %u names unknown file %" PRIu64,
						  fr->tasks[t].task_id, e->fd, e->file_id);
			if ((int)e->fd > max_fd)
				max_fd = (int)e->fd;
		}
	for (size_t k = 0; k < fr->nr_files; k++)
		if (!ops_by_kind(fr->files[k]->kind))
			return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 " of unknown kind %d", fr->files[k]->id,
					  fr->files[k]->kind);
	fr->fd_floor = max_fd + 64;
	return 0;
}

/*
 * Lifts our fd limit so that every description fits above the tasks' numbers,
 * with each task's fd channel (two ends, files_restore_keep_fd).
 */
static int raise_nofile(struct files_restore *fr)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)fr->fd_floor + fr->nr_files + 2 * fr->nr_pipes + 2 * fr->nr_tasks + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		return pr_err_ret(-EMFILE, "the checkpoint needs %lu fds, the hard limit is %lu", (unsigned long)need,
				  (unsigned long)rl.rlim_max);
	rl.rlim_cur = need;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

int files_restore_inherited(const struct files_restore *fr, const char *key)
{
	return cr_inherit_fd_find(fr->inherit, fr->nr_inherit, key);
}

bool files_restore_shell_job(const struct files_restore *fr)
{
	return fr->shell_job;
}

/* Opens file i into fr->file_fds[i], above every task's numbers. */
/* /proc or a path below it. */
static bool proc_path(const char *p)
{
	return !strncmp(p, "/proc", 5) && (p[5] == '\0' || p[5] == '/');
}

/*
 * A file of /proc: the task a /proc/PID path names may not exist while criu
 * opens files, nor (in a new pid namespace) that /proc, so the task opens it
 * itself once the whole tree runs (files_restore_proc_fd).
 */
bool files_opened_by_task(const FileEntry *fe)
{
	if (fe->kind == FILE_KIND__FILE_NS)
		return true;
	return (fe->kind == FILE_KIND__FILE_REGULAR || fe->kind == FILE_KIND__FILE_DIRECTORY) && fe->path &&
	       !fe->deleted && !fe->link_remap && proc_path(fe->path);
}

static bool opened_by_task_id(const struct files_restore *fr, uint64_t id)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k]->id == id)
			return files_opened_by_task(fr->files[k]);
	return false;
}

/* A path from an image that may be opened in the task: under /proc, without "." or ".." or empty components. */
static bool proc_path_sane(const char *p)
{
	if (!proc_path(p))
		return false;
	for (const char *c = p; (c = strchr(c, '/')); c++)
		if (c[1] == '/' || (c[1] == '.' && (!c[2] || c[2] == '/' || (c[2] == '.' && (!c[3] || c[3] == '/')))))
			return false;
	return true;
}

int files_restore_proc_fd(const struct files_restore *fr, uint64_t task_id, size_t k, struct proc_fd *out)
{
	for (size_t t = 0; t < fr->nr_tasks; t++) {
		const struct task_fds *tf = &fr->tasks[t];

		if (tf->task_id != task_id || tf->table != tf)
			continue;
		for (size_t i = 0; i < tf->n; i++)
			for (size_t f = 0; f < fr->nr_files; f++) {
				const FileEntry *fe = fr->files[f];

				if (fe->id != tf->fds[i]->file_id || !files_opened_by_task(fe) || k-- != 0)
					continue;
				/* its path was checked when the images were read (files_restore_prepare) */
				*out = (struct proc_fd){.fd = (int)tf->fds[i]->fd,
							.cloexec = tf->fds[i]->cloexec,
							.magic = fe->kind == FILE_KIND__FILE_NS,
							.path = fe->path,
							.flags = (files_sane_open_flags(fe->flags) & ~O_ASYNC) | O_NOCTTY,
							.pos = fe->has_pos ? fe->pos : 0,
							.file_id = fe->id};
				return 0;
			}
	}
	return -ENOENT;
}

static int open_file(struct files_restore *fr, size_t i)
{
	const FileEntry *fe = fr->files[i];
	int local = -1, r, tree_root = fr->root_fd;

	/* a path of another mount namespace of the tree resolves in its root */
	if (fe->has_mnt_id && fr->roots && fr->roots->root_of) {
		r = fr->roots->root_of(fr->roots->arg, fe->mnt_id);
		if (r >= 0)
			fr->root_fd = r;
	}
	r = ops_by_kind(fe->kind)->open(fr, fr->files[i], &local);
	fr->root_fd = tree_root;
	if (r < 0)
		return r;
	fr->file_fds[i] = fcntl(local, F_DUPFD, fr->fd_floor);
	close(local);
	if (fr->file_fds[i] < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot move our fd above %d", fr->files[i]->id,
				     fr->fd_floor);
	return 0;
}

/*
 * A file in flight that sk_unix.c needed before its turn (unix sockets hold
 * theirs until their open), or one opened along with another
 * (files_restore_put_fd).
 */
static bool opened_early(const struct files_restore *fr, size_t i)
{
	return fr->file_fds[i] >= 0 && fr->files[i]->kind != FILE_KIND__FILE_UNIX_SK;
}

int files_restore_inflight_fd(struct files_restore *fr, uint64_t id, int *ret_fd)
{
	for (size_t i = 0; i < fr->nr_files; i++) {
		int r;

		if (fr->files[i]->id != id)
			continue;
		if (fr->file_fds[i] < 0 && fr->files[i]->kind == FILE_KIND__FILE_UNIX_SK)
			return -EINVAL; /* the caller's own, made with the others */
		r = fr->file_fds[i] >= 0 ? 0 : open_file(fr, i);
		if (r >= 0)
			*ret_fd = fr->file_fds[i];
		return r;
	}
	return -ENOENT;
}

/*
 * Each task's fdtable; a task sharing an earlier one's table (files_ids)
 * has no fdtable image of its own: it points at that task's.
 */
static int load_task_tables(struct files_restore *fr, struct img_dir *d, const uint64_t *task_ids,
			    const uint64_t *files_ids, size_t nr_tasks, const CredsEntry *const *creds)
{
	for (size_t i = 0; i < nr_tasks; i++) {
		struct task_fds *tf = &fr->tasks[i];
		uint64_t files_id = files_ids ? files_ids[i] : task_ids[i];
		int r;

		tf->task_id = task_ids[i];
		tf->creds = creds ? creds[i] : NULL;
		fr->nr_tasks++;
		for (size_t k = 0; k < i && files_id != task_ids[i]; k++)
			if (fr->tasks[k].task_id == files_id && fr->tasks[k].table == &fr->tasks[k])
				tf->table = &fr->tasks[k];
		if (tf->table)
			continue;
		if (files_id != task_ids[i])
			return pr_err_ret(-EBADMSG,
					  "task %" PRIu64 ": shares the fd table of task %" PRIu64
					  ", which is no task with a table of its own before it",
					  task_ids[i], files_id);
		tf->table = tf;
		r = load_records(d, IMG_FDTABLE, task_ids[i], &fd_entry__descriptor, (void ***)&tf->fds,
				 &tf->n);
		if (r < 0)
			return r;
	}
	return 0;
}

int files_restore_root_for(const struct files_restore *fr, uint32_t mnt_id)
{
	int r = fr->roots && fr->roots->root_of ? fr->roots->root_of(fr->roots->arg, mnt_id) : -ENODEV;

	if (r == -ENODEV)
		return -ENOENT;
	return r >= 0 ? r : fr->root_fd;
}

int files_restore_prepare(struct img_dir *d, const uint64_t *task_ids, const uint64_t *files_ids,
			  size_t nr_tasks, unsigned int flags, const struct cr_inherit_fd *inherit,
			  size_t nr_inherit, const char *root, const CredsEntry *const *creds,
			  struct files_restore **ret)
{
	return files_restore_prepare_in(d, task_ids, files_ids, nr_tasks, flags, inherit, nr_inherit, root, NULL,
					creds, ret);
}

int files_restore_prepare_in(struct img_dir *d, const uint64_t *task_ids, const uint64_t *files_ids,
			     size_t nr_tasks, unsigned int flags, const struct cr_inherit_fd *inherit,
			     size_t nr_inherit, const char *root, const struct files_roots *roots,
			     const CredsEntry *const *creds, struct files_restore **ret)
{
	struct files_restore *fr = calloc(1, sizeof(*fr));
	int r = 0;

	if (!fr)
		return -ENOMEM;
	fr->roots = roots;
	fr->root_fd = open(root ? root : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fr->root_fd < 0) {
		r = pr_perror_ret("cannot open the tree's root %s", root ? root : "/");
		free(fr);
		return r;
	}
	fr->shell_job = flags & FILES_SHELL_JOB;
	fr->inherit = inherit;
	fr->nr_inherit = nr_inherit;
	fr->evasive_devices = flags & FILES_EVASIVE_DEVICES;
	fr->check.by_size = flags & FILES_VALIDATE_SIZE;
	fr->check.skip_rwx = flags & FILES_SKIP_RWX_CHECK;
	r = load_records(d, IMG_FILES, 0, &file_entry__descriptor, (void ***)&fr->files, &fr->nr_files);
	if (r >= 0)
		r = load_records(d, IMG_PIPES, 0, &pipe_entry__descriptor, (void ***)&fr->pipes, &fr->nr_pipes);
	fr->tasks = calloc(nr_tasks + 1, sizeof(*fr->tasks));
	fr->file_fds = calloc(fr->nr_files + 1, sizeof(int));
	fr->pipe_fds = calloc(fr->nr_pipes + 1, sizeof(*fr->pipe_fds));
	fr->pipe_given = calloc(fr->nr_pipes + 1, 1);
	fr->memfd_origin = calloc(fr->nr_files + 1, sizeof(int));
	if (r >= 0 && (!fr->tasks || !fr->file_fds || !fr->pipe_fds || !fr->pipe_given || !fr->memfd_origin))
		r = -ENOMEM;
	if (r >= 0)
		r = load_task_tables(fr, d, task_ids, files_ids, nr_tasks, creds);
	for (size_t i = 0; fr->file_fds && i < fr->nr_files; i++)
		fr->file_fds[i] = -1;
	for (size_t i = 0; fr->memfd_origin && i < fr->nr_files; i++)
		fr->memfd_origin[i] = -1;
	for (size_t i = 0; fr->pipe_fds && i < fr->nr_pipes; i++)
		fr->pipe_fds[i][0] = fr->pipe_fds[i][1] = -1;
	if (r >= 0)
		r = restore_check(fr);
	if (r >= 0)
		r = raise_nofile(fr);
	for (size_t i = 0; r >= 0 && i < fr->nr_files; i++) {
		const FileEntry *fe = fr->files[i];

		if (!files_opened_by_task(fe))
			r = opened_early(fr, i) ? 0 : open_file(fr, i);
		else if (fe->kind == FILE_KIND__FILE_NS ? !files_ns_file_path(fe->path) : !proc_path_sane(fe->path))
			r = pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": %s is not a /proc path the task may open",
				       fe->id, fe->path);
	}
	if (r < 0) {
		files_restore_free(fr);
		return r;
	}
	*ret = fr;
	return 0;
}

static int file_fd(const struct files_restore *fr, uint64_t id)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k]->id == id)
			return fr->file_fds[k];
	return -1;
}

int files_restore_memfd_origin(const struct files_restore *fr, const FileEntry *fe)
{
	for (size_t k = 0; fr->memfd_origin && k < fr->nr_files; k++) {
		const FileEntry *o = fr->files[k];

		if (fr->memfd_origin[k] >= 0 && o->deleted && o->dev == fe->dev && o->ino == fe->ino)
			return fr->memfd_origin[k];
	}
	return -1;
}

void files_restore_set_memfd_origin(struct files_restore *fr, const FileEntry *fe, int fd)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k] == fe) {
			fr->memfd_origin[k] = fd;
			return;
		}
	close(fd);
}

int files_restore_put_fd(struct files_restore *fr, const FileEntry *fe, int fd)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k] == fe && fr->file_fds[k] < 0) {
			fr->file_fds[k] = fcntl(fd, F_DUPFD, fr->fd_floor);
			close(fd);
			if (fr->file_fds[k] < 0)
				return pr_perror_ret("file %" PRIu64 ": cannot move our fd above %d", fe->id,
						     fr->fd_floor);
			return 0;
		}
	close(fd);
	return pr_err_ret(-EINVAL, "file %" PRIu64 ": opened twice", fe->id);
}

int files_restore_memfd_fd(const struct files_restore *fr, uint64_t id)
{
	for (size_t k = 0; fr && k < fr->nr_files; k++)
		if (fr->files[k]->id == id) {
			int f = files_restore_memfd_origin(fr, fr->files[k]);

			return f >= 0 ? f : -ENOENT;
		}
	return -ENOENT;
}

int files_restore_packet_fd(const struct files_restore *fr, uint64_t ino)
{
	for (size_t k = 0; fr && k < fr->nr_files; k++) {
		const FileEntry *fe = fr->files[k];

		if (fe->kind == FILE_KIND__FILE_PACKET_SK && fe->packet_sk && fe->packet_sk->ino == ino)
			return fr->file_fds[k] >= 0 ? fr->file_fds[k] : -ENOENT;
	}
	return -ENOENT;
}

int files_restore_fd(const struct files_restore *fr, uint64_t id)
{
	int f = fr ? file_fd(fr, id) : -1;

	return f >= 0 ? f : -ENOENT;
}

/* Closes every fd but the task's own numbers. */
static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/* Closes every fd but the task's own and the ones it keeps for criu. */
static int close_others(const struct task_fds *tf)
{
	_cleanup_free_ unsigned int *keep = calloc(tf->n + tf->nr_keep + 1, sizeof(*keep));
	unsigned int next = 0;
	size_t n = 0;

	if (!keep)
		return -ENOMEM;
	for (size_t i = 0; i < tf->n; i++)
		keep[n++] = tf->fds[i]->fd;
	for (size_t i = 0; i < tf->nr_keep; i++)
		keep[n++] = (unsigned int)tf->keep[i];
	qsort(keep, n, sizeof(*keep), cmp_uint);
	for (size_t i = 0; i < n; i++) {
		if (keep[i] > next)
			syscall(SYS_close_range, next, keep[i] - 1, 0);
		next = keep[i] + 1;
	}
	syscall(SYS_close_range, next, ~0U, 0);
	return 0;
}

int files_restore_keep_fd(struct files_restore *fr, uint64_t task_id, int fd)
{
	struct task_fds *tf = NULL;
	int *na, *nk, moved;

	for (size_t t = 0; t < fr->nr_tasks; t++)
		if (fr->tasks[t].task_id == task_id)
			tf = fr->tasks[t].table; /* a shared table keeps it for every task in it */
	na = realloc(fr->adopted, (fr->nr_adopted + 1) * sizeof(*na));
	if (na)
		fr->adopted = na;
	nk = tf ? realloc(tf->keep, (tf->nr_keep + 1) * sizeof(*nk)) : NULL;
	if (nk)
		tf->keep = nk;
	moved = tf && na && nk ? fcntl(fd, F_DUPFD_CLOEXEC, fr->fd_floor) : -1;
	close(fd); /* ours on every path */
	if (!tf)
		return pr_err_ret(-ENOENT, "task %" PRIu64 ": no fd table", task_id);
	if (!na || !nk)
		return -ENOMEM;
	if (moved < 0)
		return pr_perror_ret("task %" PRIu64 ": cannot move fd %d above %d", task_id, fd, fr->fd_floor);
	fr->adopted[fr->nr_adopted++] = moved;
	tf->keep[tf->nr_keep++] = moved;
	return moved;
}

static bool held_by_a_task(const struct files_restore *fr, uint64_t file_id)
{
	for (size_t t = 0; t < fr->nr_tasks; t++)
		for (size_t i = 0; i < fr->tasks[t].n; i++)
			if (fr->tasks[t].fds[i]->file_id == file_id)
				return true;
	return false;
}

bool files_restore_first_holder(const struct files_restore *fr, uint64_t file_id, int fd)
{
	for (size_t t = 0; t < fr->nr_tasks; t++)
		for (size_t i = 0; i < fr->tasks[t].n; i++)
			if (fr->tasks[t].fds[i]->file_id == file_id)
				return &fr->tasks[t] == fr->cur && (int)fr->tasks[t].fds[i]->fd == fd;
	/* only in flight in a socket queue: the first task sets it up, at criu's number (post_install) */
	return fr->nr_tasks && fr->cur == &fr->tasks[0] && file_fd(fr, file_id) == fd;
}

/*
 * Files no task holds (only in flight in a socket queue) are set up by the
 * first task through criu's copy, which it still has open.
 */
static int post_install_inflight(struct files_restore *fr)
{
	for (size_t k = 0; k < fr->nr_files; k++) {
		const FileEntry *fe = fr->files[k];
		const struct fd_ops *ops = ops_by_kind(fe->kind);
		int r;

		if (!ops || !ops->post_install || fr->file_fds[k] < 0 || held_by_a_task(fr, fe->id))
			continue;
		r = ops->post_install(fr, fe, fr->file_fds[k]);
		if (r < 0)
			return r;
	}
	return 0;
}

int files_restore_deleted_dir_fd(const struct files_restore *fr, uint64_t task_id, uint64_t dev, uint64_t ino)
{
	for (size_t t = 0; fr && t < fr->nr_tasks; t++)
		for (size_t i = 0; fr->tasks[t].task_id == task_id && i < fr->tasks[t].n; i++)
			for (size_t k = 0; k < fr->nr_files; k++) {
				const FileEntry *o = fr->files[k];

				if (o->id == fr->tasks[t].fds[i]->file_id && o->kind == FILE_KIND__FILE_DIRECTORY &&
				    o->deleted && o->dev == dev && o->ino == ino)
					return (int)fr->tasks[t].fds[i]->fd;
			}
	return -ENOENT;
}

int files_restore_task_file_at(const struct files_restore *fr, int fd, uint64_t *ret_id)
{
	for (size_t i = 0; fr->cur && i < fr->cur->n; i++)
		if ((int)fr->cur->fds[i]->fd == fd) {
			*ret_id = fr->cur->fds[i]->file_id;
			return 0;
		}
	return -ENOENT;
}

/* The kinds' set-up that needs the task's final fd numbers (epoll_ctl, pidfd_open). */
static int post_install(struct files_restore *fr, const struct task_fds *tf)
{
	fr->cur = tf;
	for (size_t i = 0; i < tf->n; i++) {
		const FdEntry *e = tf->fds[i];
		const FileEntry *fe = NULL;
		const struct fd_ops *ops;
		int r;

		for (size_t k = 0; k < fr->nr_files && !fe; k++)
			if (fr->files[k]->id == e->file_id)
				fe = fr->files[k];
		if (fe && files_opened_by_task(fe))
			continue; /* not there yet */
		/* inside the task, once every task exists: the owner's pid is the tree's */
		if (fe && fe->fown) {
			struct f_owner_ex own = { .type = (int)fe->fown->type, .pid = fe->fown->pid };

			if ((own.pid && fcntl((int)e->fd, F_SETOWN_EX, &own) < 0) ||
			    fcntl((int)e->fd, F_SETSIG, (int)fe->fown->signum) < 0)
				return pr_perror_ret("fd %u: cannot give it SIGIO owner %d (type %d) and signal %u", e->fd,
						     own.pid, own.type, fe->fown->signum);
		}
		/* O_ASYNC here, by the task: the kernel's fasync entry keeps the fd number for si_fd */
		if (fe && fe->flags & O_ASYNC) {
			int fl = fcntl((int)e->fd, F_GETFL);

			if (fl < 0 || (!(fl & O_ASYNC) && fcntl((int)e->fd, F_SETFL, fl | O_ASYNC) < 0))
				return pr_perror_ret("fd %u: cannot set O_ASYNC", e->fd);
		}
		ops = fe ? ops_by_kind(fe->kind) : NULL;
		if (!ops || !ops->post_install)
			continue;
		r = ops->post_install(fr, fe, (int)e->fd);
		if (r < 0)
			return r; /* logged by the kind, with the fd */
	}
	return tf == &fr->tasks[0] ? post_install_inflight(fr) : 0;
}

int files_restore_task(struct files_restore *fr, uint64_t task_id)
{
	const struct task_fds *tf = NULL;
	int r;

	for (size_t t = 0; t < fr->nr_tasks; t++)
		if (fr->tasks[t].task_id == task_id)
			tf = &fr->tasks[t];
	if (!tf)
		return pr_err_ret(-ENOENT, "task %" PRIu64 ": no fd table", task_id);
	if (tf->table != tf)
		return 0; /* the table's first task installs it, once */
	/* our fds sit above every task number, so no dup3 clobbers one we still need */
	for (size_t i = 0; i < tf->n; i++) {
		const FdEntry *e = tf->fds[i];
		int src = file_fd(fr, e->file_id);

		if (src < 0 && opened_by_task_id(fr, e->file_id))
			continue; /* in phase 4, by the task */
		if (dup3(src, (int)e->fd, e->cloexec ? O_CLOEXEC : 0) < 0)
			return pr_perror_ret("task %" PRIu64 ": cannot install fd %u", task_id, e->fd);
	}
	r = post_install(fr, tf);
	if (r < 0)
		return r;
	return close_others(tf);
}

/* Only the links it opened, and only while the name still is that inode. */
void files_restore_finish(struct files_restore *fr)
{
	for (size_t i = 0; fr && i < fr->nr_remaps; i++) {
		const struct restored_remap *m = &fr->remaps[i];
		struct stat st;

		if (fstatat(m->dirfd, m->name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				pr_warn("cannot stat the --link-remap link %s: %m\n", m->name);
			continue;
		}
		if (st.st_dev != m->dev || st.st_ino != m->ino) {
			pr_warn("the --link-remap link %s is no longer the restored file: left in place\n",
				m->name);
			continue;
		}
		if (unlinkat(m->dirfd, m->name, 0) < 0 && errno != ENOENT)
			pr_warn("cannot remove the --link-remap link %s: %m\n", m->name);
	}
}

void files_restore_free(struct files_restore *fr)
{
	if (!fr)
		return;
	for (size_t i = 0; i < fr->nr_remaps; i++) {
		close(fr->remaps[i].dirfd);
		free(fr->remaps[i].name);
	}
	free(fr->remaps);
	if (fr->root_fd >= 0)
		close(fr->root_fd);
	for (size_t i = 0; i < fr->nr_rpc_peers; i++)
		close(fr->rpc_peers[i]);
	free(fr->rpc_peers);
	for (size_t i = 0; i < fr->nr_files; i++) {
		if (fr->file_fds && fr->file_fds[i] >= 0)
			close(fr->file_fds[i]);
		if (fr->memfd_origin && fr->memfd_origin[i] >= 0)
			close(fr->memfd_origin[i]);
		file_entry__free_unpacked(fr->files[i], NULL);
	}
	for (size_t i = 0; i < fr->nr_pipes; i++) {
		for (int e = 0; fr->pipe_fds && e < 2; e++)
			if (fr->pipe_fds[i][e] >= 0)
				close(fr->pipe_fds[i][e]);
		pipe_entry__free_unpacked(fr->pipes[i], NULL);
	}
	for (size_t t = 0; t < fr->nr_tasks; t++) {
		for (size_t i = 0; i < fr->tasks[t].n; i++)
			fd_entry__free_unpacked(fr->tasks[t].fds[i], NULL);
		free(fr->tasks[t].fds);
		free(fr->tasks[t].keep);
	}
	free(fr->tasks);
	free(fr->files);
	free(fr->file_fds);
	free(fr->pipes);
	free(fr->pipe_fds);
	free(fr->pipe_given);
	free(fr->memfd_origin);
	for (size_t i = 0; i < fr->nr_adopted; i++)
		close(fr->adopted[i]);
	free(fr->adopted);
	free(fr);
}
