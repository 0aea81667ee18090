/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * PR_SET_CHILD_SUBREAPER on the root; PR_SET_PDEATHSIG(SIGUSR2) in a child
 * (its parent, the root, lives on, so the signal must never arrive), and
 * PR_SET_PDEATHSIG(SIGWINCH) in a grandchild whose parent exits after
 * restore: it must get SIGWINCH then and be reparented to the root, the
 * subreaper.
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "feature.h"

static volatile int got_usr2, got_winch;

static void on_usr2(int s)
{
	got_usr2 = 1;
}

static void on_winch(int s)
{
	got_winch = 1;
}

static void grandchild(int go_fd, int rep_fd, pid_t root)
{
	char c;
	int s = -1;

	prctl(PR_GET_PDEATHSIG, &s);
	FEAT_CHECK(s == SIGWINCH, "grandchild before: pdeathsig %d", s);
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	/* the parent exits now; wait for the signal and the reparenting */
	for (int i = 0; i < 500 && (!got_winch || getppid() != root); i++)
		feat_sleep_ms(10);
	s = -1;
	prctl(PR_GET_PDEATHSIG, &s);
	FEAT_CHECK(s == SIGWINCH, "grandchild: PR_GET_PDEATHSIG %d, expected SIGWINCH", s);
	FEAT_CHECK(got_winch, "grandchild: no SIGWINCH when its parent died");
	FEAT_CHECK(getppid() == root, "grandchild: ppid %d after its parent died, expected the subreaper %d", getppid(),
		   root);
	feat_report(rep_fd, "grandchild");
	_exit(0);
}

static void child(int go_fd, int rep_fd, pid_t root)
{
	struct sigaction sa = { 0 };
	pid_t gc;
	char c;
	int s = -1;

	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2))
		_exit(3);
	gc = fork();
	if (gc == 0) {
		prctl(PR_SET_PDEATHSIG, SIGWINCH);
		grandchild(go_fd, rep_fd, root);
	}
	while (read(go_fd, &c, 1) < 0 && errno == EINTR)
		;
	prctl(PR_GET_PDEATHSIG, &s);
	FEAT_CHECK(s == SIGUSR2, "child: PR_GET_PDEATHSIG %d, expected SIGUSR2", s);
	FEAT_CHECK(!got_usr2, "child: got its parent-death signal although the parent lives");
	FEAT_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &s) == 0 && s == 0, "child: subreaper %d, expected 0", s);
	feat_report(rep_fd, "child");
	_exit(0);
}

int main(int argc, char **argv)
{
	int go[2], rep[2], s = -1, st;
	pid_t c, root;

	feat_init(argc, argv);
	root = getpid();
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		feat_die("PR_SET_CHILD_SUBREAPER");
	if (pipe(go) || pipe(rep))
		feat_die("pipe");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		close(go[1]);
		close(rep[0]);
		child(go[0], rep[1], root);
	}
	close(go[0]);
	close(rep[1]);
	feat_sleep_ms(100);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(prctl(PR_GET_CHILD_SUBREAPER, &s) == 0 && s == 1, "root: subreaper %d, expected 1", s);
	s = -1;
	prctl(PR_GET_PDEATHSIG, &s);
	FEAT_CHECK(s == 0, "root: pdeathsig %d, expected 0", s);
	if (write(go[1], "xx", 2) != 2)
		feat_fail("write go: %s", strerror(errno));
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child ended with status %#x", st);
	feat_collect(rep[0]);
	/* the grandchild is ours now */
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			feat_fail("grandchild ended with status %#x", st);
	return feat_done();
}
