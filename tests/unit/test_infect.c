/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ptrace control: freezing, remote syscalls, and leaving the task as it was. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "infect.h"
#include "log.h"
#include "t.h"

static _Atomic unsigned long *shared;

static void kill_reap(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
}

static void *spin(void *arg)
{
	for (;;)
		atomic_fetch_add(&shared[1], 1);
	return arg;
}

/* A child with a sleeping leader and a spinning second thread. */
static pid_t start_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pthread_t th;

		pthread_create(&th, NULL, spin, NULL);
		for (;;) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };

			nanosleep(&ts, NULL);
			atomic_fetch_add(&shared[0], 1);
		}
	}
	while (atomic_load(&shared[0]) < 2 || atomic_load(&shared[1]) < 1000)
		usleep(1000);
	return pid;
}

static void test_freeze_and_remote_calls(void)
{
	pid_t pid = start_child();
	struct infect_thread *th = NULL;
	size_t n = 0;
	struct infect_ctl c;
	long ret = 0;
	unsigned long before;
	char buf[16] = { 0 };

	CHECK_EQ_INT(infect_freeze_process(pid, &th, &n), 0);
	CHECK_EQ_INT((int)n, 2);
	if (n != 2)
		goto out;
	CHECK_EQ_INT(th[0].tid, pid);
	/* frozen: the counters stand still */
	before = atomic_load(&shared[1]);
	usleep(50000);
	CHECK(atomic_load(&shared[1]) == before);

	CHECK_EQ_INT(infect_block_signals(&th[0]), 0);
	CHECK_EQ_INT(infect_ctl_init(&c, &th[0]), 0);
	CHECK_EQ_INT(infect_sys(&c, &ret, SYS_getpid, 0), 0);
	CHECK_EQ_INT((int)ret, pid);
	CHECK_EQ_INT(infect_sys(&c, &ret, SYS_close, 12345), 0);
	CHECK_EQ_INT((int)ret, -EBADF);
	CHECK_EQ_INT(infect_scratch_map(&c, 4096), 0);
	CHECK(c.scratch != 0);
	CHECK_EQ_INT(infect_write(pid, c.scratch, "remote", 7), 0);
	CHECK_EQ_INT(infect_read(pid, c.scratch, buf, 7), 0);
	CHECK_EQ_STR(buf, "remote");
	CHECK_EQ_INT(infect_ctl_fini(&c), 0);

	/* the second thread was interrupted in user code: the vdso gadget */
	CHECK_EQ_INT(infect_block_signals(&th[1]), 0);
	CHECK_EQ_INT(infect_ctl_init(&c, &th[1]), 0);
	CHECK_EQ_INT(infect_sys(&c, &ret, SYS_gettid, 0), 0);
	CHECK_EQ_INT((int)ret, th[1].tid);
	CHECK_EQ_INT(infect_ctl_fini(&c), 0);

	for (size_t i = 0; i < n; i++)
		CHECK_EQ_INT(infect_release_thread(&th[i], false), 0);
	/* running again, both threads */
	before = atomic_load(&shared[0]);
	unsigned long spun = atomic_load(&shared[1]);
	usleep(100000);
	CHECK(atomic_load(&shared[0]) > before);
	CHECK(atomic_load(&shared[1]) > spun);
out:
	free(th);
	kill_reap(pid);
}

/* A sleep interrupted by our remote calls still lasts its full time. */
static void test_sleep_resumes(void)
{
	int p[2];
	pid_t pid;
	struct infect_thread t;
	struct infect_ctl c;
	long ret;
	int st;
	double took = 0;

	CHECK(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		struct timespec a, b, ts = { 0, 400 * 1000 * 1000 };

		clock_gettime(CLOCK_MONOTONIC, &a);
		if (nanosleep(&ts, NULL))
			_exit(2);
		clock_gettime(CLOCK_MONOTONIC, &b);
		double d = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
		if (write(p[1], &d, sizeof(d)) != sizeof(d))
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	usleep(100000);
	CHECK_EQ_INT(infect_seize_thread(pid, false, &t), 0);
	CHECK_EQ_INT(infect_block_signals(&t), 0);
	CHECK_EQ_INT(infect_ctl_init(&c, &t), 0);
	CHECK_EQ_INT(infect_sys(&c, &ret, SYS_getppid, 0), 0);
	CHECK_EQ_INT((int)ret, getpid());
	CHECK_EQ_INT(infect_ctl_fini(&c), 0);
	CHECK_EQ_INT(infect_release_thread(&t, false), 0);
	CHECK(read(p[0], &took, sizeof(took)) == sizeof(took));
	CHECK(took >= 0.39);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(p[0]);
}

/* A stopped task stays stopped after we leave it. */
static void test_stopped_stays_stopped(void)
{
	pid_t pid = fork();
	struct infect_thread t;
	struct infect_ctl c;
	long ret;
	int st;

	if (pid == 0) {
		for (;;)
			pause();
	}
	kill(pid, SIGSTOP);
	CHECK(waitpid(pid, &st, WUNTRACED) == pid && WIFSTOPPED(st));
	CHECK_EQ_INT(infect_seize_thread(pid, false, &t), 0);
	CHECK(t.was_stopped);
	CHECK_EQ_INT(infect_block_signals(&t), 0);
	CHECK_EQ_INT(infect_ctl_init(&c, &t), 0);
	CHECK_EQ_INT(infect_sys(&c, &ret, SYS_getpid, 0), 0);
	CHECK_EQ_INT((int)ret, pid);
	CHECK_EQ_INT(infect_ctl_fini(&c), 0);
	CHECK_EQ_INT(infect_release_thread(&t, false), 0);
	usleep(50000);
	{
		char path[64], line[256], state = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f))
			state = strrchr(line, ')')[2];
		if (f)
			fclose(f);
		CHECK(state == 'T');
	}
	kill_reap(pid);
}

/* A task that has just exited (a zombie) is reported gone, not refused. */
static void test_zombie_is_gone(void)
{
	struct infect_thread t;
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(7);
	CHECK(waitid(P_PID, (id_t)pid, &(siginfo_t){ 0 }, WEXITED | WNOWAIT) == 0);
	CHECK_EQ_INT(infect_seize_thread(pid, false, &t), -ESRCH);
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 7);
	CHECK_EQ_INT(infect_seize_thread(pid, false, &t), -ESRCH);
}

int main(void)
{
	log_set_level(4);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	t_run("freeze_and_remote_calls", test_freeze_and_remote_calls);
	t_run("sleep_resumes", test_sleep_resumes);
	t_run("stopped_stays_stopped", test_stopped_stays_stopped);
	t_run("zombie_is_gone", test_zombie_is_gone);
	return t_done();
}
