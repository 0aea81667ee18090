/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Forking the tree with exact pids, sessions, groups and zombies. */
#define LOG_PREFIX "fork: "
#include <linux/futex.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fork.h"
#include "log.h"

#define FORK_TIMEOUT_MS 30000

/* Group leaders make their groups before members join them. */
enum fork_stage { STAGE_FORK = 0, STAGE_LEADERS, STAGE_MEMBERS, STAGE_SETUP, STAGE_ABORT };

/* Shared by criu and every restored task until the tasks are taken over. */
struct fork_shared {
	_Atomic uint32_t stage;
	_Atomic uint32_t nr_forked;
	_Atomic uint32_t nr_led;
	_Atomic uint32_t nr_grouped;
	_Atomic uint32_t nr_ready;
	_Atomic int32_t error_pid; /* the first task that failed */
	_Atomic int32_t error;
	_Atomic uint8_t created[]; /* by item index */
};

static void futex_wake_all(_Atomic uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/* Waits until *w != old or the timeout (ms) passes. */
static void futex_wait_ms(_Atomic uint32_t *w, uint32_t old, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	syscall(SYS_futex, w, FUTEX_WAIT, old, &ts, NULL, 0);
}

static void bump(struct fork_shared *sh, _Atomic uint32_t *counter)
{
	atomic_fetch_add(counter, 1);
	futex_wake_all(counter);
}

static void task_fail(struct fork_shared *sh, pid_t pid, int err)
{
	int32_t none = 0;

	if (atomic_compare_exchange_strong(&sh->error_pid, &none, pid))
		atomic_store(&sh->error, err);
	futex_wake_all(&sh->nr_forked);
	futex_wake_all(&sh->nr_led);
	futex_wake_all(&sh->nr_grouped);
	futex_wake_all(&sh->nr_ready);
	_exit(1);
}

static void wait_stage(struct fork_shared *sh, uint32_t want)
{
	uint32_t s;

	while ((s = atomic_load(&sh->stage)) < want)
		futex_wait_ms(&sh->stage, s, 1000);
	if (s == STAGE_ABORT)
		_exit(1); /* criu gave up: it kills us anyway */
}

/* Leaves as a zombie with the recorded wait status. */
static _Noreturn void become_zombie(int status)
{
	if (WIFSIGNALED(status)) {
		sigset_t all;

		signal(WTERMSIG(status), SIG_DFL);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		raise(WTERMSIG(status));
	}
	_exit(WEXITSTATUS(status));
}

static pid_t clone_with_pid(pid_t pid, bool parent)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = parent ? CLONE_PARENT : 0;
	args.exit_signal = parent ? 0 : SIGCHLD;
	args.set_tid = (uintptr_t)&pid;
	args.set_tid_size = 1;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

struct fork_job {
	struct pstree *t;
	struct fork_shared *sh;
	const struct fork_ops *ops;
};

static size_t item_index(const struct pstree *t, const struct pstree_item *it)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->items[i] == it)
			return i;
	return 0;
}

static _Noreturn void task_main(struct fork_job *job, struct pstree_item *it);

/* Forks one task with its pid; in the child, becomes it. */
static int fork_item(struct fork_job *job, struct pstree_item *it, bool sibling)
{
	pid_t pid = clone_with_pid(it->pid, sibling);

	if (pid < 0) {
		if (errno == EEXIST)
			return pr_err_ret(-EEXIST, "pid %d: already in use by another process; it is left alone",
					  it->pid);
		return pr_perror_ret("pid %d: clone3 with set_tid failed", it->pid);
	}
	if (pid == 0)
		task_main(job, it);
	if (pid != it->pid) {
		pr_err("pid %d: clone3 gave pid %d\n", it->pid, pid);
		kill(pid, SIGKILL);
		return -EIO;
	}
	atomic_store(&job->sh->created[item_index(job->t, it)], 1);
	return 0;
}

static _Noreturn void task_main(struct fork_job *job, struct pstree_item *it)
{
	struct fork_shared *sh = job->sh;
	int r;

	atomic_store(&sh->created[item_index(job->t, it)], 1);
	if (it->sid == it->pid && getsid(0) != it->pid && setsid() < 0)
		task_fail(sh, it->pid, pr_perror_ret("pid %d: setsid failed", it->pid));
	if (it->sid == it->pid && job->ops && job->ops->session_setup) {
		r = job->ops->session_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->pid, r);
	}
	/*
	 * Any other session is inherited: the parent's, or criu's own for a
	 * shell job (session.c moved the external session onto criu's).
	 */
	if (getsid(0) != it->sid)
		task_fail(sh, it->pid,
			  pr_err_ret(-EOPNOTSUPP, "pid %d: not supported yet: session %d (it inherited session %d)",
				     it->pid, it->sid, getsid(0)));
	for (size_t i = 0; i < it->nr_children; i++)
		if (fork_item(job, it->children[i], false) < 0)
			task_fail(sh, it->children[i]->pid, -EIO);
	bump(sh, &sh->nr_forked);

	wait_stage(sh, STAGE_LEADERS);
	if (it->pgid == it->pid && getpgid(0) != it->pid && setpgid(0, 0) < 0)
		task_fail(sh, it->pid, pr_perror_ret("pid %d: cannot make process group %d", it->pid, it->pid));
	bump(sh, &sh->nr_led);

	wait_stage(sh, STAGE_MEMBERS);
	if (getpgid(0) != it->pgid && setpgid(0, it->pgid) < 0)
		task_fail(sh, it->pid, pr_perror_ret("pid %d: cannot join process group %d", it->pid, it->pgid));
	bump(sh, &sh->nr_grouped);

	wait_stage(sh, STAGE_SETUP);
	if (it->state == PST_ZOMBIE) {
		bump(sh, &sh->nr_ready);
		become_zombie(it->exit_code);
	}
	if (job->ops && job->ops->task_setup) {
		r = job->ops->task_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->pid, r);
	}
	bump(sh, &sh->nr_ready);
	/* criu takes it over from here (ptrace) and never lets this return */
	for (;;)
		pause();
}

/* Waits until *counter reaches want, a task fails, or the root dies. */
static int wait_count(struct fork_shared *sh, _Atomic uint32_t *counter, uint32_t want, pid_t root,
		      bool can_wait, const char *phase)
{
	long waited = 0;
	uint32_t c;

	while ((c = atomic_load(counter)) < want) {
		int status;

		if (atomic_load(&sh->error_pid)) {
			pr_err("%s failed in pid %d: %s\n", phase, atomic_load(&sh->error_pid),
			       strerror(-atomic_load(&sh->error)));
			return atomic_load(&sh->error) ?: -EIO;
		}
		if (can_wait && waitpid(root, &status, WNOHANG) == root) {
			pr_err("%s failed: root task %d died (status 0x%x)\n", phase, root, status);
			return -ECHILD;
		}
		if (waited >= FORK_TIMEOUT_MS) {
			pr_err("%s failed: %u of %u tasks got there in %d s\n", phase, c, want, FORK_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		futex_wait_ms(counter, c, 100);
		waited += 100;
	}
	return 0;
}

static int advance(struct fork_shared *sh, uint32_t stage)
{
	atomic_store(&sh->stage, stage);
	futex_wake_all(&sh->stage);
	return 0;
}

size_t fork_tree_live(const struct pstree *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		n += t->items[i]->state != PST_ZOMBIE;
	return n;
}

/* Whether any task we created still exists (zombies included). */
static bool any_created_left(const struct pstree *t, const struct fork_shared *sh)
{
	for (size_t i = 0; i < t->n; i++)
		if (atomic_load(&sh->created[i]) && kill(t->items[i]->pid, 0) == 0)
			return true;
	return false;
}

void fork_tree_kill(struct pstree *t, const struct fork_result *fr)
{
	struct fork_shared *sh = fr->shared;
	int status;

	if (!sh)
		return;
	/* only what we created: a pid that was already taken is left alone */
	for (size_t i = t->n; i-- > 0;)
		if (atomic_load(&sh->created[i]))
			kill(t->items[i]->pid, SIGKILL);
	/*
	 * Reap them: the restore runs as a child subreaper, so orphans of the
	 * killed tree come to us; left alone they would keep their pids taken.
	 */
	for (int waited = 0; waited < 5000 && any_created_left(t, sh); waited += 10) {
		while (waitpid(-1, &status, WNOHANG | __WALL) > 0)
			;
		usleep(10000);
	}
}

void fork_tree_release(struct fork_result *fr)
{
	if (fr->shared)
		munmap(fr->shared, fr->shared_size);
	fr->shared = NULL;
}

int fork_tree(struct pstree *t, bool sibling, const struct fork_ops *ops, struct fork_result *ret)
{
	size_t size = sizeof(struct fork_shared) + t->n;
	struct fork_shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct fork_job job = { t, sh, ops };
	struct fork_result fr = { .root_pid = t->root->pid, .sibling = sibling, .shared = sh, .shared_size = size };
	int r;

	if (sh == MAP_FAILED)
		return pr_perror_ret("cannot map the fork barrier");
	r = fork_item(&job, t->root, sibling);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_forked, (uint32_t)t->n, t->root->pid, !sibling, "forking");
	if (r >= 0)
		r = advance(sh, STAGE_LEADERS);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_led, (uint32_t)t->n, t->root->pid, !sibling, "process group leaders");
	if (r >= 0)
		r = advance(sh, STAGE_MEMBERS);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_grouped, (uint32_t)t->n, t->root->pid, !sibling, "process groups");
	if (r >= 0)
		r = advance(sh, STAGE_SETUP);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_ready, (uint32_t)t->n, t->root->pid, !sibling, "task setup");
	if (r < 0) {
		advance(sh, STAGE_ABORT);
		fork_tree_kill(t, &fr);
		fork_tree_release(&fr);
		return r;
	}
	*ret = fr;
	return 0;
}
