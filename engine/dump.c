/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The dump sequence:
 *
 *   1. open the images directory (any old inventory is removed first);
 *   2. walk and freeze the tree (every thread seized with ptrace);
 *   3. per process: mappings, then remote syscalls for what /proc does not
 *      show, core (process + threads), mm, pages, fds;
 *   4. files, tree, stats, and the inventory last;
 *   5. kill the tree, or with --leave-running / --leave-stopped let it go.
 *
 * Any failure before the inventory is written resumes every task exactly
 * as it was (registers, signal mask, interrupted syscalls) and leaves the
 * directory without an inventory, so that it is refused at restore.
 */
#define LOG_PREFIX "dump: "
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "compat.h"
#include "cpu.h"
#include "engine.h"
#include "fault.h"
#include "file_check.h"
#include "guard.h"
#include "hooks.h"
#include "files.h"
#include "locks.h"
#include "image.h"
#include "images/core.pb-c.h"
#include "images/inventory.pb-c.h"
#include "images/mm.pb-c.h"
#include "infect.h"
#include "log.h"
#include "self_proc.h"
#include "ns.h"
#include "mm_objects.h"
#include "pages.h"
#include "plugins.h"
#include "proc_task.h"
#include "pstree.h"
#include "sched_attr.h"
#include "seccomp.h"
#include "session.h"
#include "stats.h"
#include "timers.h"
#include "version.h"
#include "vma.h"

#define SCRATCH_SIZE (64u << 10)

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct ksigaction {
	uint64_t handler, flags, restorer, mask;
};

/* Per frozen process. */
struct dump_proc {
	pid_t pid;
	struct infect_thread *th;
	size_t nth;
};

struct dump_ctx {
	struct cr_request *req;
	struct dump_proc *procs;
	size_t nprocs;
	struct img_dir *dir;
	struct files_dump *files;
	struct mm_objects_dump *mmobj; /* shared memory, unlinked mapped files */
	struct page_stats pst;
	uint64_t next_id;
};

static int freeze_cb(pid_t pid, void *arg, pid_t **ret_tids, size_t *ret_n)
{
	struct dump_ctx *ctx = arg;
	struct dump_proc *tmp = realloc(ctx->procs, (ctx->nprocs + 1) * sizeof(*tmp));
	struct dump_proc *p;
	pid_t *tids;
	int r;

	if (!tmp)
		return -ENOMEM;
	ctx->procs = tmp;
	p = &ctx->procs[ctx->nprocs];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	r = guard_check("freezing a task");
	if (r < 0)
		return r;
	r = infect_freeze_process(pid, &p->th, &p->nth);
	if (r < 0)
		return r; /* -ESRCH: it exited; the tree walk decides */
	ctx->nprocs++;
	r = plugins_pause_devices(pid);
	if (r < 0 && r != -ENOTSUP)
		return pr_err_ret(r, "pid %d: plugin %s could not pause its devices", pid, plugins_last_handler());
	tids = malloc(p->nth * sizeof(*tids));
	if (!tids)
		return -ENOMEM;
	for (size_t i = 0; i < p->nth; i++)
		tids[i] = p->th[i].tid;
	*ret_tids = tids;
	*ret_n = p->nth;
	return 0;
}

static struct dump_proc *find_proc(struct dump_ctx *ctx, pid_t pid)
{
	for (size_t i = 0; i < ctx->nprocs; i++)
		if (ctx->procs[i].pid == pid)
			return &ctx->procs[i];
	return NULL;
}

/* Lets every frozen task go: as it was, or stopped, or killed. */
static void release_all(struct dump_ctx *ctx, bool keep_stopped, bool kill_them)
{
	if (kill_them) {
		for (size_t i = 0; i < ctx->nprocs; i++)
			kill(ctx->procs[i].pid, SIGKILL);
		/*
		 * Collect the tracer's death notices, so the parents can reap them:
		 * the other threads first, as a leader is reported only once its
		 * whole group is gone; children before parents, as the init of a
		 * pid namespace exits only once the rest of it is reaped.
		 */
		for (size_t i = ctx->nprocs; i-- > 0;)
			for (size_t j = ctx->procs[i].nth; j-- > 0;) {
				int st;

				while (waitpid(ctx->procs[i].th[j].tid, &st, __WALL) >= 0 && !WIFEXITED(st) &&
				       !WIFSIGNALED(st))
					;
			}
	}
	for (size_t i = 0; i < ctx->nprocs; i++) {
		struct dump_proc *p = &ctx->procs[i];

		for (size_t j = 0; j < p->nth; j++) {
			if (kill_them) {
				ptrace(PTRACE_DETACH, p->th[j].tid, NULL, NULL);
				continue;
			}
			if (infect_release_thread(&p->th[j], keep_stopped) < 0)
				pr_err("pid %d: tid %d could not be resumed cleanly\n", p->pid, p->th[j].tid);
		}
		free(p->th);
	}
	free(ctx->procs);
	ctx->procs = NULL;
	ctx->nprocs = 0;
}

static int add_siginfos(pid_t tid, bool shared, SiginfoEntry ***ret, size_t *ret_n)
{
	void *buf = NULL;
	size_t n = 0;
	int r = infect_peek_siginfo(tid, shared, &buf, &n);

	if (r < 0)
		return r;
	*ret_n = 0;
	if (n) {
		*ret = calloc(n, sizeof(**ret));
		if (!*ret) {
			free(buf);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		SiginfoEntry *e = malloc(sizeof(*e));
		uint8_t *data = malloc(sizeof(siginfo_t));

		if (!e || !data) {
			free(e);
			free(data);
			free(buf);
			return -ENOMEM;
		}
		siginfo_entry__init(e);
		memcpy(data, (siginfo_t *)buf + i, sizeof(siginfo_t));
		e->siginfo.data = data;
		e->siginfo.len = sizeof(siginfo_t);
		(*ret)[(*ret_n)++] = e;
	}
	free(buf);
	return 0;
}

/* Signal handlers, itimers and prctl state of a process, through its leader. */
static int dump_proc_remote(struct infect_ctl *c, TaskCore *core)
{
	struct ksigaction ka;
	struct itimerval itv;
	long ret;
	int v, r;

	core->sigactions = calloc(64, sizeof(*core->sigactions));
	core->itimers = calloc(3, sizeof(*core->itimers));
	if (!core->sigactions || !core->itimers)
		return -ENOMEM;
	for (int sig = 1; sig <= 64; sig++) {
		SigactionEntry *e;

		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		r = infect_call(c, &ret, "rt_sigaction (read)", SYS_rt_sigaction, (unsigned long)sig, 0, c->scratch, 8, 0);
		if (r < 0)
			return r;
		r = infect_read(c->tid, c->scratch, &ka, sizeof(ka));
		if (r < 0)
			return r;
		if (!ka.handler && !ka.flags && !ka.mask)
			continue;
		e = malloc(sizeof(*e));
		if (!e)
			return -ENOMEM;
		sigaction_entry__init(e);
		e->sig = (uint32_t)sig;
		e->handler = ka.handler;
		e->flags = ka.flags;
		e->restorer = ka.restorer;
		e->mask = ka.mask;
		core->sigactions[core->n_sigactions++] = e;
	}
	for (int which = 0; which < 3; which++) {
		ItimerEntry *e;

		r = infect_call(c, &ret, "getitimer", SYS_getitimer, (unsigned long)which, c->scratch, 0, 0, 0);
		if (r < 0)
			return r;
		r = infect_read(c->tid, c->scratch, &itv, sizeof(itv));
		if (r < 0)
			return r;
		if (!itv.it_value.tv_sec && !itv.it_value.tv_usec && !itv.it_interval.tv_sec &&
		    !itv.it_interval.tv_usec)
			continue;
		e = malloc(sizeof(*e));
		if (!e)
			return -ENOMEM;
		itimer_entry__init(e);
		e->which = (uint32_t)which;
		e->interval_ns = (uint64_t)itv.it_interval.tv_sec * 1000000000ull +
				 (uint64_t)itv.it_interval.tv_usec * 1000ull;
		e->value_ns = (uint64_t)itv.it_value.tv_sec * 1000000000ull + (uint64_t)itv.it_value.tv_usec * 1000ull;
		core->itimers[core->n_itimers++] = e;
	}
	r = infect_call(c, &ret, "prctl(PR_GET_PDEATHSIG)", SYS_prctl, PR_GET_PDEATHSIG, c->scratch, 0, 0, 0);
	if (r < 0 || (r = infect_read(c->tid, c->scratch, &v, sizeof(v))) < 0)
		return r;
	core->has_pdeath_signal = true;
	core->pdeath_signal = v;
	r = infect_call(c, &ret, "prctl(PR_GET_DUMPABLE)", SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (r < 0)
		return r;
	core->has_dumpable = true;
	core->dumpable = ret == 1;
	r = infect_call(c, &ret, "prctl(PR_GET_CHILD_SUBREAPER)", SYS_prctl, PR_GET_CHILD_SUBREAPER,
			c->scratch, 0, 0, 0);
	if (r < 0 || (r = infect_read(c->tid, c->scratch, &v, sizeof(v))) < 0)
		return r;
	core->has_child_subreaper = true;
	core->child_subreaper = v != 0;
	/* the mm's membarrier registrations; a kernel before 6.3 cannot tell (EINVAL) */
	r = infect_sys(c, &ret, SYS_membarrier, CR_MEMBARRIER_CMD_GET_REGISTRATIONS, 0, 0);
	if (r < 0)
		return r;
	if (ret >= 0) {
		core->has_membarrier_registrations = true;
		core->membarrier_registrations = (uint32_t)ret;
	} else if (ret != -EINVAL) {
		return pr_err_ret((int)ret, "tid %d: membarrier(GET_REGISTRATIONS)", c->tid);
	}
	return 0;
}

static int dump_thread(struct infect_thread *t, struct infect_ctl *lc, pid_t pid, ThreadCore *tc)
{
	struct user_regs_struct regs = t->regs;
	struct infect_ctl c;
	struct infect_rseq rs;
	X86Gpregs *g = malloc(sizeof(*g));
	stack_t ss;
	uint64_t head = 0, len = 0, tidaddr = 0;
	long ret;
	char path[64], comm[32] = { 0 };
	FILE *f;
	int r;

	if (!g)
		return -ENOMEM;
	x86_gpregs__init(g);
	tc->regs = g;
	tc->tid = (uint32_t)t->tid;
	tc->has_in_syscall_restart = true;
	tc->in_syscall_restart = (long)regs.orig_rax >= 0;
	/* stored as seized: restore lets the kernel's restart logic deal with it */
	g->r15 = regs.r15, g->r14 = regs.r14, g->r13 = regs.r13, g->r12 = regs.r12;
	g->bp = regs.rbp, g->bx = regs.rbx, g->r11 = regs.r11, g->r10 = regs.r10;
	g->r9 = regs.r9, g->r8 = regs.r8, g->ax = regs.rax, g->cx = regs.rcx;
	g->dx = regs.rdx, g->si = regs.rsi, g->di = regs.rdi, g->orig_ax = regs.orig_rax;
	g->ip = regs.rip, g->cs = regs.cs, g->flags = regs.eflags, g->sp = regs.rsp;
	g->ss = regs.ss, g->fs_base = regs.fs_base, g->gs_base = regs.gs_base;
	g->ds = regs.ds, g->es = regs.es, g->fs = regs.fs, g->gs = regs.gs;
	tc->blocked = t->sigmask;

	{
		void *xs;
		size_t xl;

		r = infect_get_xstate(t->tid, &xs, &xl);
		if (r < 0)
			return r;
		tc->has_xsave = true;
		tc->xsave.data = xs;
		tc->xsave.len = xl;
	}
	r = infect_get_rseq(t->tid, &rs);
	if (r < 0)
		return r;
	if (rs.ptr) {
		tc->rseq = malloc(sizeof(*tc->rseq));
		if (!tc->rseq)
			return -ENOMEM;
		rseq_entry__init(tc->rseq);
		tc->rseq->ptr = rs.ptr;
		tc->rseq->len = rs.len;
		tc->rseq->sig = rs.sig;
	}
	if (syscall(SYS_get_robust_list, t->tid, &head, &len))
		return pr_perror_ret("tid %d: get_robust_list", t->tid);
	tc->has_robust_list = tc->has_robust_list_len = true;
	tc->robust_list = head;
	tc->robust_list_len = (uint32_t)len;

	/* per-thread state only the thread itself can tell */
	if (t->tid == lc->tid) {
		c = *lc;
	} else {
		r = infect_ctl_init(&c, t);
		if (r < 0)
			return r;
		c.scratch = lc->scratch; /* same address space; the leader owns it */
		c.scratch_size = lc->scratch_size;
	}
	r = infect_call(&c, &ret, "prctl(PR_GET_TID_ADDRESS)", SYS_prctl, PR_GET_TID_ADDRESS, c.scratch, 0, 0, 0);
	if (r == 0)
		r = infect_read(t->tid, c.scratch, &tidaddr, sizeof(tidaddr));
	if (r == 0)
		r = proc_thread_creds(pid, t->tid, &tc->creds);
	if (r == 0)
		r = infect_call(&c, &ret, "prctl(PR_GET_SECUREBITS)", SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);
	if (r == 0)
		tc->creds->securebits = (uint32_t)ret;
	if (r == 0)
		r = infect_call(&c, &ret, "sigaltstack (read)", SYS_sigaltstack, 0, c.scratch, 0, 0, 0);
	if (r == 0)
		r = infect_read(t->tid, c.scratch, &ss, sizeof(ss));
	if (t->tid != lc->tid) {
		c.scratch = 0; /* not ours to unmap */
		if (infect_ctl_fini(&c) < 0 && r == 0)
			r = -EIO;
	}
	if (r < 0)
		return r;
	tc->has_clear_child_tid = true;
	tc->clear_child_tid = tidaddr;
	tc->has_altstack_sp = tc->has_altstack_size = tc->has_altstack_flags = true;
	tc->altstack_sp = (uint64_t)ss.ss_sp;
	tc->altstack_size = ss.ss_size;
	tc->altstack_flags = (uint32_t)ss.ss_flags;

	r = add_siginfos(t->tid, false, &tc->pending, &tc->n_pending);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, t->tid);
	f = fopen(path, "re");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	tc->comm = strdup(comm);
	return tc->comm ? 0 : -ENOMEM;
}

/* What the restore checks the executable by (file_check.h); id holds its build-id. */
static void exe_ident(pid_t pid, MmEntry *mm, uint8_t *id)
{
	_cleanup_close_ int fd = -EBADF;
	struct file_ident fi;
	struct stat st;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		pr_debug("pid %d: cannot open %s: %m; its executable is not checked at restore\n", pid, path);
		return;
	}
	file_ident_read(fd, &st, id, &fi);
	mm->exe_mnt_id = files_fd_mnt_id(fd);
	mm->has_exe_mnt_id = mm->exe_mnt_id != 0;
	mm->has_exe_mode = mm->has_exe_size = true;
	mm->exe_mode = fi.mode;
	mm->exe_size = fi.size;
	if (fi.build_id) {
		mm->has_exe_build_id = true;
		mm->exe_build_id.data = id;
		mm->exe_build_id.len = fi.build_id_len;
	}
}

static int write_mm(struct dump_ctx *ctx, struct pstree_item *it, struct infect_ctl *c, struct vma_list *vl)
{
	MmEntry mm = MM_ENTRY__INIT;
	uint8_t exe_id[ELF_BUILD_ID_MAX];
	struct img_writer *w = NULL;
	long ret;
	int r;

	r = proc_mm_dump(it->pid, &mm);
	if (r < 0)
		goto out;
	exe_ident(it->pid, &mm, exe_id);
	r = infect_call(c, &ret, "brk(0)", SYS_brk, 0, 0, 0, 0, 0);
	if (r < 0)
		goto out;
	mm.brk = (uint64_t)ret;
	r = infect_call(c, &ret, "prctl(PR_GET_THP_DISABLE)", SYS_prctl, PR_GET_THP_DISABLE, 0, 0, 0, 0);
	if (r < 0)
		goto out;
	mm.has_thp_disabled = true;
	mm.thp_disabled = (uint32_t)ret;

	r = mm_objects_check_sysv_shm(it->pid, vl);
	if (r < 0)
		goto out;
	r = img_create(ctx->dir, IMG_MM, it->id, &w);
	if (r < 0)
		goto out;
	r = img_write_msg(w, &mm.base);
	for (size_t i = 0; r >= 0 && i < vl->n; i++) {
		struct vma *v = &vl->v[i];
		VmaEntry e = VMA_ENTRY__INIT;

		e.start = v->start;
		e.end = v->end;
		e.kind = v->kind;
		e.prot = v->prot;
		e.flags = v->flags;
		e.has_pgoff = true;
		e.pgoff = v->pgoff;
		e.path = v->path;
		e.has_deleted = v->deleted;
		e.deleted = v->deleted;
		if (v->lock) {
			e.has_lock = true;
			e.lock = v->lock;
		}
		/* a private mapping may always be made writable; a shared one only from a writable file */
		if (v->kind == VMA_KIND__VMA_FILE_SHARED && v->may_write) {
			e.has_may_write = true;
			e.may_write = true;
		}
		if (v->kind == VMA_KIND__VMA_FILE_PRIVATE) {
			e.has_accounted = true;
			e.accounted = v->accounted;
		}
		if (v->madv) {
			e.has_madv = true;
			e.madv = v->madv;
		}
		if (v->ino) {
			e.has_dev = e.has_ino = true;
			e.dev = v->dev;
			e.ino = v->ino;
		}
		r = mm_objects_dump_vma(ctx->mmobj, it->pid, v, &e);
		if (r < 0)
			break;
		r = img_write_msg(w, &e.base);
		free(e.aio_ring.data);
	}
	r = img_finish(w, r);
out:
	free(mm.auxv);
	free(mm.exe);
	return r;
}

static int dump_one_proc(struct dump_ctx *ctx, struct pstree_item *it)
{
	struct dump_proc *p = find_proc(ctx, it->pid);
	TaskCore core = TASK_CORE__INIT;
	ThreadCore **threads = NULL;
	struct vma_list vl = { 0 };
	struct infect_ctl c = { 0 };
	struct img_writer *w = NULL;
	bool ctl = false;
	int r;

	if (!p)
		return pr_err_ret(-ESRCH, "pid %d: not frozen", it->pid);
	pr_info("dumping pid %d (%s), %zu thread(s)\n", it->pid, it->comm, p->nth);
	r = vma_collect(it->pid, &vl);
	if (r < 0)
		return r;
	for (size_t i = 0; i < p->nth; i++) {
		r = infect_block_signals(&p->th[i]);
		if (r < 0)
			goto out;
	}
	r = infect_ctl_init(&c, &p->th[0]);
	if (r < 0)
		goto out;
	ctl = true;
	r = infect_scratch_map(&c, SCRATCH_SIZE);
	if (r < 0)
		goto out;
	r = fault_inject("dump-task");
	if (r < 0)
		goto out;

	core.pid = (uint32_t)it->vpid;
	core.ppid = (uint32_t)it->ppid;
	core.pgid = (uint32_t)it->pgid;
	core.sid = (uint32_t)it->sid;
	core.state = (TaskState)it->state;
	if (it->state == PST_STOPPED && p->th[0].stop_sig) {
		core.has_stop_signo = true;
		core.stop_signo = p->th[0].stop_sig;
	}
	core.mm_id = it->id;
	core.has_files_id = true;
	core.files_id = it->files_id;
	r = proc_task_dump(it->pid, &core);
	if (r == 0)
		r = oom_dump(it->pid, &core);
	if (r < 0)
		goto out;
	if (!core.comm && !(core.comm = strdup(it->comm))) {
		r = -ENOMEM;
		goto out;
	}
	r = posix_timers_dump(it->pid, p->nth, &c, &core);
	if (r < 0)
		goto out;
	r = dump_proc_remote(&c, &core);
	if (r < 0)
		goto out;
	/* a task that made itself non-dumpable (a setuid program's secrets) is not its user's to read */
	if (ctx->req->from_rpc && ctx->req->peer_uid != 0 && core.has_dumpable && !core.dumpable) {
		r = pr_err_ret(-EPERM, "pid %d is not dumpable (PR_SET_DUMPABLE 0): a non-root caller (uid %u) may not dump it",
			       it->pid, ctx->req->peer_uid);
		goto out;
	}
	r = add_siginfos(it->pid, true, &core.shared_pending, &core.n_shared_pending);
	if (r < 0)
		goto out;

	threads = calloc(p->nth, sizeof(*threads));
	if (!threads) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->nth; i++) {
		threads[i] = malloc(sizeof(ThreadCore));
		if (!threads[i]) {
			r = -ENOMEM;
			goto out;
		}
		thread_core__init(threads[i]);
		r = dump_thread(&p->th[i], &c, it->pid, threads[i]);
		if (r == 0)
			r = sched_dump_thread(p->th[i].tid, threads[i]);
		if (r < 0)
			goto out;
		/* the tree's own tid: the frozen threads are in the order of it->tids */
		if (it->vtids && i < it->nr_threads && it->tids[i] == p->th[i].tid)
			threads[i]->tid = (uint32_t)it->vtids[i];
	}
	core.creds->securebits = threads[0]->creds->securebits;
	r = seccomp_dump(it->pid, p->th, p->nth, &core, threads);
	if (r < 0)
		goto out;

	r = guard_check("dumping memory");
	if (r == 0)
		r = write_mm(ctx, it, &c, &vl);
	if (r < 0)
		goto out;
	r = pages_dump_private(it->pid, &vl, ctx->dir, it->id, &ctx->pst);
	if (r < 0)
		goto out;
	r = guard_check("dumping files");
	/* a shared fd table is dumped once, with the first task that holds it (pstree.c) */
	if (r == 0 && it->files_id == it->id) {
		files_dump_set_creds(ctx->files, core.creds); /* its files must be ones it may open again */
		r = files_dump_task(ctx->files, it->pid, ctx->dir, it->id);
		files_dump_set_creds(ctx->files, NULL);
	} else if (r == 0)
		r = files_dump_task_shared(ctx->files, it->pid);
	if (r < 0)
		goto out;

	r = img_create(ctx->dir, IMG_CORE, it->id, &w);
	if (r < 0)
		goto out;
	r = img_write_msg(w, &core.base);
	for (size_t i = 0; r >= 0 && i < p->nth; i++)
		r = img_write_msg(w, &threads[i]->base);
	r = img_finish(w, r);
out:
	if (ctl && infect_ctl_fini(&c) < 0 && r >= 0)
		r = -EIO;
	for (size_t i = 0; threads && i < p->nth; i++)
		if (threads[i])
			thread_core__free_unpacked(threads[i], NULL);
	free(threads);
	/* core's members were malloc'ed one by one: free_unpacked releases them */
	{
		TaskCore *heap = malloc(sizeof(*heap));

		if (heap) {
			*heap = core;
			task_core_release(heap);
		}
	}
	vma_list_free(&vl);
	return r;
}

static int write_inventory(struct dump_ctx *ctx, const struct pstree *t)
{
	InventoryEntry inv = INVENTORY_ENTRY__INIT;
	struct utsname u;
	struct timespec ts;
	int r;

	inv.producer = CRIU_IMPL_NAME " " CRIU_IMPL_VERSION;
	inv.criu_version = CRIU_VERSION;
	inv.has_root_id = inv.has_root_pid = true;
	inv.root_id = t->root->id;
	inv.root_pid = t->root->pid;
	clock_gettime(CLOCK_REALTIME, &ts);
	inv.has_dump_time_us = true;
	inv.dump_time_us = (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
	inv.has_page_size = true;
	inv.page_size = (uint32_t)sysconf(_SC_PAGESIZE);
	if (uname(&u) == 0)
		inv.kernel = u.release;
	r = plugins_fill_inventory(&inv); /* the plugins that handled something */
	if (r >= 0)
		r = img_write_inventory(ctx->dir, &inv);
	free(inv.plugins);
	return r;
}

static int write_stats(struct dump_ctx *ctx, uint64_t freeze_us, uint64_t frozen_us, uint64_t mem_us)
{
	StatsEntry se = STATS_ENTRY__INIT;
	DumpStatsEntry ds = DUMP_STATS_ENTRY__INIT;

	ds.freezing_time = (uint32_t)freeze_us;
	ds.frozen_time = (uint32_t)frozen_us;
	ds.memdump_time = (uint32_t)mem_us;
	ds.memwrite_time = (uint32_t)mem_us;
	ds.pages_scanned = ctx->pst.pages_scanned;
	ds.pages_skipped_parent = 0;
	ds.pages_written = ctx->pst.pages_written;
	ds.has_shpages_scanned = ds.has_shpages_skipped_parent = ds.has_shpages_written = true;
	ds.shpages_scanned = ctx->pst.shpages_scanned;
	ds.shpages_written = ctx->pst.shpages_written;
	se.dump = &ds;
	if (ctx->req->opts.display_stats)
		stats_display(&se);
	return stats_write(ctx->req->work_dir_fd, "stats-dump", &se);
}

/* Asks the plugins about the devices of every live process of the frozen tree. */
static int dump_plugin_devices(const struct pstree *t, int (*hook)(int pid), const char *what)
{
	for (size_t i = 0; i < t->n; i++) {
		int r;

		if (t->items[i]->state == PST_ZOMBIE)
			continue;
		r = hook(t->items[i]->pid);
		if (r < 0 && r != -ENOTSUP)
			return pr_err_ret(r, "pid %d: plugin %s could not %s its devices", t->items[i]->pid,
					  plugins_last_handler(), what);
	}
	return 0;
}

/*
 * A non-root RPC caller may dump only tasks of its own uid and gid (real,
 * effective, saved) without capabilities: every task of the tree, since a
 * child may have become another user (a setuid program).
 */
static int check_caller_owns_tree(const struct cr_request *req, const struct pstree *t)
{
	if (!req->from_rpc || req->peer_uid == 0)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct pstree_item *it = t->items[i];
		char path[64], line[256];
		unsigned int u[4] = { 0 }, g[4] = { 0 };
		unsigned long long cap = 0;
		int got = 0;
		_cleanup_fclose_ FILE *f = NULL;

		if (it->state == PST_ZOMBIE)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", it->pid);
		f = fopen(path, "re");
		if (!f)
			return pr_perror_ret("pid %d: cannot read %s", it->pid, path);
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4)
				got |= 1;
			else if (sscanf(line, "Gid: %u %u %u %u", &g[0], &g[1], &g[2], &g[3]) == 4)
				got |= 2;
			else if (!strncmp(line, "CapPrm:", 7) || !strncmp(line, "CapEff:", 7))
				cap |= strtoull(line + 7, NULL, 16);
		}
		if (got != 3)
			return pr_err_ret(-EIO, "pid %d: cannot parse %s", it->pid, path);
		for (int k = 0; k < 3; k++)
			if (u[k] != req->peer_uid || g[k] != req->peer_gid)
				return pr_err_ret(-EPERM, "pid %d (uid %u, gid %u) is not the caller's own (uid %u, gid %u)",
						  it->pid, u[k], g[k], req->peer_uid, req->peer_gid);
		if (cap)
			return pr_err_ret(-EPERM, "pid %d holds capabilities (%#llx); a non-root caller may not dump it",
					  it->pid, cap);
	}
	return 0;
}

static int dump_job(void *arg)
{
	struct cr_request *req = arg;
	const struct cr_opts *o = &req->opts;
	const char *dir = o->images_dir ? o->images_dir : ".";
	struct dump_ctx ctx = { .req = req, .next_id = 1 };
	struct pstree tree = { 0 };
	struct cg_freeze *cgf = NULL; /* --freeze-cgroup */
	uint64_t t0, t_frozen, t_mem = 0, t_end;
	uint64_t file_ids = 1;
	int r;

	if (o->pid <= 0)
		return pr_err_ret(-EINVAL, "a tree to dump is needed: -t PID");
	if (guard_is_self(o->pid))
		return pr_err_ret(-EINVAL, "pid %d is criu itself", o->pid);
	if (kill(o->pid, 0) < 0 && errno == ESRCH)
		return pr_err_ret(-ESRCH, "pid %d does not exist", o->pid);
	if (o->leave_running && o->leave_stopped)
		return pr_err_ret(-EINVAL, "--leave-running and --leave-stopped exclude each other");
	if (req->from_rpc && req->peer_uid != 0) {
		struct stat st;
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", o->pid);
		if (stat(path, &st) == 0 && st.st_uid != req->peer_uid)
			return pr_err_ret(-EPERM, "pid %d belongs to uid %u, not to the caller (uid %u)", o->pid,
					  st.st_uid, req->peer_uid);
	}

	r = img_dir_open_write(dir, &ctx.dir);
	if (r < 0)
		return pr_err_ret(r, "cannot open the images directory %s", dir);
	/* the CPU the tree runs on, for the restore's --cpu-cap checks (engine/cpu/) */
	r = cpuinfo_dump_image(ctx.dir, o->cpu_cap);
	if (r == 0)
		r = plugins_init(o->libdir, CR_PLUGIN_STAGE__DUMP, img_dir_fd(ctx.dir));
	if (r < 0) {
		img_dir_close(ctx.dir);
		return r;
	}
	r = files_dump_init(&file_ids, o->ghost_limit ? o->ghost_limit : (1u << 20), &ctx.files);
	if (r < 0)
		goto fail;
	files_dump_set_link_remap(ctx.files, o->link_remap);
	files_dump_set_external(ctx.files, o->external.v, o->external.n);
	files_dump_set_force_irmap(ctx.files, o->force_irmap, o->irmap_scan_paths.v, o->irmap_scan_paths.n);
	r = files_dump_set_ext_unix(ctx.files, o->ext_unix_sk, o->unix_sk_inodes.v, o->unix_sk_inodes.n, o->external.v,
				    o->external.n);
	if (r < 0)
		goto fail;
	files_dump_set_file_locks(ctx.files, o->file_locks);
	files_dump_set_rpc_sk(ctx.files, req->rpc_sk_ino);
	r = mm_objects_dump_init(&file_ids, ctx.files, ctx.dir, &ctx.pst, &ctx.mmobj);
	if (r < 0)
		goto fail;

	r = cgroup_dump_check(o, req->work_dir_fd);
	if (r < 0)
		goto fail;
	r = hooks_fire("pre-dump", o->pid);
	if (r < 0)
		goto fail;
	t0 = stats_now_us();
	if (o->freeze_cgroup) {
		r = cgroup_freeze(o->freeze_cgroup, o->timeout, &cgf);
		if (r < 0)
			goto fail;
	}
	infect_freeze_deadline(o->timeout);
	r = pstree_collect(o->pid, freeze_cb, &ctx, &ctx.next_id, &tree);
	infect_freeze_deadline(0);
	t_frozen = stats_now_us();
	if (r < 0) {
		pr_err("freezing the tree of pid %d failed\n", o->pid);
		goto fail;
	}
	pr_info("tree of pid %d frozen: %zu process(es) in %" PRIu64 " us\n", o->pid, tree.n, t_frozen - t0);
	r = files_dump_set_root(ctx.files, o->pid);
	if (r < 0)
		goto fail;
	/* the pids the images hold are the tree's own (its pid namespace's) */
	r = guard_check("reading the tree");
	if (r < 0)
		goto fail;
	r = pstree_read_vpids(&tree);
	if (r == 0)
		r = pstree_collect_fd_tables(&tree);
	if (r < 0)
		goto fail;
	r = check_caller_owns_tree(req, &tree);
	if (r < 0)
		goto fail;
	r = dump_plugin_devices(&tree, plugins_checkpoint_devices, "checkpoint");
	if (r < 0)
		goto fail;
	/* sessions and groups outside the tree: refused, or a shell job (session.c) */
	{
		bool has_ext_sid = false;
		pid_t ext_sid = 0;

		r = session_check_dump(&tree, o->shell_job, &has_ext_sid, &ext_sid);
		if (r < 0)
			goto fail;
		if (has_ext_sid)
			files_dump_set_shell_job(ctx.files, ext_sid);
	}
	/* the tree's namespaces: dumped, external, empty, or refused by name (ns/) */
	r = ns_dump(&tree, o, ctx.dir);
	if (r < 0)
		goto fail;
	/* every task's cgroups, and the properties of the tree's (cgroup/) */
	r = cgroup_dump(&tree, o, ctx.req->work_dir_fd, ctx.dir);
	if (r < 0)
		goto fail;
	/* network-lock (own net ns); connections are locked one by one as they are dumped */
	{
		struct files_net_opts no = { .tcp_established = o->tcp_established, .tcp_close = o->tcp_close,
					     .skip_in_flight = o->tcp_skip_in_flight, .network_lock = o->network_lock,
					     .root = o->pid };

		r = files_dump_set_net(ctx.files, &no);
		if (r < 0)
			goto fail;
	}
	r = fault_inject("dump-frozen");
	if (r == 0)
		r = guard_check("dumping the tasks");
	if (r < 0)
		goto fail;
	/* RPC clients may name external files here (PROTOCOL.md §2) */
	if (req->from_rpc) {
		r = hooks_fire("query-ext-files", o->pid);
		if (r < 0)
			goto fail;
	}
	/* ids of files continue after the tasks' */
	file_ids = ctx.next_id + 1000000;

	for (size_t i = 0; i < tree.n; i++) {
		struct pstree_item *it = tree.items[i];

		r = guard_check("dumping a task");
		if (r < 0)
			goto fail;
		if (it->state == PST_ZOMBIE) {
			TaskCore core = TASK_CORE__INIT;
			CredsEntry creds = CREDS_ENTRY__INIT;

			core.pid = (uint32_t)it->vpid;
			core.ppid = (uint32_t)it->ppid;
			core.pgid = (uint32_t)it->pgid;
			core.sid = (uint32_t)it->sid;
			core.state = TASK_STATE__TASK_ZOMBIE;
			core.has_exit_code = true;
			core.exit_code = it->exit_code;
			core.comm = it->comm;
			core.creds = &creds;
			r = img_write_one(ctx.dir, IMG_CORE, it->id, &core.base);
		} else {
			uint64_t m0 = stats_now_us();

			r = dump_one_proc(&ctx, it);
			t_mem += stats_now_us() - m0;
		}
		if (r < 0) {
			pr_err("pid %d: dump failed\n", it->pid);
			goto fail;
		}
	}
	r = dump_plugin_devices(&tree, plugins_dump_devices_late, "dump (late)");
	if (r < 0)
		goto fail;
	r = files_dump_finish(ctx.files, ctx.dir);
	if (r < 0)
		goto fail;
	r = pstree_write(&tree, ctx.dir);
	if (r < 0)
		goto fail;
	r = fault_inject("dump-before-inventory");
	if (r == 0)
		r = guard_check("writing the inventory");
	if (r < 0)
		goto fail;
	t_end = stats_now_us();
	if (write_stats(&ctx, t_frozen - t0, t_end - t0, t_mem) < 0)
		pr_warn("stats-dump was not written\n");
	r = write_inventory(&ctx, &tree);
	if (r < 0)
		goto fail;
	r = hooks_fire("post-dump", o->pid);
	if (r < 0) {
		/* the client refused the checkpoint: it is not one, and the tree goes on */
		unlinkat(img_dir_fd(ctx.dir), IMG_INVENTORY_NAME, 0);
		pr_err("post-dump failed: the tree of pid %d is resumed\n", o->pid);
		goto fail;
	}

	/*
	 * The checkpoint is complete: now the tree may go. A criu that died
	 * before this point wanted no checkpoint, and its tree goes on.
	 */
	r = guard_check("releasing the tree");
	if (r < 0) {
		unlinkat(img_dir_fd(ctx.dir), IMG_INVENTORY_NAME, 0);
		goto fail;
	}
	if (o->leave_running || o->leave_stopped) {
		files_dump_net_resume(ctx.files); /* the connections go on here: unlocked */
		release_all(&ctx, o->leave_stopped, false);
	} else {
		release_all(&ctx, false, true);
	}
	cgroup_freeze_finish(cgf);
	pr_info("dump of pid %d done: %zu process(es), %" PRIu64 " pages written, frozen for %" PRIu64 " us\n",
		o->pid, tree.n, ctx.pst.pages_written, stats_now_us() - t0);
	mm_objects_dump_free(ctx.mmobj);
	files_dump_free(ctx.files);
	pstree_free(&tree);
	plugins_fini(0);
	img_dir_close(ctx.dir);
	return 0;

fail:
	/* nothing is lost: every task goes on exactly as before */
	files_dump_net_resume(ctx.files);
	release_all(&ctx, false, false);
	cgroup_freeze_finish(cgf);
	mm_objects_dump_free(ctx.mmobj);
	files_dump_abort(ctx.files);
	files_dump_free(ctx.files);
	pstree_free(&tree);
	plugins_fini(r);
	img_dir_close(ctx.dir);
	return r;
}

/* The dump runs in a tracer child that outlives criu (guard.c). */
int cr_dump(struct cr_request *req)
{
	int r = self_proc_init(); /* criu's /proc, whatever namespaces it enters (self_proc.h) */

	if (r < 0)
		return pr_err_ret(r, "cannot open /proc");
	return guard_run(dump_job, req, "dump");
}
