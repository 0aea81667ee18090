/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scheduling attributes per thread and the OOM score adjustment: the main
 * thread at nice 7, one thread SCHED_BATCH at nice 3, one SCHED_FIFO
 * priority 11 with reset-on-fork, one SCHED_IDLE; oom_score_adj 321 (lowering it needs CAP_SYS_RESOURCE).
 * All of them must come back, thread by thread.
 */
#include <pthread.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "feature.h"

/* sched_attr(2) as of its first version (glibc's <sched.h> and the uapi header clash) */
struct sched_attr {
	uint32_t size, sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t util_min, util_max;
};
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_FLAG_RESET_ON_FORK 0x01ULL

struct want {
	const char *name;
	unsigned int policy;
	unsigned long long flags;
	int nice;
	unsigned int prio;
	pid_t tid;
};

static struct want wants[] = {
	{ "main", SCHED_OTHER, 0, 7, 0, 0 },
	{ "batch", SCHED_BATCH, 0, 3, 0, 0 },
	{ "fifo", SCHED_FIFO, SCHED_FLAG_RESET_ON_FORK, 0, 11, 0 },
	{ "idle", SCHED_IDLE, 0, 0, 0, 0 },
};
#define N (sizeof(wants) / sizeof(wants[0]))

static volatile int nr_set;

static int set_attrs(struct want *w)
{
	struct sched_attr a;

	memset(&a, 0, sizeof(a));
	a.size = SCHED_ATTR_SIZE_VER0;
	a.sched_policy = w->policy;
	a.sched_flags = w->flags;
	a.sched_nice = w->nice;
	a.sched_priority = w->prio;
	w->tid = (pid_t)syscall(SYS_gettid);
	return (int)syscall(SYS_sched_setattr, 0, &a, 0);
}

static void *thread_main(void *arg)
{
	if (set_attrs(arg))
		feat_die("sched_setattr in a thread");
	__atomic_add_fetch(&nr_set, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;
	int fd;

	feat_init(argc, argv);
	fd = open("/proc/self/oom_score_adj", O_WRONLY);
	if (fd < 0 || write(fd, "321", 3) != 3)
		feat_die("oom_score_adj");
	close(fd);
	if (set_attrs(&wants[0]))
		feat_die("sched_setattr");
	for (size_t i = 1; i < N; i++)
		if (pthread_create(&th, NULL, thread_main, &wants[i]))
			feat_die("pthread_create");
	while (__atomic_load_n(&nr_set, __ATOMIC_SEQ_CST) != (int)N - 1)
		usleep(1000);

	feat_ready();
	feat_wait_go();

	for (size_t i = 0; i < N; i++) {
		struct sched_attr a;

		memset(&a, 0, sizeof(a));
		if (syscall(SYS_sched_getattr, wants[i].tid, &a, sizeof(a), 0)) {
			feat_fail("sched_getattr of the %s thread (tid %d): %s", wants[i].name, wants[i].tid,
				  strerror(errno));
			continue;
		}
		FEAT_CHECK(a.sched_policy == wants[i].policy && a.sched_nice == wants[i].nice &&
				   a.sched_priority == wants[i].prio &&
				   (a.sched_flags & SCHED_FLAG_RESET_ON_FORK) == wants[i].flags,
			   "%s thread: policy %u nice %d prio %u flags %#llx, expected %u %d %u %#llx", wants[i].name,
			   a.sched_policy, a.sched_nice, a.sched_priority, (unsigned long long)a.sched_flags,
			   wants[i].policy, wants[i].nice, wants[i].prio, wants[i].flags);
	}
	{
		char buf[16] = "";

		fd = open("/proc/self/oom_score_adj", O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
			feat_fail("cannot read oom_score_adj");
		else
			FEAT_CHECK(atoi(buf) == 321, "oom_score_adj %d, expected 321", atoi(buf));
		close(fd);
	}
	return feat_done();
}
