/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A child in a process group of its own (not orphaned: its parent is in
 * another group of the session) stopped by SIGTSTP stays stopped by SIGTSTP
 * after restore: every stop report its parent gets names SIGTSTP, never
 * SIGSTOP; after SIGCONT it runs on and exits with status 7.
 */
#include <poll.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	int p[2], st, reports = 0;
	char state[8], buf[16] = "";
	struct pollfd pfd;
	siginfo_t si;
	pid_t c;

	feat_init(argc, argv);
	if (pipe(p))
		feat_die("pipe");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		close(p[0]);
		setpgid(0, 0);
		raise(SIGTSTP);
		(void)!write(p[1], "running", 7);
		_exit(7);
	}
	close(p[1]);
	setpgid(c, c);
	if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTSTP)
		feat_die("child did not stop by SIGTSTP");

	feat_ready();
	feat_wait_go();

	feat_sleep_ms(100);
	if (feat_proc_stat(c, 3, state, sizeof(state)))
		feat_fail("child %d gone", c);
	else
		FEAT_CHECK(!strcmp(state, "T"), "child state %s after restore, expected T", state);
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, c, &si, WSTOPPED | WNOHANG) < 0 || si.si_pid != c)
			break;
		reports++;
		FEAT_CHECK(si.si_code == CLD_STOPPED && si.si_status == SIGTSTP,
			   "stop report after restore: code %d signal %d, expected CLD_STOPPED by SIGTSTP (%d)", si.si_code,
			   si.si_status, SIGTSTP);
	}
	FEAT_CHECK(reports <= 1, "%d stop reports after restore", reports);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	FEAT_CHECK(poll(&pfd, 1, 0) == 0, "the stopped child wrote to the pipe");
	kill(c, SIGCONT);
	if (poll(&pfd, 1, 5000) != 1 || read(p[0], buf, sizeof(buf) - 1) != 7 || strcmp(buf, "running"))
		feat_fail("child did not run after SIGCONT (read '%s')", buf);
	for (;;) {
		if (waitpid(c, &st, WUNTRACED) != c) {
			feat_fail("waitpid: %s", strerror(errno));
			break;
		}
		if (WIFSTOPPED(st))
			continue;
		FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child status %#x, expected exit 7", st);
		break;
	}
	return feat_done();
}
