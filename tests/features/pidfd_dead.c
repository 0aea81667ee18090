/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pidfds of processes that exited and were reaped: two descriptions of one
 * dead child (one O_NONBLOCK), one of another dead process, and a child task
 * that holds its own description of the first. Checked after restore: each
 * process's pidfds share one inode, the two processes' differ, and each
 * pidfd says the process is gone (Pid -1, poll readable, signals ESRCH,
 * waitid ECHILD).
 */
#include <poll.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

static unsigned long long ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long long)st.st_ino;
}

static void check_gone(int fd, const char *what)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	siginfo_t si;

	FEAT_CHECK(pid_of(fd) == -1, "%s: fdinfo Pid %d, want -1", what, pid_of(fd));
	FEAT_CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN), "%s: poll revents %#x, want POLLIN", what,
		   p.revents);
	errno = 0;
	FEAT_CHECK(syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) < 0 && errno == ESRCH,
		   "%s: pidfd_send_signal: %s, want ESRCH", what, strerror(errno));
	errno = 0;
	memset(&si, 0, sizeof(si));
	FEAT_CHECK(waitid(P_PIDFD, fd, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD,
		   "%s: waitid: %s, want ECHILD", what, strerror(errno));
}

/* A process that ends and is reaped; fd1 (and fd2, O_NONBLOCK) are opened on it while it lives. */
static void dead_process(int *fd1, int *fd2)
{
	pid_t p = fork();

	if (p < 0)
		feat_die("fork");
	if (p == 0)
		_exit(7);
	*fd1 = (int)syscall(SYS_pidfd_open, p, 0);
	if (fd2)
		*fd2 = (int)syscall(SYS_pidfd_open, p, O_NONBLOCK);
	if (*fd1 < 0 || (fd2 && *fd2 < 0))
		feat_die("pidfd_open");
	if (waitpid(p, NULL, 0) != p)
		feat_die("waitpid");
}

static int pid_pipe[2], ino_pipe[2];

/*
 * The child task forks a grandchild; it and the root each open a pidfd of
 * it, then the child reaps it: two tasks, two descriptions, one dead process.
 */
static void child_shares_dead(int go_fd)
{
	unsigned long long root_ino = 0;
	int fd, st;
	pid_t g = fork();

	if (g == 0) {
		for (;;)
			pause();
	}
	fd = (int)syscall(SYS_pidfd_open, g, 0);
	if (g < 0 || fd < 0 || write(pid_pipe[1], &g, sizeof(g)) != sizeof(g))
		feat_die("grandchild");
	if (waitpid(g, &st, 0) != g) /* the root kills it through its pidfd */
		feat_die("waitpid grandchild");
	feat_child_wait_go(go_fd);
	if (read(ino_pipe[0], &root_ino, sizeof(root_ino)) != sizeof(root_ino))
		feat_fail("child: no inode from the root");
	FEAT_CHECK(ino_of(fd) == root_ino, "child: inode %llu, the root's %llu", ino_of(fd), root_ino);
	check_gone(fd, "child's pidfd of the grandchild");
}

static int have_pidfs(void)
{
	int fd = (int)syscall(SYS_pidfd_open, getpid(), 0), ok;
	struct statfs sfs;

	ok = fd >= 0 && !fstatfs(fd, &sfs) && sfs.f_type == 0x50494446;
	if (fd >= 0)
		close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned long long ino;
	struct feat_child c;
	int a1, a2, b, g;
	pid_t gpid;

	feat_init(argc, argv);
	if (!have_pidfs())
		feat_skip("no pidfs (kernel before 6.9): dead pidfds cannot be told apart");
	if (pipe(pid_pipe) || pipe(ino_pipe))
		feat_die("pipe");
	dead_process(&a1, &a2);
	dead_process(&b, NULL);
	feat_child_start(&c, child_shares_dead);
	if (read(pid_pipe[0], &gpid, sizeof(gpid)) != sizeof(gpid))
		feat_die("read the grandchild's pid");
	g = (int)syscall(SYS_pidfd_open, gpid, 0);
	if (g < 0 || syscall(SYS_pidfd_send_signal, g, SIGKILL, NULL, 0))
		feat_die("kill the grandchild");
	/* gone once its pidfd polls readable and the child reaped it */
	while (kill(gpid, 0) == 0)
		feat_sleep_ms(10);
	close(pid_pipe[0]);
	close(pid_pipe[1]);
	close(ino_pipe[0]);
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(ino_of(a1) && ino_of(a1) == ino_of(a2), "one dead process, two inodes: %llu %llu",
		   ino_of(a1), ino_of(a2));
	FEAT_CHECK(ino_of(a1) != ino_of(b), "two dead processes, one inode %llu", ino_of(b));
	FEAT_CHECK(ino_of(g) != ino_of(b) && ino_of(g) != ino_of(a1), "the grandchild's inode is another's");
	FEAT_CHECK(fcntl(a2, F_GETFL) & O_NONBLOCK, "O_NONBLOCK of the second description lost");
	FEAT_CHECK(!(fcntl(a1, F_GETFL) & O_NONBLOCK), "O_NONBLOCK on the first description");
	check_gone(a1, "first pidfd");
	check_gone(a2, "second pidfd");
	check_gone(b, "other process's pidfd");
	check_gone(g, "the grandchild's pidfd");
	ino = ino_of(g);
	if (write(ino_pipe[1], &ino, sizeof(ino)) != sizeof(ino))
		feat_fail("write the inode to the child");
	feat_child_check(&c);
	return feat_done();
}
