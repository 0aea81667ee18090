/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A child stopped by SIGSTOP stays stopped ('T') after restore; after
 * SIGCONT it runs on (writes to a pipe) and exits with status 7.
 */
#include <poll.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	int p[2], st;
	char state[8], buf[16] = "";
	struct pollfd pfd;
	pid_t c;

	feat_init(argc, argv);
	if (pipe(p))
		feat_die("pipe");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		close(p[0]);
		raise(SIGSTOP);
		(void)!write(p[1], "running", 7);
		_exit(7);
	}
	close(p[1]);
	if (waitpid(c, &st, WUNTRACED) != c || !WIFSTOPPED(st))
		feat_die("child did not stop");

	feat_ready();
	feat_wait_go();

	if (feat_proc_stat(c, 3, state, sizeof(state)))
		feat_fail("child %d gone", c);
	else
		FEAT_CHECK(!strcmp(state, "T"), "child state %s right after restore, expected T", state);
	feat_sleep_ms(300);
	if (!feat_proc_stat(c, 3, state, sizeof(state)))
		FEAT_CHECK(!strcmp(state, "T"), "child state %s 300 ms after restore, expected T", state);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	FEAT_CHECK(poll(&pfd, 1, 0) == 0, "the stopped child wrote to the pipe");
	kill(c, SIGCONT);
	pfd.revents = 0;
	if (poll(&pfd, 1, 5000) != 1 || read(p[0], buf, sizeof(buf) - 1) != 7 || strcmp(buf, "running"))
		feat_fail("child did not run after SIGCONT (read '%s')", buf);
	for (;;) {
		if (waitpid(c, &st, WUNTRACED) != c) {
			feat_fail("waitpid: %s", strerror(errno));
			break;
		}
		if (WIFSTOPPED(st))
			continue; /* a stop report from the restore */
		FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "child status %#x, expected exit 7", st);
		break;
	}
	return feat_done();
}
