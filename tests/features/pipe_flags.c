/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pipe ends and their open file descriptions: a read end reopened through
 * /proc/self/fd is a description of its own, with O_NONBLOCK where the first
 * has none; a description shared by two fds (dup) stays shared. An O_ASYNC
 * read end owned by the process with F_SETSIG: after restore a write raises
 * that signal, whose si_fd is the fd's number in the task.
 */
#include <fcntl.h>
#include <signal.h>

#include "feature.h"

static volatile sig_atomic_t got_sig, got_fd = -1;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_fd = si->si_fd;
}

static int nonblock(int fd)
{
	return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int p[2], q[2], r2, d;
	char path[64];

	feat_init(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sig;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	if (sigaction(SIGRTMIN + 2, &sa, NULL) || pipe(p) || pipe(q))
		feat_die("pipe");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	r2 = open(path, O_RDONLY | O_NONBLOCK);
	d = dup(p[1]);
	if (r2 < 0 || d < 0)
		feat_die("reopen");
	if (fcntl(q[0], F_SETOWN, getpid()) || fcntl(q[0], F_SETSIG, SIGRTMIN + 2) ||
	    fcntl(q[0], F_SETFL, fcntl(q[0], F_GETFL) | O_ASYNC))
		feat_die("O_ASYNC");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(!nonblock(p[0]), "the first read end has O_NONBLOCK");
	FEAT_CHECK(nonblock(r2), "the reopened read end lost O_NONBLOCK");
	fcntl(r2, F_SETFL, 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	FEAT_CHECK(!nonblock(r2), "the two read ends are one description: O_NONBLOCK on one is on the other");
	fcntl(d, F_SETFL, O_NONBLOCK);
	FEAT_CHECK(nonblock(p[1]), "the dup of the write end is not the same description any more");
	FEAT_CHECK(fcntl(q[0], F_GETFL) & O_ASYNC, "the O_ASYNC read end lost O_ASYNC");
	if (write(q[1], "x", 1) != 1)
		feat_fail("write: %s", strerror(errno));
	for (int i = 0; i < 100 && !got_sig; i++)
		usleep(10000);
	FEAT_CHECK(got_sig == SIGRTMIN + 2, "no F_SETSIG signal after a write (got %d)", (int)got_sig);
	FEAT_CHECK(got_fd == q[0], "the signal's si_fd is %d, not %d", (int)got_fd, q[0]);
	if (write(p[1], "y", 1) != 1)
		feat_fail("write p: %s", strerror(errno));
	return feat_done();
}
