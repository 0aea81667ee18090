/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX timers (raw syscalls, so the ids are the kernel's):
 *   A  CLOCK_MONOTONIC, every 200 ms, SIGEV_SIGNAL SIGRTMIN with a value;
 *   B  CLOCK_REALTIME, one shot 2 s ahead, SIGRTMIN+1;
 *   C  CLOCK_MONOTONIC, every 150 ms, SIGEV_THREAD_ID to a second thread;
 *   D  SIGEV_NONE, 100 s ahead, every 10 s;
 *   E  CLOCK_BOOTTIME, created but never armed.
 * Ids are made sparse by creating and deleting timers in between. After
 * restore /proc/self/timers reads the same, timer_gettime shows the same
 * intervals and remaining times no larger than before (the time between
 * dump and restore does not count), and the signals arrive with the right
 * si_timerid and si_value, C's in the right thread.
 */
#include <sys/syscall.h>
#include <time.h>

#include "feature.h"

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* The kernel's struct sigevent. */
struct ksigevent {
	uint64_t value;
	int32_t signo, notify, tid;
	int32_t pad[11];
};

struct kits {
	struct timespec interval, value;
};

enum { TA, TB, TC, TD, TE, NT };

static int ids[NT];
static const uint32_t values[NT] = {0xa11ce, 0xb0b, 0xc0ffee, 0xd00d, 0xe1e};
static int signos[NT];
static volatile int fired[NT], bad_info[NT], bad_thread[NT];
static volatile pid_t thread_tid;
static volatile int gate;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	for (int k = 0; k < NT; k++) {
		if (sig != signos[k])
			continue;
		fired[k]++;
		if (si->si_code != SI_TIMER || si->si_timerid != ids[k] ||
		    (uint32_t)si->si_value.sival_int != values[k])
			bad_info[k]++;
		if (k == TC && feat_gettid() != thread_tid)
			bad_thread[k]++;
	}
}

static void *thread_fn(void *arg)
{
	thread_tid = feat_gettid();
	feat_gate_wait(&gate);
	return NULL;
}

static int create(clockid_t clock, int notify, int signo, uint32_t value, pid_t tid)
{
	struct ksigevent ev = {.value = value, .signo = signo, .notify = notify, .tid = tid};
	int id = -1;

	if (syscall(SYS_timer_create, clock, &ev, &id))
		feat_die("timer_create");
	return id;
}

static void arm(int id, long long value_ms, long long interval_ms)
{
	struct kits its = {{interval_ms / 1000, interval_ms % 1000 * 1000000},
			   {value_ms / 1000, value_ms % 1000 * 1000000}};

	if (syscall(SYS_timer_settime, id, 0, &its, NULL))
		feat_die("timer_settime");
}

static long long ms(const struct timespec *ts)
{
	return ts->tv_sec * 1000LL + ts->tv_nsec / 1000000;
}

/* Makes the next id skip a few numbers. */
static void make_gap(int n)
{
	for (int i = 0; i < n; i++)
		syscall(SYS_timer_delete, create(CLOCK_MONOTONIC, SIGEV_NONE, 0, 0, 0));
}

int main(int argc, char **argv)
{
	static char before[4096], after[4096];
	struct kits got[NT], was[NT];
	struct sigaction sa = {0};
	pthread_t th;
	long long t_read, elapsed;

	feat_init(argc, argv);
	for (int k = 0; k < NT; k++)
		signos[k] = SIGRTMIN + k;
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	for (int k = 0; k < NT; k++)
		sigaction(signos[k], &sa, NULL);
	if (feat_thread_create(&th, thread_fn, NULL))
		feat_die("pthread_create");
	while (!thread_tid)
		feat_sleep_ms(1);

	ids[TA] = create(CLOCK_MONOTONIC, SIGEV_SIGNAL, signos[TA], values[TA], 0);
	make_gap(3);
	ids[TB] = create(CLOCK_REALTIME, SIGEV_SIGNAL, signos[TB], values[TB], 0);
	ids[TC] = create(CLOCK_MONOTONIC, SIGEV_THREAD_ID, signos[TC], values[TC], thread_tid);
	make_gap(5);
	ids[TD] = create(CLOCK_MONOTONIC, SIGEV_NONE, signos[TD], values[TD], 0);
	ids[TE] = create(CLOCK_BOOTTIME, SIGEV_SIGNAL, signos[TE], values[TE], 0);
	arm(ids[TA], 300, 200);
	arm(ids[TB], 2000, 0);
	arm(ids[TC], 150, 150);
	arm(ids[TD], 100000, 10000);
	if (feat_read_file("/proc/self/timers", before, sizeof(before)) <= 0)
		feat_die("read /proc/self/timers");
	t_read = feat_now_ms();
	for (int k = 0; k < NT; k++)
		syscall(SYS_timer_gettime, ids[k], &was[k]);

	feat_ready();
	feat_wait_go();

	elapsed = feat_now_ms() - t_read;
	for (int k = 0; k < NT; k++)
		FEAT_CHECK(syscall(SYS_timer_gettime, ids[k], &got[k]) == 0,
			   "timer %d (%c): timer_gettime: %s", ids[k], 'A' + k, strerror(errno));
	feat_read_file("/proc/self/timers", after, sizeof(after));
	FEAT_CHECK(!strcmp(before, after), "/proc/self/timers differs: before [%s] after [%s]", before,
		   after);

	FEAT_CHECK(ms(&got[TA].interval) == 200, "A interval %lld ms", ms(&got[TA].interval));
	FEAT_CHECK(ms(&got[TC].interval) == 150, "C interval %lld ms", ms(&got[TC].interval));
	FEAT_CHECK(ms(&got[TD].interval) == 10000, "D interval %lld ms", ms(&got[TD].interval));
	FEAT_CHECK(ms(&got[TB].interval) == 0, "B interval %lld ms", ms(&got[TB].interval));
	FEAT_CHECK(!ms(&got[TE].interval) && !got[TE].value.tv_sec && !got[TE].value.tv_nsec,
		   "E armed after restore: %lld ms", ms(&got[TE].value));
	/* one-shot and SIGEV_NONE: before minus elapsed <= left now <= before */
	FEAT_CHECK(ms(&got[TB].value) <= ms(&was[TB].value) &&
			   ms(&got[TB].value) >= ms(&was[TB].value) - elapsed - 50,
		   "B left %lld ms, before %lld ms, %lld ms elapsed", ms(&got[TB].value), ms(&was[TB].value),
		   elapsed);
	FEAT_CHECK(ms(&got[TD].value) <= ms(&was[TD].value) &&
			   ms(&got[TD].value) >= ms(&was[TD].value) - elapsed - 50,
		   "D left %lld ms, before %lld ms, %lld ms elapsed", ms(&got[TD].value), ms(&was[TD].value),
		   elapsed);
	printf("B left %lld ms (was %lld), D left %lld ms (was %lld), %lld ms elapsed\n", ms(&got[TB].value),
	       ms(&was[TB].value), ms(&got[TD].value), ms(&was[TD].value), elapsed);

	/* signals after restore */
	for (int k = 0; k < NT; k++)
		fired[k] = bad_info[k] = bad_thread[k] = 0;
	feat_sleep_ms(2300);
	FEAT_CHECK(fired[TA] >= 5 && fired[TA] <= 13, "A fired %d times in 2.3 s, expected ~11", fired[TA]);
	FEAT_CHECK(fired[TC] >= 7 && fired[TC] <= 17, "C fired %d times in 2.3 s, expected ~15", fired[TC]);
	FEAT_CHECK(fired[TB] == 1, "B fired %d times, expected once", fired[TB]);
	FEAT_CHECK(fired[TD] == 0 && fired[TE] == 0, "D fired %d, E fired %d times", fired[TD], fired[TE]);
	for (int k = 0; k < NT; k++)
		FEAT_CHECK(!bad_info[k], "timer %c: %d signal(s) with a wrong si_code/si_timerid/si_value",
			   'A' + k, bad_info[k]);
	FEAT_CHECK(!bad_thread[TC], "C: %d signal(s) to another thread than %d", bad_thread[TC], thread_tid);

	feat_gate_open(&gate);
	pthread_join(th, NULL);
	return feat_done();
}
