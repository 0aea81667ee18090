/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The restore sequence:
 *
 *   1. read and check every image before touching the system;
 *   2. enter the tree's namespaces (ns/) and open every file description
 *      the tree needs from inside them (criu holds them);
 *   3. fork the tree with exact pids, sessions and groups; each task puts
 *      its fds in place and waits; the last mounts (proc, pivot_root);
 *   4. take each task over with ptrace and rebuild it from outside: address
 *      space, process state, threads, per-thread state, credentials,
 *      pending signals, timers;
 *   5. give every thread its registers, FPU state and signal mask, and let
 *      the whole tree go at once (or leave it stopped with --leave-stopped).
 *
 * A failure at any phase kills everything the restore created, says which
 * phase failed and why, and leaves the images untouched.
 */
#define LOG_PREFIX "restore: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "fault.h"
#include "hooks.h"
#include "cgroup.h"
#include "cpu.h"
#include "file_check.h"
#include "files.h"
#include "locks.h"
#include "pty.h"
#include "fork.h"
#include "image.h"
#include "images/core.pb-c.h"
#include "infect.h"
#include "log.h"
#include "self_proc.h"
#include "loginuid.h"
#include "lsm.h"
#include "mm_restore.h"
#include "cow.h"
#include "netlock.h"
#include "ns.h"
#include "plugins.h"
#include "pstree.h"
#include "restore_caller.h"
#include "safe_open.h"
#include "sched_attr.h"
#include "seccomp.h"
#include "session.h"
#include "stats.h"
#include "task_restore.h"
#include "timers.h"

#define XSTATE_MAX (64u << 10)

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif

struct cr_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
		cgroup;
};

struct rst_task {
	struct pstree_item *it;
	TaskCore *core;
	ThreadCore **th;
	size_t nth;
	struct mm_image mm;
	struct infect_thread *ith; /* seized threads, in th[] order */
	size_t nith;
	struct infect_ctl ctl;
	struct mm_region reg;
	bool mm_done;
};

struct rst_ctx {
	struct cr_request *req;
	struct img_dir *dir;
	struct pstree tree;
	struct rst_task *tasks; /* tree order */
	size_t n;
	struct files_restore *files;
	struct ns_restore *ns; /* the tree's namespaces (ns/) */
	struct cg_restore *cg; /* the cgroups the tasks join (cgroup/) */
	struct mm_shared mms; /* shared memory and unlinked files mapped by several tasks */
	struct cow_plan cow;  /* private memory a task shares with its parent (mem/cow.h) */
	uint64_t pages;
	uint64_t *ids; /* the core ids of the live tasks, whose fds are restored */
	size_t nids;
	/* a non-root caller's nice and oom_score_adj, its tasks' floor; NULL for root */
	struct sched_floor floor;
	const struct sched_floor *caller_floor;
	struct lsm_plan lsm; /* the LSM labels the threads get (task/lsm.c) */
	struct files_roots roots; /* the roots of the tree's other mount namespaces, for its files */
};

/* ---- phase 1: images ---- */

static int check_core(const char *name, const struct pstree_item *it, TaskCore *core, ThreadCore **th, size_t nth)
{
	if (core->pid != (uint32_t)it->vpid)
		return pr_err_ret(-EBADMSG, "%s: pid %u, the tree says %d", name, core->pid, it->vpid);
	if (core->state != TASK_STATE__TASK_RUNNING && core->state != TASK_STATE__TASK_STOPPED &&
	    core->state != TASK_STATE__TASK_ZOMBIE)
		return pr_err_ret(-EBADMSG, "%s: unknown task state %d", name, core->state);
	if (core->state == TASK_STATE__TASK_ZOMBIE)
		return 0;
	if (nth != it->nr_threads)
		return pr_err_ret(-EBADMSG, "%s: %zu threads, the tree says %zu", name, nth, it->nr_threads);
	for (size_t i = 0; i < nth; i++) {
		if (th[i]->tid != (uint32_t)it->tids[i])
			return pr_err_ret(-EBADMSG, "%s: thread %zu is %u, the tree says %d", name, i, th[i]->tid,
					  it->tids[i]);
		if (th[i]->has_xsave && (th[i]->xsave.len > XSTATE_MAX || th[i]->xsave.len < 512))
			return pr_err_ret(-EBADMSG, "%s: thread %u: xsave area of %zu bytes", name, th[i]->tid,
					  th[i]->xsave.len);
		for (size_t k = 0; k < th[i]->n_pending; k++)
			if (th[i]->pending[k]->siginfo.len != sizeof(siginfo_t))
				return pr_err_ret(-EBADMSG, "%s: thread %u: bad siginfo", name, th[i]->tid);
	}
	for (size_t k = 0; k < core->n_shared_pending; k++)
		if (core->shared_pending[k]->siginfo.len != sizeof(siginfo_t))
			return pr_err_ret(-EBADMSG, "%s: bad shared siginfo", name);
	for (size_t k = 0; k < core->n_sigactions; k++)
		if (core->sigactions[k]->sig < 1 || core->sigactions[k]->sig > 64 ||
		    core->sigactions[k]->sig == SIGKILL || core->sigactions[k]->sig == SIGSTOP)
			return pr_err_ret(-EBADMSG, "%s: sigaction for signal %u", name, core->sigactions[k]->sig);
	for (size_t k = 0; k < core->n_rlimits; k++)
		if (core->rlimits[k]->resource >= RLIM_NLIMITS)
			return pr_err_ret(-EBADMSG, "%s: rlimit %u", name, core->rlimits[k]->resource);
	for (size_t k = 0; k < core->n_itimers; k++)
		if (core->itimers[k]->which > 2)
			return pr_err_ret(-EBADMSG, "%s: itimer %u", name, core->itimers[k]->which);
	{
		int err = posix_timers_check(name, core, th, nth);

		if (err == 0)
			err = seccomp_check(name, core, th, nth);
		if (err < 0)
			return err;
	}
	if (!core->creds)
		return pr_err_ret(-EBADMSG, "%s: no credentials", name);
	return 0;
}

static int load_task(struct rst_ctx *ctx, struct rst_task *t)
{
	struct img_reader *r = NULL;
	ProtobufCMessage *m;
	int err;

	err = img_open(ctx->dir, IMG_CORE, t->it->id, &r);
	if (err == -ENOENT)
		return pr_err_ret(-EBADMSG, "pid %d: its core image is missing", t->it->pid);
	if (err < 0)
		return err;
	err = img_read_msg(r, &task_core__descriptor, &m);
	if (err == 0)
		err = pr_err_ret(-EBADMSG, "%s: empty", img_reader_name(r));
	if (err < 0)
		goto out;
	t->core = (TaskCore *)m;
	while ((err = img_read_msg(r, &thread_core__descriptor, &m)) > 0) {
		ThreadCore **tmp = realloc(t->th, (t->nth + 1) * sizeof(*tmp));

		if (!tmp) {
			thread_core__free_unpacked((ThreadCore *)m, NULL);
			err = -ENOMEM;
			break;
		}
		t->th = tmp;
		t->th[t->nth++] = (ThreadCore *)m;
	}
	if (err < 0)
		goto out;
	err = check_core(img_reader_name(r), t->it, t->core, t->th, t->nth);
	/* --cpu-cap fpu: each thread's saved xsave state must fit this CPU (engine/cpu/) */
	for (size_t i = 0; i < t->nth && err == 0; i++)
		if (t->th[i]->has_xsave)
			err = cpu_check_thread_xsave(img_reader_name(r), t->th[i]->tid, t->th[i]->xsave.data,
						     t->th[i]->xsave.len, ctx->req->opts.cpu_cap);
	if (err < 0)
		goto out;
	t->it->pgid = (pid_t)t->core->pgid;
	t->it->sid = (pid_t)t->core->sid;
	t->it->state = (enum pstree_state)t->core->state;
	t->it->exit_code = t->core->has_exit_code ? t->core->exit_code : 0;
	t->it->files_id = t->core->has_files_id && t->core->state != TASK_STATE__TASK_ZOMBIE
				  ? t->core->files_id
				  : t->it->id;
	if (t->core->state != TASK_STATE__TASK_ZOMBIE) {
		if (t->core->mm_id != t->it->id)
			err = pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: an address space shared between processes",
					 t->it->pid);
		else
			err = mm_image_load(ctx->dir, t->core->mm_id, &t->mm);
		if (err == 0)
			err = mm_pages_verify(ctx->dir, t->core->mm_id);
		if (err == 0)
			err = mm_shared_collect(&ctx->mms, ctx->dir, &t->mm);
	}
out:
	img_close(r);
	return err;
}

/*
 * A process that shares an fd table (files_id) is born into it by its
 * parent (clone3 with CLONE_FILES, engine/tree/fork.c): the parent must
 * hold that table too. Parents come first in tree order.
 */
static int check_fd_tables(const struct pstree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i], *p = it->parent;

		if (it->files_id == it->id)
			continue;
		if (!p || p->state == PST_ZOMBIE || p->files_id != it->files_id)
			return pr_err_ret(-EBADMSG,
					  "core-%" PRIu64 ".img: pid %d shares fd table %" PRIu64
					  ", which its parent %d does not hold",
					  it->id, it->vpid, it->files_id, p ? p->vpid : 0);
	}
	return 0;
}

/* The --inherit-fd resources the restore knows how to use; others fail loudly. */
static int check_inherit_fds(const struct cr_opts *o, const struct ns_restore *ns)
{
	for (size_t i = 0; i < o->nr_inherit_fds; i++) {
		const char *key = o->inherit_fds[i].key;

		if (!strncmp(key, "pipe:[", 6) || ns_restore_claims_key(ns, key))
			continue;
		/* an --external tty[RDEV:DEV] at dump: the pty slaves marked so (engine/files/pty.c) */
		if (!strncmp(key, "tty[", 4))
			continue;
		return pr_err_ret(-EOPNOTSUPP,
				  "not supported yet: --inherit-fd fd[%d]:%s (pipe:[INO], tty[RDEV:DEV] and the keys of "
				  "external namespaces are)",
				  o->inherit_fds[i].fd, key);
	}
	return 0;
}

/* What LSM labels the threads get: decided with the images, before anything is created. */
static int plan_lsm(struct rst_ctx *ctx)
{
	const struct cr_opts *o = &ctx->req->opts;
	_cleanup_free_ struct lsm_label_ref *v = NULL;
	size_t n = 0, max = 0;

	for (size_t i = 0; i < ctx->n; i++)
		max += 1 + ctx->tasks[i].nth;
	v = calloc(max + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n; i++) {
		const struct rst_task *t = &ctx->tasks[i];

		if (t->core->state == TASK_STATE__TASK_ZOMBIE)
			continue;
		v[n++] = (struct lsm_label_ref){t->it->pid, t->core->creds->lsm_label};
		for (size_t k = 0; k < t->nth; k++)
			if (t->th[k]->creds)
				v[n++] = (struct lsm_label_ref){(pid_t)t->th[k]->tid,
								t->th[k]->creds->lsm_label};
	}
	return lsm_restore_plan(lsm_active(), o->lsm_profile, o->lsm_mount_context, v, n, &ctx->lsm);
}

static int read_images(struct rst_ctx *ctx, const char *dir)
{
	uint64_t *ids;
	size_t nids = 0;
	int err;

	err = img_dir_open_read(dir, &ctx->dir);
	if (err == 0)
		err = cpuinfo_check_image(ctx->dir, ctx->req->opts.cpu_cap);
	if (err < 0)
		return err;
	err = ns_restore_prepare(ctx->dir, &ctx->req->opts, &ctx->ns);
	if (err < 0)
		return err;
	err = restore_caller_check_namespaces(ctx->req, ctx->ns);
	if (err < 0)
		return err;
	if (restore_caller_restricted(ctx->req)) {
		err = sched_floor_read(ctx->req->peer_pid, &ctx->floor);
		if (err < 0)
			return err;
		ctx->caller_floor = &ctx->floor;
	}
	err = check_inherit_fds(&ctx->req->opts, ctx->ns);
	if (err < 0)
		return err;
	/* before the files: a plugin's files are opened by it; the dump's plugins must all be here */
	err = plugins_init(ctx->req->opts.libdir, CR_PLUGIN_STAGE__RESTORE, img_dir_fd(ctx->dir));
	if (err < 0)
		return err;
	err = plugins_check_inventory(img_dir_inventory(ctx->dir));
	if (err < 0)
		return err;
	err = pstree_read(ctx->dir, &ctx->tree);
	if (err < 0)
		return err;
	ctx->tasks = calloc(ctx->tree.n, sizeof(*ctx->tasks));
	ids = calloc(ctx->tree.n, sizeof(*ids));
	if (!ctx->tasks || !ids) {
		free(ids);
		return -ENOMEM;
	}
	ctx->n = ctx->tree.n;
	for (size_t i = 0; i < ctx->n; i++) {
		ctx->tasks[i].it = ctx->tree.items[i];
		err = load_task(ctx, &ctx->tasks[i]);
		if (err < 0)
			break;
		if (ctx->tasks[i].core->state != TASK_STATE__TASK_ZOMBIE)
			ids[nids++] = ctx->tasks[i].it->id;
		err = restore_caller_check_task(ctx->req, ctx->tasks[i].it->pid, (uint32_t)ctx->tasks[i].it->vpid,
						ctx->tasks[i].it->id, ctx->tasks[i].core, ctx->tasks[i].th,
						ctx->tasks[i].nth);
		if (err < 0)
			break;
	}
	if (err == 0)
		err = check_fd_tables(&ctx->tree);
	if (err == 0)
		err = plan_lsm(ctx);
	if (err == 0) {
		err = fault_inject("restore-read");
		/* a shell job's outside session and group become criu's (session.c) */
		if (err == 0)
			err = session_adopt_restore(&ctx->tree, ctx->req->opts.shell_job,
						    ns_restore_other_pidns(ctx->ns));
		pty_set_orphan_pts_master(ctx->req->opts.rpc_orphan_pts_master);
		/*
		 * cgroups are made and opened from criu's own mount namespace
		 * (cgroup/). A non-root caller's tasks stay in the cgroups it put
		 * criu in unless it asks for more (--manage-cgroups): the images
		 * are its own, and they must not move tasks where it cannot.
		 */
		if (err == 0 && ctx->req->from_rpc && ctx->req->peer_uid != 0 && !ctx->req->opts.manage_cgroups)
			pr_info("non-root caller (uid %u): cgroups are left as they are\n", ctx->req->peer_uid);
		else if (err == 0)
			err = cgroup_restore_prepare(ctx->dir, &ctx->req->opts, ctx->req->work_dir_fd, &ctx->cg);
	}
	ctx->ids = ids;
	ctx->nids = nids;
	return err;
}

/* ---- phase 2: the tree's namespaces, then its files, opened from inside them ---- */

/* --file-validation: buildid (the default, as criu's) or filesize (file_check.h) */
static bool file_check_by_size(const struct cr_opts *o)
{
	return o->file_validation && !strcmp(o->file_validation, "filesize");
}

/*
 * criu opens every file description of the tree. For a non-root caller it
 * does so with its ids and no effective capability (restore_caller.c): a
 * description the caller could not open itself, such as a packet socket, a
 * port below 1024 or a file it may not read, is not opened for it. root:
 * where the images' paths resolve (NULL: criu's "/"); creds: each id's
 * task's, for its files' rights.
 */
static int open_files(struct rst_ctx *ctx, const char *root, const CredsEntry *const *creds)
{
	const struct cr_opts *o = &ctx->req->opts;
	unsigned int flags = (o->shell_job ? FILES_SHELL_JOB : 0) |
			     (o->evasive_devices ? FILES_EVASIVE_DEVICES : 0) |
			     (file_check_by_size(o) ? FILES_VALIDATE_SIZE : 0) |
			     (o->skip_file_rwx_check ? FILES_SKIP_RWX_CHECK : 0);
	struct restore_caller_ids saved;
	_cleanup_free_ uint64_t *files_ids = calloc(ctx->nids + 1, sizeof(*files_ids));
	int err = files_ids ? restore_caller_take_ids(ctx->req, &saved) : -ENOMEM, r;

	if (!files_ids)
		return err;
	/* ids are the live tasks in tree order; each with the task whose fd table it uses */
	for (size_t i = 0, k = 0; i < ctx->n && k < ctx->nids; i++)
		if (ctx->tasks[i].core->state != TASK_STATE__TASK_ZOMBIE)
			files_ids[k++] = ctx->tasks[i].it->files_id;
	ctx->roots = (struct files_roots){.root_of = ns_restore_root_of, .arg = ctx->ns};
	if (err == 0)
		err = files_restore_prepare_in(ctx->dir, ctx->ids, files_ids, ctx->nids, flags, o->inherit_fds,
					       o->nr_inherit_fds, root, &ctx->roots, creds, &ctx->files);
	r = restore_caller_give_back_ids(&saved);
	return r < 0 ? r : err;
}

static int enter_and_open(struct rst_ctx *ctx)
{
	/* criu enters the tree's namespaces: the files it opens and the tasks it forks are in them */
	int err = ns_restore_enter(ctx->ns);
	/* the paths of the images resolve in the tree's root: criu's "/" once in its mount namespace */
	const char *root = ns_restore_mask(ctx->ns) & CLONE_NEWNS ? NULL : ctx->req->opts.root;
	_cleanup_free_ const CredsEntry **creds = calloc(ctx->nids + 1, sizeof(*creds));

	if (!creds)
		return -ENOMEM;
	/* ids are the live tasks in tree order: their files open with their rights */
	for (size_t i = 0, k = 0; i < ctx->n && k < ctx->nids; i++)
		if (ctx->tasks[i].core->state != TASK_STATE__TASK_ZOMBIE)
			creds[k++] = ctx->tasks[i].core->creds;
	if (err == 0)
		err = open_files(ctx, root, (const CredsEntry *const *)creds);
	ctx->mms.files = ctx->files;
	ctx->mms.check = (struct file_check_opts){.by_size = file_check_by_size(&ctx->req->opts),
						  .skip_rwx = ctx->req->opts.skip_file_rwx_check};
	/* each live task keeps a channel by which criu hands it the fds its mappings need */
	for (size_t i = 0; err == 0 && i < ctx->n; i++)
		if (ctx->tasks[i].core->state != TASK_STATE__TASK_ZOMBIE)
			err = mm_prepare_channel(&ctx->tasks[i].mm, ctx->files, ctx->tasks[i].it->id);
	return err;
}

/* ---- phase 3: inside each forked task ---- */

/* What still needs criu's fds: done in every task before any fd table is put in place (task_files). */
static int task_setup(struct pstree_item *it, void *arg)
{
	struct rst_ctx *ctx = arg;
	/* into its cgroups first (the root did it in root_setup): what it allocates is charged there */
	int r = it == ctx->tree.root ? 0 : cgroup_restore_task(ctx->cg, it->id);

	/* and into its mount namespace, if the tree has several */
	if (r >= 0)
		r = ns_restore_task(ctx->ns, it->id);
	return r < 0 ? r : pty_restore_ctty(ctx->files);
}

/* Once every task has run task_setup: its fds (once per shared table, files.c). */
static int task_files(struct pstree_item *it, void *arg)
{
	struct rst_ctx *ctx = arg;

	return files_restore_task(ctx->files, it->id);
}

/*
 * In the root before it forks: into its cgroups, then the tree's new cgroup
 * namespace rooted there, which every task inherits (unshare does not move
 * children that exist already).
 */
static int root_setup(struct pstree_item *it, void *arg)
{
	struct rst_ctx *ctx = arg;
	int r = cgroup_restore_task(ctx->cg, it->id);

	return r < 0 ? r : ns_restore_root_task(ctx->ns);
}

/*
 * In a task before it forks: the private memory it shares with its parent
 * and children (mem/cow.h). In its cgroups first, as its pages are charged
 * where they are made (task_setup joins them again, the root is there).
 */
static int mem_setup(struct pstree_item *it, void *arg)
{
	struct rst_ctx *ctx = arg;
	size_t idx = 0;
	int r;

	while (idx < ctx->n && ctx->tasks[idx].it != it)
		idx++;
	if (!cow_task_has_slots(&ctx->cow, idx))
		return 0;
	r = it == ctx->tree.root ? 0 : cgroup_restore_task(ctx->cg, it->id);
	return r < 0 ? r : cow_task_setup(&ctx->cow, idx);
}

/* In a session leader before it forks: its controlling terminal, for the children to inherit. */
static int session_setup(struct pstree_item *it, void *arg)
{
	struct rst_ctx *ctx = arg;

	return files_restore_session(ctx->files);
}

/* ---- phase 4: from outside ---- */

/*
 * The peer's FINs and resets restored connections need (files_restore_net_locked):
 * marked, they pass the lock, and the tree's own iptables rules by a chain put first for the while.
 */
static int replay_peer_packets(struct rst_ctx *ctx, pid_t root)
{
	struct netlock *pass = NULL;
	int r;

	if (!files_restore_net_replays(ctx->files, ctx->req->opts.tcp_close))
		return 0;
	if (netlock_pass_begin(root, &pass) < 0)
		pr_warn("the replayed packets may meet the tree's own filter rules\n");
	r = files_restore_net_locked(ctx->files, ctx->req->opts.tcp_close);
	netlock_pass_end(pass);
	return r;
}

/* Creates thread th (not the leader) with its tid, seized and stopped. */
static int rst_create_thread(struct infect_ctl *lc, pid_t host_pid, const ThreadCore *th, struct infect_thread *out)
{
	struct cr_clone_args ca = { 0 };
	uint64_t tid = th->tid;
	long ret;
	int r, st;

	ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
	ca.set_tid = lc->scratch + sizeof(ca);
	ca.set_tid_size = 1;
	r = task_put(lc, 0, &ca, sizeof(ca));
	if (r == 0)
		r = task_put(lc, sizeof(ca), &tid, sizeof(pid_t));
	if (r < 0)
		return r;
	r = infect_call(lc, &ret, "clone3 (thread)", SYS_clone3, lc->scratch, sizeof(ca), 0, 0, 0);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot create thread %u", lc->tid, th->tid);
	if (ret != (long)th->tid)
		return pr_err_ret(-EIO, "pid %d: thread %u came out as %ld", lc->tid, th->tid, ret);
	memset(out, 0, sizeof(*out));
	/* clone3 ran in the task: ret is the tid in its pid namespace; ptrace wants ours */
	out->tid = proc_host_tid(host_pid, (pid_t)th->tid);
	if (out->tid <= 0)
		return pr_err_ret(out->tid < 0 ? out->tid : -ESRCH, "pid %d: thread %u: cannot find it in /proc/%d/task",
				  host_pid, th->tid, host_pid);
	/* auto-attached (PTRACE_O_TRACECLONE): it reports a stop before running */
	for (;;) {
		pid_t p = waitpid(out->tid, &st, __WALL);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return pr_perror_ret("thread %u: waitpid", th->tid);
		if (WIFSTOPPED(st))
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return pr_err_ret(-ESRCH, "thread %u died at birth (status %#x)", th->tid, st);
	}
	out->sigmask = ~0ull; /* it inherited the all-blocked mask */
	return 0;
}

static int rst_thread_state(struct infect_ctl *c, const ThreadCore *th)
{
	long ret;
	int r;

	if (th->has_robust_list && th->robust_list) {
		r = infect_call(c, &ret, "set_robust_list", SYS_set_robust_list, th->robust_list, th->robust_list_len, 0, 0,
			 0);
		if (r < 0)
			return r;
	}
	if (th->has_clear_child_tid) {
		r = infect_call(c, &ret, "set_tid_address", SYS_set_tid_address, th->clear_child_tid, 0, 0, 0, 0);
		if (r < 0)
			return r;
	}
	{
		stack_t ss = { 0 };

		ss.ss_sp = (void *)(uintptr_t)th->altstack_sp;
		ss.ss_size = th->altstack_size;
		ss.ss_flags = (int)(th->altstack_flags & ~(uint32_t)SS_ONSTACK);
		if (!th->has_altstack_flags)
			ss.ss_flags = SS_DISABLE;
		r = task_put(c, 0, &ss, sizeof(ss));
		if (r == 0)
			r = infect_call(c, &ret, "sigaltstack", SYS_sigaltstack, c->scratch, 0, 0, 0, 0);
		if (r < 0)
			return r;
	}
	if (th->rseq && th->rseq->ptr) {
		r = infect_call(c, &ret, "rseq", SYS_rseq, th->rseq->ptr, th->rseq->len, 0, th->rseq->sig, 0);
		if (r < 0)
			return r;
	}
	if (th->comm) {
		char name[16] = { 0 };

		snprintf(name, sizeof(name), "%s", th->comm);
		r = task_put(c, 0, name, sizeof(name));
		if (r == 0)
			r = infect_call(c, &ret, "prctl(PR_SET_NAME)", SYS_prctl, PR_SET_NAME, c->scratch, 0, 0, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Credentials of one thread: bounding set, securebits, groups, ids, capabilities. */
static int rst_creds(struct infect_ctl *c, const CredsEntry *ce)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint64_t own_bnd = 0;
	long ret;
	int r;

	{
		char line[256];
		FILE *f = fopen("/proc/self/status", "re");

		while (f && fgets(line, sizeof(line), f))
			if (!strncmp(line, "CapBnd:", 7))
				own_bnd = strtoull(line + 7, NULL, 16);
		if (f)
			fclose(f);
	}
	for (int cap = 0; cap < 64; cap++) {
		if (!(own_bnd & (1ull << cap)) || (ce->cap_bnd & (1ull << cap)))
			continue;
		r = infect_call(c, &ret, "prctl(PR_CAPBSET_DROP)", SYS_prctl, PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0);
		if (r < 0)
			return r;
	}
	r = rst_loginuid(c, ce);
	if (r < 0)
		return r;
	r = infect_call(c, &ret, "prctl(PR_SET_SECUREBITS)", SYS_prctl, PR_SET_SECUREBITS,
		 ce->securebits | (1u << 4) /* SECBIT_KEEP_CAPS */, 0, 0, 0);
	if (r < 0)
		return r;
	if (ce->n_groups > 65536)
		return pr_err_ret(-EBADMSG, "pid %d: %zu groups", c->tid, ce->n_groups);
	r = task_put(c, 0, ce->groups, ce->n_groups * sizeof(uint32_t));
	if (r == 0)
		r = infect_call(c, &ret, "setgroups", SYS_setgroups, ce->n_groups, c->scratch, 0, 0, 0);
	if (r == 0)
		r = infect_call(c, &ret, "setresgid", SYS_setresgid, ce->gid, ce->egid, ce->sgid, 0, 0);
	if (r == 0)
		r = infect_call(c, &ret, "setfsgid", SYS_setfsgid, ce->fsgid, 0, 0, 0, 0);
	if (r == 0)
		r = infect_call(c, &ret, "setresuid", SYS_setresuid, ce->uid, ce->euid, ce->suid, 0, 0);
	if (r == 0)
		r = infect_call(c, &ret, "setfsuid", SYS_setfsuid, ce->fsuid, 0, 0, 0, 0);
	if (r < 0)
		return r;
	data[0].effective = (uint32_t)ce->cap_eff;
	data[1].effective = (uint32_t)(ce->cap_eff >> 32);
	data[0].permitted = (uint32_t)ce->cap_prm;
	data[1].permitted = (uint32_t)(ce->cap_prm >> 32);
	data[0].inheritable = (uint32_t)ce->cap_inh;
	data[1].inheritable = (uint32_t)(ce->cap_inh >> 32);
	r = task_put(c, 0, &hdr, sizeof(hdr));
	if (r == 0)
		r = task_put(c, 64, data, sizeof(data));
	if (r == 0)
		r = infect_call(c, &ret, "capset", SYS_capset, c->scratch, c->scratch + 64, 0, 0, 0);
	if (r < 0)
		return r;
	for (int cap = 0; cap < 64; cap++) {
		if (!(ce->cap_amb & (1ull << cap)))
			continue;
		r = infect_call(c, &ret, "prctl(PR_CAP_AMBIENT_RAISE)", SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
			 (unsigned long)cap, 0, 0);
		if (r < 0)
			return r;
	}
	if (!(ce->securebits & (1u << 4))) {
		r = infect_call(c, &ret, "prctl(PR_SET_KEEPCAPS)", SYS_prctl, PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (r < 0)
			return r;
	}
	if (ce->no_new_privs) {
		r = infect_call(c, &ret, "prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The thread's LSM label, written by the thread itself: the kernel lets a task change only its own. */
static int rst_lsm_label(struct infect_ctl *c, const struct lsm_plan *plan, const char *label)
{
	const char *path = NULL;
	char text[4096];
	long fd, ret;
	int n = lsm_label_text(plan, label, text, sizeof(text), &path), r;

	if (n <= 0)
		return n < 0 ? pr_err_ret(n, "pid %d: LSM label %s", c->tid, label ? label : plan->profile)
			     : 0;
	r = task_put(c, 0, path, strlen(path) + 1);
	if (r == 0)
		r = task_put(c, 256, text, (size_t)n);
	if (r == 0)
		r = infect_call(c, &fd, "open attr/current", SYS_openat, (unsigned long)AT_FDCWD, c->scratch,
			 O_WRONLY, 0, 0);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot open %s in its root to set its LSM label", c->tid, path);
	r = infect_call(c, &ret, "write attr/current", SYS_write, (unsigned long)fd, c->scratch + 256,
		 (unsigned long)n, 0, 0);
	infect_call(c, &ret, "close", SYS_close, (unsigned long)fd, 0, 0, 0, 0);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot set its LSM label (%s)", c->tid, text);
	pr_info("pid %d: LSM %s: %s\n", c->tid, lsm_kind_name(plan->kind), text);
	return 0;
}

/* Whether the creds differ from ours (then they must be set). */
static bool creds_differ(const CredsEntry *ce)
{
	uid_t u[3];
	gid_t g[3];
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	gid_t groups[64];
	int ng;

	getresuid(&u[0], &u[1], &u[2]);
	getresgid(&g[0], &g[1], &g[2]);
	if (ce->uid != u[0] || ce->euid != u[1] || ce->suid != u[2] || ce->fsuid != u[1] || ce->gid != g[0] ||
	    ce->egid != g[1] || ce->sgid != g[2] || ce->fsgid != g[1] || ce->no_new_privs || ce->securebits ||
	    ce->cap_amb)
		return true;
	if (syscall(SYS_capget, &hdr, data))
		return true;
	if (ce->cap_eff != (data[0].effective | (uint64_t)data[1].effective << 32) ||
	    ce->cap_prm != (data[0].permitted | (uint64_t)data[1].permitted << 32) ||
	    ce->cap_inh != (data[0].inheritable | (uint64_t)data[1].inheritable << 32))
		return true;
	ng = getgroups(64, groups);
	if (ng < 0 || (size_t)ng != ce->n_groups)
		return true;
	for (int i = 0; i < ng; i++)
		if (groups[i] != ce->groups[i])
			return true;
	return false;
}

static int queue_signals(struct infect_ctl *c, pid_t pid, pid_t tid, SiginfoEntry **si, size_t n)
{
	long ret;
	int r;

	for (size_t i = 0; i < n; i++) {
		const siginfo_t *info = (const siginfo_t *)si[i]->siginfo.data;

		r = task_put(c, 0, info, sizeof(*info));
		if (r < 0)
			return r;
		if (tid)
			r = infect_call(c, &ret, "rt_tgsigqueueinfo", SYS_rt_tgsigqueueinfo, (unsigned long)pid,
				 (unsigned long)tid, (unsigned long)info->si_signo, c->scratch, 0);
		else
			r = infect_call(c, &ret, "rt_sigqueueinfo", SYS_rt_sigqueueinfo, (unsigned long)pid,
				 (unsigned long)info->si_signo, c->scratch, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot queue signal %d", pid, info->si_signo);
	}
	return 0;
}

/* Seccomp filters of every thread: before the credentials drop CAP_SYS_ADMIN. */
static int rst_task_seccomp(struct rst_task *t)
{
	_cleanup_free_ pid_t *tids = calloc(t->nth, sizeof(*tids));

	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < t->nth; i++)
		tids[i] = t->ith[i].tid;
	return seccomp_restore(&t->ctl, tids, t->core, t->th, t->nth);
}

/* Strict mode allows nearly nothing: it is the last thing each thread is given. */
static int rst_task_seccomp_strict(struct rst_task *t)
{
	_cleanup_free_ pid_t *tids = calloc(t->nth, sizeof(*tids));

	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < t->nth; i++)
		tids[i] = t->ith[i].tid;
	return seccomp_restore_strict(&t->ctl, tids, t->th, t->nth);
}

static const CredsEntry *thread_creds(const struct rst_task *t, size_t i)
{
	return t->th[i]->creds ? t->th[i]->creds : t->core->creds;
}

/* Each thread's own state (rst_thread_state), its creds, then its LSM label, as criu does. */
static int rst_threads_state(struct rst_ctx *ctx, struct rst_task *t)
{
	for (size_t i = 0; i < t->nth; i++) {
		struct infect_ctl tc = t->ctl;
		const CredsEntry *ce = thread_creds(t, i);
		int r;

		tc.tid = t->ith[i].tid;
		r = rst_thread_state(&tc, t->th[i]);
		if (r == 0 && creds_differ(ce))
			r = rst_creds(&tc, ce);
		else if (r == 0)
			r = rst_loginuid(&tc, ce); /* rst_creds does it when they differ */
		/* a new profile may forbid changing the creds; SELinux's was set before the threads */
		if (r == 0 && ctx->lsm.kind != LSM_SELINUX)
			r = rst_lsm_label(&tc, &ctx->lsm, ce->lsm_label);
		if (r < 0)
			return pr_err_ret(r, "pid %d: thread %d state", t->it->pid, tc.tid);
	}
	return 0;
}

static int rst_one_task(struct rst_ctx *ctx, struct rst_task *t)
{
	const TaskCore *core = t->core;
	struct infect_ctl *c = &t->ctl;
	struct infect_rseq rs;
	long ret;
	int r;

	t->ith = calloc(t->nth, sizeof(*t->ith));
	if (!t->ith)
		return -ENOMEM;
	r = infect_seize_thread(t->it->pid, true, &t->ith[0]);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot take the restored task over", t->it->pid);
	t->nith = 1;
	r = infect_block_signals(&t->ith[0]);
	if (r == 0)
		r = infect_ctl_init(c, &t->ith[0]);
	if (r < 0)
		return r;
	/* criu's own rseq area is about to go away */
	r = infect_get_rseq(t->it->pid, &rs);
	if (r == 0 && rs.ptr)
		r = infect_call(c, &ret, "rseq (unregister)", SYS_rseq, rs.ptr, rs.len, 1 /* RSEQ_FLAG_UNREGISTER */, rs.sig,
			 0);
	if (r < 0)
		return r;
	r = mm_restore(c, ctx->dir, core->mm_id, &t->mm, &ctx->mms, &t->reg, &ctx->pages);
	if (r < 0)
		return pr_err_ret(r, "pid %d: address space", t->it->pid);
	t->mm_done = true;
	r = fault_inject("restore-mm");
	if (r < 0)
		return r;
	/* after everything that may close a file in the task: a close drops its POSIX locks */
	r = files_restore_locks_task(ctx->files, t->it->id, t->it->vpid, c);
	if (r < 0)
		return r;
	r = task_restore_process_state(ctx->req, ctx->files, t->it->id, c, core);
	if (r < 0)
		return r;
	/* SELinux lets only a single-threaded process change its label: before the threads, as criu does */
	if (ctx->lsm.kind == LSM_SELINUX) {
		r = rst_lsm_label(c, &ctx->lsm, thread_creds(t, 0)->lsm_label);
		if (r < 0)
			return r;
	}
	for (size_t i = 1; i < t->nth; i++) {
		r = rst_create_thread(c, t->it->pid, t->th[i], &t->ith[i]);
		if (r < 0)
			return r;
		t->nith++;
		/* a thread in other cgroups than its process's goes there before it ever runs */
		r = cgroup_restore_thread(ctx->cg, t->it->id, i, t->ith[i].tid);
		if (r < 0)
			return r;
	}
	r = rst_task_seccomp(t);
	if (r < 0)
		return r;
	r = rst_threads_state(ctx, t);
	if (r == 0)
		r = task_restore_proc_fds(ctx->files, t->it->id, c); /* with its own creds now */
	if (r < 0)
		return r;
	if (core->has_dumpable) {
		r = infect_call(c, &ret, "prctl(PR_SET_DUMPABLE)", SYS_prctl, PR_SET_DUMPABLE, core->dumpable, 0, 0, 0);
		if (r < 0)
			return r;
	}
	r = posix_timers_restore(c, core);
	if (r < 0)
		return r;
	/* queued from inside the task: its own pid namespace's ids */
	r = queue_signals(c, t->it->vpid, 0, core->shared_pending, core->n_shared_pending);
	for (size_t i = 0; r == 0 && i < t->nth; i++) {
		/* a thread may queue a signal with any si_code only to itself */
		struct infect_ctl tc = *c;

		tc.tid = t->ith[i].tid;
		r = queue_signals(&tc, t->it->vpid, (pid_t)t->th[i]->tid, t->th[i]->pending, t->th[i]->n_pending);
	}
	if (r < 0)
		return r;
	r = itimers_restore(c, core);
	if (r < 0)
		return r;
	/*
	 * Until now the task died with its parent, and so with criu
	 * (engine/tree/fork.c); from here on it has its own setting. Should
	 * criu die before the resume, the task goes on at our gadget once
	 * the control region is gone: it faults, with every signal blocked,
	 * and dies.
	 */
	r = infect_call(c, &ret, "prctl(PR_SET_PDEATHSIG)", SYS_prctl, PR_SET_PDEATHSIG,
		 core->has_pdeath_signal ? (unsigned long)core->pdeath_signal : 0, 0, 0, 0);
	if (r < 0)
		return r;
	r = rst_task_seccomp_strict(t);
	if (r < 0)
		return r;
	/* the last remote call of this task */
	r = mm_restore_finish(c, &t->reg);
	if (r < 0)
		return r;
	/* from outside: criu may give back what an unprivileged task could not take itself */
	r = oom_restore(t->it->pid, core, ctx->caller_floor);
	for (size_t i = 0; r == 0 && i < t->nth; i++)
		r = sched_restore_thread(t->ith[i].tid, t->th[i], ctx->caller_floor);
	return r;
}

static struct user_regs_struct regs_from(const X86Gpregs *g)
{
	struct user_regs_struct r = { 0 };

	r.r15 = g->r15, r.r14 = g->r14, r.r13 = g->r13, r.r12 = g->r12;
	r.rbp = g->bp, r.rbx = g->bx, r.r11 = g->r11, r.r10 = g->r10;
	r.r9 = g->r9, r.r8 = g->r8, r.rax = g->ax, r.rcx = g->cx;
	r.rdx = g->dx, r.rsi = g->si, r.rdi = g->di, r.orig_rax = g->orig_ax;
	r.rip = g->ip, r.cs = g->cs, r.eflags = g->flags, r.rsp = g->sp;
	r.ss = g->ss, r.fs_base = g->fs_base, r.gs_base = g->gs_base;
	r.ds = g->ds, r.es = g->es, r.fs = g->fs, r.gs = g->gs;
	return r;
}

/*
 * Whether process group pgid (criu's view) is orphaned: no member has a
 * parent in another group of the same session. The kernel discards
 * SIGTSTP, SIGTTIN and SIGTTOU sent to such a group instead of stopping it.
 */
static bool pgrp_orphaned(pid_t pgid)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct proc_stat me, parent;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (proc_read_stat(atoi(de->d_name), &me) < 0 || me.pgid != pgid)
			continue;
		if (me.ppid > 0 && proc_read_stat(me.ppid, &parent) == 0 && parent.pgid != pgid && parent.sid == me.sid)
			return false;
	}
	return true;
}

/* The signal that stops a task dumped as stopped: the one that stopped it, where the kernel lets it. */
static int stop_signal(const struct rst_task *t)
{
	int sig = t->core->has_stop_signo ? t->core->stop_signo : SIGSTOP;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return SIGSTOP;
	if (pgrp_orphaned(getpgid(t->it->pid))) {
		pr_warn("pid %d: its process group is orphaned here: stopped by SIGSTOP, not by signal %d\n",
			t->it->pid, sig);
		return SIGSTOP;
	}
	return sig;
}

/* Phase 5 for one task: final registers, FPU state and mask; then it goes. */
static int rst_resume_task(struct rst_task *t, bool leave_stopped)
{
	int r = 0;

	for (size_t i = 0; i < t->nith; i++) {
		const ThreadCore *th = t->th[i];
		struct user_regs_struct regs = regs_from(th->regs);
		pid_t tid = t->ith[i].tid;

		/*
		 * A syscall interrupted with -ERESTART_RESTARTBLOCK (nanosleep,
		 * clock_nanosleep, poll, futex with a timeout) would resume
		 * through restart_syscall(), whose state stayed in the dumped
		 * kernel: here it returns -EINTR. Run the call again with its
		 * own arguments instead; its timeout starts anew.
		 */
		if ((long)regs.orig_rax >= 0 && (long)regs.rax == -516 /* ERESTART_RESTARTBLOCK */)
			regs.rax = (unsigned long)-513 /* ERESTARTNOINTR */;

		/*
		 * From the signal path, not a syscall stop: an interrupted syscall
		 * (orig_ax, ax = -ERESTART*) is restarted by the kernel, or returns
		 * -EINTR if a signal handler runs first, as it would have.
		 */
		if (infect_to_signal_stop(tid) < 0 || infect_set_regs(tid, &regs) < 0 ||
		    (th->has_xsave && cpu_set_thread_xstate(tid, th->xsave.data, th->xsave.len) < 0) ||
		    infect_set_sigmask(tid, th->blocked) < 0)
			r = -EIO;
	}
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot set the final registers", t->it->pid);
	if (leave_stopped || t->core->state == TASK_STATE__TASK_STOPPED)
		kill(t->it->pid, leave_stopped ? SIGSTOP : stop_signal(t));
	for (size_t i = 0; i < t->nith; i++)
		if (ptrace(PTRACE_DETACH, t->ith[i].tid, NULL, NULL) < 0)
			r = pr_perror_ret("tid %d: PTRACE_DETACH", t->ith[i].tid);
	t->nith = 0;
	return r;
}

/* Just before the fork: the private mappings the tasks share (mem/cow.h). */
static int plan_shared_memory(struct rst_ctx *ctx)
{
	_cleanup_free_ struct mm_image **mms = calloc(ctx->n ? ctx->n : 1, sizeof(*mms));

	if (!mms)
		return -ENOMEM;
	for (size_t i = 0; i < ctx->n; i++)
		if (ctx->tasks[i].core->state != TASK_STATE__TASK_ZOMBIE)
			mms[i] = &ctx->tasks[i].mm;
	return cow_plan_make(&ctx->cow, &ctx->tree, mms, ctx->dir);
}

static void free_ctx(struct rst_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n; i++) {
		struct rst_task *t = &ctx->tasks[i];

		if (t->core)
			task_core__free_unpacked(t->core, NULL);
		for (size_t k = 0; k < t->nth; k++)
			thread_core__free_unpacked(t->th[k], NULL);
		free(t->th);
		free(t->ith);
		mm_image_free(&t->mm);
	}
	free(ctx->tasks);
	free(ctx->ids);
	mm_shared_free(&ctx->mms);
	cow_plan_free(&ctx->cow);
	if (ctx->files)
		files_restore_free(ctx->files);
	ns_restore_free(ctx->ns);
	cgroup_restore_free(ctx->cg, false);
	pstree_free(&ctx->tree);
	img_dir_close(ctx->dir);
}

static int write_pidfile(struct cr_request *req, pid_t pid)
{
	char buf[32], why[160];
	int fd, len;

	if (!req->opts.pidfile)
		return 0;
	/* the work dir may be another user's: never through a planted link */
	fd = cr_create_at(req->work_dir_fd, req->opts.pidfile, O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		pr_err("cannot create the pid file %s: %s\n", req->opts.pidfile,
		       cr_create_strerror(fd, req->work_dir_fd, req->opts.pidfile, why, sizeof(why)));
		return fd;
	}
	len = snprintf(buf, sizeof(buf), "%d", pid);
	if (write(fd, buf, (size_t)len) != len) {
		int e = pr_perror_ret("cannot write the pid file %s", req->opts.pidfile);

		close(fd);
		return e;
	}
	close(fd);
	return 0;
}

/*
 * While it restores, criu is a child subreaper: the orphans of a tree it
 * kills after a failure come to it and are reaped, so that no zombie keeps
 * a pid of the checkpoint taken. was: whether it was one before.
 */
static int restore_reaper_on(int *was)
{
	*was = 0;
	if (prctl(PR_GET_CHILD_SUBREAPER, was) < 0)
		return pr_perror_ret("prctl(PR_GET_CHILD_SUBREAPER)");
	if (!*was && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return pr_perror_ret("cannot become a child subreaper");
	return 0;
}

static void restore_reaper_off(int was)
{
	if (!was)
		prctl(PR_SET_CHILD_SUBREAPER, 0);
}

int cr_restore(struct cr_request *req)
{
	const struct cr_opts *o = &req->opts;
	const char *dir = o->images_dir ? o->images_dir : ".";
	struct rst_ctx ctx = { .req = req };
	struct fork_result fr = { 0 };
	struct fork_ops ops = {.task_setup = task_setup,
			       .task_files = task_files,
			       .session_setup = session_setup,
			       .root_setup = root_setup,
			       .mem_setup = mem_setup,
			       .arg = &ctx,
			       .proc_fd = -1};
	bool forked = false;
	uint64_t t0 = stats_now_us(), t_fork = 0;
	const char *phase;
	int was_reaper = 1;
	pid_t root;
	int r;

	phase = "1 (read images)";
	/* criu's own /proc, for its /proc/self/fd reopens once it is in the tree's mount namespace */
	r = self_proc_init();
	if (r < 0)
		r = pr_err_ret(r, "cannot open /proc");
	if (r == 0)
		r = restore_reaper_on(&was_reaper);
	if (r == 0)
		r = read_images(&ctx, dir);
	/* criu's layout is known here (its /proc is still its own): the tasks' shared memory is reserved */
	if (r == 0)
		r = plan_shared_memory(&ctx);
	if (r < 0)
		goto fail;

	phase = "2 (pre-restore)";
	r = hooks_fire("pre-restore", 0);
	if (r < 0)
		goto fail;
	phase = "2 (namespaces and files)";
	/* the tasks learn their host pids from criu's /proc: kept before a new root hides it */
	ops.proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ops.proc_fd < 0) {
		r = pr_perror_ret("cannot open /proc");
		goto fail;
	}
	r = enter_and_open(&ctx);
	if (r < 0)
		goto fail;

	phase = "3 (fork the tree)";
	r = ns_restore_pid(ctx.ns);
	if (r == 0)
		r = cow_plan_open_files(&ctx.cow);
	if (r == 0)
		r = fork_tree(&ctx.tree, o->restore_sibling, &ops, &fr);
	cow_plan_free(&ctx.cow); /* the tasks have their copies */
	if (r < 0)
		goto fail;
	forked = true;
	close(ops.proc_fd);
	ops.proc_fd = -1;
	t_fork = stats_now_us() - t0;
	root = fr.root_pid;
	/* the tree is in its namespaces: proc mounts and pivot_root; criu goes back to its own */
	phase = "3 (mounts)";
	r = ns_restore_after_fork(ctx.ns);
	if (r == 0)
		r = ns_restore_leave(ctx.ns);
	if (r == 0 && ns_restore_mask(ctx.ns)) {
		phase = "3 (setup-namespaces)";
		r = hooks_fire("setup-namespaces", root);
		if (r == 0)
			r = hooks_fire("post-setup-namespaces", 0);
	}
	if (r < 0)
		goto fail;
	r = plugins_post_forking();
	if (r < 0 && r != -ENOTSUP) {
		pr_err("plugin %s failed after forking\n", plugins_last_handler());
		goto fail;
	}

	phase = "4 (rebuild the tasks)";
	for (size_t i = 0; i < ctx.n; i++) {
		struct rst_task *t = &ctx.tasks[i];

		if (t->core->state == TASK_STATE__TASK_ZOMBIE)
			continue;
		r = rst_one_task(&ctx, t);
		if (r < 0) {
			pr_err("pid %d: restore failed\n", t->it->pid);
			goto fail;
		}
	}
	r = fault_inject("restore-resume");
	if (r < 0)
		goto fail;
	phase = "4 (post-restore)";
	r = hooks_fire("post-restore", root);
	if (r < 0)
		goto fail;
	phase = "4 (network)";
	r = replay_peer_packets(&ctx, root);
	if (r < 0)
		goto fail;
	/* as criu: the lock goes first, so that what a connection sends leaving repair mode gets through */
	if (netlock_restore_unlock(ctx.dir, root) < 0) /* network-unlock: a failure is only logged */
		pr_warn("the network lock was not lifted\n");
	r = files_restore_net_ready(ctx.files, o->tcp_close);
	if (r < 0)
		goto fail;
	phase = "4 (plugins: resume devices)";
	for (size_t i = 0; i < ctx.n; i++) {
		if (ctx.tasks[i].core->state == TASK_STATE__TASK_ZOMBIE)
			continue;
		r = plugins_resume_devices_late(ctx.tasks[i].it->pid);
		if (r < 0 && r != -ENOTSUP) {
			pr_err("pid %d: plugin %s could not resume its devices\n", ctx.tasks[i].it->pid,
			       plugins_last_handler());
			goto fail;
		}
	}
	if (hooks_fire("pre-resume", root) < 0)
		pr_warn("pre-resume failed; resuming anyway\n");

	phase = "5 (resume)";
	for (size_t i = 0; i < ctx.n; i++) {
		struct rst_task *t = &ctx.tasks[i];

		if (t->core->state == TASK_STATE__TASK_ZOMBIE)
			continue;
		r = rst_resume_task(t, o->leave_stopped);
		if (r < 0)
			goto fail;
	}
	fork_tree_release(&fr);
	files_restore_answer_rpc(ctx.files, req->answer_restored_rpc); /* self-dumped callers */
	files_restore_finish(ctx.files);
	if (hooks_fire("post-resume", root) < 0)
		pr_warn("post-resume failed\n");
	{
		StatsEntry se = STATS_ENTRY__INIT;
		RestoreStatsEntry rs = RESTORE_STATS_ENTRY__INIT;

		rs.forking_time = (uint32_t)t_fork;
		rs.restore_time = (uint32_t)(stats_now_us() - t0);
		rs.has_pages_restored = true;
		rs.pages_restored = ctx.pages;
		se.restore = &rs;
		if (o->display_stats)
			stats_display(&se);
		if (stats_write(req->work_dir_fd, "stats-restore", &se) < 0)
			pr_warn("stats-restore was not written\n");
	}
	pr_info("restore done: root pid %d, %zu process(es), %" PRIu64 " pages in %" PRIu64 " us\n", root, ctx.n,
		ctx.pages, stats_now_us() - t0);
	plugins_fini(0);
	free_ctx(&ctx);
	restore_reaper_off(was_reaper);
	r = write_pidfile(req, root);
	if (r < 0)
		return r;
	if (o->restore_detached || o->restore_sibling || req->from_rpc)
		return root;
	/* like criu: stay the root's parent until it exits */
	{
		int st;

		while (waitpid(root, &st, 0) < 0)
			if (errno != EINTR)
				return pr_perror_ret("waitpid(%d)", root);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			pr_info("restored root pid %d exited with 0\n", root);
			return root;
		}
		return pr_err_ret(-ECHILD, "restored root pid %d %s %d", root,
				  WIFEXITED(st) ? "exited with status" : "was killed by signal",
				  WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}

fail:
	pr_err("restore failed at phase %s: %s\n", phase, strerror(-r));
	if (ops.proc_fd >= 0)
		close(ops.proc_fd);
	if (forked) {
		fork_tree_kill(&ctx.tree, &fr);
		fork_tree_release(&fr);
	}
	/* the connections are gone with the tree: their lock must not stay */
	if (netlock_restore_unlock(ctx.dir, 0) < 0)
		pr_warn("the network lock was not lifted\n");
	plugins_fini(r);
	cgroup_restore_free(ctx.cg, true); /* the cgroups it created go */
	ctx.cg = NULL;
	free_ctx(&ctx);
	restore_reaper_off(was_reaper);
	return r;
}
