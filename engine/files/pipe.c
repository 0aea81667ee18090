/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pipes and FIFOs. A pipe is one shared object (by inode) whose ends any
 * task may hold; its unread data is copied with tee(2), so the dumped tree
 * loses nothing, and written back into the new pipe on restore.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "files_priv.h"
#include "log.h"
#include "self_proc.h"

#define DELETED_SUFFIX " (deleted)"

static struct dumped_pipe *find_pipe(struct files_dump *fd, uint64_t ino)
{
	for (size_t i = 0; i < fd->nr_pipes; i++)
		if (fd->pipes[i].pe->ino == ino)
			return &fd->pipes[i];
	return NULL;
}

/* Copies the unread data of the pipe read end rfd without consuming it. */
static int peek_pipe_data(const struct fd_dump_arg *a, int rfd, PipeEntry *pe)
{
	_cleanup_close_ int tr = -EBADF, tw = -EBADF;
	int avail = 0, p[2];
	size_t done = 0;

	if (ioctl(rfd, FIONREAD, &avail) < 0)
		return pr_perror_ret("pid %d fd %d: cannot size pipe data", a->pid, a->fd);
	if (avail == 0)
		return 0;
	if (pipe2(p, O_CLOEXEC) < 0)
		return pr_perror_ret("pid %d fd %d: cannot make a pipe", a->pid, a->fd);
	tr = p[0];
	tw = p[1];
	if (fcntl(tw, F_SETPIPE_SZ, pe->size) < 0)
		return pr_perror_ret("pid %d fd %d: cannot size the copy pipe to %u", a->pid, a->fd, pe->size);
	pe->data.data = malloc((size_t)avail);
	if (!pe->data.data)
		return -ENOMEM;
	pe->has_data = true;
	if (tee(rfd, tw, (size_t)avail, SPLICE_F_NONBLOCK) != avail)
		return pr_perror_ret("pid %d fd %d: cannot copy %d bytes of pipe data", a->pid, a->fd, avail);
	/*
	 * tee keeps each buffer's packet flag, and a read stops at the end of a
	 * packet: so short reads are the packet boundaries of a pipe in packet
	 * mode (pipe2 O_DIRECT). Otherwise one read takes it all.
	 */
	while (done < (size_t)avail) {
		ssize_t n = read(tr, pe->data.data + done, (size_t)avail - done);
		uint32_t *tmp;

		if (n <= 0)
			return pr_perror_ret("pid %d fd %d: cannot read pipe data", a->pid, a->fd);
		tmp = realloc(pe->packets, (pe->n_packets + 1) * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		pe->packets = tmp;
		pe->packets[pe->n_packets++] = (uint32_t)n;
		done += (size_t)n;
	}
	pe->data.len = done;
	if (pe->n_packets == 1) { /* one stream of bytes, or one packet: nothing to keep */
		free(pe->packets);
		pe->packets = NULL;
		pe->n_packets = 0;
	}
	return 0;
}

static int new_pipe(struct files_dump *fd, const struct fd_dump_arg *a, struct dumped_pipe **ret)
{
	PipeEntry *pe;
	int size;

	if (fd->nr_pipes == fd->cap_pipes) {
		size_t cap = fd->cap_pipes ? fd->cap_pipes * 2 : 16;
		struct dumped_pipe *np = realloc(fd->pipes, cap * sizeof(*np));

		if (!np)
			return -ENOMEM;
		fd->pipes = np;
		fd->cap_pipes = cap;
	}
	pe = calloc(1, sizeof(*pe));
	if (!pe)
		return -ENOMEM;
	pipe_entry__init(pe);
	pe->id = (*fd->next_id)++;
	pe->ino = a->st.st_ino;
	size = fcntl(a->local, F_GETPIPE_SZ);
	pe->size = size > 0 ? (uint32_t)size : 65536;
	*ret = &fd->pipes[fd->nr_pipes++];
	memset(*ret, 0, sizeof(**ret));
	(*ret)->pe = pe;
	(*ret)->local = -1;
	(*ret)->pid = a->pid;
	(*ret)->fd = a->fd;
	return 0;
}

/* Notes one end of a pipe; the data is copied through the first read end seen. */
static int note_pipe(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe, struct dumped_pipe **ret)
{
	struct dumped_pipe *p = find_pipe(fd, a->st.st_ino);
	unsigned int acc = a->flags & O_ACCMODE;
	int r;

	if (!p) {
		r = new_pipe(fd, a, &p);
		if (r < 0)
			return r;
	}
	fe->has_pipe_id = true;
	fe->pipe_id = p->pe->id;
	if (acc == O_RDONLY || acc == O_RDWR) {
		if (!p->has_read) {
			r = peek_pipe_data(a, a->local, p->pe);
			if (r < 0)
				return r;
		}
		p->has_read = true;
	}
	if (acc == O_WRONLY || acc == O_RDWR)
		p->has_write = true;
	*ret = p;
	return 0;
}

int pipes_dump_note(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	struct dumped_pipe *p;

	return note_pipe(fd, a, fe, &p);
}

static bool pipe_match(const struct stat *st, const char *link)
{
	return S_ISFIFO(st->st_mode) && !strncmp(link, "pipe:[", 6);
}

static bool fifo_match(const struct stat *st, const char *link)
{
	return S_ISFIFO(st->st_mode) && link[0] == '/';
}

static int pipe_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	return pipes_dump_note(fd, a, fe);
}

static int fifo_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	size_t len = strlen(a->link), sl = strlen(DELETED_SUFFIX);
	bool suffix = len > sl && !strcmp(a->link + len - sl, DELETED_SUFFIX);
	struct dumped_pipe *p;
	char proc[64];
	int r;

	fe->deleted = suffix || a->st.st_nlink == 0;
	fe->path = strndup(a->link, suffix ? len - sl : len);
	if (!fe->path)
		return -ENOMEM;
	/* a removed FIFO is made again at restore (ghost_node.c), with its owner and mode */
	fe->has_deleted = fe->has_mode = fe->has_uid = fe->has_gid = fe->deleted;
	fe->mode = a->st.st_mode;
	fe->uid = a->st.st_uid;
	fe->gid = a->st.st_gid;
	/* its buffer lives as long as someone holds it open: kept like a pipe's */
	r = note_pipe(fd, a, fe, &p);
	if (r < 0 || p->has_read)
		goto out;
	/* only writers in the tree: read the buffer through the task's fd (its path is in the task's root) */
	snprintf(proc, sizeof(proc), "/proc/%d/fd/%d", a->pid, a->fd);
	{
		_cleanup_close_ int rfd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

		if (rfd < 0)
			return pr_perror_ret("pid %d fd %d: cannot open FIFO %s to copy its data", a->pid, a->fd,
					     fe->path);
		r = peek_pipe_data(a, rfd, p->pe);
	}
out:
	/* anyone may open a FIFO by its path: its ends need not all be in the tree */
	if (r >= 0)
		p->has_read = p->has_write = true;
	return r;
}

/* criu's fd given for "pipe:[INO]" with --inherit-fd (a runtime's new stdio pipe), or -1. */
static int inherited_pipe(const struct files_restore *fr, const PipeEntry *pe)
{
	char key[64];
	struct stat st;
	int fd;

	snprintf(key, sizeof(key), "pipe:[%" PRIu64 "]", pe->ino);
	fd = files_restore_inherited(fr, key);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		return pr_err_ret(-EBADF, "--inherit-fd fd[%d]:%s: fd %d is not a pipe", fd, key, fd);
	return fd;
}

/* Makes the pipe of pipe_id (once) and fills it with its data. */
static int make_pipe(struct files_restore *fr, size_t i)
{
	const PipeEntry *pe = fr->pipes[i];
	int p[2], inh;

	if (fr->pipe_fds[i][0] >= 0)
		return 0;
	inh = inherited_pipe(fr, pe);
	if (inh < -1)
		return inh;
	if (inh >= 0) {
		/* the runtime's pipe stands for this one: its data is the runtime's business */
		fr->pipe_fds[i][0] = fcntl(inh, F_DUPFD_CLOEXEC, 0);
		fr->pipe_fds[i][1] = fcntl(inh, F_DUPFD_CLOEXEC, 0);
		if (fr->pipe_fds[i][0] < 0 || fr->pipe_fds[i][1] < 0)
			return pr_perror_ret("pipe %" PRIu64 ": cannot take the inherited fd %d", pe->id, inh);
		pr_info("pipe:[%" PRIu64 "] is the inherited fd %d\n", pe->ino, inh);
		return 0;
	}
	if (pipe2(p, pe->n_packets ? O_DIRECT : 0) < 0)
		return pr_perror_ret("pipe %" PRIu64 ": cannot create", pe->id);
	fr->pipe_fds[i][0] = p[0];
	fr->pipe_fds[i][1] = p[1];
	if (fcntl(p[1], F_SETPIPE_SZ, pe->size) < 0 && pe->size > 65536)
		return pr_perror_ret("pipe %" PRIu64 ": cannot set its size to %u", pe->id, pe->size);
	if (pe->n_packets) {
		size_t off = 0;

		for (size_t k = 0; k < pe->n_packets; k++) {
			if (pe->packets[k] > pe->data.len - off)
				return pr_err_ret(-EBADMSG, "pipe %" PRIu64 ": packet %zu runs past its data", pe->id, k);
			if (write(p[1], pe->data.data + off, pe->packets[k]) != (ssize_t)pe->packets[k])
				return pr_perror_ret("pipe %" PRIu64 ": cannot refill packet %zu", pe->id, k);
			off += pe->packets[k];
		}
		if (off != pe->data.len)
			return pr_err_ret(-EBADMSG, "pipe %" PRIu64 ": packets cover %zu of %zu bytes", pe->id, off,
					  pe->data.len);
		/* each end gets its own flags later */
		if (fcntl(p[1], F_SETFL, 0) < 0 || fcntl(p[0], F_SETFL, 0) < 0)
			return pr_perror_ret("pipe %" PRIu64 ": cannot leave packet mode", pe->id);
	} else if (pe->has_data && pe->data.len &&
		   write(p[1], pe->data.data, pe->data.len) != (ssize_t)pe->data.len) {
		return pr_perror_ret("pipe %" PRIu64 ": cannot refill %zu bytes", pe->id, pe->data.len);
	}
	return 0;
}

int pipes_restore_end(struct files_restore *fr, uint64_t pipe_id, bool write_end, int *ret_fd)
{
	for (size_t i = 0; i < fr->nr_pipes; i++) {
		int r;

		if (fr->pipes[i]->id != pipe_id)
			continue;
		r = make_pipe(fr, i);
		if (r < 0)
			return r;
		if (fr->pipe_given[i] & (1u << write_end)) {
			/*
			 * Another open file description of the same end (the task
			 * reopened it through /proc): its flags are its own, so it
			 * is a new open of the pipe, not a dup of the first.
			 */
			*ret_fd = self_fd_open(fr->pipe_fds[i][write_end], (write_end ? O_WRONLY : O_RDONLY) | O_NONBLOCK);
			if (*ret_fd < 0)
				return pr_err_ret(*ret_fd, "pipe %" PRIu64 ": cannot open another description of its %s end",
						     pipe_id, write_end ? "write" : "read");
			return 0;
		}
		fr->pipe_given[i] |= (uint8_t)(1u << write_end);
		*ret_fd = dup(fr->pipe_fds[i][write_end]);
		return *ret_fd < 0 ? -errno : 0;
	}
	return pr_err_ret(-EBADMSG, "pipes.img: no pipe %" PRIu64, pipe_id);
}

static int pipe_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	unsigned int acc = fe->flags & O_ACCMODE;
	int r;

	if (!fe->has_pipe_id)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": a pipe end without a pipe", fe->id);
	r = pipes_restore_end(fr, fe->pipe_id, acc == O_WRONLY, ret_fd);
	if (r < 0)
		return r;
	if (fcntl(*ret_fd, F_SETFL, fe->flags & (O_NONBLOCK | O_DIRECT)) < 0) {
		close(*ret_fd);
		return pr_perror_ret("file %" PRIu64 ": cannot set pipe flags", fe->id);
	}
	return 0;
}

/* The pipes.img entry that keeps the buffer of FIFO fe, or -1. */
static ssize_t fifo_pipe(const struct files_restore *fr, const FileEntry *fe)
{
	for (size_t i = 0; fe->has_pipe_id && i < fr->nr_pipes; i++)
		if (fr->pipes[i]->id == fe->pipe_id)
			return (ssize_t)i;
	return -1;
}

/* A new removed FIFO, made at its old path and removed again (ghost_node.c), refilled; *ret_rw holds it. */
static int make_deleted_fifo(struct files_restore *fr, const FileEntry *fe, const PipeEntry *pe, int *ret_rw)
{
	struct ghost_node_spec spec = {.mode = fe->mode, .uid = fe->uid, .gid = fe->gid};
	_cleanup_close_ int p = -EBADF, rw = -EBADF;
	struct ghost_node g;
	int r, rm;

	if (!fe->has_mode || !S_ISFIFO(fe->mode) || !fe->has_uid || !fe->has_gid)
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": removed FIFO %s without its mode and owner",
				  fe->id, fe->path);
	r = files_check_ghost_owner(fr, fe);
	if (r < 0)
		return r;
	r = ghost_node_make(fr->root_fd, fe->path, &spec, &g, &p);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot make removed FIFO %s (mode %o, owner %u:%u) again",
				  fe->id, fe->path, fe->mode & 07777, fe->uid, fe->gid);
	rw = self_fd_open(p, O_RDWR | O_NONBLOCK);
	r = rw < 0 ? rw : 0;
	rm = ghost_node_remove(&g);
	if (rm < 0 && r == 0)
		r = rm;
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot open removed FIFO %s made again", fe->id, fe->path);
	if (pe && pe->has_data && pe->data.len && write(rw, pe->data.data, pe->data.len) != (ssize_t)pe->data.len)
		return pr_perror_ret("FIFO %s: cannot refill %zu bytes", fe->path, pe->data.len);
	*ret_rw = TAKE_FD(rw);
	return 0;
}

/*
 * A removed FIFO: one new nameless FIFO per dumped one, whose read-write
 * description criu keeps as the holder of its buffer; every description of
 * it is a new open of that one, with its own flags.
 */
static int deleted_fifo_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	int flags = files_sane_open_flags(fe->flags) & (O_ACCMODE | O_NONBLOCK);
	ssize_t i = fifo_pipe(fr, fe);
	_cleanup_close_ int own = -EBADF;
	int held = i >= 0 ? fr->pipe_fds[i][1] : -1, r, f;

	if (held < 0) {
		r = make_deleted_fifo(fr, fe, i >= 0 ? fr->pipes[i] : NULL, &own);
		if (r < 0)
			return r;
		held = own;
		if (i >= 0)
			fr->pipe_fds[i][1] = TAKE_FD(own);
	}
	f = self_fd_open(held, flags | O_NONBLOCK);
	if (f < 0)
		return pr_err_ret(f, "file %" PRIu64 ": cannot open removed FIFO %s", fe->id, fe->path);
	if (fcntl(f, F_SETFL, flags & O_NONBLOCK) < 0) {
		close(f);
		return pr_perror_ret("file %" PRIu64 ": cannot set FIFO flags", fe->id);
	}
	*ret_fd = f;
	return 0;
}

/*
 * A FIFO is reopened by path through a pipe end we hold, so open never blocks.
 * The path comes from the image: resolved in the tree's root, opened with the
 * rights of the tasks that hold it (in_root.c), and it must still be a FIFO.
 */
static int fifo_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	_cleanup_close_ int rw = -EBADF;
	int flags = files_sane_open_flags(fe->flags) & ~O_PATH;
	uid_t denied = 0;
	struct stat st;
	int f;

	if (!fe->path || fe->path[0] != '/')
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": a FIFO without an absolute path",
				  fe->id);
	if (fe->deleted)
		return deleted_fifo_open(fr, fe, ret_fd);
	rw = files_open_in_root(fr, fe->id, -1, fe->path, O_RDWR | O_NONBLOCK, 0, &denied);
	if (rw == -EACCES || rw == -EPERM)
		return pr_err_ret(
			rw, "file %" PRIu64 ": FIFO %s: the task that holds it (fsuid %u) may not open it",
			fe->id, fe->path, denied);
	if (rw < 0)
		return pr_err_ret(rw, "file %" PRIu64 ": cannot open FIFO %s", fe->id, fe->path);
	if (fstat(rw, &st) < 0 || !S_ISFIFO(st.st_mode))
		return pr_err_ret(-ENXIO, "file %" PRIu64 ": %s is not a FIFO any more", fe->id, fe->path);
	f = files_open_in_root(fr, fe->id, -1, fe->path, flags | O_NONBLOCK, 0, NULL);
	if (f < 0)
		return pr_err_ret(f, "file %" PRIu64 ": cannot open FIFO %s", fe->id, fe->path);
	if (fstat(f, &st) < 0 || !S_ISFIFO(st.st_mode)) {
		close(f);
		return pr_err_ret(-ENXIO, "file %" PRIu64 ": %s is not a FIFO any more", fe->id, fe->path);
	}
	if (fcntl(f, F_SETFL, fe->flags & O_NONBLOCK) < 0) {
		close(f);
		return pr_perror_ret("file %" PRIu64 ": cannot set FIFO flags", fe->id);
	}
	/* refill its buffer once, through the first end we open */
	for (size_t i = 0; fe->has_pipe_id && i < fr->nr_pipes; i++)
		if (fr->pipes[i]->id == fe->pipe_id && fr->pipe_fds[i][1] < 0) {
			const PipeEntry *pe = fr->pipes[i];

			fr->pipe_fds[i][1] = dup(rw);
			/* its size first: a buffer larger than the default would not go in */
			if (fcntl(rw, F_SETPIPE_SZ, pe->size) < 0 && pe->size > 65536) {
				close(f);
				return pr_perror_ret("FIFO %s: cannot set its size to %u", fe->path, pe->size);
			}
			if (pe->has_data && pe->data.len &&
			    write(rw, pe->data.data, pe->data.len) != (ssize_t)pe->data.len) {
				close(f);
				return pr_perror_ret("FIFO %s: cannot refill %zu bytes", fe->path, pe->data.len);
			}
		}
	*ret_fd = f;
	return 0;
}

const struct fd_ops pipe_fd_ops = {
	.name = "pipe",
	.kind = FILE_KIND__FILE_PIPE,
	.match = pipe_match,
	.dump = pipe_dump,
	.open = pipe_open,
};

const struct fd_ops fifo_fd_ops = {
	.name = "FIFO",
	.kind = FILE_KIND__FILE_FIFO,
	.match = fifo_match,
	.dump = fifo_dump,
	.open = fifo_open,
};
