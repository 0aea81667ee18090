/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page contents: dump into pagemap + pages images, and load the index back. */
#define LOG_PREFIX "pages: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "guard.h"
#include "images/pagemap.pb-c.h"
#include "log.h"
#include "pages.h"

#define PAGE_SZ	   4096u
#define CHUNK	   (4u << 20) /* bytes copied per read/append */
#define SCAN_REGIONS 512

/* The output side of a dump: one pages image and its index. */
struct page_sink {
	pid_t pid;
	int mem_fd; /* /proc/PID/mem, for what process_vm_readv cannot read */
	struct img_pages_writer *pw;
	struct img_writer *iw;
	unsigned char *buf;
	struct page_stats *st;
	bool shared; /* a shared memory object: counted as shpages */
};

static int sink_open(struct page_sink *s, pid_t pid, struct img_dir *d, uint64_t id, struct page_stats *st)
{
	PagemapHead head = PAGEMAP_HEAD__INIT;
	int r;

	s->pid = pid;
	s->st = st;
	s->mem_fd = -1;
	s->buf = aligned_alloc(PAGE_SZ, CHUNK);
	if (!s->buf)
		return pr_err_ret(-ENOMEM, "pid %d: cannot allocate the page buffer", pid);
	r = img_pages_create(d, id, &s->pw);
	if (r < 0)
		return r;
	r = img_create(d, IMG_PAGEMAP, id, &s->iw);
	if (r < 0)
		return r;
	head.pages_id = id;
	head.page_size = PAGE_SZ;
	head.has_data_start = true;
	head.data_start = 0;
	return img_write_msg(s->iw, &head.base);
}

static int sink_close(struct page_sink *s, int err)
{
	if (!err && s->pw)
		err = img_pages_commit(s->pw);
	else
		img_pages_abort(s->pw);
	if (!err && s->iw)
		err = img_commit(s->iw);
	else
		img_writer_abort(s->iw);
	if (s->mem_fd >= 0)
		close(s->mem_fd);
	free(s->buf);
	return err;
}

/* Reads len bytes of the task's memory at addr; falls back to /proc/PID/mem (PROT_NONE). */
static int read_remote(struct page_sink *s, uint64_t addr, size_t len)
{
	struct iovec local = { s->buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(s->pid, &local, 1, &remote, 1, 0);
	size_t done = n > 0 ? (size_t)n : 0;

	while (done < len) {
		if (s->mem_fd < 0) {
			char path[64];

			snprintf(path, sizeof(path), "/proc/%d/mem", s->pid);
			s->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
			if (s->mem_fd < 0)
				return pr_perror_ret("pid %d: cannot open %s", s->pid, path);
		}
		n = pread(s->mem_fd, s->buf + done, len - done, (off_t)(addr + done));
		if (n <= 0)
			return pr_err_ret(n < 0 ? -errno : -EIO, "pid %d: cannot read memory at 0x%" PRIx64, s->pid,
					  addr + done);
		done += (size_t)n;
	}
	return 0;
}

static bool page_is_zero(const unsigned char *p)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t acc = 0;

	for (size_t i = 0; i < PAGE_SZ / sizeof(*w); i++)
		acc |= w[i];
	return acc == 0;
}

/* Appends one run of pages from the buffer to the pages image and the index. */
static int sink_append(struct page_sink *s, uint64_t vaddr, size_t buf_off, size_t len)
{
	PagemapEntry pe = PAGEMAP_ENTRY__INIT;
	struct iovec iov = { s->buf + buf_off, len };
	int r;

	pe.vaddr = vaddr;
	pe.nr_pages = (uint32_t)(len / PAGE_SZ);
	r = img_pages_append(s->pw, &iov, 1, &pe.offset, &pe.crc32c);
	if (r < 0)
		return r;
	if (s->shared)
		s->st->shpages_written += pe.nr_pages;
	else
		s->st->pages_written += pe.nr_pages;
	return img_write_msg(s->iw, &pe.base);
}

typedef int (*fill_fn)(struct page_sink *s, uint64_t addr, size_t len, void *arg);

/*
 * Stores [vaddr, vaddr + len) of data got by fill() into the pages image and
 * the index. With skip_zero, pages full of zeros are left out (a restore
 * gets them from fresh anonymous memory): some kernels back read faults
 * with real zeroed pages instead of the shared zero page.
 */
static int sink_store(struct page_sink *s, uint64_t vaddr, uint64_t len, bool skip_zero, fill_fn fill, void *arg)
{
	for (uint64_t off = 0; off < len; off += CHUNK) {
		size_t n = len - off < CHUNK ? (size_t)(len - off) : CHUNK, run = 0;
		int r = guard_check("copying pages");

		if (r == 0)
			r = fill(s, vaddr + off, n, arg);

		if (r < 0)
			return r;
		for (size_t p = 0; p <= n; p += PAGE_SZ) {
			bool zero = p < n && skip_zero && page_is_zero(s->buf + p);

			if (p < n && !zero)
				continue;
			if (p > run) {
				r = sink_append(s, vaddr + off + run, run, p - run);
				if (r < 0)
					return r;
			}
			run = p + PAGE_SZ;
		}
	}
	return 0;
}

static int fill_from_task(struct page_sink *s, uint64_t addr, size_t len, void *arg)
{
	(void)arg;
	return read_remote(s, addr, len);
}

/* Scans one mapping for pages holding data and stores them. */
static int dump_vma_private(struct page_sink *s, int pagemap_fd, const struct vma *v)
{
	struct page_region regions[SCAN_REGIONS];
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = v->start,
		.end = v->end,
		.vec = (uintptr_t)regions,
		.vec_len = SCAN_REGIONS,
		/* present or swapped, and not the shared zero page */
		.category_inverted = PAGE_IS_PFNZERO,
		.category_mask = PAGE_IS_PFNZERO,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};
	uint64_t stored = 0;

	if (v->kind == VMA_KIND__VMA_FILE_PRIVATE) {
		/* only the copied-on-write pages: unmodified ones come from the file */
		arg.category_inverted |= PAGE_IS_FILE;
		arg.category_mask |= PAGE_IS_FILE;
	}
	while (arg.start < v->end) {
		long n = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg);

		if (n < 0)
			return pr_perror_ret("pid %d: PAGEMAP_SCAN of 0x%" PRIx64 "-0x%" PRIx64 " failed", s->pid,
					     v->start, v->end);
		for (long i = 0; i < n; i++) {
			uint64_t before = s->st->pages_written;
			int r = sink_store(s, regions[i].start, regions[i].end - regions[i].start,
					   v->kind != VMA_KIND__VMA_FILE_PRIVATE, fill_from_task, NULL);

			if (r < 0)
				return r;
			stored += s->st->pages_written - before;
		}
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	s->st->pages_scanned += (v->end - v->start) / PAGE_SZ;
	s->st->pages_skipped += (v->end - v->start) / PAGE_SZ - stored;
	return 0;
}

int pages_dump_private(pid_t pid, const struct vma_list *vmas, struct img_dir *d, uint64_t id,
		       struct page_stats *st)
{
	struct page_sink s = { 0 };
	_cleanup_close_ int pagemap_fd = -EBADF;
	char path[64];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	pagemap_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pagemap_fd < 0)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	r = sink_open(&s, pid, d, id, st);
	for (size_t i = 0; r >= 0 && i < vmas->n; i++) {
		const struct vma *v = &vmas->v[i];

		if (v->kind == VMA_KIND__VMA_ANON_SHARED || !vma_has_dumpable_pages(v))
			continue;
		r = dump_vma_private(&s, pagemap_fd, v);
	}
	return sink_close(&s, r < 0 ? r : 0);
}

static int fill_from_fd(struct page_sink *s, uint64_t off, size_t len, void *arg)
{
	int fd = *(int *)arg;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, s->buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return pr_perror_ret("pid %d: cannot read shared memory at offset %" PRIu64, s->pid,
					     off + done);
		if (n == 0) { /* past the end of the object: zeros */
			memset(s->buf + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

int pages_dump_shmem(pid_t pid, const struct vma *v, struct img_dir *d, uint64_t id, struct page_stats *st)
{
	struct page_sink s = { 0 };
	_cleanup_close_ int fd = -EBADF;
	char path[96];
	struct stat sb;
	off_t pos = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0)
		return pr_perror_ret("pid %d: cannot open shared mapping %s", pid, path);
	r = sink_open(&s, pid, d, id, st);
	s.shared = true;
	/* SEEK_DATA/SEEK_HOLE find every populated range of the object */
	while (r >= 0 && pos < sb.st_size) {
		off_t data = lseek(fd, pos, SEEK_DATA), hole;

		if (data < 0) {
			if (errno != ENXIO)
				r = pr_perror_ret("pid %d: cannot seek in %s", pid, path);
			break;
		}
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0) {
			r = pr_perror_ret("pid %d: cannot seek in %s", pid, path);
			break;
		}
		data &= ~(off_t)(PAGE_SZ - 1);
		hole = (hole + PAGE_SZ - 1) & ~(off_t)(PAGE_SZ - 1);
		r = sink_store(&s, (uint64_t)data, (uint64_t)(hole - data), true, fill_from_fd, &fd);
		pos = hole;
	}
	st->shpages_scanned += (uint64_t)sb.st_size / PAGE_SZ;
	return sink_close(&s, r < 0 ? r : 0);
}

static int index_check_run(const struct page_index *pi, const PagemapEntry *pe, const char *name, size_t i)
{
	uint64_t len = (uint64_t)pe->nr_pages * PAGE_SZ;

	if (pe->nr_pages == 0 || pe->vaddr % PAGE_SZ || pe->offset % PAGE_SZ ||
	    pe->offset < pi->data_start || pe->offset > pi->pages_size || len > pi->pages_size - pe->offset ||
	    pe->vaddr + len < pe->vaddr) {
		pr_err("%s: run %zu (0x%" PRIx64 ", %u pages at offset %" PRIu64 ") is outside the pages image\n",
		       name, i + 1, pe->vaddr, pe->nr_pages, pe->offset);
		return -EBADMSG;
	}
	if (i > 0 && pi->runs[i - 1].vaddr + (uint64_t)pi->runs[i - 1].nr_pages * PAGE_SZ > pe->vaddr) {
		pr_err("%s: run %zu overlaps the one before\n", name, i + 1);
		return -EBADMSG;
	}
	return 0;
}

static int index_read_runs(struct img_reader *r, struct page_index *pi)
{
	ProtobufCMessage *m;
	int n;

	pi->runs = calloc(img_reader_count(r) + 1, sizeof(*pi->runs));
	if (!pi->runs)
		return pr_err_ret(-ENOMEM, "%s: cannot load", img_reader_name(r));
	while ((n = img_read_msg(r, &pagemap_entry__descriptor, &m)) > 0) {
		PagemapEntry *pe = (PagemapEntry *)m;
		int err = index_check_run(pi, pe, img_reader_name(r), pi->n);

		if (!err) {
			pi->runs[pi->n].vaddr = pe->vaddr;
			pi->runs[pi->n].nr_pages = pe->nr_pages;
			pi->runs[pi->n].offset = pe->offset;
			pi->runs[pi->n].crc32c = pe->crc32c;
			pi->n++;
		}
		pagemap_entry__free_unpacked(pe, NULL);
		if (err)
			return err;
	}
	return n;
}

int page_index_load(struct img_dir *d, uint64_t id, struct page_index *ret)
{
	struct page_index pi = { .pages_fd = -1 };
	struct img_reader *r = NULL;
	ProtobufCMessage *m = NULL;
	const PagemapHead *h;
	struct stat sb;
	int err;

	err = img_open(d, IMG_PAGEMAP, id, &r);
	if (err < 0)
		goto out;
	err = img_read_one(r, &pagemap_head__descriptor, &m);
	if (err < 0)
		goto out;
	h = (const PagemapHead *)m;
	if (h->page_size != PAGE_SZ || h->pages_id != id || (h->has_data_start && h->data_start)) {
		pr_err("%s: page size %u / pages id %" PRIu64 " / data start %" PRIu64 ", expected %u / %" PRIu64
		       " / 0\n",
		       img_reader_name(r), h->page_size, h->pages_id, h->data_start, PAGE_SZ, id);
		err = -EBADMSG;
		goto out;
	}
	pi.data_start = h->has_data_start ? 0 : IMG_PAGES_HDR_SIZE;
	err = img_pages_open(d, id, !h->has_data_start, &pi.pages_fd);
	if (err < 0)
		goto out;
	if (fstat(pi.pages_fd, &sb) < 0) {
		err = pr_perror_ret("pages-%" PRIu64 ".img: cannot stat", id);
		goto out;
	}
	pi.pages_size = (uint64_t)sb.st_size;
	err = index_read_runs(r, &pi);
out:
	if (m)
		protobuf_c_message_free_unpacked(m, NULL);
	img_close(r);
	if (err < 0) {
		page_index_free(&pi);
		return err;
	}
	*ret = pi;
	return 0;
}

void page_index_free(struct page_index *pi)
{
	free(pi->runs);
	pi->runs = NULL;
	pi->n = 0;
	if (pi->pages_fd >= 0)
		close(pi->pages_fd);
	pi->pages_fd = -1;
}
