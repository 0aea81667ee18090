/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rebuilding an address space with remote syscalls: see mm_restore.h. */
#define LOG_PREFIX "mm: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/openat2.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "image.h"
#include "file_check.h"
#include "files.h"
#include "log.h"
#include "self_proc.h"
#include "mm_priv.h"
#include "mm_restore.h"
#include "pages.h"
#include "plugins.h"
#include "vma.h"

#define PAGE_SZ	     4096ull
#define TASK_TOP     0x7ffffffff000ull /* the top of a 47-bit user address space */
#define SCRATCH_SIZE (256ull << 10)

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* ---- the image ---- */

void mm_image_free(struct mm_image *m)
{
	if (m->mm && m->chan_criu >= 0) /* a zeroed image (a zombie's) has no channel */
		close(m->chan_criu);
	if (m->mm)
		mm_entry__free_unpacked(m->mm, NULL);
	for (size_t i = 0; i < m->n; i++)
		vma_entry__free_unpacked(m->vmas[i], NULL);
	free(m->vmas);
	free(m->cow);
	memset(m, 0, sizeof(*m));
	m->chan_criu = m->chan_task = -1;
}

int mm_prepare_channel(struct mm_image *m, struct files_restore *fr, uint64_t task_id)
{
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return pr_perror_ret("task %" PRIu64 ": cannot make its fd channel", task_id);
	m->chan_criu = sv[0];
	r = files_restore_keep_fd(fr, task_id, sv[1]); /* fr owns sv[1] now */
	if (r < 0)
		return r;
	m->chan_task = r;
	return 0;
}

/* In the task's scratch area: a msghdr, its iovec, one data byte and room for one fd. */
struct fd_msg_layout {
	struct msghdr mh;
	struct iovec iov;
	char data[8];
	char control[CMSG_SPACE(sizeof(int))];
};

int mm_send_fd(struct infect_ctl *c, const struct mm_image *m, int fd, long *ret_fd)
{
	struct fd_msg_layout l = { 0 }, back;
	char control[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 0;
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	uint64_t base = c->scratch;
	long ret;
	int r;

	if (m->chan_criu < 0 || m->chan_task < 0)
		return pr_err_ret(-EBADF, "pid %d: no fd channel", c->tid);
	if (sizeof(l) > c->scratch_size)
		return pr_err_ret(-E2BIG, "pid %d: scratch area too small for an fd", c->tid);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(m->chan_criu, &mh, 0) != 1)
		return pr_perror_ret("pid %d: cannot send fd %d to the task", c->tid, fd);
	/* the same message, received in the task: pointers are the task's addresses */
	l.iov.iov_base = (void *)(uintptr_t)(base + offsetof(struct fd_msg_layout, data));
	l.iov.iov_len = 1;
	l.mh.msg_iov = (struct iovec *)(uintptr_t)(base + offsetof(struct fd_msg_layout, iov));
	l.mh.msg_iovlen = 1;
	l.mh.msg_control = (void *)(uintptr_t)(base + offsetof(struct fd_msg_layout, control));
	l.mh.msg_controllen = sizeof(l.control);
	r = infect_write(c->tid, base, &l, sizeof(l));
	if (r == 0)
		r = mm_rsys(c, &ret, "recvmsg (an fd from criu)", SYS_recvmsg, (unsigned long)m->chan_task, base,
			    MSG_DONTWAIT, 0, 0, 0);
	if (r == 0)
		r = infect_read(c->tid, base, &back, sizeof(back));
	if (r < 0)
		return r;
	back.mh.msg_control = back.control;
	back.mh.msg_controllen = back.mh.msg_controllen <= sizeof(back.control) ? back.mh.msg_controllen : 0;
	cm = CMSG_FIRSTHDR(&back.mh);
	if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return pr_err_ret(-EBADMSG, "pid %d: the fd criu sent did not arrive", c->tid);
	memcpy(&r, CMSG_DATA(cm), sizeof(int));
	*ret_fd = r;
	return 0;
}

static bool aligned(uint64_t v)
{
	return (v & (PAGE_SZ - 1)) == 0;
}

int mm_image_load(struct img_dir *d, uint64_t id, struct mm_image *ret)
{
	struct mm_image m = { .chan_criu = -1, .chan_task = -1 };
	struct img_reader *r = NULL;
	ProtobufCMessage *msg;
	int err;

	err = img_open(d, IMG_MM, id, &r);
	if (err < 0)
		return err;
	err = img_read_msg(r, &mm_entry__descriptor, &msg);
	if (err == 0)
		err = pr_err_ret(-EBADMSG, "%s: no mm record", img_reader_name(r));
	if (err < 0)
		goto out;
	m.mm = (MmEntry *)msg;
	for (;;) {
		VmaEntry *v, **tmp;

		err = img_read_msg(r, &vma_entry__descriptor, &msg);
		if (err <= 0)
			break;
		v = (VmaEntry *)msg;
		tmp = realloc(m.vmas, (m.n + 1) * sizeof(*tmp));
		if (!tmp) {
			vma_entry__free_unpacked(v, NULL);
			err = -ENOMEM;
			break;
		}
		m.vmas = tmp;
		m.vmas[m.n++] = v;
		if (v->kind == VMA_KIND__VMA_VSYSCALL)
			continue;
		if (!aligned(v->start) || !aligned(v->end) || v->start >= v->end || v->end > TASK_TOP ||
		    (v->has_pgoff && !aligned(v->pgoff)) || (m.n > 1 && m.vmas[m.n - 2]->end > v->start)) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: bad mapping %#" PRIx64 "-%#" PRIx64,
					 img_reader_name(r), m.n + 1, v->start, v->end);
			break;
		}
		if ((v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) &&
		    (!v->path || v->path[0] != '/')) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: file mapping without an absolute path",
					 img_reader_name(r), m.n + 1);
			break;
		}
		if (v->kind == VMA_KIND__VMA_SYSV_SHM && v->pgoff &&
		    (m.n < 2 || m.vmas[m.n - 2]->kind != VMA_KIND__VMA_SYSV_SHM ||
		     m.vmas[m.n - 2]->sysv_shmid != v->sysv_shmid || m.vmas[m.n - 2]->end != v->start ||
		     m.vmas[m.n - 2]->pgoff + (v->start - m.vmas[m.n - 2]->start) != v->pgoff)) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: a piece of a System V shm attachment without its start",
					 img_reader_name(r), m.n + 1);
			break;
		}
		if (v->kind == VMA_KIND__VMA_AIO_RING &&
		    (!v->has_aio_ring || v->aio_ring.len != v->end - v->start ||
		     v->aio_ring.len < sizeof(struct aio_ring_head))) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: an aio ring without its contents", img_reader_name(r),
					 m.n + 1);
			break;
		}
		if ((v->kind == VMA_KIND__VMA_PACKET_RING && !v->has_ino) ||
		    (v->kind == VMA_KIND__VMA_SYSV_SHM && !v->has_sysv_shmid) ||
		    (v->kind == VMA_KIND__VMA_ANON_SHARED && !v->has_shmem_id) ||
		    ((v->kind == VMA_KIND__VMA_FILE_PRIVATE || v->kind == VMA_KIND__VMA_FILE_SHARED) && v->deleted &&
		     !v->has_file_id && !(v->kind == VMA_KIND__VMA_FILE_PRIVATE && v->has_shmem_id))) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: shared memory or unlinked file mapping without its object",
					 img_reader_name(r), m.n + 1);
			break;
		}
		if (v->prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC)) {
			err = pr_err_ret(-EBADMSG, "%s: record %zu: bad protection %#x", img_reader_name(r), m.n + 1,
					 v->prot);
			break;
		}
	}
out:
	img_close(r);
	if (err < 0) {
		mm_image_free(&m);
		return err;
	}
	*ret = m;
	return 0;
}

/* ---- remote helpers ---- */

int mm_rsys(struct infect_ctl *c, long *ret, const char *what, long nr, unsigned long a1, unsigned long a2,
	    unsigned long a3, unsigned long a4, unsigned long a5, unsigned long a6)
{
	int r = infect_syscall(c, nr, ret, a1, a2, a3, a4, a5, a6);

	if (r < 0)
		return r;
	if (*ret < 0 && *ret > -4096)
		return pr_err_ret((int)*ret, "pid %d: %s", c->tid, what);
	return 0;
}

/* Opens path in the task: the fd, or -errno (logged). */
int mm_remote_open(struct infect_ctl *c, const char *path, int flags, long *fd)
{
	size_t len = strlen(path) + 1;
	int r;

	if (len > c->scratch_size)
		return pr_err_ret(-ENAMETOOLONG, "pid %d: path %s", c->tid, path);
	r = infect_write(c->tid, c->scratch, path, len);
	if (r < 0)
		return r;
	r = infect_syscall(c, SYS_openat, fd, (unsigned long)AT_FDCWD, c->scratch, (unsigned long)flags, 0, 0, 0);
	if (r < 0)
		return r;
	if (*fd < 0)
		return pr_err_ret((int)*fd, "pid %d: cannot open %s", c->tid, path);
	return 0;
}

int mm_remote_close(struct infect_ctl *c, long fd)
{
	long ret;

	return mm_rsys(c, &ret, "close", SYS_close, (unsigned long)fd, 0, 0, 0, 0, 0);
}

/* ---- the current layout (criu's, as the forked task inherited it) ---- */

struct range {
	uint64_t start, end;
	char name[32];
};

static int read_maps(pid_t pid, struct range **ret, size_t *ret_n)
{
	char path[64], line[PATH_MAX + 128];
	struct range *v = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d: cannot open %s", pid, path);
	while (fgets(line, sizeof(line), f)) {
		struct range *tmp = realloc(v, (n + 1) * sizeof(*v));
		char *name;
		int pos = 0;

		if (!tmp) {
			free(v);
			fclose(f);
			return -ENOMEM;
		}
		v = tmp;
		memset(&v[n], 0, sizeof(v[n]));
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s%n", &v[n].start, &v[n].end, &pos) < 2)
			continue;
		name = line + pos;
		while (*name == ' ')
			name++;
		name[strcspn(name, "\n")] = 0;
		snprintf(v[n].name, sizeof(v[n].name), "%s", name);
		n++;
	}
	fclose(f);
	*ret = v;
	*ret_n = n;
	return 0;
}

static bool overlaps(uint64_t s, uint64_t e, uint64_t s2, uint64_t e2)
{
	return s < e2 && s2 < e;
}

/* An address for size bytes that neither layout uses. */
static uint64_t find_region(const struct range *cur, size_t nc, const struct mm_image *m, uint64_t size)
{
	for (uint64_t a = 0x100000000000ull; a + size < TASK_TOP; a += 0x10000000000ull) {
		bool busy = false;

		for (size_t i = 0; i < nc && !busy; i++)
			busy = overlaps(a, a + size, cur[i].start, cur[i].end);
		for (size_t i = 0; i < m->n && !busy; i++)
			busy = overlaps(a, a + size, m->vmas[i]->start, m->vmas[i]->end);
		if (!busy)
			return a;
	}
	return 0;
}

static bool is_special(const char *name)
{
	return !strcmp(name, "[vdso]") || !strncmp(name, "[vvar", 5);
}

/* ---- the steps ---- */

/* Parks vdso/vvar in the region, unmaps the rest, moves them to the dumped place. */
static int remap_specials(struct infect_ctl *c, const struct range *cur, size_t nc, const struct mm_image *m,
			  uint64_t park)
{
	uint64_t cur_lo = UINT64_MAX, cur_hi = 0, dst_lo = UINT64_MAX, dst_hi = 0;
	size_t ncur = 0, ndst = 0;
	long ret;
	int r;

	for (size_t i = 0; i < nc; i++)
		if (is_special(cur[i].name)) {
			cur_lo = cur[i].start < cur_lo ? cur[i].start : cur_lo;
			cur_hi = cur[i].end > cur_hi ? cur[i].end : cur_hi;
			ncur++;
		}
	for (size_t i = 0; i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];

		if (v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR) {
			dst_lo = v->start < dst_lo ? v->start : dst_lo;
			dst_hi = v->end > dst_hi ? v->end : dst_hi;
			ndst++;
		}
	}
	/* the same kernel lays them out the same way; anything else we cannot map */
	if (ndst) {
		bool same = ndst == ncur && dst_hi - dst_lo == cur_hi - cur_lo;

		for (size_t i = 0; same && i < m->n; i++) {
			const VmaEntry *v = m->vmas[i];
			bool found = false;

			if (v->kind != VMA_KIND__VMA_VDSO && v->kind != VMA_KIND__VMA_VVAR)
				continue;
			for (size_t j = 0; j < nc && !found; j++)
				found = is_special(cur[j].name) && cur[j].start - cur_lo == v->start - dst_lo &&
					cur[j].end - cur_lo == v->end - dst_lo &&
					(!v->path || !strcmp(v->path, cur[j].name));
			same = found;
		}
		if (!same)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d: the dumped vdso/vvar layout (%zu mappings, %#" PRIx64
					  " bytes) differs from this kernel's (%zu, %#" PRIx64
					  "): not supported yet: restore on another kernel",
					  c->tid, ndst, dst_hi - dst_lo, ncur, cur_hi - cur_lo);
	}
	/* park */
	for (size_t i = 0; i < nc; i++) {
		if (!is_special(cur[i].name))
			continue;
		r = mm_rsys(c, &ret, "mremap (park vdso/vvar)", SYS_mremap, cur[i].start, cur[i].end - cur[i].start,
			 cur[i].end - cur[i].start, MREMAP_MAYMOVE | MREMAP_FIXED, park + (cur[i].start - cur_lo), 0);
		if (r < 0)
			return r;
	}
	return ndst ? 1 : 0;
}

/* The unlinked file of a mapping: its ghost, which criu holds open, handed to the task. */
/*
 * Whether a shared file mapping needs its file open for writing: it is
 * writable, or may become so by mprotect (the file was opened read-write).
 */
static bool mapping_writable(const VmaEntry *v)
{
	return (v->prot & PROT_WRITE) || (v->has_may_write && v->may_write);
}

static int ghost_fd(struct infect_ctl *c, struct mm_shared *s, const struct mm_image *m, const VmaEntry *v,
		    long *ret_fd)
{
	int f = files_restore_memfd_fd(s->files, v->file_id), mode, r;

	/* a memfd: memfd_create's own description, which counts no writer (files_restore_memfd_fd) */
	if (f >= 0)
		return mm_send_fd(c, m, f, ret_fd);
	f = files_restore_fd(s->files, v->file_id);
	if (f < 0)
		return pr_err_ret(-EBADMSG, "pid %d: mapping %#" PRIx64 " names unknown file %" PRIu64, c->tid,
				  v->start, v->file_id);
	/* criu's description has the file's own access mode; the mapping needs its own */
	mode = (v->kind == VMA_KIND__VMA_FILE_SHARED && mapping_writable(v)) ? O_RDWR : O_RDONLY;
	f = self_fd_open(f, mode);
	if (f < 0)
		return pr_err_ret(f, "pid %d: mapping %#" PRIx64 ": cannot reopen file %" PRIu64, c->tid, v->start,
				     v->file_id);
	r = mm_send_fd(c, m, f, ret_fd);
	close(f);
	return r;
}

/*
 * A device mapping a plugin took at dump: it says where (and through which
 * fd of its own) it goes now (UPDATE_VMA_MAP); without an fd, by path.
 */
static int plugin_fd(struct infect_ctl *c, const struct mm_image *m, const VmaEntry *v, uint64_t *pgoff,
		     long *ret_fd)
{
	int pfd = -1, r = plugins_update_vma_map(v->path, v->start, *pgoff, pgoff, &pfd);

	if (r == -ENOTSUP)
		return pr_err_ret(-ENOTSUP, "pid %d: device mapping %#" PRIx64 " (%s): no plugin restores it",
				  c->tid, v->start, v->path);
	if (r < 0)
		return pr_err_ret(r, "pid %d: device mapping %#" PRIx64 " (%s): plugin %s failed", c->tid, v->start,
				  v->path, plugins_last_handler());
	if (pfd < 0)
		return 1; /* by path, at the plugin's offset */
	r = mm_send_fd(c, m, pfd, ret_fd);
	close(pfd);
	return r;
}

/*
 * A file of a tree with several mount namespaces whose path is not in the
 * task's root (a task that pivoted into another root keeps the executable of
 * its old one): opened by criu in the root of the namespace of the mount it
 * was on at dump (on a mount detached since: the tree's root), for the task
 * to get it (mm_send_fd). -ENOENT: the task opens it in its own root, where
 * it is that file.
 */
static int other_root_open(struct infect_ctl *c, const struct mm_shared *s, bool has, uint32_t mnt_id,
			   const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC | O_NOCTTY),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int f = -EBADF, t = -EBADF;
	struct statx a, b;
	int root = has && mnt_id && s->files ? files_restore_root_for(s->files, mnt_id) : -ENOENT;

	if (root < 0)
		return -ENOENT;
	f = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
	if (f < 0)
		return -ENOENT;
	t = file_open_in_task_root(c->tid, path, O_PATH);
	if (t >= 0 && statx(f, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &a) == 0 &&
	    statx(t, "", AT_EMPTY_PATH, STATX_INO | STATX_MNT_ID, &b) == 0 && a.stx_ino == b.stx_ino &&
	    a.stx_mnt_id == b.stx_mnt_id)
		return -ENOENT;
	pr_info("pid %d: %s is not in its root: opened in the root of its mount's namespace\n", c->tid, path);
	return TAKE_FD(f);
}

/* The mapped file, opened by the task by its path (mm_check_files checked what it names). */
static int open_by_path(struct infect_ctl *c, const struct mm_shared *s, const struct mm_image *m,
			const VmaEntry *v, bool shared, long *ret_fd)
{
	int mode = (shared && mapping_writable(v)) ? O_RDWR : O_RDONLY;
	int f = other_root_open(c, s, v->has_mnt_id, v->mnt_id, v->path, mode), r;

	if (f == -ENOENT)
		return mm_remote_open(c, v->path, mode, ret_fd);
	r = mm_send_fd(c, m, f, ret_fd);
	close(f);
	return r;
}

/*
 * A file the task maps or executes, found by its path in the task's root
 * (a container's paths are not criu's) and compared with what the dump
 * recorded of it: by content, never by inode (file_check.h).
 */
static int check_path(struct infect_ctl *c, const struct mm_shared *s, const char *what, const char *path,
		      bool has_mnt, uint32_t mnt_id, const struct file_ident *want)
{
	const struct file_check_opts *o = &s->check;
	_cleanup_close_ int fd = -EBADF;
	char why[320];
	int r;

	if (!path || path[0] != '/')
		return pr_err_ret(-EBADMSG, "pid %d: %s without an absolute path", c->tid, what);
	fd = other_root_open(c, s, has_mnt, mnt_id, path, O_RDONLY | O_NONBLOCK);
	if (fd >= 0) {
		r = file_check(o, fd, want, why, sizeof(why));
		return r < 0 ? pr_err_ret(r, "pid %d: %s %s: %s", c->tid, what, path, why) : 0;
	}
	/* O_PATH first: a device put in its place is not opened */
	fd = file_open_in_task_root(c->tid, path, O_PATH);
	if (fd < 0)
		return pr_err_ret(fd, "pid %d: %s %s", c->tid, what, path);
	if (want->has_mode && S_ISREG(want->mode)) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			close(fd);
			fd = file_open_in_task_root(c->tid, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
			if (fd < 0)
				return pr_err_ret(fd, "pid %d: %s %s", c->tid, what, path);
		}
	}
	r = file_check(o, fd, want, why, sizeof(why));
	return r < 0 ? pr_err_ret(r, "pid %d: %s %s: %s", c->tid, what, path, why) : 0;
}

/* Before anything is mapped: the executable and each file mapped by path are the dumped ones. */
static int mm_check_files(struct infect_ctl *c, const struct mm_shared *s, const struct mm_image *m)
{
	const MmEntry *mm = m->mm;
	const char *last = NULL;
	int r = 0;

	if (mm->exe && (mm->has_exe_mode || mm->has_exe_size || mm->has_exe_build_id)) {
		struct file_ident want = {.has_mode = mm->has_exe_mode,
					  .mode = mm->exe_mode,
					  .has_size = mm->has_exe_size,
					  .size = mm->exe_size,
					  .build_id = mm->has_exe_build_id ? mm->exe_build_id.data : NULL,
					  .build_id_len = mm->has_exe_build_id ? mm->exe_build_id.len : 0};

		r = check_path(c, s, "executable", mm->exe, mm->has_exe_mnt_id, mm->exe_mnt_id, &want);
	}
	for (size_t i = 0; r == 0 && i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];
		/* a file the tree may write through a shared mapping: by type and mode, as a writable fd */
		bool ro = v->kind != VMA_KIND__VMA_FILE_SHARED || !v->has_may_write || !v->may_write;
		struct file_ident want = {.has_mode = v->has_file_mode,
					  .mode = v->file_mode,
					  .has_size = v->has_file_size && ro,
					  .size = v->file_size,
					  .build_id = v->has_build_id && ro ? v->build_id.data : NULL,
					  .build_id_len = v->has_build_id && ro ? v->build_id.len : 0};

		/* unlinked files and memfds come from the images; plugins' devices are theirs */
		if ((v->kind != VMA_KIND__VMA_FILE_PRIVATE && v->kind != VMA_KIND__VMA_FILE_SHARED) ||
		    v->deleted || (v->has_plugin && v->plugin))
			continue;
		/* a library's mappings come in a row: one check for them all */
		if (last && v->path && !strcmp(last, v->path))
			continue;
		last = v->path;
		r = check_path(c, s, "mapped file", v->path, v->has_mnt_id, v->mnt_id, &want);
	}
	return r;
}

static int map_one(struct infect_ctl *c, struct img_dir *d, struct mm_shared *s, const struct mm_image *m,
		   const VmaEntry *v, uint64_t *pages_written)
{
	uint64_t pgoff = v->has_pgoff ? v->pgoff : 0;
	uint64_t len = v->end - v->start;
	unsigned long prot = v->prot, flags = (v->flags & ~(uint32_t)(MAP_FIXED_NOREPLACE)) | MAP_FIXED;
	long fd = -1, ret;
	int r;

	switch (v->kind) {
	case VMA_KIND__VMA_ANON_PRIVATE:
	case VMA_KIND__VMA_STACK:
	case VMA_KIND__VMA_HEAP:
		/* MAP_DROPPABLE is a mapping type of its own, in place of MAP_PRIVATE */
		flags = (v->flags & MAP_DROPPABLE ? MAP_DROPPABLE : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED |
			(v->flags & (MAP_GROWSDOWN | MAP_NORESERVE | VMA_HUGETLB_FLAGS));
		prot |= PROT_READ | PROT_WRITE;
		break;
	case VMA_KIND__VMA_ANON_SHARED:
		return mm_shared_map_shmem(s, c, d, m, v, pages_written);
	case VMA_KIND__VMA_AIO_RING:
		return mm_aio_ring_restore(c, v);
	case VMA_KIND__VMA_PACKET_RING: {
		int f = files_restore_packet_fd(s->files, v->ino);

		if (f < 0)
			return pr_err_ret(-EBADMSG, "pid %d: the packet ring at %#" PRIx64 " maps socket:[%" PRIu64
					  "], which is not in the image", c->tid, v->start, v->ino);
		r = mm_send_fd(c, m, f, &fd);
		if (r < 0)
			return r;
		flags = (v->flags & MAP_SHARED ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
		break;
	}
	case VMA_KIND__VMA_SYSV_SHM: {
		/* attached writable if mprotect may make it so; protect_and_advise sets its protection */
		unsigned long shmflg = (v->prot & PROT_WRITE) || v->may_write ? 0 : SHM_RDONLY;

		if (v->pgoff)
			return 0; /* a piece mprotect split off: attached with the first (checked at load) */
		shmflg |= v->prot & PROT_EXEC ? SHM_EXEC : 0;
		r = mm_rsys(c, &ret, "shmat", SYS_shmat, v->sysv_shmid, v->start, shmflg, 0, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot attach System V shm id %u at %#" PRIx64, c->tid,
					  v->sysv_shmid, v->start);
		if ((uint64_t)ret != v->start)
			return pr_err_ret(-EFAULT, "pid %d: shmat put id %u at %#lx", c->tid, v->sysv_shmid, ret);
		return 0;
	}
	case VMA_KIND__VMA_FILE_PRIVATE:
	case VMA_KIND__VMA_FILE_SHARED: {
		bool shared = v->kind == VMA_KIND__VMA_FILE_SHARED;

		if (!shared && v->has_shmem_id) /* a private mapping of a shared memory object */
			return mm_shared_map_shmem(s, c, d, m, v, pages_written);

		if (v->deleted)
			r = ghost_fd(c, s, m, v, &fd);
		else if (v->has_plugin && v->plugin)
			r = plugin_fd(c, m, v, &pgoff, &fd);
		else
			r = 1;
		if (r == 1)
			r = open_by_path(c, s, m, v, shared, &fd);
		if (r < 0)
			return r;
		/* private: pages are written over, then protected; one never writable stays so (no VM_ACCOUNT) */
		if (!shared && !(v->has_accounted && !v->accounted))
			prot |= PROT_READ | PROT_WRITE;
		flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED;
		break;
	}
	default:
		return pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: mapping kind %d at %#" PRIx64, c->tid,
				  v->kind, v->start);
	}
	r = mm_rsys(c, &ret, "mmap", SYS_mmap, v->start, len, prot, flags, (unsigned long)fd, pgoff);
	if (fd >= 0)
		mm_remote_close(c, fd);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot map %#" PRIx64 "-%#" PRIx64 " (%s)", c->tid, v->start, v->end,
				  v->path ? v->path : "anonymous");
	if ((uint64_t)ret != v->start)
		return pr_err_ret(-EFAULT, "pid %d: mmap put %#" PRIx64 " at %#lx", c->tid, v->start, ret);
	return 0;
}

int mm_pages_verify(struct img_dir *d, uint64_t id)
{
	struct page_index pi = { .pages_fd = -1 };
	const size_t bufsz = 4u << 20;
	unsigned char *buf = NULL;
	int r = 0;

	if (!img_dir_has(d, IMG_PAGEMAP, id))
		return 0;
	r = page_index_load(d, id, &pi);
	if (r < 0)
		return r;
	buf = aligned_alloc(PAGE_SZ, bufsz);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	posix_fadvise(pi.pages_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (size_t i = 0; i < pi.n && r == 0; i++) {
		const struct page_run *run = &pi.runs[i];
		uint64_t len = (uint64_t)run->nr_pages * PAGE_SZ, done = 0;
		uint32_t crc = 0;

		while (done < len) {
			size_t want = len - done < bufsz ? (size_t)(len - done) : bufsz;
			ssize_t n = pread(pi.pages_fd, buf, want, (off_t)(run->offset + done));

			if (n <= 0) {
				r = pr_err_ret(n < 0 ? -errno : -EBADMSG, "pages-%" PRIu64 ".img: cannot read run %zu", id, i);
				break;
			}
			crc = crc32c(crc, buf, (size_t)n);
			done += (uint64_t)n;
		}
		if (r == 0 && crc != run->crc32c)
			r = pr_err_ret(-EBADMSG, "pages-%" PRIu64 ".img: run %zu (%#" PRIx64 ", %u pages): CRC mismatch", id,
				       i, run->vaddr, run->nr_pages);
	}
out:
	free(buf);
	page_index_free(&pi);
	return r;
}

/* The fill is split into pieces that two threads copy in parallel. */
#define FILL_PIECE (32ull << 20)
#define FILL_THREADS 2

struct fill_job {
	pid_t pid;
	const char *map;
	const struct page_run *runs;
	size_t n;
	uint64_t base; /* added to every run's vaddr */
	_Atomic uint64_t next; /* next piece: run index << 32 | piece within the run */
	_Atomic uint64_t pages;
	_Atomic int err;
};

static void *fill_worker(void *arg)
{
	struct fill_job *j = arg;

	while (!atomic_load(&j->err)) {
		/* claim the next piece: (run, offset) advance under a CAS */
		uint64_t cur = atomic_load(&j->next), run, off, len, nxt;

		run = cur >> 32;
		off = (cur & 0xffffffffull) * FILL_PIECE;
		if (run >= j->n)
			break;
		len = (uint64_t)j->runs[run].nr_pages * PAGE_SZ;
		nxt = off + FILL_PIECE < len ? cur + 1 : (run + 1) << 32;
		if (!atomic_compare_exchange_weak(&j->next, &cur, nxt))
			continue;
		{
			uint64_t plen = len - off < FILL_PIECE ? len - off : FILL_PIECE;
			const char *src = j->map + j->runs[run].offset + off;
			uint64_t dst = j->base + j->runs[run].vaddr + off;
			struct iovec l = { (void *)src, plen }, rv = { (void *)dst, plen };

			if (process_vm_writev(j->pid, &l, 1, &rv, 1, 0) != (ssize_t)plen &&
			    infect_write(j->pid, dst, src, plen) < 0) {
				pr_err("pid %d: cannot fill %" PRIu64 " bytes at %#" PRIx64 "\n", j->pid, plen, dst);
				atomic_store(&j->err, -EFAULT);
				break;
			}
			atomic_fetch_add(&j->pages, plen / PAGE_SZ);
		}
	}
	return NULL;
}

/*
 * The runs of pi without the mappings of m the task holds since its fork
 * (cow): their pages are in place. *ret: a new array, or NULL (none held).
 */
static int runs_without_held(const struct page_index *pi, const struct mm_image *m, struct page_run **ret,
			     size_t *ret_n)
{
	struct page_run *out = NULL;
	size_t n = 0, cap = 0;

	*ret = NULL;
	*ret_n = 0;
	if (!m || !m->cow)
		return 0;
	for (size_t i = 0; i < pi->n; i++) {
		const struct page_run *run = &pi->runs[i];
		uint64_t cur = run->vaddr, end = run->vaddr + (uint64_t)run->nr_pages * PAGE_SZ;

		for (size_t k = 0; k <= m->n && cur < end; k++) {
			const VmaEntry *v = k < m->n ? m->vmas[k] : NULL;
			uint64_t stop = v ? v->start : end;

			if (v && (!m->cow[k].tmp || v->end <= cur))
				continue;
			if (stop > end)
				stop = end;
			if (stop > cur) {
				if (n == cap) {
					struct page_run *t = realloc(out, (cap = cap ? 2 * cap : 64) * sizeof(*t));

					if (!t) {
						free(out);
						return -ENOMEM;
					}
					out = t;
				}
				out[n++] = (struct page_run){ .vaddr = cur, .nr_pages = (uint32_t)((stop - cur) / PAGE_SZ),
							      .offset = run->offset + (cur - run->vaddr) };
			}
			if (v && v->end > cur)
				cur = v->end;
		}
	}
	*ret = out;
	*ret_n = n;
	return 0;
}

/* Fills the pages from the pages image (checked by mm_pages_verify in phase 1), but those of held mappings. */
static int fill_pages(struct infect_ctl *c, struct img_dir *d, uint64_t id, uint64_t base, const struct mm_image *m,
		      uint64_t *pages_written)
{
	struct page_index pi = { .pages_fd = -1 };
	struct fill_job job = { .pid = c->tid, .base = base };
	pthread_t th[FILL_THREADS - 1];
	struct page_run *held_runs = NULL;
	size_t started = 0, n_held = 0;
	void *map = MAP_FAILED;
	int r;

	if (!img_dir_has(d, IMG_PAGEMAP, id))
		return 0; /* nothing was populated */
	r = page_index_load(d, id, &pi);
	if (r < 0)
		return r;
	if (!pi.n)
		goto out;
	r = runs_without_held(&pi, m, &held_runs, &n_held);
	if (r < 0 || (m && m->cow && !n_held))
		goto out; /* every page is in place already */
	map = mmap(NULL, pi.pages_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, pi.pages_fd, 0);
	if (map == MAP_FAILED) {
		r = pr_perror_ret("pages-%" PRIu64 ".img: mmap", id);
		goto out;
	}
	job.map = map;
	job.runs = m && m->cow ? held_runs : pi.runs;
	job.n = m && m->cow ? n_held : pi.n;
	/* small address spaces are not worth a thread */
	if (pi.pages_size > 4 * FILL_PIECE)
		for (; started < FILL_THREADS - 1; started++)
			if (pthread_create(&th[started], NULL, fill_worker, &job))
				break;
	fill_worker(&job);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	r = atomic_load(&job.err);
	*pages_written += atomic_load(&job.pages);
out:
	if (map != MAP_FAILED)
		munmap(map, pi.pages_size);
	free(held_runs);
	page_index_free(&pi);
	return r;
}

int mm_fill_pages(struct infect_ctl *c, struct img_dir *d, uint64_t id, uint64_t base, uint64_t *pages_written)
{
	return fill_pages(c, d, id, base, NULL, pages_written);
}

static int protect_and_advise(struct infect_ctl *c, const VmaEntry *v)
{
	static const struct {
		uint32_t bit;
		int advice;
	} adv[] = {
		{ VMA_MADV_DONTFORK, MADV_DONTFORK },	{ VMA_MADV_WIPEONFORK, MADV_WIPEONFORK },
		{ VMA_MADV_HUGEPAGE, MADV_HUGEPAGE },	{ VMA_MADV_NOHUGEPAGE, MADV_NOHUGEPAGE },
		{ VMA_MADV_MERGEABLE, MADV_MERGEABLE }, { VMA_MADV_DONTDUMP, MADV_DONTDUMP },
		{ VMA_MADV_RANDOM, MADV_RANDOM },	{ VMA_MADV_SEQUENTIAL, MADV_SEQUENTIAL },
	};
	long ret;
	int r;

	if (v->kind != VMA_KIND__VMA_FILE_SHARED) {
		r = mm_rsys(c, &ret, "mprotect", SYS_mprotect, v->start, v->end - v->start, v->prot, 0, 0, 0);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(adv) / sizeof(adv[0]); i++) {
		if (!(v->madv & adv[i].bit))
			continue;
		r = mm_rsys(c, &ret, "madvise", SYS_madvise, v->start, v->end - v->start, (unsigned long)adv[i].advice, 0,
			 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: madvise(%d) on %#" PRIx64, c->tid, adv[i].advice, v->start);
	}
	/* while the task is still criu's (root): a task that locked memory and then changed its ids keeps it locked */
	if (v->has_lock && v->lock) {
		if (v->lock != VMA_LOCKED && v->lock != VMA_LOCKONFAULT)
			return pr_err_ret(-EINVAL, "pid %d: VMA %#" PRIx64 ": unknown lock mode %u in the image", c->tid,
					  v->start, v->lock);
		r = mm_rsys(c, &ret, "mlock2", SYS_mlock2, v->start, v->end - v->start,
			    v->lock == VMA_LOCKONFAULT ? 1 /* MLOCK_ONFAULT */ : 0, 0, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: mlock2 on %#" PRIx64 "-%#" PRIx64, c->tid, v->start, v->end);
	}
	return 0;
}

static int set_mm_fields(struct infect_ctl *c, const struct mm_shared *s, const struct mm_image *m)
{
	const MmEntry *mm = m->mm;
	struct prctl_mm_map pm = { 0 };
	uint64_t auxv_off = 4096;
	long exe = -1, ret;
	int r;

	pm.start_code = mm->start_code;
	pm.end_code = mm->end_code;
	pm.start_data = mm->start_data;
	pm.end_data = mm->end_data;
	pm.start_brk = mm->start_brk;
	pm.brk = mm->brk;
	pm.start_stack = mm->start_stack;
	pm.arg_start = mm->arg_start;
	pm.arg_end = mm->arg_end;
	pm.env_start = mm->env_start;
	pm.env_end = mm->env_end;
	if (mm->n_auxv) {
		size_t len = mm->n_auxv * sizeof(uint64_t);

		if (len + auxv_off > c->scratch_size)
			return pr_err_ret(-EBADMSG, "pid %d: auxv of %zu entries", c->tid, mm->n_auxv);
		r = infect_write(c->tid, c->scratch + auxv_off, mm->auxv, len);
		if (r < 0)
			return r;
		pm.auxv = (__u64 *)(uintptr_t)(c->scratch + auxv_off);
		pm.auxv_size = (uint32_t)len;
	}
	pm.exe_fd = (uint32_t)-1;
	if (mm->exe) {
		int f = other_root_open(c, s, mm->has_exe_mnt_id, mm->exe_mnt_id, mm->exe, O_RDONLY);

		r = f == -ENOENT ? mm_remote_open(c, mm->exe, O_RDONLY | O_CLOEXEC, &exe) : mm_send_fd(c, m, f, &exe);
		if (f >= 0)
			close(f);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot open its executable %s", c->tid, mm->exe);
		pm.exe_fd = (uint32_t)exe;
	}
	r = infect_write(c->tid, c->scratch, &pm, sizeof(pm));
	if (r == 0)
		r = mm_rsys(c, &ret, "prctl(PR_SET_MM_MAP)", SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, c->scratch, sizeof(pm),
			 0, 0);
	if (exe >= 0)
		mm_remote_close(c, exe);
	if (r == 0 && mm->has_thp_disabled && mm->thp_disabled)
		r = mm_rsys(c, &ret, "prctl(PR_SET_THP_DISABLE)", SYS_prctl, PR_SET_THP_DISABLE, 1, 0, 0, 0, 0);
	return r;
}

/*
 * Whether the file a held private file mapping maps (criu opened it by its
 * path before the fork) is the file the task finds at that path in its own
 * root now. If not, the mapping is forgotten (h->tmp = 0) and mapped anew.
 */
static bool held_file_is_mapped(struct infect_ctl *c, const VmaEntry *v, struct mm_cow_hold *h)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	if (!h->dev && !h->ino)
		return true;
	fd = file_open_in_task_root(c->tid, v->path, O_PATH);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == h->dev && st.st_ino == h->ino)
		return true;
	pr_info("pid %d: %s at %#" PRIx64 " is another file in the task's root: not shared\n", c->tid, v->path,
		v->start);
	h->tmp = 0;
	return false;
}

/*
 * The mappings the task filled before its fork (cow.h) go to their places
 * (mremap keeps their pages, shared with its parent's); everything else
 * but the control region [start, start + size) goes: criu's mappings, the
 * rest of the arena.
 */
static int move_slots_and_unmap(struct infect_ctl *c, const struct mm_image *m, uint64_t start, uint64_t size)
{
	uint64_t at = 0;
	long ret;
	int r;

	for (size_t i = 0; m->cow && i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];

		if (!m->cow[i].tmp || !held_file_is_mapped(c, v, &m->cow[i]))
			continue;
		r = mm_rsys(c, &ret, "mremap (a mapping shared with the parent)", SYS_mremap, m->cow[i].tmp,
			    v->end - v->start, v->end - v->start, MREMAP_MAYMOVE | MREMAP_FIXED, v->start, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot move %#" PRIx64 " to %#" PRIx64 "-%#" PRIx64, c->tid,
					  m->cow[i].tmp, v->start, v->end);
	}
	/* the gaps between what stays, in address order: the region falls between the mappings */
	for (size_t i = 0; i <= m->n; i++) {
		const VmaEntry *v = i < m->n ? m->vmas[i] : NULL;
		uint64_t keep_s = TASK_TOP, keep_e = TASK_TOP;

		if (v && (!m->cow || !m->cow[i].tmp))
			continue;
		if (v) {
			keep_s = v->start;
			keep_e = v->end;
		}
		if (start >= at && start + size <= keep_s) {
			if (start > at && (r = mm_rsys(c, &ret, "munmap (criu's mappings)", SYS_munmap, at, start - at, 0,
						       0, 0, 0)) < 0)
				return r;
			at = start + size;
		}
		if (keep_s > at && (r = mm_rsys(c, &ret, "munmap (criu's mappings)", SYS_munmap, at, keep_s - at, 0, 0,
						0, 0)) < 0)
			return r;
		at = keep_e > at ? keep_e : at;
	}
	return 0;
}

int mm_restore(struct infect_ctl *c, struct img_dir *d, uint64_t id, const struct mm_image *m, struct mm_shared *s,
	       struct mm_region *reg, uint64_t *pages_written)
{
	_cleanup_free_ struct range *cur = NULL;
	size_t nc = 0;
	uint64_t specials = 0, start, size;
	static const unsigned char gadget[4] = { 0x0f, 0x05, 0xcc, 0xcc }; /* syscall; int3; int3 */
	long ret;
	int r, have;

	r = mm_check_files(c, s, m);
	if (r < 0)
		return r;
	r = read_maps(c->tid, &cur, &nc);
	if (r < 0)
		return r;
	{
		uint64_t lo = UINT64_MAX, hi = 0;

		for (size_t i = 0; i < nc; i++)
			if (is_special(cur[i].name)) {
				lo = cur[i].start < lo ? cur[i].start : lo;
				hi = cur[i].end > hi ? cur[i].end : hi;
			}
		specials = hi > lo ? hi - lo : 0; /* their span, gaps included */
	}
	size = PAGE_SZ + SCRATCH_SIZE + specials + (64ull << 10);
	size = (size + PAGE_SZ - 1) & ~(PAGE_SZ - 1);
	start = find_region(cur, nc, m, size);
	if (!start)
		return pr_err_ret(-ENOMEM, "pid %d: no free room for the control region", c->tid);

	/* 1. the control region and its gadget */
	r = mm_rsys(c, &ret, "mmap (control region)", SYS_mmap, start, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, (unsigned long)-1, 0);
	if (r < 0)
		return r;
	if ((uint64_t)ret != start)
		return pr_err_ret(-EFAULT, "pid %d: control region landed at %#lx", c->tid, ret);
	reg->start = start;
	reg->size = size;
	r = infect_write(c->tid, start, gadget, sizeof(gadget));
	if (r < 0)
		return r;
	infect_ctl_set_gadget(c, start);
	c->scratch = start + PAGE_SZ;
	c->scratch_size = SCRATCH_SIZE;

	/* 2. vdso/vvar parked, the rest of criu unmapped, vdso/vvar home */
	{
		uint64_t park = start + PAGE_SZ + SCRATCH_SIZE;

		have = remap_specials(c, cur, nc, m, park);
		if (have < 0)
			return have;
		r = move_slots_and_unmap(c, m, start, size);
		if (r < 0)
			return r;
		if (have) {
			uint64_t cur_lo = UINT64_MAX, dst_lo = UINT64_MAX;

			for (size_t i = 0; i < nc; i++)
				if (is_special(cur[i].name) && cur[i].start < cur_lo)
					cur_lo = cur[i].start;
			for (size_t i = 0; i < m->n; i++)
				if ((m->vmas[i]->kind == VMA_KIND__VMA_VDSO || m->vmas[i]->kind == VMA_KIND__VMA_VVAR) &&
				    m->vmas[i]->start < dst_lo)
					dst_lo = m->vmas[i]->start;
			for (size_t i = 0; i < nc; i++) {
				uint64_t len = cur[i].end - cur[i].start;

				if (!is_special(cur[i].name))
					continue;
				r = mm_rsys(c, &ret, "mremap (vdso/vvar home)", SYS_mremap, park + (cur[i].start - cur_lo),
					 len, len, MREMAP_MAYMOVE | MREMAP_FIXED, dst_lo + (cur[i].start - cur_lo), 0);
				if (r < 0)
					return r;
			}
		} else if (specials) {
			/* the task had unmapped its vdso: so be it */
			r = mm_rsys(c, &ret, "munmap (vdso/vvar)", SYS_munmap, park, specials, 0, 0, 0, 0);
			if (r < 0)
				return r;
		}
	}

	/* 3. the mappings and their contents */
	for (size_t i = 0; i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];

		if (v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL)
			continue;
		if (overlaps(v->start, v->end, start, start + size))
			return pr_err_ret(-EFAULT, "pid %d: mapping %#" PRIx64 " overlaps the control region", c->tid,
					  v->start);
		if (m->cow && m->cow[i].tmp)
			continue; /* there already, filled */
		r = map_one(c, d, s, m, v, pages_written);
		if (r < 0)
			return r;
	}
	r = fill_pages(c, d, id, 0, m, pages_written);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m->n; i++) {
		const VmaEntry *v = m->vmas[i];

		if (v->kind == VMA_KIND__VMA_VDSO || v->kind == VMA_KIND__VMA_VVAR || v->kind == VMA_KIND__VMA_VSYSCALL)
			continue;
		r = protect_and_advise(c, v);
		if (r < 0)
			return r;
	}

	/* 4. the mm fields (the executable may come by the fd channel) */
	r = set_mm_fields(c, s, m);
	if (r < 0)
		return r;

	/* the task's end of the fd channel goes: nothing more comes by it */
	if (m->chan_task >= 0)
		r = mm_remote_close(c, m->chan_task);
	return r;
}

int mm_restore_finish(struct infect_ctl *c, const struct mm_region *reg)
{
	long ret;
	int r = mm_rsys(c, &ret, "munmap (control region)", SYS_munmap, reg->start, reg->size, 0, 0, 0, 0);

	c->scratch = 0;
	c->gadget = 0;
	return r;
}
