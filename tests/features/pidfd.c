/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pidfd: of a child (two fds sharing the description, one O_NONBLOCK set
 * through the other) and of the task itself. Checked after restore: the pid
 * behind each (fdinfo Pid), shared flags, and that the child's pidfd kills
 * and waits for it.
 */
#include <sys/syscall.h>
#include <sys/wait.h>

#include "feature.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pid_of(int fd)
{
	char buf[4096], *p;

	feat_read_fdinfo(fd, buf, sizeof(buf));
	p = strstr(buf, "Pid:");
	return p ? atoi(p + 4) : 0;
}

int main(int argc, char **argv)
{
	siginfo_t si;
	int pc, pc2, ps;
	pid_t child;

	feat_init(argc, argv);
	child = fork();
	if (child == 0) {
		for (;;)
			pause();
	}
	pc = (int)syscall(SYS_pidfd_open, child, 0);
	ps = (int)syscall(SYS_pidfd_open, getpid(), 0);
	if (pc < 0 || ps < 0)
		feat_die("pidfd_open");
	pc2 = dup(pc);
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(pid_of(pc) == child, "child pidfd refers to %d, want %d", pid_of(pc), child);
	FEAT_CHECK(pid_of(pc2) == child, "dup of child pidfd refers to %d", pid_of(pc2));
	FEAT_CHECK(pid_of(ps) == getpid(), "own pidfd refers to %d, want %d", pid_of(ps), getpid());
	fcntl(pc, F_SETFL, O_NONBLOCK);
	FEAT_CHECK(fcntl(pc2, F_GETFL) & O_NONBLOCK, "the two fds of the child's pidfd no longer share it");
	FEAT_CHECK(syscall(SYS_pidfd_send_signal, pc2, SIGKILL, NULL, 0) == 0, "pidfd_send_signal: %s",
		   strerror(errno));
	fcntl(pc, F_SETFL, 0);
	memset(&si, 0, sizeof(si));
	FEAT_CHECK(waitid(P_PIDFD, pc, &si, WEXITED) == 0 && si.si_pid == child && si.si_status == SIGKILL,
		   "waitid on the pidfd: pid %d status %d (%s)", si.si_pid, si.si_status, strerror(errno));
	return feat_done();
}
