/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pages images: raw page data at page-aligned offsets, nothing else, so that
 * the file's size is the pages it holds. The pagemap image names it and
 * holds each run's CRC; the inventory lists it with its size. Images written
 * before pagemap_head.data_start had a 4 KiB header first: still read.
 */
#define LOG_PREFIX "image: "
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image_priv.h"
#include "log.h"

#define PAGE_ALIGN 4096u

struct img_pages_writer {
	struct img_dir *d;
	int fd;
	uint64_t id;
	uint64_t off;
	bool direct; /* data goes to disk with O_DIRECT, not through the page cache */
	char name[IMG_NAME_MAX];
};

int img_pages_create(struct img_dir *d, uint64_t id, struct img_pages_writer **ret)
{
	struct img_pages_writer *w = calloc(1, sizeof(*w));

	if (!w)
		return pr_err_ret(-ENOMEM, "%s: cannot create a pages image", d->path);
	w->d = d;
	w->id = id;
	img_file_name(w->name, sizeof(w->name), IMG_PAGES, id);
	w->fd = img_dir_create_file(d, w->name, 0);
	if (w->fd < 0) {
		int r = w->fd;

		free(w);
		return r;
	}
	w->off = 0;
	/*
	 * Page data is written once and read back once: O_DIRECT spares the
	 * copy into the page cache, which costs more than the disk here. Not
	 * every file system has it; then the data goes through the cache.
	 */
	if (fcntl(w->fd, F_SETFL, O_DIRECT) == 0)
		w->direct = true;
	*ret = w;
	return 0;
}

int img_pages_append(struct img_pages_writer *w, const struct iovec *iov, int iovcnt, uint64_t *ret_off,
		     uint32_t *ret_crc)
{
	uint64_t start = w->off, total = 0;
	uint32_t crc = 0;
	int done = 0;
	size_t skip = 0; /* bytes of iov[done] already written */

	for (int i = 0; i < iovcnt; i++) {
		crc = crc32c(crc, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	while (done < iovcnt) {
		struct iovec v[64];
		int n = 0;
		ssize_t wr;

		for (int i = done; i < iovcnt && n < 64; i++, n++) {
			v[n] = iov[i];
			if (i == done) {
				v[n].iov_base = (char *)v[n].iov_base + skip;
				v[n].iov_len -= skip;
			}
		}
		wr = pwritev(w->fd, v, n, (off_t)w->off);
		if (wr < 0 && errno == EINVAL && w->direct) {
			/* an unaligned buffer: this and later data go through the cache */
			if (fcntl(w->fd, F_SETFL, 0) == 0) {
				w->direct = false;
				continue;
			}
		}
		if (wr < 0) {
			if (errno == EINTR)
				continue;
			return pr_perror_ret("%s/%s: cannot write pages at offset %llu", w->d->path, w->name,
					     (unsigned long long)w->off);
		}
		w->off += (uint64_t)wr;
		/* an empty piece is done as soon as it is reached, or the loop never ends */
		while (done < iovcnt && (wr > 0 || iov[done].iov_len == skip)) {
			size_t left = iov[done].iov_len - skip;

			if ((size_t)wr >= left) {
				wr -= (ssize_t)left;
				done++;
				skip = 0;
			} else {
				skip += (size_t)wr;
				wr = 0;
			}
		}
	}
	/* Keep every run page-aligned so that it can be read straight into place. */
	if (total % PAGE_ALIGN)
		w->off += PAGE_ALIGN - total % PAGE_ALIGN;
	*ret_off = start;
	*ret_crc = crc;
	return 0;
}

int img_pages_commit(struct img_pages_writer *w)
{
	int r = 0;

	/* Padding after the last run is a hole: extend the file to cover it. */
	if (ftruncate(w->fd, (off_t)w->off) < 0)
		r = pr_perror_ret("%s/%s: cannot set the size", w->d->path, w->name);
	if (!r && close(w->fd) < 0)
		r = pr_perror_ret("%s/%s: cannot close", w->d->path, w->name);
	w->fd = -1;
	if (!r)
		r = img_dir_note(w->d, w->name, IMG_PAGES, w->id, w->off);
	if (r < 0)
		img_pages_abort(w);
	else
		free(w);
	return r;
}

void img_pages_abort(struct img_pages_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	unlinkat(w->d->dfd, w->name, 0);
	free(w);
}

int img_pages_check_header(int fd, const char *name, uint64_t *ret_id)
{
	unsigned char hdr[IMG_HEADER_SIZE];
	enum img_kind kind;
	ssize_t n = pread(fd, hdr, sizeof(hdr), 0);
	int r;

	if (n < 0)
		return pr_perror_ret("%s: cannot read the header", name);
	r = img_header_check(hdr, (size_t)n, name, &kind, ret_id);
	if (r < 0)
		return r;
	if (kind != IMG_PAGES) {
		pr_err("%s: a %s image, not a pages image\n", name, img_kind_info(kind)->name);
		return -EBADMSG;
	}
	return 0;
}

int img_pages_open(struct img_dir *d, uint64_t id, bool legacy_header, int *ret_fd)
{
	char name[IMG_NAME_MAX];
	_cleanup_close_ int fd = -EBADF;
	uint64_t hid;
	int r;

	img_file_name(name, sizeof(name), IMG_PAGES, id);
	if (d->inv && !img_dir_find(d, IMG_PAGES, id))
		return -ENOENT;
	fd = img_dir_open_file(d, name);
	if (fd < 0)
		return fd;
	if (!legacy_header) {
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	r = img_pages_check_header(fd, name, &hid);
	if (r < 0)
		return r;
	if (hid != id) {
		pr_err("%s: holds pages %llu, expected %llu\n", name, (unsigned long long)hid,
		       (unsigned long long)id);
		return -EBADMSG;
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}
