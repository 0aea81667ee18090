/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-thread blocked signal masks: every thread has a different one. */
#include "feature.h"

#define NT 3

static volatile int gate;
static volatile int started;
static sigset_t want[NT + 1], got[NT + 1];
static pid_t tids[NT + 1];

static void build_masks(void)
{
	for (int i = 0; i <= NT; i++)
		sigemptyset(&want[i]);
	/* main (index 0): SIGUSR2, SIGRTMIN+3 */
	sigaddset(&want[0], SIGUSR2);
	sigaddset(&want[0], SIGRTMIN + 3);
	/* thread 1: SIGHUP, SIGTERM, SIGRTMIN+5, SIGUSR1 */
	sigaddset(&want[1], SIGHUP);
	sigaddset(&want[1], SIGTERM);
	sigaddset(&want[1], SIGRTMIN + 5);
	sigaddset(&want[1], SIGUSR1);
	/* thread 2: everything that can be blocked */
	sigfillset(&want[2]);
	sigdelset(&want[2], SIGKILL);
	sigdelset(&want[2], SIGSTOP);
	/* thread 3: only SIGUSR1 and SIGRTMAX */
	sigaddset(&want[3], SIGUSR1);
	sigaddset(&want[3], SIGRTMAX);
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	tids[i] = feat_gettid();
	pthread_sigmask(SIG_SETMASK, &want[i], NULL);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	pthread_sigmask(SIG_SETMASK, NULL, &got[i]);
	return NULL;
}

static void compare(int i, const sigset_t *g, int proc)
{
	char path[64], blk[64];
	unsigned long long procmask = 0, wantmask = 0;

	for (int s = 1; s <= 64; s++) {
		if (s == 32 || s == 33)
			continue; /* glibc-internal, never blocked */
		if (sigismember(&want[i], s) != sigismember(g, s))
			feat_fail("thread %d: signal %d %s, expected %s", i, s, sigismember(g, s) ? "blocked" : "unblocked",
				  sigismember(&want[i], s) ? "blocked" : "unblocked");
		if (sigismember(&want[i], s))
			wantmask |= 1ULL << (s - 1);
	}
	if (!proc)
		return;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tids[i]);
	if (feat_status_field(path, "SigBlk", blk, sizeof(blk)))
		feat_fail("thread %d: no SigBlk in %s", i, path);
	else {
		procmask = strtoull(blk, NULL, 16) & ~(3ULL << 31);
		FEAT_CHECK(procmask == wantmask, "thread %d: SigBlk %016llx, expected %016llx", i, procmask, wantmask);
	}
}

int main(int argc, char **argv)
{
	pthread_t th[NT + 1];
	sigset_t m;

	feat_init(argc, argv);
	build_masks();
	tids[0] = feat_gettid();
	for (int i = 1; i <= NT; i++)
		if (feat_thread_create(&th[i], worker, (void *)(long)i))
			feat_die("pthread_create");
	pthread_sigmask(SIG_SETMASK, &want[0], NULL);
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NT)
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	pthread_sigmask(SIG_SETMASK, NULL, &m);
	compare(0, &m, 1);
	for (int i = 1; i <= NT; i++) /* the kernel's view, before the threads run */
		compare(i, &want[i], 1);
	feat_gate_open(&gate);
	for (int i = 1; i <= NT; i++) {
		pthread_join(th[i], NULL);
		compare(i, &got[i], 0);
	}
	return feat_done();
}
