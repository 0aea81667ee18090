/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The files of one tmpfs mount of the tree, as they are under the mounts
 * over it: a file the tree made before it mounted something on a directory
 * of the tmpfs, or a tmpfs mounted where another mount later covered it.
 * Neither can be reached by a path in the tree's mount namespace. A helper
 * process enters that namespace at the tree's root, copies it
 * (unshare(CLONE_NEWNS), every mount of the copy made private so nothing
 * propagates back), unmounts in the copy whatever covers the mount's path,
 * and hands criu a detached clone of the mount alone (open_tree, not
 * recursive): no mount on it at all, so everything in it shows.
 */
#define LOG_PREFIX "mnt: "
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/mount.h>

#include "cleanup.h"
#include "compat.h"
#include "guard.h"
#include "log.h"
#include "mnt.h"

static bool same_mount(const MntEntry *a, const MntEntry *b)
{
	return a->dev == b->dev && !strcmp(a->mountpoint, b->mountpoint) && !strcmp(a->root, b->root);
}

/* Which of the mounts like m (same place, filesystem, root) m is, in list order. */
static size_t rank_of(MntEntry *const *v, size_t n, const MntEntry *m)
{
	size_t k = 0;

	for (size_t i = 0; i < n && v[i] != m; i++)
		k += same_mount(v[i], m);
	return k;
}

static const MntEntry *find_ranked(MntEntry *const *v, size_t n, const MntEntry *m, size_t rank)
{
	for (size_t i = 0; i < n; i++)
		if (same_mount(v[i], m) && rank-- == 0)
			return v[i];
	return NULL;
}

/* Is id the mount t or one it is mounted on, in v? */
static bool in_chain(MntEntry *const *v, size_t n, const MntEntry *t, uint32_t id)
{
	for (size_t depth = 0; t && depth <= n; depth++) {
		const MntEntry *p = NULL;

		if (t->id == id)
			return true;
		for (size_t i = 0; i < n; i++)
			if (v[i]->id == t->parent_id)
				p = v[i];
		t = p;
	}
	return false;
}

static int mnt_id_of(const char *path, uint64_t *ret)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_MNT_ID, &sx) < 0)
		return -errno;
	if (!(sx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*ret = sx.stx_mnt_id;
	return 0;
}

/*
 * In the copy: unmounts, from / down, the top mount of each step of t's
 * path that is neither t nor one t is mounted on. 1 when one went, 0 when
 * t shows at its path, -errno.
 */
static int uncover_step(MntEntry *const *v, size_t n, const MntEntry *t)
{
	char path[PATH_MAX];
	size_t len = strlen(t->mountpoint);

	if (len >= sizeof(path))
		return -ENAMETOOLONG;
	for (size_t end = 1; end <= len; end++) {
		uint64_t id = 0;
		int r;

		if (end > 1 && end < len && t->mountpoint[end] != '/')
			continue;
		memcpy(path, t->mountpoint, end);
		path[end] = 0;
		r = mnt_id_of(path, &id);
		if (r < 0)
			return pr_err_ret(r, "%s: cannot stat it in a copy of the tree's mounts", path);
		if (in_chain(v, n, t, (uint32_t)id))
			continue;
		if (umount2(path, MNT_DETACH) < 0)
			return pr_perror_ret(
				"%s: cannot unmount mount %llu over it in a copy of the tree's mounts", path,
				(unsigned long long)id);
		pr_debug("%s: mount %llu over mount %u unmounted in the copy\n", path, (unsigned long long)id,
			 t->id);
		return 1;
	}
	return 0;
}

/* The copy's mounts, as criu's /proc (procfd) shows them to this process. */
static int read_own_mountinfo(int procfd, MntEntry ***ret, size_t *ret_n)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int fd = openat(procfd, "self/mountinfo", O_RDONLY | O_CLOEXEC);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "re");
	int r;

	if (!f) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return pr_err_ret(r, "cannot open the mountinfo of a copy of the tree's mounts");
	}
	r = getdelim(&text, &len, 0, f) < 0 ? -EIO : 0;
	fclose(f);
	if (r == 0)
		r = mnt_parse_mountinfo(text, true, ret, ret_n);
	return r < 0 ? pr_err_ret(r, "cannot parse the mountinfo of a copy of the tree's mounts") : 0;
}

/* The helper, after it entered the copy: m (as v shows it) uncovered and cloned alone. */
static int clone_uncovered(int procfd, MntEntry *const *v, size_t n, const MntEntry *m)
{
	MntEntry **c = NULL;
	const MntEntry *t;
	size_t nc = 0;
	struct stat st;
	int r = read_own_mountinfo(procfd, &c, &nc), fd;

	if (r < 0)
		return r;
	t = find_ranked(c, nc, m, rank_of(v, n, m));
	if (!t)
		r = pr_err_ret(-ENOENT, "mount %u at %s: not found in a copy of the tree's mounts", m->id,
			       m->mountpoint);
	for (size_t i = 0; r >= 0 && i <= nc; i++) {
		r = uncover_step(c, nc, t);
		if (r == 0)
			break;
	}
	mnt_entries_free(c, nc);
	if (r != 0)
		return r > 0 ? pr_err_ret(-ELOOP, "mount %u at %s: still covered", m->id, m->mountpoint) : r;
	fd = (int)syscall(SYS_open_tree, AT_FDCWD, m->mountpoint, OPEN_TREE_CLONE);
	if (fd < 0)
		return pr_perror_ret("mount %u at %s: cannot clone it", m->id, m->mountpoint);
	if (fstat(fd, &st) < 0 || st.st_dev != m->dev) {
		close(fd);
		return pr_err_ret(-ENODEV, "mount %u at %s: its clone is not of its filesystem", m->id,
				  m->mountpoint);
	}
	return fd;
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &mh, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -EPIPE;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The helper: the tree's mount namespace at its root, copied, private; sends the clone. */
static int helper(pid_t pid, MntEntry *const *v, size_t n, const MntEntry *m, int sock)
{
	char path[64];
	_cleanup_close_ int procfd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int nsfd = -EBADF, rootfd = -EBADF;
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	rootfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0 || nsfd < 0 || rootfd < 0)
		return pr_perror_ret("pid %d: cannot open its mount namespace or root", pid);
	if (setns(nsfd, CLONE_NEWNS) < 0 || fchdir(rootfd) < 0 || chroot(".") < 0)
		return pr_perror_ret("pid %d: cannot enter its mount namespace at its root", pid);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return pr_perror_ret("pid %d: cannot make a private copy of its mounts", pid);
	fd = clone_uncovered(procfd, v, n, m);
	if (fd < 0)
		return fd;
	r = send_fd(sock, fd);
	close(fd);
	return r < 0 ? pr_err_ret(r, "mount %u: cannot hand its clone to criu", m->id) : 0;
}

int mnt_tmpfs_open_uncovered(pid_t pid, MntEntry *const *v, size_t n, const MntEntry *m)
{
	pid_t parent = getpid(), child;
	int sk[2], fd, st;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sk) < 0)
		return pr_perror_ret("mount %u at %s: socketpair", m->id, m->mountpoint);
	child = fork();
	if (child == 0) {
		guard_die_with(parent);
		close(sk[0]);
		_exit(helper(pid, v, n, m, sk[1]) < 0 ? 1 : 0);
	}
	close(sk[1]);
	if (child < 0) {
		close(sk[0]);
		return pr_perror_ret("mount %u at %s: cannot fork", m->id, m->mountpoint);
	}
	fd = recv_fd(sk[0]);
	close(sk[0]);
	while (waitpid(child, &st, 0) < 0)
		if (errno != EINTR) {
			st = -1;
			break;
		}
	if (fd >= 0 && st == 0)
		return fd;
	if (fd >= 0)
		close(fd);
	return pr_err_ret(fd < 0 ? fd : -EIO,
			  "pid %d: mount %u at %s: cannot reach its files (helper status %#x)", pid, m->id,
			  m->mountpoint, st);
}
