/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Files checked by content, not by inode: see file_check.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file_check.h"
#include "self_proc.h"

#define RWX_BITS (S_IRWXU | S_IRWXG | S_IRWXO)

/* fd itself if it can be read from, else a new read-only description of its file in *rd: fd or -errno. */
static int readable(int fd, int *rd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0 && (flags & O_ACCMODE) != O_WRONLY && !(flags & O_PATH))
		return fd;
	*rd = self_fd_open(fd, O_RDONLY | O_NONBLOCK | O_NOCTTY);
	return *rd;
}

void file_ident_read(int fd, const struct stat *st, uint8_t *id, struct file_ident *ret)
{
	int flags = fcntl(fd, F_GETFL);
	size_t len = 0;

	*ret = (struct file_ident){.has_size = S_ISREG(st->st_mode), .has_mode = true, .mode = st->st_mode};
	if (!S_ISREG(st->st_mode))
		return;
	ret->size = (uint64_t)st->st_size;
	/*
	 * Only through the task's own description: a new open of the file
	 * would be seen (it breaks a lease, fanotify reports it). A write-only
	 * description is checked by type and mode at restore anyway.
	 */
	if (flags >= 0 && (flags & O_ACCMODE) != O_WRONLY && !(flags & O_PATH) &&
	    elf_build_id(fd, ret->size, id, &len) == 0) {
		ret->build_id = id;
		ret->build_id_len = len;
	}
}

static const char *kind_of(mode_t m)
{
	return S_ISREG(m)    ? "a regular file"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISLNK(m)  ? "a symlink"
			     : "of unknown type";
}

static int check_build_id(int fd, const struct stat *st, const struct file_ident *want, char *why,
			  size_t size)
{
	uint8_t id[ELF_BUILD_ID_MAX];
	char a[2 * ELF_BUILD_ID_MAX + 1], b[2 * ELF_BUILD_ID_MAX + 1];
	_cleanup_close_ int rd = -EBADF;
	size_t len = 0;
	int r;

	fd = readable(fd, &rd);
	r = fd < 0 ? fd : elf_build_id(fd, (uint64_t)st->st_size, id, &len);

	if (r == 0 && len == want->build_id_len && !memcmp(id, want->build_id, len))
		return 0;
	elf_build_id_hex(want->build_id, want->build_id_len, a, sizeof(a));
	if (r == 0)
		elf_build_id_hex(id, len, b, sizeof(b));
	else if (r == -ENOEXEC || r == -ENODATA)
		snprintf(b, sizeof(b), "none");
	else if (r == -EBADMSG)
		snprintf(b, sizeof(b), "a malformed ELF file");
	else
		return snprintf(why, size, "cannot read its build-id: %s", strerror(-r)), r;
	snprintf(why, size, "build-id %s at dump, %s now", a, b);
	return -ESTALE;
}

int file_check(const struct file_check_opts *o, int fd, const struct file_ident *want, char *why,
	       size_t why_size)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		int r = -errno;

		snprintf(why, why_size, "cannot stat it: %s", strerror(-r));
		return r;
	}
	if (want->has_mode && (st.st_mode & S_IFMT) != (want->mode & S_IFMT)) {
		snprintf(why, why_size, "%s at dump, %s now", kind_of(want->mode), kind_of(st.st_mode));
		return -ESTALE;
	}
	if (want->has_mode && !o->skip_rwx && (st.st_mode & RWX_BITS) != (want->mode & RWX_BITS)) {
		snprintf(why, why_size, "mode %04o at dump, %04o now (--skip-file-rwx-check allows it)",
			 want->mode & RWX_BITS, (unsigned int)(st.st_mode & RWX_BITS));
		return -ESTALE;
	}
	if (!S_ISREG(st.st_mode))
		return 0;
	if (!o->by_size && want->build_id && want->build_id_len)
		return check_build_id(fd, &st, want, why, why_size);
	if (want->has_size && (uint64_t)st.st_size != want->size) {
		snprintf(why, why_size, "size %" PRIu64 " at dump, %lld now", want->size,
			 (long long)st.st_size);
		return -ESTALE;
	}
	return 0;
}

int file_open_in_task_root(pid_t pid, const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
	_cleanup_close_ int root = -EBADF;
	char proc[64];
	int f;

	snprintf(proc, sizeof(proc), "/proc/%d/root", pid);
	root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	while (*path == '/')
		path++;
	f = (int)syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof(how));
	return f < 0 ? -errno : f;
}
