/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Forking the tree with exact pids, sessions, groups and zombies. */
#define LOG_PREFIX "fork: "
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fork.h"
#include "log.h"
#include "session.h"

#define FORK_TIMEOUT_MS 30000

/*
 * Group leaders make their groups before members join them; every task is
 * done with criu's fds (STAGE_SETUP) before any fd table is put in place,
 * which closes them in every task that shares the table (STAGE_FILES).
 */
enum fork_stage { STAGE_FORK = 0, STAGE_LEADERS, STAGE_MEMBERS, STAGE_SETUP, STAGE_FILES, STAGE_ABORT };

/* Shared by criu and every restored task until the tasks are taken over. */
struct fork_shared {
	_Atomic uint32_t stage;
	_Atomic uint32_t nr_forked;
	_Atomic uint32_t nr_led;
	_Atomic uint32_t nr_grouped;
	_Atomic uint32_t nr_set_up;
	_Atomic uint32_t nr_ready;
	_Atomic int32_t error_pid; /* the first task that failed */
	_Atomic int32_t error;
	/*
	 * Held by criu for as long as the tasks run its code: a robust mutex,
	 * so that the kernel marks it when criu dies (even by SIGKILL) and a
	 * task that waits sees that at once, wherever its parent is (a
	 * sibling root's parent is criu's caller, not criu).
	 */
	pthread_mutex_t criu_alive;
	pid_t criu_pid;
	/* by item index: the task's pid as criu sees it, 0 until it exists */
	_Atomic int32_t host[];
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

/*
 * The word of criu_alive the kernel handles (glibc keeps the owner's tid in
 * __lock): the tasks only read it and wait on it, they never take the lock.
 */
static _Atomic uint32_t *criu_alive_word(struct fork_shared *sh)
{
	return (_Atomic uint32_t *)&sh->criu_alive.__data.__lock;
}

/* Whether the lock's word says criu is gone (dead, or the lock let go). */
static bool word_says_gone(uint32_t w)
{
	return (w & FUTEX_OWNER_DIED) || !(w & FUTEX_TID_MASK);
}

/* In a task: whether criu is gone: then the task must go too. */
static bool criu_gone(struct fork_shared *sh)
{
	return word_says_gone(atomic_load(criu_alive_word(sh)));
}

/*
 * The last wait of a task, until criu takes it over: on the lock's word,
 * with no timeout. A timed wait interrupted by criu's seize would leave
 * its restart block (futex_wait_restart) in the task, and the restored
 * program's own restart_syscall would run it. When criu dies the kernel
 * marks the word and wakes one waiter (FUTEX_WAITERS), which wakes the rest.
 */
static _Noreturn void wait_for_criu(struct fork_shared *sh)
{
	_Atomic uint32_t *word = criu_alive_word(sh);

	for (;;) {
		uint32_t w = atomic_load(word);

		if (word_says_gone(w)) {
			syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
			_exit(1);
		}
		if (!(w & FUTEX_WAITERS) && !atomic_compare_exchange_strong(word, &w, w | FUTEX_WAITERS))
			continue;
		syscall(SYS_futex, word, FUTEX_WAIT, w | FUTEX_WAITERS, NULL, NULL, 0);
	}
}

static void task_fail(struct fork_shared *sh, pid_t pid, int err)
{
	int32_t none = 0;

	if (atomic_compare_exchange_strong(&sh->error_pid, &none, pid))
		atomic_store(&sh->error, err);
	futex_wake_all(&sh->nr_forked);
	futex_wake_all(&sh->nr_led);
	futex_wake_all(&sh->nr_grouped);
	futex_wake_all(&sh->nr_set_up);
	futex_wake_all(&sh->nr_ready);
	_exit(1);
}

static void wait_stage(struct fork_shared *sh, uint32_t want)
{
	uint32_t s;

	while ((s = atomic_load(&sh->stage)) < want) {
		futex_wait_ms(&sh->stage, s, 200);
		if (criu_gone(sh))
			_exit(1);
	}
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

/*
 * vpid is the pid in the namespace the child is born in (the innermost
 * level). files: the child shares our fd table.
 */
static pid_t clone_with_pid(pid_t pid, bool parent, bool files)
{
	struct clone_args args;

	memset(&args, 0, sizeof(args));
	args.flags = (parent ? CLONE_PARENT : 0) | (files ? CLONE_FILES : 0);
	args.exit_signal = parent ? 0 : SIGCHLD;
	args.set_tid = (uintptr_t)&pid;
	args.set_tid_size = 1;
	return (pid_t)syscall(SYS_clone3, &args, sizeof(args));
}

struct fork_job {
	struct pstree *t;
	struct fork_shared *sh;
	const struct fork_ops *ops;
	int proc_fd; /* criu's /proc: "self" there is a task's pid as criu sees it */
	bool nested; /* the tree is born in another pid namespace than criu's */
	bool sibling; /* the root is the child of criu's parent */
};

static size_t item_index(const struct pstree *t, const struct pstree_item *it)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->items[i] == it)
			return i;
	return 0;
}

static _Noreturn void task_main(struct fork_job *job, struct pstree_item *it);

/*
 * Forks one task with its pid; in the child, becomes it. by_criu: criu forks
 * it (the root), so clone3 returns criu's view of its pid, which is the
 * tree's own only if the tree shares criu's pid namespace.
 */
static int fork_item(struct fork_job *job, struct pstree_item *it, bool sibling, bool by_criu)
{
	bool files = pstree_shares_parent_files(it);
	pid_t pid;

	/* CLONE_FILES shares the forking task's table: a sibling's forker is not its parent */
	if (sibling && files)
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d: not supported yet: it shares its parent's fd table but is forked by "
				  "another task of its session",
				  it->vpid);
	pid = clone_with_pid(it->vpid, sibling, files);

	if (pid < 0) {
		if (errno == EEXIST)
			return pr_err_ret(-EEXIST, "pid %d: already in use by another process; it is left alone",
					  it->vpid);
		return pr_perror_ret("pid %d: clone3 with set_tid failed", it->vpid);
	}
	if (pid == 0)
		task_main(job, it);
	if (by_criu && job->nested) {
		/* the child checks its own pid; we keep the one we can kill */
		atomic_store(&job->sh->host[item_index(job->t, it)], pid);
		return 0;
	}
	if (pid != it->vpid) {
		pr_err("pid %d: clone3 gave pid %d\n", it->vpid, pid);
		kill(pid, SIGKILL);
		return -EIO;
	}
	if (!job->nested)
		atomic_store(&job->sh->host[item_index(job->t, it)], pid);
	return 0;
}

/*
 * The stand-in leader of a session or group whose leader is gone
 * (session.h): it makes the session and forks the session's tasks that
 * parent forked (CLONE_PARENT: they stay its children), or is made a group
 * by parent; it exits once the groups are made, and parent reaps it.
 */
static _Noreturn void stand_in_main(struct fork_job *job, struct pstree_item *parent, pid_t id, bool session)
{
	struct fork_shared *sh = job->sh;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent->vpid || criu_gone(sh))
		_exit(1);
	if (session && setsid() < 0)
		task_fail(sh, id,
			  pr_perror_ret("pid %d: stand-in leader of session %d: setsid failed", id, id));
	for (size_t i = 0; session && i < parent->nr_children; i++)
		if (parent->children[i]->sid == id && fork_item(job, parent->children[i], true, false) < 0)
			task_fail(sh, parent->children[i]->vpid, -EIO);
	close(job->proc_fd);
	wait_stage(sh, STAGE_SETUP);
	_exit(0);
}

/* Forks the stand-ins whose parent is it (session.h); their pids go to ret_pids (at most 2 * t->n). */
static int fork_stand_ins(struct fork_job *job, struct pstree_item *it, pid_t *ret_pids, size_t *ret_n)
{
	const struct pstree *t = job->t;

	for (size_t i = 0; i < 2 * t->n; i++) {
		pid_t id = i < t->n ? t->items[i]->sid : t->items[i - t->n]->pgid, pid;
		bool session = false, seen = false;

		for (size_t k = 0; k < *ret_n && !seen; k++)
			seen = ret_pids[k] == id;
		if (seen || !session_id_missing(t, id) || session_stand_in(t, id, &session) != it)
			continue;
		pid = clone_with_pid(id, false, false);
		if (pid < 0)
			return pr_perror_ret("pid %d: cannot fork the stand-in leader %d", it->vpid, id);
		if (pid == 0)
			stand_in_main(job, it, id, session);
		ret_pids[(*ret_n)++] = pid;
		/* the group exists before any member may join it */
		if (!session && setpgid(pid, pid) < 0)
			return pr_perror_ret("pid %d: cannot make stand-in %d a process group", it->vpid, id);
		pr_debug("pid %d: stand-in leader %d of a %s\n", it->vpid, id,
			 session ? "session" : "process group");
	}
	return 0;
}

static void reap_stand_ins(const pid_t *pids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
}

/* Whether c is in session sid, or leads its own after forking a task (at any depth) that is. */
static bool needs_session(const struct pstree_item *c, pid_t sid)
{
	if (c->sid == sid)
		return true;
	for (size_t i = 0; c->sid == c->vpid && i < c->nr_children; i++)
		if (needs_session(c->children[i], sid))
			return true;
	return false;
}

/* Whether c, a child of session leader it, is forked in the session it was born in (see enter_session). */
static bool left_behind(const struct pstree_item *it, const struct pstree_item *c, pid_t born_sid)
{
	return it->parent && it->sid == it->vpid && born_sid != it->vpid && needs_session(c, born_sid);
}

/*
 * Whether c, in a session its parent is not in, is forked by that
 * session's leader: a sibling that made it (CLONE_PARENT), or a stand-in.
 */
static bool born_in_leaders_session(const struct pstree *t, const struct pstree_item *c)
{
	const struct pstree_item *l;

	if (!c->parent || c->sid == c->parent->sid || c->sid == c->vpid)
		return false;
	if (session_id_missing(t, c->sid))
		return true;
	l = pstree_find(t, c->sid);
	return l && l->parent == c->parent;
}

/*
 * Whether c is a child of the pid namespace's init (the root) only since
 * its session's leader, now a zombie, exited: that leader forks it and its
 * exit gives it to the init again. Until then it does not die with its
 * parent (the leader exits on purpose); it still dies with criu.
 */
static bool orphan_of_zombie_leader(const struct fork_job *job, const struct pstree_item *c)
{
	const struct pstree_item *l;

	if (!job->nested || c->parent != job->t->root || job->t->root->vpid != 1 ||
	    c->sid == c->parent->sid || c->sid == c->vpid || born_in_leaders_session(job->t, c))
		return false;
	l = pstree_find(job->t, c->sid);
	return l && l->state == PST_ZOMBIE;
}

/* An orphan of a zombie leader: waits until the leader's exit gave it to the init. */
static void wait_adopted(struct fork_shared *sh, const struct pstree_item *it)
{
	for (long waited = 0; getppid() != it->parent->vpid; waited++) {
		if (criu_gone(sh) || atomic_load(&sh->stage) == STAGE_ABORT)
			_exit(1);
		if (waited > FORK_TIMEOUT_MS)
			task_fail(sh, it->vpid,
				  pr_err_ret(-ETIMEDOUT,
					     "pid %d: not given to pid %d after its session's leader exited",
					     it->vpid, it->parent->vpid));
		usleep(1000);
	}
}

/*
 * In it, in its session and group: the stand-ins it forks, the siblings
 * born in the session it leads (they stay its parent's children), then its
 * children but those a session leader forks.
 */
static void fork_children(struct fork_job *job, struct pstree_item *it, pid_t born_sid, pid_t *stand_ins,
			  size_t *nr_stand_ins)
{
	struct fork_shared *sh = job->sh;
	int r = fork_stand_ins(job, it, stand_ins, nr_stand_ins);

	if (r < 0)
		task_fail(sh, it->vpid, r);
	for (size_t i = 0; it->sid == it->vpid && it->parent && i < it->parent->nr_children; i++) {
		struct pstree_item *s = it->parent->children[i];

		if (s != it && s->sid == it->vpid && born_in_leaders_session(job->t, s) &&
		    fork_item(job, s, true, false) < 0)
			task_fail(sh, s->vpid, -EIO);
	}
	for (size_t i = 0; it->state == PST_ZOMBIE && i < job->t->root->nr_children; i++) {
		struct pstree_item *o = job->t->root->children[i];

		if (o->sid == it->vpid && orphan_of_zombie_leader(job, o) &&
		    fork_item(job, o, false, false) < 0)
			task_fail(sh, o->vpid, -EIO);
	}
	for (size_t i = 0; i < it->nr_children; i++) {
		struct pstree_item *c = it->children[i];

		if (left_behind(it, c, born_sid) || born_in_leaders_session(job->t, c) ||
		    orphan_of_zombie_leader(job, c))
			continue;
		if (fork_item(job, c, false, false) < 0)
			task_fail(sh, c->vpid, -EIO);
	}
}

/*
 * Puts it in its session. A session leader first forks the children that
 * stay in the session it was born in (they were forked before it called
 * setsid, or lead a session of their own after forking such a task), then
 * leaves it. Any other task inherits its session from its parent, from a
 * leader that forked it, or, in a shell job, from criu (session.c moved
 * the external session onto criu's).
 */
static void enter_session(struct fork_job *job, struct pstree_item *it, pid_t born_sid)
{
	struct fork_shared *sh = job->sh;
	int r;

	for (size_t i = 0; i < it->nr_children; i++)
		if (left_behind(it, it->children[i], born_sid) &&
		    fork_item(job, it->children[i], false, false) < 0)
			task_fail(sh, it->children[i]->vpid, -EIO);
	if (it->sid == it->vpid && born_sid != it->vpid && setsid() < 0)
		task_fail(sh, it->vpid, pr_perror_ret("pid %d: setsid failed", it->vpid));
	if (it->sid == it->vpid && job->ops && job->ops->session_setup) {
		r = job->ops->session_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	if (getsid(0) != it->sid)
		task_fail(sh, it->vpid,
			  pr_err_ret(-EOPNOTSUPP,
				     "pid %d: not supported yet: session %d (it inherited session %d)",
				     it->vpid, it->sid, getsid(0)));
}

/* The task's own pid as criu sees it (through criu's /proc), or -errno. */
static pid_t own_host_pid(int proc_fd)
{
	char buf[32];
	ssize_t n = readlinkat(proc_fd, "self", buf, sizeof(buf) - 1);

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	return (pid_t)atoi(buf);
}

/*
 * A new task's first steps: it checks its parent and its pid and tells
 * criu its pid as criu sees it. Until criu has made it into the dumped
 * task, it dies with its parent: criu for the root, else a task of the
 * tree (which dies with criu). A parent that died before the prctl is
 * noticed here.
 */
static void task_born(struct fork_job *job, struct pstree_item *it, bool orphan)
{
	struct fork_shared *sh = job->sh;
	pid_t host, want_ppid = 0;

	if (orphan)
		want_ppid = pstree_find(job->t, it->sid)->vpid;
	else if (it->parent)
		want_ppid = it->parent->vpid;
	else if (!job->sibling && !job->nested)
		want_ppid = sh->criu_pid;
	if ((!orphan && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) || (want_ppid && getppid() != want_ppid) ||
	    criu_gone(sh))
		_exit(1);
	host = own_host_pid(job->proc_fd);

	if (host <= 0)
		task_fail(sh, it->vpid, pr_err_ret(host < 0 ? host : -EIO, "pid %d: cannot read /proc/self", it->vpid));
	atomic_store(&sh->host[item_index(job->t, it)], host);
	if (getpid() != it->vpid)
		task_fail(sh, it->vpid, pr_err_ret(-EIO, "pid %d: born as %d", it->vpid, getpid()));
}

static _Noreturn void task_main(struct fork_job *job, struct pstree_item *it)
{
	struct fork_shared *sh = job->sh;
	bool orphan = orphan_of_zombie_leader(job, it);
	pid_t born_sid, *stand_ins;
	size_t nr_stand_ins = 0;
	int r;

	task_born(job, it, orphan);
	born_sid = getsid(0);
	/* a session leader may fork before its setsid (enter_session) */
	if (it != job->t->root && it->state != PST_ZOMBIE && job->ops && job->ops->mem_setup) {
		r = job->ops->mem_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	enter_session(job, it, born_sid);
	if (it == job->t->root && job->ops && job->ops->root_setup) {
		r = job->ops->root_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	if (it == job->t->root && it->state != PST_ZOMBIE && job->ops && job->ops->mem_setup) {
		r = job->ops->mem_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	stand_ins = calloc(2 * job->t->n + 1, sizeof(*stand_ins));
	if (!stand_ins)
		task_fail(sh, it->vpid, -ENOMEM);
	fork_children(job, it, born_sid, stand_ins, &nr_stand_ins);
	bump(sh, &sh->nr_forked);

	wait_stage(sh, STAGE_LEADERS);
	/*
	 * Every task has its pid and its children now: the children have their
	 * copies, and one that shares our fd table has read its pid through it.
	 */
	if (!pstree_shares_parent_files(it))
		close(job->proc_fd);
	if (it->pgid == it->vpid && getpgid(0) != it->vpid && setpgid(0, 0) < 0)
		task_fail(sh, it->vpid, pr_perror_ret("pid %d: cannot make process group %d", it->vpid, it->vpid));
	bump(sh, &sh->nr_led);

	wait_stage(sh, STAGE_MEMBERS);
	if (getpgid(0) != it->pgid && setpgid(0, it->pgid) < 0)
		task_fail(sh, it->vpid, pr_perror_ret("pid %d: cannot join process group %d", it->vpid, it->pgid));
	bump(sh, &sh->nr_grouped);

	wait_stage(sh, STAGE_SETUP);
	reap_stand_ins(stand_ins, nr_stand_ins);
	if (orphan)
		wait_adopted(sh, it);
	free(stand_ins);
	if (it->state == PST_ZOMBIE) {
		bump(sh, &sh->nr_set_up);
		bump(sh, &sh->nr_ready);
		become_zombie(it->exit_code);
	}
	if (job->ops && job->ops->task_setup) {
		r = job->ops->task_setup(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	bump(sh, &sh->nr_set_up);

	wait_stage(sh, STAGE_FILES);
	if (job->ops && job->ops->task_files) {
		r = job->ops->task_files(it, job->ops->arg);
		if (r < 0)
			task_fail(sh, it->vpid, r);
	}
	bump(sh, &sh->nr_ready);
	/* criu takes it over from here (ptrace) and never lets this return */
	wait_for_criu(sh);
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

/* Whether pid still runs: not gone, not a zombie (a pidfd polls readable once it exits). */
static bool task_running(pid_t pid)
{
	struct pollfd p = { .events = POLLIN };
	bool running;

	p.fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p.fd < 0)
		return false;
	running = poll(&p, 1, 0) == 0;
	close(p.fd);
	return running;
}

static bool any_created_running(const struct pstree *t, const struct fork_shared *sh)
{
	for (size_t i = 0; i < t->n; i++)
		if (atomic_load(&sh->host[i]) > 0 && task_running(atomic_load(&sh->host[i])))
			return true;
	return false;
}

static void reap_children(void)
{
	int status;

	while (waitpid(-1, &status, WNOHANG | __WALL) > 0)
		;
}

void fork_tree_kill(struct pstree *t, const struct fork_result *fr)
{
	struct fork_shared *sh = fr->shared;

	if (!sh)
		return;
	/* only what we created: a pid that was already taken is left alone */
	for (size_t i = t->n; i-- > 0;)
		if (atomic_load(&sh->host[i]) > 0)
			kill(atomic_load(&sh->host[i]), SIGKILL);
	/*
	 * Wait until each has exited, then reap what is ours: criu's children
	 * and, as restore runs as a child subreaper, the orphans of the
	 * killed tree. A sibling root and its descendants are criu's parent's
	 * to reap: for them, a zombie is the end.
	 */
	for (int waited = 0; waited < 5000 && any_created_running(t, sh); waited += 2) {
		reap_children();
		usleep(2000);
	}
	reap_children();
}

void fork_tree_release(struct fork_result *fr)
{
	if (fr->shared) {
		struct fork_shared *sh = fr->shared;

		/* off criu's robust list before the memory goes */
		pthread_mutex_unlock(&sh->criu_alive);
		munmap(fr->shared, fr->shared_size);
	}
	fr->shared = NULL;
}

/* Whether our children are born in another pid namespace than ours (unshared or joined). */
static bool children_nested(void)
{
	char mine[64], kids[64];
	ssize_t a = readlink("/proc/self/ns/pid", mine, sizeof(mine) - 1);
	ssize_t b = readlink("/proc/self/ns/pid_for_children", kids, sizeof(kids) - 1);

	/* a new namespace without its init yet has no link to read */
	if (a <= 0 || b <= 0)
		return b <= 0 && errno == ENOENT;
	return a != b || memcmp(mine, kids, (size_t)a);
}

int fork_tree(struct pstree *t, bool sibling, const struct fork_ops *ops, struct fork_result *ret)
{
	size_t size = sizeof(struct fork_shared) + t->n * sizeof(int32_t);
	struct fork_shared *sh = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct fork_job job = { t, sh, ops, -EBADF, children_nested(), sibling };
	struct fork_result fr = { .sibling = sibling, .shared = sh, .shared_size = size };
	pthread_mutexattr_t ma;
	int r;

	if (sh == MAP_FAILED)
		return pr_perror_ret("cannot map the fork barrier");
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	r = -pthread_mutex_init(&sh->criu_alive, &ma);
	pthread_mutexattr_destroy(&ma);
	if (r == 0)
		r = -pthread_mutex_lock(&sh->criu_alive);
	if (r < 0) {
		munmap(sh, size);
		return pr_err_ret(r, "cannot set up the fork barrier's lock");
	}
	sh->criu_pid = getpid();
	job.proc_fd = ops && ops->proc_fd >= 0 ? fcntl(ops->proc_fd, F_DUPFD_CLOEXEC, 0)
						: open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (job.proc_fd < 0) {
		r = pr_perror_ret("cannot open /proc");
		fork_tree_release(&fr);
		return r;
	}
	if (job.nested)
		pr_info("the tree is born in a pid namespace of its own (root pid %d there)\n", t->root->vpid);
	r = fork_item(&job, t->root, sibling, true);
	close(job.proc_fd);
	fr.root_pid = atomic_load(&sh->host[0]);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_forked, (uint32_t)t->n, fr.root_pid, !sibling, "forking");
	if (r >= 0)
		r = advance(sh, STAGE_LEADERS);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_led, (uint32_t)t->n, fr.root_pid, !sibling, "process group leaders");
	if (r >= 0)
		r = advance(sh, STAGE_MEMBERS);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_grouped, (uint32_t)t->n, fr.root_pid, !sibling, "process groups");
	if (r >= 0)
		r = advance(sh, STAGE_SETUP);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_set_up, (uint32_t)t->n, fr.root_pid, !sibling, "task setup");
	if (r >= 0)
		r = advance(sh, STAGE_FILES);
	if (r >= 0)
		r = wait_count(sh, &sh->nr_ready, (uint32_t)t->n, fr.root_pid, !sibling, "fd tables");
	if (r < 0) {
		advance(sh, STAGE_ABORT);
		fork_tree_kill(t, &fr);
		fork_tree_release(&fr);
		return r;
	}
	/* from here on criu works on the tasks through their pids as it sees them */
	for (size_t i = 0; i < t->n; i++)
		t->items[i]->pid = atomic_load(&sh->host[i]);
	*ret = fr;
	return 0;
}
