/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX message queue descriptors. The queue itself belongs to the ipc
 * namespace (ns/ipc_mq.c restores the tree's queues before criu opens any
 * file); a descriptor is the queue's name and its open flags, reopened with
 * mq_open in the namespace criu is in then: the tree's new one, or the host's
 * for a tree that shares it. Without this kind the name ("/q") would be taken
 * for a path of the root file system.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>

#include "files_priv.h"
#include "log.h"

#define MQUEUE_MAGIC 0x19800202

static bool mqueue_match_fd(int local, const struct stat *st, const char *link)
{
	struct statfs sfs;

	/* a queue's link is "/name": no fstatfs for the many fds that cannot be one */
	return S_ISREG(st->st_mode) && link[0] == '/' && !strchr(link + 1, '/') && fstatfs(local, &sfs) == 0 &&
	       sfs.f_type == MQUEUE_MAGIC;
}

/* "/name": one component, as mq_open wants it. */
static bool good_name(const char *p)
{
	size_t len = strlen(p);

	return len > 1 && len <= NAME_MAX + 1 && p[0] == '/' && !strchr(p + 1, '/') && strcmp(p, "/.") &&
	       strcmp(p, "/..");
}

static int mqueue_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	(void)fd;
	if (a->st.st_nlink == 0 || strstr(a->link, " (deleted)"))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: not supported yet: unlinked POSIX message queue %s", a->pid,
				  a->fd, a->link);
	if (!good_name(a->link))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: not supported yet: POSIX message queue named %s", a->pid,
				  a->fd, a->link);
	fe->path = strdup(a->link);
	return fe->path ? 0 : -ENOMEM;
}

static int mqueue_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int flags = (int)fe->flags & (O_ACCMODE | O_NONBLOCK);
	mqd_t q;

	(void)fr;
	if (!fe->path || !good_name(fe->path))
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": bad POSIX message queue name %s",
				  fe->id, fe->path ? fe->path : "(none)");
	q = mq_open(fe->path, flags | O_CLOEXEC);
	if (q == (mqd_t)-1)
		return pr_perror_ret("file %" PRIu64 ": cannot open POSIX message queue %s", fe->id,
				     fe->path);
	*ret_fd = q;
	return 0;
}

const struct fd_ops mqueue_fd_ops = {
	.name = "POSIX message queue",
	.kind = FILE_KIND__FILE_MQUEUE,
	.match_fd = mqueue_match_fd,
	.dump = mqueue_dump,
	.open = mqueue_open,
};
