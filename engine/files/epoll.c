/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoll sets. The kernel keys each item by (target file, fd number it was
 * added with); the number may since have been closed or reused, and the
 * target may be held by another task only. So at dump each item's target
 * is found among all dumped descriptions with kcmp(KCMP_EPOLL_TFD), once
 * the whole tree is known; at restore one task that holds the set adds the
 * items itself (post_install), with the very fd numbers, putting the target
 * at that number for the call when the task has something else there.
 * Not kept: events already queued on the ready list (a level-triggered item
 * reports again by itself; an edge-triggered one reports if its file is
 * ready when added).
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kcmp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "fdinfo.h"
#include "files_priv.h"
#include "log.h"

static bool epoll_match(const struct stat *st, const char *link)
{
	return !strcmp(link, "anon_inode:[eventpoll]");
}

static int epoll_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	EpollEntry *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	epoll_entry__init(e);
	fe->epoll = e; /* the items come in epoll_dump_finish */
	return 0;
}

/* toff: how many earlier items have the same fd number (the kernel's order is fdinfo's). */
static int find_target(struct files_dump *fd, int eplocal, const struct fdinfo_tfd *t, uint32_t toff,
		       uint64_t *ret_id)
{
	struct kcmp_epoll_slot slot = {.efd = (uint32_t)eplocal, .tfd = (uint32_t)t->tfd, .toff = toff};
	pid_t self = getpid();

	for (size_t i = 0; i < fd->nr_files; i++) {
		const struct dumped_file *df = &fd->files[i];

		if (t->ino && df->fe->has_ino && df->fe->ino != t->ino)
			continue;
		if (syscall(SYS_kcmp, self, self, KCMP_EPOLL_TFD, df->local, (unsigned long)&slot) == 0) {
			*ret_id = df->fe->id;
			return 0;
		}
	}
	return -ENOENT;
}

static int add_item(EpollEntry *e, const struct fdinfo_tfd *t, uint64_t file_id)
{
	EpollTfdEntry **tmp = realloc(e->tfds, (e->n_tfds + 1) * sizeof(*tmp)), *it;

	if (!tmp)
		return -ENOMEM;
	e->tfds = tmp;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	epoll_tfd_entry__init(it);
	it->tfd = (uint32_t)t->tfd;
	it->events = t->events;
	it->data = t->data;
	it->file_id = file_id;
	e->tfds[e->n_tfds++] = it;
	return 0;
}

static int epoll_dump_finish(struct files_dump *fd, FileEntry *fe, int local)
{
	_cleanup_free_ char *info = NULL;
	const char *pos;
	struct fdinfo_tfd t;
	int r = fdinfo_read(local, &info);

	if (r < 0)
		return pr_err_ret(r, "epoll (file %" PRIu64 "): cannot read its fdinfo", fe->id);
	pos = info;
	while ((r = fdinfo_epoll_next(&pos, &t)) > 0) {
		uint32_t toff = 0;
		uint64_t id = 0;

		for (size_t i = 0; i < fe->epoll->n_tfds; i++)
			toff += fe->epoll->tfds[i]->tfd == (uint32_t)t.tfd;
		r = find_target(fd, local, &t, toff, &id);
		if (r < 0)
			return pr_err_ret(
				-EOPNOTSUPP,
				"epoll (file %" PRIu64 ", %s): the target added as fd %d (inode %" PRIu64
				") is not open in the dumped tree (held outside it?)",
				fe->id, fe->path ? fe->path : "anon_inode:[eventpoll]", t.tfd, t.ino);
		r = add_item(fe->epoll, &t, id);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return pr_err_ret(r, "epoll (file %" PRIu64 "): cannot parse its fdinfo", fe->id);
	return 0;
}

static bool known_file(const struct files_restore *fr, uint64_t id)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k]->id == id)
			return true;
	return false;
}

static int epoll_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int f;

	if (!fe->epoll)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": epoll without its items", fe->id);
	for (size_t i = 0; i < fe->epoll->n_tfds; i++)
		if (!known_file(fr, fe->epoll->tfds[i]->file_id) || fe->epoll->tfds[i]->tfd > INT32_MAX / 2)
			return pr_err_ret(-EBADMSG,
					  "file %" PRIu64 ": epoll item %u names unknown file %" PRIu64,
					  fe->id, fe->epoll->tfds[i]->tfd, fe->epoll->tfds[i]->file_id);
	f = epoll_create1(EPOLL_CLOEXEC);
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": epoll_create1 failed", fe->id);
	*ret_fd = f;
	return 0;
}

/* Adds one item with its fd number, lending the number to the target if the task has another file there. */
static int add_one(struct files_restore *fr, int epfd, const EpollTfdEntry *t)
{
	struct epoll_event ev = {.events = t->events, .data.u64 = t->data};
	int tfd = (int)t->tfd, src = files_restore_fd(fr, t->file_id), saved = -1, saved_fl = 0, r = 0;
	uint64_t at = 0;

	if (files_restore_task_file_at(fr, tfd, &at) == 0 && at == t->file_id)
		return epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0 ? -errno : 0;
	if (tfd == epfd || tfd == src)
		return -EBUSY;
	saved_fl = fcntl(tfd, F_GETFD);
	if (saved_fl >= 0) {
		saved = fcntl(tfd, F_DUPFD_CLOEXEC, 0);
		if (saved < 0)
			return -errno;
	}
	if (dup2(src, tfd) < 0)
		r = -errno;
	else if (epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev) < 0)
		r = -errno;
	if (saved >= 0) {
		if (dup3(saved, tfd, saved_fl & FD_CLOEXEC ? O_CLOEXEC : 0) < 0 && r == 0)
			r = -errno;
		close(saved);
	} else {
		close(tfd);
	}
	return r;
}

static int epoll_post_install(struct files_restore *fr, const FileEntry *fe, int fd)
{
	if (!files_restore_first_holder(fr, fe->id, fd))
		return 0; /* one set, set up once */
	for (size_t i = 0; i < fe->epoll->n_tfds; i++) {
		const EpollTfdEntry *t = fe->epoll->tfds[i];
		int r = add_one(fr, fd, t);

		if (r < 0)
			return pr_err_ret(r,
					  "epoll fd %d: cannot add fd %u (file %" PRIu64 ", events %#x): %s",
					  fd, t->tfd, t->file_id, t->events, strerror(-r));
	}
	return 0;
}

const struct fd_ops epoll_fd_ops = {
	.name = "epoll",
	.kind = FILE_KIND__FILE_EPOLL,
	.match = epoll_match,
	.dump = epoll_dump,
	.open = epoll_open,
	.dump_finish = epoll_dump_finish,
	.post_install = epoll_post_install,
};
