/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Recreating a process tree with exact pids, sessions, groups and zombies. */
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fork.h"
#include "log.h"
#include "pstree.h"
#include "session.h"
#include "t.h"

static pid_t free_pids[8];

/* Pids nobody uses now, from the top of the range where the kernel rarely is. */
static int find_free_pids(size_t n)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	int max = 32768;
	size_t got = 0;

	if (f) {
		if (fscanf(f, "%d", &max) != 1)
			max = 32768;
		fclose(f);
	}
	for (int p = max - 100; p > max / 2 && got < n; p -= 7) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", p);
		if (access(path, F_OK) < 0)
			free_pids[got++] = p;
	}
	return got == n ? 0 : -1;
}

static struct pstree_item *add(struct pstree *t, struct pstree_item *parent, pid_t pid, pid_t pgid, pid_t sid)
{
	struct pstree_item *it = calloc(1, sizeof(*it));

	it->pid = it->vpid = pid;
	it->ppid = parent ? parent->pid : 0;
	it->pgid = pgid;
	it->sid = sid;
	it->state = PST_RUNNING;
	it->parent = parent;
	if (parent) {
		parent->children = realloc(parent->children, (parent->nr_children + 1) * sizeof(it));
		parent->children[parent->nr_children++] = it;
	}
	t->items = realloc(t->items, (t->n + 1) * sizeof(it));
	t->items[t->n++] = it;
	if (!parent)
		t->root = it;
	return it;
}

static void check_task(pid_t pid, pid_t ppid, pid_t pgid, pid_t sid, char state)
{
	struct proc_stat st;

	if (proc_read_stat(pid, &st) < 0) {
		T_FAILF("pid %d does not exist", pid);
		return;
	}
	if (st.ppid != ppid || st.pgid != pgid || st.sid != sid)
		T_FAILF("pid %d: ppid/pgid/sid %d/%d/%d, expected %d/%d/%d", pid, st.ppid, st.pgid, st.sid, ppid,
			pgid, sid);
	if (state && st.state != state)
		T_FAILF("pid %d: state %c, expected %c", pid, st.state, state);
}

/* Which task forks the stand-in of a session or group whose leader is gone, and which shapes have none. */
static void test_stand_in(void)
{
	struct pstree t = {0};
	struct pstree_item *root = add(&t, NULL, 10, 10, 10), *p = add(&t, root, 20, 10, 10);
	bool session = false;

	add(&t, root, 31, 30, 30); /* session 30 and group 30 are gone */
	add(&t, root, 32, 30, 30);
	add(&t, p, 41, 40, 10); /* group 40 is gone, its members in the root's session */
	add(&t, root, 42, 40, 10);
	CHECK(session_id_missing(&t, 30) && session_id_missing(&t, 40));
	CHECK(!session_id_missing(&t, 10) && !session_id_missing(&t, 20) && !session_id_missing(&t, 0));
	CHECK(session_stand_in(&t, 30, &session) == root && session);
	CHECK(session_stand_in(&t, 40, &session) == p && !session); /* the first member's parent */
	add(&t, p, 33, 30, 30); /* a top of session 30 with another parent: no one stand-in forks both */
	CHECK(session_stand_in(&t, 30, &session) == NULL);
	add(&t, root, 43, 40, 20); /* a member of group 40 in another session */
	CHECK(session_stand_in(&t, 40, &session) == NULL);
}

static void test_fork_tree(void)
{
	struct pstree t = { 0 };
	struct fork_result fr;
	struct pstree_item *root, *a, *b, *z;
	pid_t *p = free_pids;
	struct proc_stat st;

	root = add(&t, NULL, p[0], p[0], p[0]);	     /* session and group leader */
	a = add(&t, root, p[1], p[0], p[0]);	     /* in the root's group */
	b = add(&t, root, p[2], p[2], p[0]);	     /* its own group */
	add(&t, a, p[3], p[2], p[0]);		     /* grandchild in its uncle's group */
	z = add(&t, root, p[4], p[0], p[0]);	     /* a zombie */
	z->state = PST_ZOMBIE;
	z->exit_code = 3 << 8;
	(void)b;
	CHECK_EQ_INT(fork_tree(&t, false, NULL, &fr), 0);
	check_task(p[0], getpid(), p[0], p[0], 0);
	check_task(p[1], p[0], p[0], p[0], 0);
	check_task(p[2], p[0], p[2], p[0], 0);
	check_task(p[3], p[1], p[2], p[0], 0);
	usleep(100000); /* the zombie exits right after reporting ready */
	check_task(p[4], p[0], p[0], p[0], 'Z');
	CHECK(proc_read_stat(p[4], &st) == 0 && st.exit_code == (3 << 8));
	fork_tree_kill(&t, &fr);
	fork_tree_release(&fr);
	for (int i = 0; i < 5; i++)
		CHECK(kill(p[i], 0) < 0); /* killed and reaped */
	pstree_free(&t);
}

static void test_pid_in_use(void)
{
	struct pstree t = { 0 };
	struct fork_result fr;
	pid_t holder = fork();
	int status;

	if (holder == 0) {
		pause();
		_exit(0);
	}
	add(&t, NULL, free_pids[5], free_pids[5], free_pids[5]);
	add(&t, t.root, holder, free_pids[5], free_pids[5]); /* taken */
	CHECK_EQ_INT(fork_tree(&t, false, NULL, &fr), -EIO);
	usleep(100000);
	CHECK(kill(holder, 0) == 0); /* the holder is unharmed */
	CHECK(waitpid(holder, &status, WNOHANG) == 0);
	CHECK(kill(free_pids[5], 0) < 0); /* what was created is gone */
	kill(holder, SIGKILL);
	waitpid(holder, &status, 0);
	pstree_free(&t);
}

int main(void)
{
	log_set_level(getenv("TEST_DEBUG") ? LOG_DEBUG : LOG_MSG);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (getuid() != 0) {
		printf("SKIP fork: needs root for clone3 set_tid\n");
		return 0;
	}
	if (find_free_pids(6) < 0) {
		printf("FAIL setup: no free pids\n");
		return 1;
	}
	t_run("stand_in", test_stand_in);
	t_run("fork_tree", test_fork_tree);
	t_run("pid_in_use", test_pid_in_use);
	return t_done();
}
