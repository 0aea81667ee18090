/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The contents of an unlinked file (a "ghost"): read at dump, written into a
 * new inode at restore (regular.c makes the inode and reopens it).
 *
 * A ghost is read by its data extents (lseek(2) SEEK_DATA/SEEK_HOLE), so a
 * sparse file stays sparse with the same layout, and --ghost-limit counts
 * its allocated bytes (st_blocks), not its size, as criu's does. criu's
 * --ghost-fiemap chooses FIEMAP over SEEK_DATA for the same extents; both
 * forms are accepted and SEEK_DATA is always used (it also sees data still
 * in the page cache). Its access and modification times come back too.
 * The task's file position is the description's: it is put back after the
 * lseeks.
 *
 * Image: file_entry.ghost_data holds the pieces one after another;
 * ghost_extents lists (offset, length) of each, ghost_size the file's size.
 * Without ghost_extents (older images) the data is the whole file.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cleanup.h"
#include "fileio.h"
#include "files_priv.h"
#include "log.h"

struct ghost_buf {
	uint8_t *data;
	size_t len, cap;
	uint64_t *ext; /* offset, length pairs */
	size_t n_ext, cap_ext;
};

static void ghost_buf_free(struct ghost_buf *b)
{
	free(b->data);
	free(b->ext);
}

/* Appends [off, off + len) of the file; returns -errno (not logged) or 0. */
static int read_piece(int fd, struct ghost_buf *b, uint64_t off, uint64_t len)
{
	int r;

	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *n;

		while (cap < b->len + len)
			cap *= 2;
		n = realloc(b->data, cap);
		if (!n)
			return -ENOMEM;
		b->data = n;
		b->cap = cap;
	}
	if (b->n_ext + 2 > b->cap_ext) {
		size_t cap = b->cap_ext ? b->cap_ext * 2 : 16;
		uint64_t *n = realloc(b->ext, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		b->ext = n;
		b->cap_ext = cap;
	}
	r = cr_pread_full(fd, b->data + b->len, len, off); /* -ENODATA: it shrank while read */
	if (r < 0)
		return r;
	b->len += len;
	b->ext[b->n_ext++] = off;
	b->ext[b->n_ext++] = len;
	return 0;
}

/* Every data extent of fd up to size. */
static int read_extents(int fd, uint64_t size, struct ghost_buf *b)
{
	uint64_t pos = 0;

	while (pos < size) {
		off_t data = lseek(fd, (off_t)pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break; /* a hole to the end */
		if (data < 0)
			return -errno;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return -errno;
		if ((uint64_t)hole > size)
			hole = (off_t)size;
		if (hole > data) {
			int r = read_piece(fd, b, (uint64_t)data, (uint64_t)(hole - data));

			if (r < 0)
				return r;
		}
		pos = (uint64_t)hole;
	}
	return 0;
}

static int64_t ns_of(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

/* a->local, or a read-only reopen of it when the task's description is write-only */
static int readable(const struct fd_dump_arg *a, int *ret_own)
{
	char path[64];
	int fl = fcntl(a->local, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != O_WRONLY || a->fd < 0)
		return a->local;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", a->pid, a->fd);
	*ret_own = open(path, O_RDONLY | O_CLOEXEC);
	return *ret_own < 0 ? -errno : *ret_own;
}

int ghost_dump(const struct fd_dump_arg *a, FileEntry *fe, uint64_t limit)
{
	_cleanup_close_ int own = -EBADF;
	int fd = readable(a, &own);
	uint64_t size = (uint64_t)a->st.st_size, counted = (uint64_t)a->st.st_blocks * 512;
	struct ghost_buf b = {0};
	off_t pos;
	char where[48];
	int r;

	if (fd < 0)
		return pr_err_ret(fd, "pid %d fd %d: cannot open write-only unlinked file %s for reading", a->pid,
				  a->fd, fe->path);
	if (a->fd >= 0)
		snprintf(where, sizeof(where), "pid %d fd %d", a->pid, a->fd);
	else
		snprintf(where, sizeof(where), "pid %d: mapped", a->pid);
	if (counted > limit && !strncmp(fe->path, "/memfd:", 7))
		return pr_err_ret(-EFBIG,
				  "%s: not supported yet: memfd %s has %" PRIu64
				  " bytes of data, more than the %" PRIu64 " its image record holds",
				  where, fe->path, counted, limit);
	if (counted > limit)
		return pr_err_ret(-EFBIG, "%s: unlinked file %s has %" PRIu64 " bytes of data, more than --ghost-limit %" PRIu64,
				  where, fe->path, counted, limit);
	pos = lseek(fd, 0, SEEK_CUR);
	r = read_extents(fd, size, &b);
	if (pos >= 0 && lseek(fd, pos, SEEK_SET) < 0 && r >= 0)
		r = -errno;
	if (r < 0) {
		ghost_buf_free(&b);
		if (r == -ENODATA)
			return pr_err_ret(-EIO, "%s: unlinked file %s shrank while read", where, fe->path);
		return pr_err_ret(r, "%s: cannot read unlinked file %s", where, fe->path);
	}
	fe->has_ghost_data = true;
	fe->ghost_data.data = b.data ? b.data : calloc(1, 1);
	fe->ghost_data.len = b.len;
	fe->ghost_extents = b.ext;
	fe->n_ghost_extents = b.n_ext;
	fe->has_ghost_size = true;
	fe->ghost_size = size;
	fe->has_ghost_atime_ns = fe->has_ghost_mtime_ns = true;
	fe->ghost_atime_ns = ns_of(&a->st.st_atim);
	fe->ghost_mtime_ns = ns_of(&a->st.st_mtim);
	return fe->ghost_data.data ? 0 : -ENOMEM;
}

/* The extents of an image are in order, inside ghost_size, and cover ghost_data exactly. */
static int check_extents(const FileEntry *fe, const FileEntry *d)
{
	uint64_t used = 0, end = 0;

	if (d->n_ghost_extents % 2 || (d->n_ghost_extents && !d->has_ghost_size))
		goto bad;
	for (size_t i = 0; i < d->n_ghost_extents; i += 2) {
		uint64_t off = d->ghost_extents[i], len = d->ghost_extents[i + 1];

		if (off < end || len > d->ghost_size || off > d->ghost_size - len || len > d->ghost_data.len - used)
			goto bad;
		used += len;
		end = off + len;
	}
	if (d->n_ghost_extents && used != d->ghost_data.len)
		goto bad;
	if (d->has_ghost_size && !d->n_ghost_extents && d->ghost_data.len > d->ghost_size)
		goto bad;
	return 0;
bad:
	return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": the contents of unlinked %s are malformed", fe->id,
			  fe->path);
}

int ghost_fill(int w, const FileEntry *fe, const FileEntry *d)
{
	const uint8_t *p = d->ghost_data.data;
	int r = check_extents(fe, d);

	if (r < 0)
		return r;
	if (!d->n_ghost_extents && d->ghost_data.len &&
	    pwrite(w, p, d->ghost_data.len, 0) != (ssize_t)d->ghost_data.len)
		goto fail;
	for (size_t i = 0; i < d->n_ghost_extents; i += 2) {
		size_t len = (size_t)d->ghost_extents[i + 1];

		if (pwrite(w, p, len, (off_t)d->ghost_extents[i]) != (ssize_t)len)
			goto fail;
		p += len;
	}
	if (d->has_ghost_size && ftruncate(w, (off_t)d->ghost_size) < 0)
		goto fail;
	return 0;
fail:
	return pr_perror_ret("file %" PRIu64 ": cannot write the contents of unlinked %s", fe->id, fe->path);
}

int ghost_fill_mapped(int w, const FileEntry *fe, const FileEntry *d)
{
	uint64_t size = d->has_ghost_size ? d->ghost_size : d->ghost_data.len;
	const uint8_t *p = d->ghost_data.data;
	unsigned char *m;
	int r = check_extents(fe, d);

	if (r < 0)
		return r;
	if (!size)
		return 0;
	if (ftruncate(w, (off_t)size) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot size unlinked %s to %" PRIu64, fe->id, fe->path, size);
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, w, 0);
	if (m == MAP_FAILED)
		return pr_perror_ret("file %" PRIu64 ": cannot map unlinked %s to fill it", fe->id, fe->path);
	if (!d->n_ghost_extents)
		memcpy(m, p, d->ghost_data.len);
	for (size_t i = 0; i < d->n_ghost_extents; i += 2) {
		memcpy(m + d->ghost_extents[i], p, (size_t)d->ghost_extents[i + 1]);
		p += d->ghost_extents[i + 1];
	}
	munmap(m, size);
	return 0;
}

static struct timespec ts_of(int64_t ns)
{
	struct timespec t = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	if (t.tv_nsec < 0) { /* before 1970 */
		t.tv_nsec += 1000000000;
		t.tv_sec--;
	}
	return t;
}

int ghost_set_times(int w, const FileEntry *fe, const FileEntry *d)
{
	struct timespec t[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};

	if (d->has_ghost_atime_ns)
		t[0] = ts_of(d->ghost_atime_ns);
	if (d->has_ghost_mtime_ns)
		t[1] = ts_of(d->ghost_mtime_ns);
	if (futimens(w, t) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot set the times of unlinked %s", fe->id, fe->path);
	return 0;
}
