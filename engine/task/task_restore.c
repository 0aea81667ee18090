/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Phase 4 of the restore, a task's process state, from outside by remote
 * syscalls (infect.h): its cwd and root (removed ones made again), umask,
 * personality, rlimits, signal handlers, child subreaper, membarrier
 * registrations; and, once its creds are back, the files under /proc it
 * holds, which it opens itself (engine/files: files_restore_proc_fd).
 */
#define LOG_PREFIX "restore: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/membarrier.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "file_check.h"
#include "files.h"
#include "infect.h"
#include "log.h"
#include "restore_caller.h"
#include "task_restore.h"

struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

int task_put(struct infect_ctl *c, size_t off, const void *data, size_t len)
{
	if (off + len > c->scratch_size)
		return pr_err_ret(-E2BIG, "pid %d: %zu bytes of arguments do not fit the scratch area", c->tid, len);
	return infect_write(c->tid, c->scratch + off, data, len);
}

static int rst_path_call(struct infect_ctl *c, long nr, const char *what, const char *path)
{
	long ret;
	int r = task_put(c, 0, path, strlen(path) + 1);

	if (r < 0)
		return r;
	r = infect_call(c, &ret, what, nr, c->scratch, 0, 0, 0, 0);
	return r < 0 ? pr_err_ret(r, "pid %d: %s %s", c->tid, what, path) : 0;
}

/*
 * The cwd or root of a task is a directory known by its path: it must exist
 * there and be a directory, whatever its inode (another host, a copied root).
 */
static int rst_check_dir(struct infect_ctl *c, const char *what, const char *path)
{
	int fd = file_open_in_task_root(c->tid, path, O_PATH | O_DIRECTORY);

	if (fd < 0)
		return pr_err_ret(fd, "pid %d: %s %s", c->tid, what, path);
	close(fd);
	return 0;
}

/* Whether the task's cwd or root (what, as in /proc/PID/what) is the directory dev:ino. */
static bool rst_dir_is(pid_t tid, const char *what, dev_t dev, ino_t ino)
{
	char proc[64];
	struct stat st;

	snprintf(proc, sizeof(proc), "/proc/%d/%s", tid, what);
	return stat(proc, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

/*
 * A removed cwd or root ("PATH (deleted)"): an empty directory made again at
 * PATH in the task's root with its mode and owner (ghost_node.c), with a
 * non-root caller's rights, entered by path (nr: chdir or chroot), then
 * removed again. A cwd the task also holds an fd of is entered through that
 * fd instead, so both stay one directory.
 */
static int rst_deleted_dir(struct cr_request *req, struct files_restore *files, uint64_t task_id, struct infect_ctl *c, long nr,
			   const char *what, const char *path, const DeletedDirEntry *d)
{
	struct ghost_node_spec spec = {.mode = d->mode, .uid = d->uid, .gid = d->gid};
	size_t len = strlen(path) - strlen(" (deleted)");
	_cleanup_free_ char *plain = strndup(path, len), *made = NULL;
	_cleanup_close_ int root = -EBADF, p = -EBADF;
	struct restore_caller_ids saved;
	struct ghost_node g;
	char proc[64];
	long ret;
	int fd = nr == SYS_chdir ? files_restore_deleted_dir_fd(files, task_id, d->dev, d->ino) : -1, r, rm;

	if (!plain)
		return -ENOMEM;
	if (len >= strlen(path) || strcmp(path + len, " (deleted)") || !strrchr(plain, '/'))
		return pr_err_ret(-EBADMSG, "pid %d: removed %s %s does not read \"PATH (deleted)\"", c->tid, what,
				  path);
	if (fd >= 0)
		return infect_call(c, &ret, "fchdir (removed cwd)", SYS_fchdir, (unsigned long)fd, 0, 0, 0, 0);
	if (!S_ISDIR(d->mode))
		return pr_err_ret(-EBADMSG, "pid %d: removed %s %s is not a directory (mode %o)", c->tid, what,
				  plain, d->mode);
	snprintf(proc, sizeof(proc), "/proc/%d/root", c->tid);
	root = open(proc, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return pr_perror_ret("pid %d: cannot open %s", c->tid, proc);
	r = restore_caller_take_ids(req, &saved);
	if (r == 0)
		r = ghost_node_make(root, plain, &spec, &g, &p);
	if (restore_caller_give_back_ids(&saved) < 0 && r == 0) {
		ghost_node_remove(&g);
		r = -EPERM;
	}
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot make its removed %s %s (mode %o, owner %u:%u) again", c->tid,
				  what, plain, d->mode & 07777, d->uid, d->gid);
	r = asprintf(&made, "%.*s/%s", (int)(strrchr(plain, '/') - plain), plain, g.name) < 0 ? -ENOMEM : 0;
	if (r == 0)
		r = rst_path_call(c, nr, what, made);
	if (r == 0 && !rst_dir_is(c->tid, what, g.dev, g.ino))
		r = pr_err_ret(-ESTALE, "pid %d: %s %s is not the directory made for it", c->tid, what, made);
	rm = ghost_node_remove(&g);
	if (rm < 0 && r == 0)
		r = pr_err_ret(rm, "pid %d: cannot remove its %s %s again", c->tid, what, made);
	return r;
}

/* The cwd, by the path criu read: from criu's root, which the task still has. */
static int rst_cwd(struct cr_request *req, struct files_restore *files, uint64_t task_id, struct infect_ctl *c, const TaskCore *core)
{
	int r;

	if (core->cwd_deleted)
		return rst_deleted_dir(req, files, task_id, c, SYS_chdir, "cwd", core->cwd, core->cwd_deleted);
	r = rst_check_dir(c, "cwd", core->cwd);
	return r < 0 ? r : rst_path_call(c, SYS_chdir, "chdir", core->cwd);
}

/*
 * /proc/PID/cwd reads from criu's root, not the task's: so the cwd is entered
 * first and the root after, which chroot leaves the cwd alone for (inside
 * the root or not). A cwd that is the removed root itself is that root's "/".
 */
static int rst_fs_dirs(struct cr_request *req, struct files_restore *files, uint64_t task_id, struct infect_ctl *c, const TaskCore *core)
{
	const DeletedDirEntry *rd = core->root_deleted, *cd = core->cwd_deleted;
	bool same = cd && rd && cd->dev == rd->dev && cd->ino == rd->ino;
	int r = core->cwd && !same ? rst_cwd(req, files, task_id, c, core) : 0;

	if (r < 0 || !core->root || !strcmp(core->root, "/"))
		return r;
	if (rd)
		r = rst_deleted_dir(req, files, task_id, c, SYS_chroot, "root", core->root, rd);
	else
		r = rst_check_dir(c, "root", core->root);
	if (r == 0 && !rd)
		r = rst_path_call(c, SYS_chroot, "chroot", core->root);
	if (r == 0 && same)
		r = rst_path_call(c, SYS_chdir, "chdir", "/");
	return r;
}

int task_restore_process_state(struct cr_request *req, struct files_restore *files, uint64_t task_id, struct infect_ctl *c, const TaskCore *core)
{
	long ret;
	int r = rst_fs_dirs(req, files, task_id, c, core);

	if (r < 0)
		return r;
	r = infect_call(c, &ret, "umask", SYS_umask, core->umask & 0777, 0, 0, 0, 0);
	if (r == 0)
		r = infect_call(c, &ret, "personality", SYS_personality, core->personality, 0, 0, 0, 0);
	if (r < 0)
		return r;
	for (size_t i = 0; i < core->n_rlimits; i++) {
		struct rlimit64 {
			uint64_t cur, max;
		} rl = { core->rlimits[i]->cur, core->rlimits[i]->max };

		r = task_put(c, 0, &rl, sizeof(rl));
		if (r < 0)
			return r;
		r = infect_call(c, &ret, "prlimit64", SYS_prlimit64, 0, core->rlimits[i]->resource, c->scratch, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: rlimit %u (%" PRIu64 "/%" PRIu64 ")%s", c->tid,
					  core->rlimits[i]->resource, rl.cur, rl.max,
					  r == -EPERM ? "; raising a hard limit needs CAP_SYS_RESOURCE" : "");
	}
	/* every handler, so none of criu's stays behind */
	for (uint32_t sig = 1; sig <= 64; sig++) {
		struct ksigaction ka = { 0 };

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		for (size_t i = 0; i < core->n_sigactions; i++)
			if (core->sigactions[i]->sig == sig) {
				ka.handler = core->sigactions[i]->handler;
				ka.flags = core->sigactions[i]->flags;
				ka.restorer = core->sigactions[i]->restorer;
				ka.mask = core->sigactions[i]->mask;
			}
		r = task_put(c, 0, &ka, sizeof(ka));
		if (r == 0)
			r = infect_call(c, &ret, "rt_sigaction", SYS_rt_sigaction, sig, c->scratch, 0, 8, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: signal %u handler", c->tid, sig);
	}
	if (core->has_child_subreaper && core->child_subreaper) {
		r = infect_call(c, &ret, "prctl(PR_SET_CHILD_SUBREAPER)", SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		if (r < 0)
			return r;
	}
	/* membarrier registrations: each REGISTER_* command is the bit it reports */
	if (core->has_membarrier_registrations) {
		static const unsigned int regs[] = { MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED,
						     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
						     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
						     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ };
		uint32_t left = core->membarrier_registrations;

		for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			if (!(left & regs[i]))
				continue;
			left &= ~regs[i];
			r = infect_call(c, &ret, "membarrier (register)", SYS_membarrier, regs[i], 0, 0, 0, 0);
			if (r < 0)
				return r;
		}
		if (left)
			return pr_err_ret(-EINVAL, "pid %d: unknown membarrier registrations %#x in the image", c->tid,
					  left);
	}
	return 0;
}

/*
 * The files under /proc the task holds: it opens them itself, now that every
 * task runs and it has its own creds back (its rights, as any file's open),
 * through no magic link but the namespace files FILE_NS names.
 */
int task_restore_proc_fds(struct files_restore *files, uint64_t task_id, struct infect_ctl *c)
{
	struct proc_fd p;
	long n, ret;
	int r = 0;

	for (size_t k = 0; r == 0; k++) {
		struct open_how how = {.resolve = RESOLVE_NO_MAGICLINKS};
		size_t off = 64;

		r = files_restore_proc_fd(files, task_id, k, &p);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
		how.flags = (uint64_t)p.flags;
		r = task_put(c, 0, &how, sizeof(how));
		if (r == 0)
			r = task_put(c, off, p.path, strlen(p.path) + 1);
		if (r == 0 && p.magic)
			r = infect_call(c, &n, "openat", SYS_openat, AT_FDCWD, c->scratch + off, p.flags, 0, 0);
		else if (r == 0)
			r = infect_call(c, &n, "openat2", SYS_openat2, AT_FDCWD, c->scratch + off, c->scratch,
					sizeof(how), 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d (file %" PRIu64 "): cannot open %s in the task", c->tid, p.fd,
					  p.file_id, p.path);
		if (n != p.fd) {
			r = infect_call(c, &ret, "dup3", SYS_dup3, n, p.fd, p.cloexec ? O_CLOEXEC : 0, 0, 0);
			if (infect_call(c, &ret, "close", SYS_close, n, 0, 0, 0, 0) < 0 && r == 0)
				r = -EBADF;
		} else if (p.cloexec) {
			r = infect_call(c, &ret, "fcntl(F_SETFD)", SYS_fcntl, p.fd, F_SETFD, FD_CLOEXEC, 0, 0);
		}
		if (r == 0 && p.pos && !(p.flags & O_PATH))
			r = infect_call(c, &ret, "lseek", SYS_lseek, p.fd, p.pos, SEEK_SET, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d: %s", c->tid, p.fd, p.path);
	}
	return r;
}
