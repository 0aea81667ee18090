/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File locks (-l/--file-locks): flock, POSIX (fcntl F_SETLK) and OFD
 * (F_OFD_SETLK) locks, and leases (F_SETLEASE), also ones being broken.
 *
 * Dump: /proc/PID/fdinfo/N lists, on "lock:" lines, the locks taken through
 * that open file description that this process may see as its own: flock
 * and OFD locks belong to the description, POSIX locks to the process
 * (its files_struct). They are stored in the description's file_entry
 * (locks), POSIX ones with their owner's pid. Without --file-locks a lock
 * refuses the dump, as in CRIU; NFS delegations always do.
 *
 * Restore: from outside, with remote syscalls in each restored process once
 * its address space is rebuilt. POSIX locks must be taken by their owner,
 * and after everything that could close a file in it: the kernel drops a
 * process's POSIX locks on an inode when the process closes any fd of that
 * inode (close_others, and mm's open/mmap/close of mapped files, would do
 * that). flock and OFD locks go with the description, so they are taken
 * once, in the first process (in fdtable order) that holds it. So is a
 * lease, which also makes that process the description's SIGIO owner, as
 * F_SETLEASE does (the dumped owner and signal are set again after).
 *
 * A lease being broken (someone opened the file in a conflicting mode, the
 * holder was signalled and has lease-break-time to give it up) shows only
 * what it is being broken to. It is taken again (a read lease on a read-only
 * description when it goes to nothing, a write lease otherwise) with no SIGIO
 * owner, so that criu's conflicting non-blocking open breaks it again without
 * a second signal to the holder, who had its signal before the dump; then the
 * owner goes back. The break's timer starts anew.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "files_priv.h"
#include "infect.h"
#include "locks.h"
#include "log.h"
#include "pstree.h"

/* "lock:\t1: POSIX  ADVISORY  WRITE 5531 fe:00:10952737 5 14" (fs/locks.c, lock_get_status). */
int file_locks_parse_line(const char *line, struct file_lock_line *ret)
{
	struct {
		char kind[16], mode[16], type[16];
		int pid;
		uint64_t start, end; /* end UINT64_MAX: EOF */
	} l;
	char end[32];
	unsigned long long start;

	if (sscanf(line, "lock: %*d: %15s %15s %15s %d %*x:%*x:%*u %llu %31s", l.kind, l.mode, l.type, &l.pid,
		   &start, end) != 6)
		return -EBADMSG;
	l.start = start;
	if (!strcmp(end, "EOF")) {
		l.end = UINT64_MAX;
	} else {
		char *e;

		l.end = strtoull(end, &e, 10);
		if (*e || l.end < l.start)
			return -EBADMSG;
	}
	if (!strcmp(l.kind, "FLOCK"))
		ret->kind = FILE_LOCK_KIND__LOCK_FLOCK;
	else if (!strcmp(l.kind, "POSIX"))
		ret->kind = FILE_LOCK_KIND__LOCK_POSIX;
	else if (!strcmp(l.kind, "OFDLCK"))
		ret->kind = FILE_LOCK_KIND__LOCK_OFD;
	else if (!strcmp(l.kind, "LEASE") && !strcmp(l.mode, "ACTIVE"))
		ret->kind = FILE_LOCK_KIND__LOCK_LEASE;
	else if (!strcmp(l.kind, "LEASE") && !strcmp(l.mode, "BREAKING"))
		ret->kind = FILE_LOCK_KIND__LOCK_LEASE_BREAKING;
	else
		ret->kind = 0; /* a delegation, a breaker: not a lock we can take again */
	if (!strcmp(l.type, "READ"))
		ret->type = F_RDLCK;
	else if (!strcmp(l.type, "WRITE"))
		ret->type = F_WRLCK;
	else if (!strcmp(l.type, "UNLCK") && ret->kind == FILE_LOCK_KIND__LOCK_LEASE_BREAKING)
		ret->type = F_UNLCK;
	else
		ret->type = -1;
	ret->start = l.start;
	ret->len = l.end == UINT64_MAX ? 0 : l.end - l.start + 1;
	snprintf(ret->name, sizeof(ret->name), "%s %s", l.kind, l.type);
	return 0;
}

static bool same_lock(const FileLockEntry *e, const FileLockEntry *n)
{
	return e->kind == n->kind && e->type == n->type && e->start == n->start && e->len == n->len &&
	       e->has_pid == n->has_pid && e->pid == n->pid;
}

static int add_lock(FileEntry *fe, const FileLockEntry *n)
{
	FileLockEntry **nl, *e;

	for (size_t i = 0; i < fe->n_locks; i++)
		if (same_lock(fe->locks[i], n))
			return 0; /* seen through another fd of the description */
	e = malloc(sizeof(*e));
	nl = realloc(fe->locks, (fe->n_locks + 1) * sizeof(*nl));
	if (!e || !nl) {
		free(e);
		if (nl)
			fe->locks = nl;
		return -ENOMEM;
	}
	*e = *n;
	fe->locks = nl;
	fe->locks[fe->n_locks++] = e;
	return 0;
}

int file_locks_dump_fd(struct files_dump *fd, pid_t pid, int n, FileEntry *fe)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	char path[64];
	pid_t vpid = 0; /* pid as the tree sees it, read at the first POSIX lock */

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, n);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d fd %d: cannot open %s", pid, n, path);
	while (getline(&line, &cap, f) > 0) {
		FileLockEntry e = FILE_LOCK_ENTRY__INIT;
		struct file_lock_line l;
		int r;

		if (strncmp(line, "lock:", 5))
			continue;
		r = file_locks_parse_line(line, &l);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d: cannot parse the lock line '%.*s' of %s", pid, n,
					  (int)strcspn(line, "\n"), line, path);
		if (!l.kind || l.type < 0)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d (%s): not supported yet: %s (a delegation, or an unknown kind)", pid,
					  n, fe->path ? fe->path : "?", l.name);
		if (!fd->file_locks)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d (%s): holds a file lock (%s %" PRIu64 "+%" PRIu64
					  "): dump with --file-locks (-l)",
					  pid, n, fe->path ? fe->path : "?", l.name, l.start, l.len);
		e.kind = l.kind;
		e.type = (uint32_t)l.type;
		e.start = l.start;
		e.len = l.len;
		if (l.kind == FILE_LOCK_KIND__LOCK_POSIX) {
			/* fdinfo shows only the POSIX locks of this process's fd table */
			if (!vpid)
				vpid = proc_ns_pid(pid);
			if (vpid <= 0)
				return pr_err_ret(vpid < 0 ? vpid : -ESRCH, "pid %d fd %d: cannot read its NSpid for its lock",
						  pid, n);
			e.has_pid = true;
			e.pid = (uint32_t)vpid;
		}
		r = add_lock(fe, &e);
		if (r < 0)
			return r;
		pr_info("pid %d fd %d: %s lock %" PRIu64 "+%" PRIu64 "\n", pid, n, l.name, l.start, l.len);
	}
	return 0;
}

void files_dump_set_file_locks(struct files_dump *fd, bool on)
{
	fd->file_locks = on;
}

/* ---- restore ---- */

static const FileEntry *find_file(const struct files_restore *fr, uint64_t id)
{
	for (size_t k = 0; k < fr->nr_files; k++)
		if (fr->files[k]->id == id)
			return fr->files[k];
	return NULL;
}

/* Whether task t is the first (in fdtable order) to hold file id. */
static bool first_task_holding(const struct files_restore *fr, const struct task_fds *t, uint64_t id)
{
	for (size_t i = 0; i < fr->nr_tasks; i++)
		for (size_t j = 0; j < fr->tasks[i].n; j++)
			if (fr->tasks[i].fds[j]->file_id == id)
				return &fr->tasks[i] == t;
	return false;
}

static int remote_lock(struct infect_ctl *c, int fdnum, const FileLockEntry *e)
{
	struct flock fl = { .l_type = (short)e->type, .l_whence = SEEK_SET, .l_start = (off_t)e->start,
			    .l_len = (off_t)e->len };
	long ret;
	int r;

	if (e->kind == FILE_LOCK_KIND__LOCK_LEASE_BREAKING)
		return e->type == F_RDLCK || e->type == F_UNLCK ? 0 : -EBADMSG; /* break_again() */
	if ((e->type != F_RDLCK && e->type != F_WRLCK) || e->kind < FILE_LOCK_KIND__LOCK_FLOCK ||
	    e->kind > FILE_LOCK_KIND__LOCK_LEASE)
		return -EBADMSG;
	if (e->kind == FILE_LOCK_KIND__LOCK_LEASE)
		return infect_sys(c, &ret, SYS_fcntl, fdnum, F_SETLEASE, e->type) ?: (int)ret;
	if (e->kind == FILE_LOCK_KIND__LOCK_FLOCK)
		return infect_sys(c, &ret, SYS_flock, fdnum, (e->type == F_WRLCK ? LOCK_EX : LOCK_SH) | LOCK_NB) ?:
			       (int)ret;
	if (c->scratch_size < sizeof(fl))
		return -E2BIG;
	r = infect_write(c->tid, c->scratch, &fl, sizeof(fl));
	if (r < 0)
		return r;
	r = infect_sys(c, &ret, SYS_fcntl, fdnum, e->kind == FILE_LOCK_KIND__LOCK_OFD ? F_OFD_SETLK : F_SETLK,
		       c->scratch);
	return r < 0 ? r : (int)ret;
}

/* F_SETLEASE made the task the SIGIO owner: the dumped owner, if another, goes back. */
static int remote_owner(struct infect_ctl *c, int fdnum, const FileEntry *fe)
{
	struct f_owner_ex own;
	long ret;
	int r;

	if (!fe->fown || !fe->fown->pid)
		return 0;
	own = (struct f_owner_ex){.type = (int)fe->fown->type, .pid = fe->fown->pid};
	if (c->scratch_size < sizeof(own))
		return -E2BIG;
	r = infect_write(c->tid, c->scratch, &own, sizeof(own));
	if (r < 0)
		return r;
	r = infect_sys(c, &ret, SYS_fcntl, fdnum, F_SETOWN_EX, c->scratch);
	return r < 0 ? r : (int)ret;
}

static const char *lock_kind_name(FileLockKind k)
{
	return k == FILE_LOCK_KIND__LOCK_FLOCK		  ? "flock"
	       : k == FILE_LOCK_KIND__LOCK_POSIX	  ? "POSIX"
	       : k == FILE_LOCK_KIND__LOCK_LEASE	  ? "lease"
	       : k == FILE_LOCK_KIND__LOCK_LEASE_BREAKING ? "breaking lease"
							  : "OFD";
}

/*
 * A lease being broken to e->type: taken again with no SIGIO owner and
 * broken again by criu's non-blocking open in the breaker's mode (see the
 * top); the caller puts the owner back.
 */
static int break_again(struct infect_ctl *c, pid_t pid, int fdnum, const FileEntry *fe, const FileLockEntry *e)
{
	int lease = e->type == F_RDLCK || (fe->flags & O_ACCMODE) != O_RDONLY ? F_WRLCK : F_RDLCK;
	int mode = e->type == F_RDLCK ? O_RDONLY : O_WRONLY;
	char path[64];
	long ret;
	int r, f;

	r = infect_sys(c, &ret, SYS_fcntl, fdnum, F_SETLEASE, lease) ?: (int)ret;
	if (r == 0)
		r = infect_sys(c, &ret, SYS_fcntl, fdnum, F_SETOWN, 0) ?: (int)ret;
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", c->tid, fdnum); /* criu's pid of it */
	f = open(path, mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (f >= 0) {
		close(f);
		return pr_err_ret(-EIO, "pid %d fd %d: the lease taken again was not broken by a conflicting open", pid,
				  fdnum);
	}
	if (errno != EWOULDBLOCK)
		return pr_perror_ret("pid %d fd %d: cannot break the lease again (open %s)", pid, fdnum, path);
	r = infect_sys(c, &ret, SYS_fcntl, fdnum, F_GETLEASE, 0) ?: (int)ret;
	if (r >= 0 && ret != e->type)
		return pr_err_ret(-EIO, "pid %d fd %d: the lease broken again goes to %ld, not %u", pid, fdnum, ret,
				  e->type);
	return r < 0 ? r : 0;
}

int files_restore_locks_task(struct files_restore *fr, uint64_t task_id, pid_t pid, struct infect_ctl *c)
{
	const struct task_fds *t = NULL;

	for (size_t i = 0; fr && i < fr->nr_tasks; i++)
		if (fr->tasks[i].task_id == task_id)
			t = &fr->tasks[i];
	if (!t)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const FdEntry *fde = t->fds[i];
		const FileEntry *fe = find_file(fr, fde->file_id);
		bool first_fd = true;

		if (!fe || !fe->n_locks)
			continue;
		for (size_t j = 0; j < i && first_fd; j++)
			first_fd = t->fds[j]->file_id != fde->file_id;
		if (!first_fd)
			continue;
		for (size_t k = 0; k < fe->n_locks; k++) {
			const FileLockEntry *e = fe->locks[k];
			int r;

			if (e->kind == FILE_LOCK_KIND__LOCK_POSIX ? (!e->has_pid || e->pid != (uint32_t)pid)
								  : !first_task_holding(fr, t, fe->id))
				continue;
			r = e->kind == FILE_LOCK_KIND__LOCK_LEASE_BREAKING ? remote_lock(c, (int)fde->fd, e) ?:
									       break_again(c, pid, (int)fde->fd, fe, e)
									 : remote_lock(c, (int)fde->fd, e);
			if (r < 0)
				return pr_err_ret(r,
						  "pid %d fd %u (%s): cannot take the %s %s lock %" PRIu64 "+%" PRIu64
						  "%s",
						  pid, fde->fd, fe->path ? fe->path : "?", lock_kind_name(e->kind),
						  e->type == F_WRLCK ? "write" : "read", e->start, e->len,
						  r == -EAGAIN || r == -EWOULDBLOCK ? ": someone else holds a conflicting lock"
										     : "");
			if (e->kind == FILE_LOCK_KIND__LOCK_LEASE || e->kind == FILE_LOCK_KIND__LOCK_LEASE_BREAKING) {
				r = remote_owner(c, (int)fde->fd, fe);
				if (r < 0)
					return pr_err_ret(r, "pid %d fd %u (%s): cannot give it its SIGIO owner back after its lease",
							  pid, fde->fd, fe->path ? fe->path : "?");
			}
			pr_info("pid %d fd %u: %s %s lock %" PRIu64 "+%" PRIu64 " taken\n", pid, fde->fd,
				lock_kind_name(e->kind), e->type == F_WRLCK ? "write" : "read", e->start, e->len);
		}
	}
	return 0;
}
