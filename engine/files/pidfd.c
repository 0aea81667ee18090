/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pidfds of tasks of the dumped tree. The tasks do not exist yet when criu
 * opens the descriptions, so each restored task opens its pidfds itself
 * once the whole tree is forked (post_install) and puts them at their
 * numbers; fds that shared one pidfd description in a task share it again,
 * but a pidfd inherited by two tasks becomes one description per task
 * (a pidfd has no state of its own but O_NONBLOCK). A pidfd of a process
 * outside the tree is refused at dump.
 *
 * A pidfd of a process that exited and was reaped ("dead") is made by criu
 * itself: a helper process is forked, every dead pidfd of the same dumped
 * process (same pidfs inode) is opened on it, one per description, and the
 * helper is killed and reaped; the tasks inherit those descriptions. They
 * poll readable, signals give ESRCH, and waitid on them gives ECHILD, as
 * before. What the helper's exit looked like is not the dumped process's.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "fdinfo.h"
#include "files_priv.h"
#include "guard.h"
#include "log.h"
#include "pstree.h"

#define PIDFS_MAGIC 0x50494446

static bool pidfd_match(const struct stat *st, const char *link)
{
	return !strcmp(link, "anon_inode:[pidfd]");
}

static int pidfd_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ char *info = NULL;
	PidfdEntry *e = calloc(1, sizeof(*e));
	int r, pid = 0;

	if (!e)
		return -ENOMEM;
	pidfd_entry__init(e);
	fe->pidfd = e;
	r = fdinfo_read(a->local, &info);
	if (r >= 0)
		r = fdinfo_pidfd(info, &pid);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read the pidfd's pid", a->pid, a->fd);
	e->pid = pid;
	if (pid < 0) {
		struct statfs sfs;

		/* before pidfs (6.9) every pidfd had one inode: nothing tells two dead processes apart */
		if (fstatfs(a->local, &sfs) < 0 || sfs.f_type != PIDFS_MAGIC)
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d fd %d: pidfd of a reaped process without pidfs; cannot restore it",
				a->pid, a->fd);
		e->pid = -1;
		e->has_dead = e->dead = true;
	}
	e->has_thread = true;
	e->thread = (a->flags & PIDFD_THREAD) != 0;
	return 0;
}

static pid_t tgid_of(pid_t tid)
{
	char path[64], line[128];
	_cleanup_fclose_ FILE *f = NULL;
	pid_t tgid = tid;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	return tgid;
}

static int pidfd_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	if (fe->pidfd->dead)
		return 0;
	if (!files_dump_in_tree(fd, tgid_of(fe->pidfd->pid)))
		return pr_err_ret(-EOPNOTSUPP,
				  "pidfd (file %" PRIu64
				  ") refers to pid %d, which is outside the dumped tree; "
				  "only pidfds of the tree's own tasks can be restored",
				  fe->id, fe->pidfd->pid);
	/* the image holds the pid as the tree sees it: the task opens it in its own pid ns */
	pid_t v = proc_ns_pid(fe->pidfd->pid);

	if (v <= 0)
		return pr_err_ret(v < 0 ? v : -ESRCH, "pidfd (file %" PRIu64 "): pid %d: cannot read its NSpid",
				  fe->id, fe->pidfd->pid);
	fe->pidfd->pid = v;
	return 0;
}

static unsigned int pidfd_open_flags(const FileEntry *fe)
{
	return (fe->flags & O_NONBLOCK) | (fe->pidfd->thread ? PIDFD_THREAD : 0);
}

static bool same_dead(const FileEntry *a, const FileEntry *b)
{
	return b->kind == FILE_KIND__FILE_PIDFD && b->pidfd && b->pidfd->dead && b->ino == a->ino;
}

/* Kills and reaps the helper; its status is of no interest. */
static void end_helper(pid_t helper)
{
	kill(helper, SIGKILL);
	while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
		;
}

/*
 * The first dead pidfd of a process (in files order) opens them all on one
 * short-lived helper, so that they are one process again (one inode); the
 * others are handed to fr and not opened again.
 */
static int pidfd_open_dead(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int own = -1, r = 0;
	pid_t self = getpid(), helper;

	if (!fe->has_ino)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": dead pidfd without an inode", fe->id);
	helper = fork();
	if (helper < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot fork a helper for a dead pidfd", fe->id);
	if (helper == 0) {
		guard_die_with(self);
		for (;;)
			pause();
	}
	for (size_t k = 0; k < fr->nr_files && r >= 0; k++) {
		const FileEntry *o = fr->files[k];
		int f;

		if (o != fe && !same_dead(fe, o))
			continue;
		f = (int)syscall(SYS_pidfd_open, helper, pidfd_open_flags(o));
		if (f < 0)
			r = pr_perror_ret("file %" PRIu64
					  ": pidfd_open(%d) of the dead pidfd's helper failed",
					  o->id, helper);
		else if (o == fe)
			own = f;
		else
			r = files_restore_put_fd(fr, o, f);
	}
	end_helper(helper);
	if (r < 0) {
		if (own >= 0)
			close(own);
		return r;
	}
	*ret_fd = own;
	return 0;
}

/* A stand-in until the task opens the real one; a dead pidfd is the real one already. */
static int pidfd_open_placeholder(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int f;

	if (fe->pidfd && fe->pidfd->dead)
		return pidfd_open_dead(fr, fe, ret_fd);
	if (!fe->pidfd || fe->pidfd->pid <= 0)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": pidfd without a pid", fe->id);
	f = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot open /dev/null", fe->id);
	*ret_fd = f;
	return 0;
}

static int pidfd_post_install(struct files_restore *fr, const FileEntry *fe, int fd)
{
	unsigned int flags = pidfd_open_flags(fe);
	int fl = fcntl(fd, F_GETFD), src = -1, r = 0;
	bool opened = false;

	if (fe->pidfd->dead)
		return 0; /* inherited from criu, already the real one */

	/* fds are installed in ascending order: a lower one of the same description is done already */
	for (size_t i = 0; i < fr->cur->n && src < 0; i++)
		if (fr->cur->fds[i]->file_id == fe->id && (int)fr->cur->fds[i]->fd < fd)
			src = (int)fr->cur->fds[i]->fd;
	if (src < 0) {
		src = (int)syscall(SYS_pidfd_open, fe->pidfd->pid, flags);
		if (src < 0)
			return pr_perror_ret("fd %d: pidfd_open(%d) failed", fd, fe->pidfd->pid);
		opened = true;
	}
	if (dup3(src, fd, fl >= 0 && fl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0)
		r = pr_perror_ret("fd %d: cannot install the pidfd of %d", fd, fe->pidfd->pid);
	if (opened)
		close(src);
	return r;
}

const struct fd_ops pidfd_fd_ops = {
	.name = "pidfd",
	.kind = FILE_KIND__FILE_PIDFD,
	.match = pidfd_match,
	.dump = pidfd_dump,
	.open = pidfd_open_placeholder,
	.dump_finish = pidfd_dump_finish,
	.post_install = pidfd_post_install,
};
