/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SECCOMP_MODE_STRICT: a child process in strict mode waits in read(), and
 * one thread of the root is in strict mode while the main thread is not.
 * After restore /proc shows Seccomp 2 for exactly those, the child still
 * reads and writes (its memory intact), and is killed by SIGKILL at its
 * first other syscall; the strict thread answers and leaves with exit().
 */
#include <linux/seccomp.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "feature.h"

static int to_child[2], from_child[2], to_thread[2], from_thread[2];
static volatile pid_t thread_tid;
static char secret[64] = "kept across the restore";

static int seccomp_mode(pid_t pid, pid_t tid)
{
	char path[96], v[32];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return feat_status_field(path, "Seccomp", v, sizeof(v)) ? -1 : atoi(v);
}

/* From here on only read, write, exit and sigreturn. */
static void strict_child(void)
{
	char c;

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) < 0)
		syscall(SYS_exit, 3);
	if (write(from_child[1], "s", 1) != 1 || read(to_child[0], &c, 1) != 1)
		syscall(SYS_exit, 4);
	c = (char)strlen(secret); /* no syscall: memory only */
	if (write(from_child[1], &c, 1) != 1)
		syscall(SYS_exit, 5);
	syscall(SYS_getpid); /* not allowed: SIGKILL */
	syscall(SYS_exit, 6);
}

static void *strict_thread(void *arg)
{
	char c;

	(void)arg;
	thread_tid = feat_gettid();
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) < 0)
		syscall(SYS_exit, 0);
	if (write(from_thread[1], "t", 1) != 1 || read(to_thread[0], &c, 1) != 1)
		syscall(SYS_exit, 0);
	c = 'T';
	if (write(from_thread[1], &c, 1) != 1)
		syscall(SYS_exit, 0);
	syscall(SYS_exit, 0); /* exit_group would be killed */
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	pid_t child;
	char c = 0;
	int st = 0;

	feat_init(argc, argv);
	if (pipe(to_child) || pipe(from_child) || pipe(to_thread) || pipe(from_thread))
		feat_die("pipe");
	child = fork();
	if (child < 0)
		feat_die("fork");
	if (child == 0)
		strict_child();
	if (feat_thread_create(&t, strict_thread, NULL))
		feat_die("pthread_create");
	if (read(from_child[0], &c, 1) != 1 || c != 's' || read(from_thread[0], &c, 1) != 1 || c != 't')
		feat_die("the strict child or thread did not start");
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(seccomp_mode(child, child) == SECCOMP_MODE_STRICT, "child: Seccomp %d, want 1",
		   seccomp_mode(child, child));
	FEAT_CHECK(seccomp_mode(getpid(), thread_tid) == SECCOMP_MODE_STRICT, "thread: Seccomp %d, want 1",
		   seccomp_mode(getpid(), thread_tid));
	FEAT_CHECK(seccomp_mode(getpid(), getpid()) == SECCOMP_MODE_DISABLED, "main thread: Seccomp %d, want 0",
		   seccomp_mode(getpid(), getpid()));
	c = 0;
	if (write(to_child[1], "g", 1) != 1 || read(from_child[0], &c, 1) != 1)
		feat_fail("the child did not answer: %s", strerror(errno));
	FEAT_CHECK(c == (char)strlen(secret), "the child read %d, want %zu", c, strlen(secret));
	FEAT_CHECK(waitpid(child, &st, 0) == child && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		   "child: status %#x, want killed by SIGKILL at getpid()", st);
	c = 0;
	if (write(to_thread[1], "g", 1) != 1 || read(from_thread[0], &c, 1) != 1)
		feat_fail("the thread did not answer: %s", strerror(errno));
	FEAT_CHECK(c == 'T', "the thread answered %d", c);
	pthread_join(t, NULL);
	return feat_done();
}
