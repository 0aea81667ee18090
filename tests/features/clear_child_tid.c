/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * clear_child_tid: threads that exit after restore must clear their tid
 * word and wake the futex, so pthread_join returns. Also a thread with its
 * own set_tid_address word, cleared and woken at exit.
 */
#include "feature.h"

#define NT 3

static volatile int gate, started;
static volatile int own_word = 12345;
static volatile int own_tid;

static void *worker(void *arg)
{
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	return arg;
}

/* Raw clone thread-like task: glibc is not involved, the word is ours. */
static char raw_stack[65536] __attribute__((aligned(16)));

static int raw_fn(void *arg)
{
	own_tid = feat_gettid();
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	syscall(SYS_exit, 0);
	return 0;
}

#include <sched.h>

int main(int argc, char **argv)
{
	pthread_t th[NT];
	long long t0;
	int r;

	feat_init(argc, argv);
	for (long i = 0; i < NT; i++)
		if (feat_thread_create(&th[i], worker, (void *)(i + 100)))
			feat_die("pthread_create");
	{
		sigset_t usr1, old;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &usr1, &old);
		r = clone(raw_fn, raw_stack + sizeof(raw_stack),
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
				  CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID,
			  NULL, NULL, NULL, &own_word);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r < 0)
			feat_die("clone");
	}
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NT + 1)
		feat_sleep_ms(1);
	if (own_word != own_tid)
		feat_die("CLONE_CHILD_SETTID");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(own_word == own_tid, "own tid word %d before the exit, expected %d", own_word, own_tid);
	feat_gate_open(&gate);
	for (long i = 0; i < NT; i++) {
		struct timespec ts;
		void *ret = NULL;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		r = pthread_timedjoin_np(th[i], &ret, &ts);
		FEAT_CHECK(r == 0, "pthread_join of thread %ld: %s (tid word not cleared/woken)", i, strerror(r));
		FEAT_CHECK(r || ret == (void *)(i + 100), "thread %ld returned %p", i, ret);
	}
	t0 = feat_now_ms();
	while (own_word != 0 && feat_now_ms() - t0 < 5000) {
		struct timespec to = { 0, 100000000 };
		int w = own_word;

		if (w)
			syscall(SYS_futex, &own_word, FUTEX_WAIT, w, &to, NULL, 0);
	}
	FEAT_CHECK(own_word == 0, "raw thread's clear_child_tid word %d after its exit, expected 0", own_word);
	return feat_done();
}
