/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Task names: PR_SET_NAME for the process, pthread_setname_np for two threads. */
#include <sys/prctl.h>

#include "feature.h"

static volatile int gate, started;
static pid_t tids[3];
static char got[3][16];
static const char *names[3] = { "feat-main-xyz", "wkr-alpha", "wkr-beta-123456" };

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	tids[i] = feat_gettid();
	if (i == 2)
		prctl(PR_SET_NAME, names[i]); /* thread naming itself */
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	prctl(PR_GET_NAME, got[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[3];

	feat_init(argc, argv);
	tids[0] = getpid();
	if (prctl(PR_SET_NAME, names[0]))
		feat_die("PR_SET_NAME");
	for (int i = 1; i < 3; i++)
		if (feat_thread_create(&th[i], worker, (void *)(long)i))
			feat_die("pthread_create");
	pthread_setname_np(th[1], names[1]);
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 2)
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	prctl(PR_GET_NAME, got[0]);
	for (int i = 0; i < 3; i++) {
		char path[64], c[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tids[i]);
		if (feat_read_file(path, c, sizeof(c)) < 0)
			feat_fail("%s: %s", path, strerror(errno));
		c[strcspn(c, "\n")] = '\0';
		FEAT_CHECK(!strncmp(c, names[i], 15) && strlen(c) == strnlen(names[i], 15), "task %d comm '%s', expected '%.15s'", i, c,
			   names[i]);
	}
	{
		char stat_name[64];

		if (!feat_proc_stat(0, 2, stat_name, sizeof(stat_name)))
			FEAT_CHECK(!strcmp(stat_name, names[0]), "/proc/self/stat name '%s'", stat_name);
	}
	feat_gate_open(&gate);
	for (int i = 1; i < 3; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 3; i++)
		FEAT_CHECK(!strncmp(got[i], names[i], 15), "task %d PR_GET_NAME '%s', expected '%.15s'", i, got[i], names[i]);
	return feat_done();
}
