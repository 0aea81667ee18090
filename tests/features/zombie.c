/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Zombies: one child exited with status 42, another killed by SIGTERM, both
 * not reaped before the dump. After restore they are zombies ('Z') with
 * the same pids, and waitpid returns their original status.
 */
#include <sys/wait.h>

#include "feature.h"

static pid_t make(int how)
{
	siginfo_t si;
	pid_t c = fork();

	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		if (how)
			pause();
		_exit(42);
	}
	if (how)
		kill(c, SIGTERM);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, c, &si, WEXITED | WNOWAIT))
		feat_die("waitid");
	return c;
}

int main(int argc, char **argv)
{
	pid_t exited, killed;
	char state[8];
	int st;

	feat_init(argc, argv);
	exited = make(0);
	killed = make(1);

	feat_ready();
	feat_wait_go();

	if (feat_proc_stat(exited, 3, state, sizeof(state)))
		feat_fail("zombie %d does not exist", exited);
	else
		FEAT_CHECK(!strcmp(state, "Z"), "child %d state %s, expected Z", exited, state);
	if (feat_proc_stat(killed, 3, state, sizeof(state)))
		feat_fail("zombie %d does not exist", killed);
	else
		FEAT_CHECK(!strcmp(state, "Z"), "child %d state %s, expected Z", killed, state);
	{
		char ppid[16];

		if (!feat_proc_stat(exited, 4, ppid, sizeof(ppid)))
			FEAT_CHECK(atoi(ppid) == getpid(), "zombie's parent %s, expected %d", ppid, getpid());
	}
	if (waitpid(exited, &st, WNOHANG) != exited)
		feat_fail("waitpid(%d): %s", exited, strerror(errno));
	else
		FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 42, "child %d status %#x, expected exit 42", exited, st);
	if (waitpid(killed, &st, WNOHANG) != killed)
		feat_fail("waitpid(%d): %s", killed, strerror(errno));
	else
		FEAT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "child %d status %#x, expected killed by SIGTERM",
			   killed, st);
	FEAT_CHECK(waitpid(-1, &st, WNOHANG) < 0 && errno == ECHILD, "more children left");
	return feat_done();
}
