/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree whose root is pid 1 of its own pid namespace (the program forks
 * into a new one, as `unshare --pid --fork` would). Inside: a child (pid 2)
 * with a second thread and its own process group, a grandchild, a zombie
 * with exit status 7, and a pidfd of the child. After restore every
 * pid and tid inside the namespace is what it was, the parent links hold,
 * the zombie is reaped with its status, and the pidfd reaches the child.
 */
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "feature.h"

struct shared {
	volatile pid_t child_tid;    /* the child's second thread, as it saw itself */
	volatile pid_t grand_pid;    /* as fork() told the child */
	volatile int child_verdict;  /* 0: not yet; 1: ok; 2+: which check failed */
	volatile int grand_verdict;
	char why[256];
};

static struct shared *sh;
static volatile sig_atomic_t got_usr2;

static void on_usr2(int sig)
{
	(void)sig;
	got_usr2 = 1;
}

static void *idle_thread(void *arg)
{
	(void)arg;
	sh->child_tid = (pid_t)syscall(SYS_gettid);
	for (;;)
		pause();
	return NULL;
}

static int ns_last_pid(void)
{
	char buf[4096], *p;
	ssize_t n = feat_read_file("/proc/self/status", buf, sizeof(buf));
	int v = -1;

	p = n > 0 ? strstr(buf, "NSpid:") : NULL;
	if (!p)
		return -1;
	for (p += 6; *p && *p != '\n';) {
		char *e;
		long x = strtol(p, &e, 10);

		if (e == p)
			break;
		v = (int)x;
		p = e;
	}
	return v;
}

static void wait_usr2(void)
{
	sigset_t none;

	sigemptyset(&none);
	while (!got_usr2)
		sigsuspend(&none);
}

static _Noreturn void grandchild(void)
{
	wait_usr2();
	if (getpid() != sh->grand_pid)
		snprintf(sh->why, sizeof(sh->why), "grandchild: getpid() %d, want %d", getpid(), sh->grand_pid);
	else if (getppid() != 2)
		snprintf(sh->why, sizeof(sh->why), "grandchild: getppid() %d, want 2", getppid());
	sh->grand_verdict = sh->why[0] ? 2 : 1;
	_exit(0);
}

static _Noreturn void child(void)
{
	pthread_t th;
	pid_t g;
	int st;

	setpgid(0, 0);
	if (pthread_create(&th, NULL, idle_thread, NULL))
		_exit(3);
	g = fork();
	if (g == 0)
		grandchild();
	sh->grand_pid = g;
	while (!sh->child_tid)
		usleep(1000);
	wait_usr2();
	if (getpid() != 2 || getppid() != 1 || getpgid(0) != 2)
		sh->child_verdict = 2;
	else if (kill(sh->child_tid, 0) < 0 || syscall(SYS_tgkill, 2, sh->child_tid, 0) < 0)
		sh->child_verdict = 3; /* the thread's tid is not what it was */
	else if (kill(g, SIGUSR2) < 0 || waitpid(g, &st, 0) != g)
		sh->child_verdict = 4;
	else
		sh->child_verdict = 1;
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct pollfd pfd;
	pid_t a, z;
	int pidfd, st;

	feat_init(argc, argv);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		feat_die("mmap");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	feat_enter_pidns();
	if (getpid() != 1)
		feat_die("not pid 1 of the new namespace");
	a = fork();
	if (a == 0)
		child();
	z = fork();
	if (z == 0)
		_exit(7);
	pidfd = (int)syscall(SYS_pidfd_open, a, 0);
	if (a != 2 || pidfd < 0)
		feat_die("the first child is not pid 2 of the new namespace, or no pidfd");
	while (!sh->child_tid || !sh->grand_pid)
		usleep(1000);
	/* the zombie stays one: nobody waits for it before the dump */
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(getpid() == 1, "getpid() %d after restore, want 1", getpid());
	FEAT_CHECK(ns_last_pid() == 1, "NSpid of self ends in %d, want 1", ns_last_pid());
	FEAT_CHECK(kill(2, 0) == 0 && kill(sh->grand_pid, 0) == 0, "pids 2 and %d are not there after restore",
		   sh->grand_pid);
	FEAT_CHECK(getpgid(2) == 2, "pid 2 is in group %d, want 2", getpgid(2));
	FEAT_CHECK(waitpid(z, &st, WNOHANG) == z && WIFEXITED(st) && WEXITSTATUS(st) == 7,
		   "the zombie %d did not come back with status 7 (status %#x)", z, st);
	/* the pidfd names pid 2: a signal through it wakes the child */
	FEAT_CHECK(syscall(SYS_pidfd_send_signal, pidfd, SIGUSR2, NULL, 0) == 0, "pidfd_send_signal: %s",
		   strerror(errno));
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	FEAT_CHECK(poll(&pfd, 1, 5000) == 1, "the pidfd never said the child exited");
	FEAT_CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st), "waitpid(%d) failed", a);
	FEAT_CHECK(sh->child_verdict == 1, "child: check %d failed (2: pid/ppid/pgid, 3: thread tid %d, 4: grandchild)",
		   sh->child_verdict, sh->child_tid);
	FEAT_CHECK(sh->grand_verdict == 1, "grandchild: %s", sh->why[0] ? sh->why : "no verdict");
	return feat_done();
}
