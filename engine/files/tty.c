/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Terminals other than pty pairs of the tree (pty.c). One case so far: a
 * shell job's controlling terminal
 * (--shell-job). The job runs in a session outside the dumped tree, and its
 * stdin/stdout/stderr usually are that session's terminal (/dev/pts/N). Its
 * master belongs to a terminal emulator or sshd that is not dumped, so the
 * terminal itself cannot come back; at restore the fds get criu's own
 * terminal instead, where the restored job now runs: criu's stdin if that
 * is a terminal, else its stdout or stderr. The restored tasks inherit
 * criu's session (session.c), so that terminal is also their controlling
 * one when it is criu's.
 *
 * /dev/tty opened by a task whose controlling terminal was a pty of the tree
 * (TIOCGDEV names it): criu holds a slave description of that pty in its
 * place until the session leader has taken the pty back as controlling
 * terminal (pty.c, files_restore_session); there it opens /dev/tty, which
 * its children inherit. A task that was not forked from that leader finds
 * the stand-in and the restore fails by name.
 *
 * Other terminals (a pty slave whose master is outside the tree and that is
 * not the shell job's, virtual consoles, /dev/tty of other terminals) are
 * refused at dump.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "files_priv.h"
#include "log.h"
#include "self_proc.h"
#include "pty.h"

static bool tty_match(const struct stat *st, const char *link)
{
	/* the character devices that chardev_match leaves out */
	return S_ISCHR(st->st_mode) && (!strncmp(link, "/dev/pts/", 9) || !strncmp(link, "/dev/tty", 8) ||
					!strcmp(link, "/dev/ptmx") || !strcmp(link, "/dev/console"));
}

/* The session and controlling terminal (a device number, 0 if none) of pid. */
static int read_session_tty(pid_t pid, pid_t *ret_sid, dev_t *ret_tty)
{
	char path[64], buf[1024], *p;
	FILE *f;
	int sid, tty_nr;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after the comm: state ppid pgrp session tty_nr */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %d %d", &sid, &tty_nr) != 2)
		return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s", pid, path);
	*ret_sid = sid;
	/* new_encode_dev format, which glibc's major()/minor() also read */
	*ret_tty = makedev(major((dev_t)(unsigned int)tty_nr), minor((dev_t)(unsigned int)tty_nr));
	return 0;
}

bool tty_is_shell_job_terminal(struct files_dump *fd, const struct fd_dump_arg *a)
{
	pid_t ext_sid, sid;
	dev_t ctty;

	return files_dump_shell_job_sid(fd, &ext_sid) && read_session_tty(a->pid, &sid, &ctty) == 0 &&
	       sid == ext_sid && ctty && a->st.st_rdev == ctty;
}

#define DEV_TTY makedev(5, 0)

/* /dev/tty of a pty: the pty by its index (TIOCGDEV), which must be of the tree (tty_dump_finish). */
static int dev_tty_dump(const struct fd_dump_arg *a, FileEntry *fe)
{
	unsigned int dev;
	dev_t real;
	PtyEntry *p;

	if (ioctl(a->local, TIOCGDEV, &dev) < 0)
		return pr_perror_ret("pid %d fd %d: /dev/tty: TIOCGDEV", a->pid, a->fd);
	real = makedev(major((dev_t)dev), minor((dev_t)dev));
	if (!pty_slave_rdev(real))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: /dev/tty is terminal %u:%u, not a pty: not supported yet", a->pid,
				  a->fd, major(real), minor(real));
	p = calloc(1, sizeof(*p));
	fe->path = strdup("/dev/tty");
	if (!p || !fe->path) {
		free(p);
		return -ENOMEM;
	}
	pty_entry__init(p);
	p->index = pty_index_of(real);
	fe->pty = p;
	fe->has_rdev = true;
	fe->rdev = a->st.st_rdev;
	pr_info("pid %d fd %d: /dev/tty, pty %u\n", a->pid, a->fd, p->index);
	return 0;
}

static int tty_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	pid_t ext_sid, sid;
	dev_t ctty;
	int r;

	if (S_ISCHR(a->st.st_mode) && a->st.st_rdev == DEV_TTY)
		return dev_tty_dump(a, fe);
	if (!files_dump_shell_job_sid(fd, &ext_sid))
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s is a terminal: not supported yet, except the terminal of a shell "
			"job (--shell-job)",
			a->pid, a->fd, a->link);
	r = read_session_tty(a->pid, &sid, &ctty);
	if (r < 0)
		return r;
	if (sid != ext_sid || !ctty || a->st.st_rdev != ctty)
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s (%u:%u) is not the controlling terminal of the shell job's session "
			"%d: not supported yet",
			a->pid, a->fd, a->link, major(a->st.st_rdev), minor(a->st.st_rdev), ext_sid);
	fe->path = strdup(a->link);
	if (!fe->path)
		return -ENOMEM;
	fe->has_rdev = true;
	fe->rdev = a->st.st_rdev;
	fe->has_mode = true;
	fe->mode = a->st.st_mode;
	pr_info("pid %d fd %d: %s is the shell job's terminal\n", a->pid, a->fd, a->link);
	return 0;
}

/* criu's own terminal: stdin, else stdout or stderr; -ENOTTY if none. */
static int our_terminal(void)
{
	for (int n = 0; n < 3; n++)
		if (isatty(n))
			return n;
	return -ENOTTY;
}

/* /dev/tty of a pty: the pty's master and a session leader with it as terminal must be in the tree. */
static int tty_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	if (!fe->pty)
		return 0;
	if (!pty_is_tree_ctty(fd, fe->pty->index))
		return pr_err_ret(-EOPNOTSUPP,
				  "/dev/tty of pty %u: the pty's master is not in the tree, or it is the controlling "
				  "terminal of no session leader of the tree: not supported yet",
				  fe->pty->index);
	return 0;
}

/* In a restored task: /dev/tty must be itself by now (reopened by its session leader). */
static int tty_post_install(struct files_restore *fr, const FileEntry *fe, int fd)
{
	struct stat st;

	if (!fe->pty)
		return 0;
	if (fstat(fd, &st) < 0)
		return pr_perror_ret("pid %d fd %d: fstat", getpid(), fd);
	if (!S_ISCHR(st.st_mode) || st.st_rdev != DEV_TTY)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: /dev/tty of pty %u: not supported yet for a task not forked from "
				  "the session leader whose terminal it is",
				  getpid(), fd, fe->pty->index);
	return 0;
}

static int tty_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int flags = (int)(fe->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC)) | O_NOCTTY;
	int ours, f;

	/* a stand-in until the session leader opens /dev/tty (files_restore_session) */
	if (fe->pty) {
		f = pty_open_slave_of(fr, fe->pty->index, (int)(fe->flags & (O_ACCMODE | O_NONBLOCK | O_APPEND)));
		if (f < 0)
			return pr_err_ret(f, "file %" PRIu64 ": /dev/tty: cannot open a slave of pty %u", fe->id,
					  fe->pty->index);
		*ret_fd = f;
		return 0;
	}
	if (!files_restore_shell_job(fr))
		return pr_err_ret(-EPERM,
				  "file %" PRIu64
				  ": %s was the terminal of a shell job: restore with --shell-job",
				  fe->id, fe->path ? fe->path : "?");
	ours = our_terminal();
	if (ours < 0)
		return pr_err_ret(ours,
				  "file %" PRIu64
				  ": %s was the shell job's terminal, and criu's stdin, stdout and "
				  "stderr are not terminals to give it",
				  fe->id, fe->path ? fe->path : "?");
	/* a description of its own, with the dumped flags; /proc/self/fd reaches the device */
	f = self_fd_open(ours, flags);
	if (f < 0)
		return pr_err_ret(f, "file %" PRIu64 ": cannot open criu's terminal (fd %d) for %s", fe->id,
				     ours, fe->path ? fe->path : "?");
	pr_info("file %" PRIu64 ": the shell job's terminal %s is now %s (criu's fd %d)\n", fe->id,
		fe->path ? fe->path : "?", ttyname(ours) ? ttyname(ours) : "?", ours);
	*ret_fd = f;
	return 0;
}

const struct fd_ops tty_fd_ops = {
	.name = "terminal",
	.kind = FILE_KIND__FILE_TTY,
	.match = tty_match,
	.dump = tty_dump,
	.open = tty_open,
	.dump_finish = tty_dump_finish,
	.post_install = tty_post_install,
};
