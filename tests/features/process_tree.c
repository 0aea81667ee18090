/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A three-level tree: root R (session leader) -> C1, C2 in their own process
 * group (led by C1) -> grandchildren G1 (child of C1, in C1's group) and G2
 * (child of C2, in a new session of its own). Each process records its pid,
 * ppid, pgid and sid before the dump, checks them after restore, then the
 * tree winds down bottom-up (each parent reaps its child). Reports go to
 * the root through a pipe; a go pipe releases everybody.
 */
#include <sys/wait.h>

#include "feature.h"

static int go_r, rep_w, ready_w;

struct ids {
	pid_t pid, ppid, pgid, sid;
};

static void record(struct ids *i)
{
	i->pid = getpid();
	i->ppid = getppid();
	i->pgid = getpgid(0);
	i->sid = getsid(0);
}

static void check(const char *who, const struct ids *b)
{
	struct ids a;

	record(&a);
	FEAT_CHECK(a.pid == b->pid, "%s: pid %d, expected %d", who, a.pid, b->pid);
	/* the root's parent was the runner; after restore -d it is whoever adopted it */
	if (strcmp(who, "root"))
		FEAT_CHECK(a.ppid == b->ppid, "%s: ppid %d, expected %d", who, a.ppid, b->ppid);
	FEAT_CHECK(a.pgid == b->pgid, "%s: pgid %d, expected %d", who, a.pgid, b->pgid);
	FEAT_CHECK(a.sid == b->sid, "%s: sid %d, expected %d", who, a.sid, b->sid);
}

static void wait_go(void)
{
	char c;

	while (read(go_r, &c, 1) < 0 && errno == EINTR)
		;
}

/* Runs in a forked process: waits for go, checks, reaps its own child, reports. */
static void member(const char *who, const struct ids *want, pid_t child, int child_pgid_check)
{
	int st;

	wait_go();
	check(who, want);
	if (child > 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d", child);
		FEAT_CHECK(access(path, F_OK) == 0, "%s: its child %d is gone", who, child);
		if (waitpid(child, &st, 0) != child)
			feat_fail("%s: waitpid(%d): %s", who, child, strerror(errno));
		else
			FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: child status %#x", who, st);
	}
	(void)child_pgid_check;
	feat_report(rep_w, who);
	_exit(0);
}

static pid_t spawn_grandchild(const char *who, int new_session)
{
	int sync[2];
	pid_t g;
	char c;

	if (pipe(sync))
		_exit(5);
	g = fork();
	if (g == 0) {
		struct ids me;

		close(sync[0]);
		close(ready_w);
		if (new_session && setsid() < 0)
			_exit(6);
		record(&me);
		close(sync[1]);
		member(who, &me, 0, 0);
	}
	close(sync[1]);
	(void)!read(sync[0], &c, 1); /* EOF once it has set itself up */
	close(sync[0]);
	return g;
}

int main(int argc, char **argv)
{
	int go[2], rep[2], ready[2], st;
	pid_t c1, c2, ws;
	struct ids root;
	char c;

	feat_init(argc, argv);
	if (pipe(go) || pipe(rep) || pipe(ready))
		feat_die("pipe");
	go_r = go[0];
	rep_w = rep[1];
	ready_w = ready[1];
	record(&root);
	if (root.pid != root.sid)
		feat_die("root is not a session leader");

	c1 = fork();
	if (c1 == 0) {
		struct ids me;
		pid_t g;

		close(go[1]);
		close(rep[0]);
		close(ready[0]);
		setpgid(0, 0);
		g = spawn_grandchild("G1", 0);
		record(&me);
		close(ready[1]);
		member("C1", &me, g, 0);
	}
	setpgid(c1, c1);
	c2 = fork();
	if (c2 == 0) {
		struct ids me;
		pid_t g;

		close(go[1]);
		close(rep[0]);
		close(ready[0]);
		if (setpgid(0, c1))
			_exit(7);
		g = spawn_grandchild("G2", 1);
		record(&me);
		close(ready[1]);
		member("C2", &me, g, 0);
	}
	setpgid(c2, c1);
	close(go[0]);
	close(rep[1]);
	close(ready[1]);
	while (read(ready[0], &c, 1) > 0) /* EOF: both children set up */
		;
	close(ready[0]);
	if (getpgid(c1) != c1 || getpgid(c2) != c1)
		feat_die("process groups");

	feat_ready();
	feat_wait_go();

	check("root", &root);
	FEAT_CHECK(getpgid(c1) == c1, "C1 pgid %d, expected %d", getpgid(c1), c1);
	FEAT_CHECK(getpgid(c2) == c1, "C2 pgid %d, expected %d", getpgid(c2), c1);
	FEAT_CHECK(getsid(c1) == root.sid && getsid(c2) == root.sid, "children sids %d/%d, expected %d", getsid(c1),
		   getsid(c2), root.sid);
	if (write(go[1], "xxxx", 4) != 4)
		feat_fail("write go: %s", strerror(errno));
	close(go[1]);
	feat_collect(rep[0]);
	for (int i = 0; i < 2; i++) {
		ws = wait(&st);
		if (ws != c1 && ws != c2)
			feat_fail("wait returned %d (%s)", ws, ws < 0 ? strerror(errno) : "not a child");
		else
			FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %#x", ws, st);
	}
	return feat_done();
}
