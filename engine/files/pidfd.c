/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pidfds of tasks of the dumped tree. The tasks do not exist yet when criu
 * opens the descriptions, so each restored task opens its pidfds itself
 * once the whole tree is forked (post_install) and puts them at their
 * numbers; fds that shared one pidfd description in a task share it again,
 * but a pidfd inherited by two tasks becomes one description per task
 * (a pidfd has no state of its own but O_NONBLOCK). A pidfd of a process
 * outside the tree, or of one already reaped, is refused at dump.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "fdinfo.h"
#include "files_priv.h"
#include "log.h"
#include "pstree.h"

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
	if (pid < 0)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: pidfd of a process that is gone (reaped); cannot restore it",
				  a->pid, a->fd);
	e->pid = pid;
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

/* A stand-in until the task opens the real one. */
static int pidfd_open_placeholder(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int f;

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
	unsigned int flags = (fe->flags & O_NONBLOCK) | (fe->pidfd->thread ? PIDFD_THREAD : 0);
	int fl = fcntl(fd, F_GETFD), src = -1, r = 0;
	bool opened = false;

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
