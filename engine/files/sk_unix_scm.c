/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files in flight in unix socket queues (SCM_RIGHTS), the dump side.
 *
 * A peek with MSG_PEEK gives criu copies of the fds a queued message carries:
 * the very file descriptions. Each becomes a description of the image like
 * any fd of the tree (the same id when a task holds it too, found by kcmp),
 * and the message records their ids. A unix socket in flight is not dumped
 * from inside another socket's dump: it must be a socket of the tree (the
 * socket itself included), matched by inode once every fd is known; a socket
 * that is only in flight is refused.
 */
#define LOG_PREFIX "unix: "
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sk_unix.h"

/* A unix socket in flight, its id still to find: slot of rights, in the queue of holder. */
struct usk_inflight {
	UnixSkRights *rights;
	size_t slot;
	uint64_t ino, holder_ino;
	pid_t pid;
	int fd;
};

/* The fds of mh's SCM_RIGHTS, ours; *ret_n of them into fds (at most USK_MAX_RIGHTS). */
static int take_fds(struct msghdr *mh, int *fds, size_t *ret_n)
{
	size_t n = 0;
	bool over = false;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
			int f;

			memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
			if (n < USK_MAX_RIGHTS)
				fds[n++] = f;
			else
				close(f), over = true;
		}
	}
	*ret_n = n;
	return over || (mh->msg_flags & MSG_CTRUNC) ? -EOPNOTSUPP : 0;
}

int usk_scm_drop(struct msghdr *mh)
{
	int fds[USK_MAX_RIGHTS];
	size_t n;
	int r = take_fds(mh, fds, &n);

	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	return r < 0 ? r : (int)n;
}

static int note_inflight_unix(struct files_dump *fd, const struct fd_dump_arg *a, UnixSkRights *rights,
			      size_t slot, uint64_t ino)
{
	struct usk_inflight *v = realloc(fd->usk_inflight, (fd->nr_usk_inflight + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	fd->usk_inflight = v;
	v[fd->nr_usk_inflight++] = (struct usk_inflight){.rights = rights,
							 .slot = slot,
							 .ino = ino,
							 .holder_ino = a->st.st_ino,
							 .pid = a->pid,
							 .fd = a->fd};
	return 0;
}

static int new_rights(UnixSkEntry *u, uint32_t packet, size_t n, UnixSkRights **ret)
{
	UnixSkRights **v = realloc(u->rights, (u->n_rights + 1) * sizeof(*v));
	UnixSkRights *r;

	if (!v)
		return -ENOMEM;
	u->rights = v;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	unix_sk_rights__init(r);
	r->packet = packet;
	r->file_ids = calloc(n, sizeof(*r->file_ids));
	if (!r->file_ids) {
		free(r);
		return -ENOMEM;
	}
	u->rights[u->n_rights++] = r; /* freed with fe */
	*ret = r;
	return 0;
}

/* One fd of the message: its id, or (a unix socket) a note to find it later. */
static int dump_one(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe, UnixSkRights *rights,
		    int f)
{
	struct stat st;
	uint64_t id = 0;
	int r;

	if (fstat(f, &st) < 0) {
		r = pr_perror_ret("pid %d fd %d: %s: cannot stat a file in flight in its queue", a->pid,
				  a->fd, a->link);
		close(f);
		return r;
	}
	if (S_ISSOCK(st.st_mode) && st.st_ino == a->st.st_ino) { /* the socket itself */
		close(f);
		id = fe->id;
	} else {
		r = files_dump_inflight(fd, a->pid, f, &id);
		if (r < 0)
			return r;
		if (r == 1 && (r = note_inflight_unix(fd, a, rights, rights->n_file_ids, st.st_ino)) < 0)
			return r;
	}
	rights->file_ids[rights->n_file_ids++] = id;
	return 0;
}

int usk_scm_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe, struct msghdr *mh,
		 uint32_t packet)
{
	int fds[USK_MAX_RIGHTS];
	UnixSkRights *rights = NULL;
	size_t n, i = 0;
	int r = take_fds(mh, fds, &n);

	if (r < 0)
		r = pr_err_ret(r, "pid %d fd %d: %s: a queued message carries more fds than criu can take",
			       a->pid, a->fd, a->link);
	if (r >= 0 && n)
		r = new_rights(fe->unix_sk, packet, n, &rights);
	for (; r >= 0 && i < n; i++)
		r = dump_one(fd, a, fe, rights, fds[i]);
	for (; i < n; i++)
		close(fds[i]);
	return r < 0 ? r : (int)n;
}

static const FileEntry *unix_by_ino(const struct files_dump *fd, uint64_t ino)
{
	for (size_t i = 0; i < fd->nr_files; i++) {
		const FileEntry *fe = fd->files[i].fe;

		if (fe->kind == FILE_KIND__FILE_UNIX_SK && fe->unix_sk && fe->unix_sk->ino == ino)
			return fe;
	}
	return NULL;
}

int usk_scm_dump_finish(struct files_dump *fd)
{
	for (size_t i = 0; i < fd->nr_usk_inflight; i++) {
		const struct usk_inflight *p = &fd->usk_inflight[i];
		const FileEntry *fe = unix_by_ino(fd, p->ino);

		if (!fe)
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d fd %d: unix socket %" PRIu64 " has in its queue unix socket %" PRIu64
				" that no task of the tree holds (only in flight): not supported yet",
				p->pid, p->fd, p->holder_ino, p->ino);
		p->rights->file_ids[p->slot] = fe->id;
	}
	fd->nr_usk_inflight = 0;
	return 0;
}

int usk_scm_check(const struct files_restore *fr, const FileEntry *fe)
{
	const UnixSkEntry *u = fe->unix_sk;

	for (size_t i = 0; i < u->n_rights; i++) {
		const UnixSkRights *r = u->rights[i];

		if (r->packet >= u->n_packets || !r->n_file_ids || r->n_file_ids > USK_MAX_RIGHTS ||
		    (i && r->packet <= u->rights[i - 1]->packet))
			return pr_err_ret(-EBADMSG,
					  "file %" PRIu64 ": unix socket %" PRIu64 ": rights %zu are invalid",
					  fe->id, u->ino, i);
		for (size_t k = 0; k < r->n_file_ids; k++) {
			bool known = false;

			for (size_t j = 0; j < fr->nr_files && !known; j++)
				known = fr->files[j]->id == r->file_ids[k];
			if (!known)
				return pr_err_ret(-EBADMSG,
						  "file %" PRIu64 ": unix socket %" PRIu64
						  ": a queued message names unknown file %" PRIu64,
						  fe->id, u->ino, r->file_ids[k]);
		}
	}
	return 0;
}
