/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared memory objects and unlinked files behind mappings: see mm_objects.h. */
#define LOG_PREFIX "mm: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file_check.h"
#include "log.h"
#include "mm_objects.h"
#include "mm_priv.h"
#include "plugins.h"

#define PAGE_SZ 4096ull

/* ---- dump ---- */

struct shmem_seen {
	uint64_t dev, ino;
	uint64_t id, size;
};

struct mm_objects_dump {
	uint64_t *next_id;
	struct files_dump *files;
	struct img_dir *dir;
	struct page_stats *st;
	struct shmem_seen *seen;
	size_t n, cap;
	/* the identity of the last mapped file (a library has several mappings in a row) */
	uint64_t last_dev, last_ino;
	uint32_t last_mnt_id;
	struct file_ident last;
	uint8_t last_id[ELF_BUILD_ID_MAX];
};

int mm_objects_dump_init(uint64_t *next_id, struct files_dump *files, struct img_dir *d,
			 struct page_stats *st, struct mm_objects_dump **ret)
{
	struct mm_objects_dump *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	o->next_id = next_id;
	o->files = files;
	o->dir = d;
	o->st = st;
	*ret = o;
	return 0;
}

void mm_objects_dump_free(struct mm_objects_dump *o)
{
	if (!o)
		return;
	free(o->seen);
	free(o);
}

static bool is_sysv(const struct vma *v)
{
	return v->kind == VMA_KIND__VMA_ANON_SHARED && v->path && !strncmp(v->path, "/SYSV", 5);
}

/*
 * System V shm attachments: each must be whole, in one piece or in pieces
 * that mprotect split (one after the other, offsets running on), so that
 * shmat() at its start makes all of it again. What munmap cut is refused.
 */
int mm_objects_check_sysv_shm(pid_t pid, const struct vma_list *vl)
{
	for (size_t i = 0; i < vl->n; i++) {
		const struct vma *v = &vl->v[i], *p = v;
		char map_path[96];
		struct stat st;
		uint64_t whole, next;

		if (!is_sysv(v))
			continue;
		snprintf(map_path, sizeof(map_path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start, v->end);
		if (stat(map_path, &st) < 0)
			return pr_perror_ret("pid %d: cannot stat System V shared memory %s at %#" PRIx64, pid, v->path,
					     v->start);
		/* in its pages: huge ones for a SHM_HUGETLB segment */
		whole = v->kpage_size > 4096 ? ((uint64_t)st.st_size + v->kpage_size - 1) & ~(v->kpage_size - 1)
					     : ((uint64_t)st.st_size + 4095) & ~4095ull;
		next = v->pgoff + (v->end - v->start);
		while (i + 1 < vl->n && is_sysv(&vl->v[i + 1]) && vl->v[i + 1].ino == v->ino &&
		       vl->v[i + 1].start == p->end && vl->v[i + 1].pgoff == next) {
			p = &vl->v[++i];
			next += p->end - p->start;
		}
		if (v->pgoff || next != whole)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: not supported yet: %#" PRIx64 "-%#" PRIx64 " is a part (offset %" PRIu64
					  ") of an attachment of System V shared memory %s (%" PRIu64 " bytes)",
					  pid, v->start, p->end, v->pgoff, v->path, (uint64_t)st.st_size);
	}
	return 0;
}

/*
 * A System V shm attachment: its inode number is the segment's id, and the
 * segment itself (with its contents) is dumped with the tree's IPC namespace,
 * so only the attachment is recorded (its pieces: see above). One of criu's
 * own namespace would not be in the dump.
 */
static int dump_sysv_shm(pid_t pid, const struct vma *v, const char *map_path, VmaEntry *e)
{
	char ns[64];
	struct stat st, tree_ipc, our_ipc;

	snprintf(ns, sizeof(ns), "/proc/%d/ns/ipc", pid);
	if (stat(map_path, &st) < 0 || stat(ns, &tree_ipc) < 0 || stat("/proc/self/ns/ipc", &our_ipc) < 0)
		return pr_perror_ret("pid %d: cannot stat System V shared memory %s at %#" PRIx64, pid, v->path,
				     v->start);
	if (tree_ipc.st_ino == our_ipc.st_ino && tree_ipc.st_dev == our_ipc.st_dev)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: not supported: System V shared memory %s (id %llu) at %#" PRIx64
				  " belongs to criu's IPC namespace, which is not dumped (give the tree its own)",
				  pid, v->path, (unsigned long long)st.st_ino, v->start);
	e->kind = VMA_KIND__VMA_SYSV_SHM;
	e->has_sysv_shmid = true;
	e->sysv_shmid = (uint32_t)st.st_ino;
	e->has_may_write = true;
	e->may_write = v->may_write;
	return 0;
}

static int dump_shmem(struct mm_objects_dump *o, pid_t pid, const struct vma *v, const char *map_path,
		      VmaEntry *e)
{
	struct shmem_seen *s = NULL;
	struct stat st;
	int r;

	if (is_sysv(v))
		return dump_sysv_shm(pid, v, map_path, e);
	if (stat(map_path, &st) < 0)
		return pr_perror_ret("pid %d: cannot stat shared memory at %#" PRIx64 " (%s)", pid, v->start,
				     map_path);
	for (size_t i = 0; i < o->n && !s; i++)
		if (o->seen[i].dev == st.st_dev && o->seen[i].ino == st.st_ino)
			s = &o->seen[i];
	if (!s) {
		if (o->n == o->cap) {
			size_t cap = o->cap ? o->cap * 2 : 16;
			struct shmem_seen *ns = realloc(o->seen, cap * sizeof(*ns));

			if (!ns)
				return -ENOMEM;
			o->seen = ns;
			o->cap = cap;
		}
		s = &o->seen[o->n];
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->id = (*o->next_id)++;
		s->size = (uint64_t)st.st_size;
		/* every task is frozen: the first mapping seen stores the whole object */
		r = pages_dump_shmem(pid, v, o->dir, s->id, o->st);
		if (r < 0)
			return r; /* logged with the pid and the object */
		o->n++;
		pr_debug("pid %d: shared memory inode %" PRIu64 " (%" PRIu64 " bytes) is object %" PRIu64
			 "\n",
			 pid, s->ino, s->size, s->id);
	}
	e->has_shmem_id = e->has_shmem_size = true;
	e->shmem_id = s->id;
	e->shmem_size = s->size;
	return 0;
}

/*
 * A mapping of a character device is offered to the plugins (HANDLE_DEVICE_VMA);
 * the one that takes it restores its memory, criu maps it again through the
 * plugin's UPDATE_VMA_MAP. Otherwise criu's own rule: mapped again by path.
 */
static int device_vma(pid_t pid, struct vma *v, const char *map_path, VmaEntry *e)
{
	struct stat st;
	int fd, r;

	/* no stat of every library mapping when no plugin would look at it */
	if (!plugins_have_hook(CR_PLUGIN_HOOK__HANDLE_DEVICE_VMA))
		return 0;
	if (stat(map_path, &st) < 0 || !S_ISCHR(st.st_mode))
		return 0;
	fd = open(map_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		fd = open(map_path, O_PATH | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("pid %d: cannot open the device mapped at %#" PRIx64 " (%s)", pid, v->start,
				     v->path ? v->path : "?");
	r = plugins_handle_device_vma(fd, &st);
	close(fd);
	if (r == -ENOTSUP)
		return 0;
	if (r < 0)
		return pr_err_ret(r, "pid %d: plugin %s failed on the device mapping %#" PRIx64 " (%s)", pid,
				  plugins_last_handler(), v->start, v->path ? v->path : "?");
	v->plugin = true;
	e->has_plugin = e->plugin = true;
	pr_info("pid %d: device mapping %#" PRIx64 "-%#" PRIx64 " (%s) is plugin %s's\n", pid, v->start, v->end,
		v->path ? v->path : "?", plugins_last_handler());
	return 0;
}

/*
 * What the restore checks a mapped file by (file_check.h): its size, mode
 * and build-id. Only a regular file is opened (a device's open may act).
 * A file criu may not reach through map_files is recorded without them.
 */
static void file_vma_ident(struct mm_objects_dump *o, pid_t pid, const struct vma *v, const char *map_path,
			   VmaEntry *e)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (!o->last.has_mode || o->last_dev != v->dev || o->last_ino != v->ino) {
		o->last.has_mode = false;
		if (stat(map_path, &st) < 0) {
			pr_debug("pid %d: cannot stat %s (%s): %m; not checked at restore\n", pid, map_path,
				 v->path ? v->path : "?");
			return;
		}
		fd = open(map_path, (S_ISREG(st.st_mode) ? O_RDONLY : O_PATH) | O_CLOEXEC | O_NOCTTY);
		o->last_mnt_id = fd >= 0 ? files_fd_mnt_id(fd) : 0;
		if (fd >= 0 && S_ISREG(st.st_mode))
			file_ident_read(fd, &st, o->last_id, &o->last);
		else
			o->last = (struct file_ident){.has_mode = true, .mode = st.st_mode};
		o->last_dev = v->dev;
		o->last_ino = v->ino;
	}
	e->has_file_mode = true;
	e->file_mode = o->last.mode;
	e->mnt_id = o->last_mnt_id;
	e->has_mnt_id = e->mnt_id != 0;
	e->has_file_size = o->last.has_size;
	e->file_size = o->last.size;
	if (o->last.build_id) {
		e->has_build_id = true;
		e->build_id.data = o->last_id;
		e->build_id.len = o->last.build_id_len;
	}
}

/*
 * An aio ring (io_setup): the kernel's header and the completed events,
 * read as they are; restore makes a ring of the same size and fills it
 * (mm_aio_ring_restore). Requests still in flight cannot be seen: the tree
 * is frozen, and what completes meanwhile lands in the ring after the dump.
 */
static int dump_aio(pid_t pid, const struct vma *v, VmaEntry *e)
{
	char mem[64];
	size_t len = v->end - v->start;
	_cleanup_close_ int fd = -EBADF;
	struct aio_ring_head h;
	uint8_t *buf;

	if (len > (64u << 20))
		return pr_err_ret(-EOPNOTSUPP, "pid %d: not supported: an aio ring of %zu bytes at %#" PRIx64, pid,
				  len, v->start);
	snprintf(mem, sizeof(mem), "/proc/%d/mem", pid);
	fd = open(mem, O_RDONLY | O_CLOEXEC);
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	if (fd < 0 || pread(fd, buf, len, (off_t)v->start) != (ssize_t)len) {
		free(buf);
		return pr_perror_ret("pid %d: cannot read the aio ring at %#" PRIx64, pid, v->start);
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != AIO_RING_MAGIC || h.header_length != sizeof(h) || !h.nr || h.head >= h.nr || h.tail >= h.nr ||
	    sizeof(h) + (uint64_t)h.nr * AIO_EVENT_SIZE > len) {
		free(buf);
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: the aio ring at %#" PRIx64 " has an unknown layout (magic %#x, nr %u, head %u, "
				  "tail %u)",
				  pid, v->start, h.magic, h.nr, h.head, h.tail);
	}
	e->kind = VMA_KIND__VMA_AIO_RING;
	e->has_aio_ring = true;
	e->aio_ring.data = buf; /* freed with the image writer's entry (dump.c) */
	e->aio_ring.len = len;
	pr_info("pid %d: aio ring %#" PRIx64 ": %u events, head %u, tail %u\n", pid, v->start, h.nr, h.head, h.tail);
	return 0;
}

/* A packet socket's ring is mapped again from that socket: an fd of the task must hold it. */
static int dump_packet_ring(pid_t pid, const struct vma *v)
{
	char dir[64], link[64 + 256], want[64];
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	snprintf(want, sizeof(want), "socket:[%" PRIu64 "]", v->ino);
	d = opendir(dir);
	if (!d)
		return pr_perror_ret("pid %d: cannot list %s", pid, dir);
	while ((de = readdir(d))) {
		char target[64];
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0 && (target[n] = '\0', !strcmp(target, want)))
			return 0;
	}
	return pr_err_ret(-EOPNOTSUPP,
			  "pid %d: not supported yet: the packet ring at %#" PRIx64 " maps %s, which no fd of the task holds",
			  pid, v->start, want);
}

int mm_objects_dump_vma(struct mm_objects_dump *o, pid_t pid, struct vma *v, VmaEntry *e)
{
	char map_path[96];
	int r;

	if (v->kind == VMA_KIND__VMA_PACKET_RING)
		return dump_packet_ring(pid, v);

	snprintf(map_path, sizeof(map_path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, pid, v->start,
		 v->end);
	if (v->kind == VMA_KIND__VMA_ANON_SHARED)
		return dump_shmem(o, pid, v, map_path, e);
	if ((v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) && !v->deleted) {
		file_vma_ident(o, pid, v, map_path, e);
		return device_vma(pid, v, map_path, e);
	}
	if ((v->kind != VMA_KIND__VMA_FILE_PRIVATE && v->kind != VMA_KIND__VMA_FILE_SHARED) || !v->deleted)
		return 0;
	if (v->kind == VMA_KIND__VMA_FILE_SHARED && v->path && !strncmp(v->path, "/[aio]", 6))
		return dump_aio(pid, v, e);
	/*
	 * A private mapping of a shared memory object (opened through
	 * map_files): it maps the object, and only its copied-on-write pages
	 * are its own; the others follow the object.
	 */
	if (v->kind == VMA_KIND__VMA_FILE_PRIVATE && v->path &&
	    (!strcmp(v->path, "/dev/zero (deleted)") || !strncmp(v->path, "[anon_shmem:", 12)))
		return dump_shmem(o, pid, v, map_path, e);
	r = files_dump_mapped_file(o->files, pid, map_path, v->path ? v->path : "?", &e->file_id);
	if (r < 0)
		return r; /* logged with the pid and the file */
	e->has_file_id = true;
	return 0;
}

/* ---- restore ---- */

struct shmem_obj {
	uint64_t id, size;
	uint32_t huge; /* MAP_HUGETLB and its page size: a hugetlbfs object */
	int fd;	       /* criu's, once made; -1 before */
};

static struct shmem_obj *find_obj(struct mm_shared *s, uint64_t id)
{
	for (size_t i = 0; i < s->nr_shmem; i++)
		if (s->shmem[i].id == id)
			return &s->shmem[i];
	return NULL;
}

int mm_shared_collect(struct mm_shared *s, struct img_dir *d, const struct mm_image *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];
		uint64_t need = v->end - v->start + (v->has_pgoff ? v->pgoff : 0), size;
		struct shmem_obj *o;
		int r;

		if (v->kind != VMA_KIND__VMA_ANON_SHARED && !(v->kind == VMA_KIND__VMA_FILE_PRIVATE && v->has_shmem_id))
			continue;
		size = v->has_shmem_size && v->shmem_size > need ? v->shmem_size : need;
		o = find_obj(s, v->shmem_id);
		if (o) {
			if (size > o->size)
				o->size = size;
			continue;
		}
		if (s->nr_shmem == s->cap_shmem) {
			size_t cap = s->cap_shmem ? s->cap_shmem * 2 : 16;
			struct shmem_obj *ns = realloc(s->shmem, cap * sizeof(*ns));

			if (!ns)
				return -ENOMEM;
			s->shmem = ns;
			s->cap_shmem = cap;
		}
		r = mm_pages_verify(d, v->shmem_id);
		if (r < 0)
			return pr_err_ret(r, "shared memory object %" PRIu64 ": bad pages image",
					  v->shmem_id);
		s->shmem[s->nr_shmem++] =
			(struct shmem_obj){.id = v->shmem_id, .size = size, .huge = v->flags & VMA_HUGETLB_FLAGS, .fd = -1};
	}
	return 0;
}

void mm_shared_free(struct mm_shared *s)
{
	for (size_t i = 0; i < s->nr_shmem; i++)
		if (s->shmem[i].fd >= 0)
			close(s->shmem[i].fd);
	free(s->shmem);
	s->shmem = NULL;
	s->nr_shmem = s->cap_shmem = 0;
}

/* Whether every stored page of the object lies inside it. */
static int check_runs(struct img_dir *d, const struct shmem_obj *o)
{
	struct page_index pi = {.pages_fd = -1};
	int r = 0;

	if (!img_dir_has(d, IMG_PAGEMAP, o->id))
		return 0;
	r = page_index_load(d, o->id, &pi);
	if (r < 0)
		return r;
	if (pi.n && pi.runs[pi.n - 1].vaddr + (uint64_t)pi.runs[pi.n - 1].nr_pages * PAGE_SZ > o->size)
		r = pr_err_ret(-EBADMSG,
			       "pagemap-%" PRIu64 ".img: pages beyond the %" PRIu64 " bytes of the object",
			       o->id, o->size);
	page_index_free(&pi);
	return r;
}

/*
 * The first task to map the object makes it: anonymous shared memory of the
 * object's size at a free address, which criu opens through map_files and
 * keeps; the pages are copied into that mapping (so the task's memory
 * accounting gets them), which then goes away.
 */
static int make_obj(struct shmem_obj *o, struct infect_ctl *c, struct img_dir *d, uint64_t *pages_written)
{
	uint64_t size = (o->size + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	char path[96];
	long tmp, ret;
	int r, fd;

	r = check_runs(d, o);
	if (r < 0)
		return r;
	r = mm_rsys(c, &tmp, "mmap (shared memory object)", SYS_mmap, 0, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS | o->huge, (unsigned long)-1, 0);
	if (r < 0)
		return pr_err_ret(r,
				  "pid %d: cannot make shared memory object %" PRIu64 " (%" PRIu64 " bytes)",
				  c->tid, o->id, size);
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%" PRIx64, c->tid, (unsigned long)tmp,
		 (uint64_t)tmp + size);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		r = pr_perror_ret("pid %d: cannot open shared memory object %" PRIu64 " at %s", c->tid, o->id,
				  path);
	if (r == 0)
		r = mm_fill_pages(c, d, o->id, (uint64_t)tmp, pages_written);
	if (mm_rsys(c, &ret, "munmap (shared memory object)", SYS_munmap, (unsigned long)tmp, size, 0, 0, 0,
		    0) < 0 &&
	    r == 0)
		r = -EIO;
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	o->fd = fd;
	pr_debug("pid %d: made shared memory object %" PRIu64 " (%" PRIu64 " bytes)\n", c->tid, o->id, size);
	return 0;
}

int mm_shared_map_shmem(struct mm_shared *s, struct infect_ctl *c, struct img_dir *d, const struct mm_image *m,
			const VmaEntry *v, uint64_t *pages_written)
{
	struct shmem_obj *o = find_obj(s, v->shmem_id);
	uint64_t len = v->end - v->start;
	bool priv = v->kind == VMA_KIND__VMA_FILE_PRIVATE;
	long fd, ret;
	int r;

	if (!o)
		return pr_err_ret(-EBADMSG,
				  "pid %d: mapping %#" PRIx64 " names unknown shared memory %" PRIu64, c->tid,
				  v->start, v->shmem_id);
	if (o->fd < 0) {
		r = make_obj(o, c, d, pages_written);
		if (r < 0)
			return r;
	}
	r = mm_send_fd(c, m, o->fd, &fd);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot open shared memory object %" PRIu64, c->tid, o->id);
	/* a private mapping of the object: writable until its own pages are in, then protected */
	r = mm_rsys(c, &ret, "mmap (shared memory)", SYS_mmap, v->start, len,
		    priv ? v->prot | PROT_READ | PROT_WRITE : v->prot, (priv ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED,
		    (unsigned long)fd, v->has_pgoff ? v->pgoff : 0);
	mm_remote_close(c, fd);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot map shared memory %" PRIu64 " at %#" PRIx64, c->tid,
				  o->id, v->start);
	if ((uint64_t)ret != v->start)
		return pr_err_ret(-EFAULT, "pid %d: mmap put %#" PRIx64 " at %#lx", c->tid, v->start, ret);
	return 0;
}
