/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rseq: glibc registers an rseq area per thread. After restore the area must
 * still be registered (re-registering the same area gives EBUSY) and the
 * kernel must keep updating cpu_id: pinned to each CPU in turn, cpu_id
 * follows and agrees with sched_getcpu().
 */
#include <sched.h>
#include <sys/rseq.h>

#include "feature.h"

#define RSEQ_SIG_X86 0x53053053

static volatile int gate, started;
static char thread_diffs[1024];

static struct rseq *area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* Checks the calling thread's registration; appends problems to err. */
static void check(const char *who, char *err, size_t len)
{
	struct rseq *rs = area();
	long r;
	int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

	errno = 0;
	r = syscall(SYS_rseq, rs, __rseq_size < 32 ? 32 : __rseq_size, 0, RSEQ_SIG_X86);
	if (!(r == -1 && errno == EBUSY)) {
		snprintf(err + strlen(err), len - strlen(err), "%s: re-registering rseq gave %ld errno %d, expected EBUSY (area not registered); ",
			 who, r, errno);
		if (r == 0)
			syscall(SYS_rseq, rs, __rseq_size < 32 ? 32 : __rseq_size, 1 /* unregister */, RSEQ_SIG_X86);
	}
	for (int cpu = 0; cpu < ncpu && cpu < 4; cpu++) {
		cpu_set_t set;
		int id, gc;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			continue;
		sched_yield();
		id = (int)__atomic_load_n(&rs->cpu_id, __ATOMIC_RELAXED);
		gc = sched_getcpu();
		if (id != cpu || gc != cpu)
			snprintf(err + strlen(err), len - strlen(err), "%s: pinned to cpu %d: rseq cpu_id %d, sched_getcpu %d; ",
				 who, cpu, id, gc);
	}
}

static void *worker(void *arg)
{
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	check("thread", thread_diffs, sizeof(thread_diffs));
	return NULL;
}

int main(int argc, char **argv)
{
	char err[1024] = "";
	cpu_set_t all;
	pthread_t th;

	feat_init(argc, argv);
	if (__rseq_size == 0)
		feat_skip("glibc did not register rseq");
	sched_getaffinity(0, sizeof(all), &all);
	if ((int)area()->cpu_id < 0)
		feat_die("rseq cpu_id not valid before the dump");
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK((int)area()->cpu_id >= 0, "main: rseq cpu_id %d after restore", (int)area()->cpu_id);
	check("main", err, sizeof(err));
	sched_setaffinity(0, sizeof(all), &all);
	feat_gate_open(&gate);
	pthread_join(th, NULL);
	if (err[0])
		feat_fail("%s", err);
	if (thread_diffs[0])
		feat_fail("%s", thread_diffs);
	return feat_done();
}
