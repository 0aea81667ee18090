/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Threads: four threads, each with its own tid and __thread values; one sits
 * in a condvar wait, one in a raw FUTEX_WAIT, two in the feature gate. After
 * restore each must keep its tid and TLS and be woken normally.
 */
#include <dirent.h>

#include "feature.h"

#define NT 4

static __thread long tls_val = 0x5a5a5a5a;
static __thread char tls_buf[32];

static pid_t saved_tid[NT];
static pid_t seen_tid[NT];
static long seen_val[NT];
static char seen_buf[NT][32];
static volatile int started;
static volatile int gate;
static volatile int futex_word;
static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int cond_go;

static void *worker(void *arg)
{
	int i = (int)(long)arg;

	saved_tid[i] = feat_gettid();
	tls_val = 0x1000 + i * 77;
	snprintf(tls_buf, sizeof(tls_buf), "thread-%d-tls", i);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	if (i == 0) {
		pthread_mutex_lock(&mtx);
		while (!cond_go)
			pthread_cond_wait(&cond, &mtx);
		pthread_mutex_unlock(&mtx);
	} else if (i == 1) {
		while (!__atomic_load_n(&futex_word, __ATOMIC_ACQUIRE))
			syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	} else {
		feat_gate_wait(&gate);
	}
	seen_tid[i] = feat_gettid();
	seen_val[i] = tls_val;
	memcpy(seen_buf[i], tls_buf, sizeof(tls_buf));
	return NULL;
}

static int count_tasks(void)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/task");
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	pthread_t th[NT];
	pid_t main_tid;
	int ntasks;

	feat_init(argc, argv);
	tls_val = 0x77777;
	snprintf(tls_buf, sizeof(tls_buf), "main-tls");
	main_tid = feat_gettid();
	for (int i = 0; i < NT; i++)
		if (feat_thread_create(&th[i], worker, (void *)(long)i))
			feat_die("pthread_create");
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NT)
		feat_sleep_ms(1);
	feat_sleep_ms(50); /* let them reach their waits */

	feat_ready();
	feat_wait_go();

	ntasks = count_tasks();
	FEAT_CHECK(ntasks == NT + 1, "%d tasks in /proc/self/task, expected %d", ntasks, NT + 1);
	FEAT_CHECK(feat_gettid() == main_tid, "main tid %d, expected %d", feat_gettid(), main_tid);
	FEAT_CHECK(getpid() == main_tid, "pid %d, expected %d", getpid(), main_tid);
	FEAT_CHECK(tls_val == 0x77777, "main tls_val %#lx, expected 0x77777", tls_val);
	FEAT_CHECK(!strcmp(tls_buf, "main-tls"), "main tls_buf '%s'", tls_buf);
	for (int i = 0; i < NT; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/task/%d", saved_tid[i]);
		FEAT_CHECK(access(path, F_OK) == 0, "thread %d: %s missing", i, path);
	}

	pthread_mutex_lock(&mtx);
	cond_go = 1;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mtx);
	__atomic_store_n(&futex_word, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &futex_word, FUTEX_WAKE, 1, NULL, NULL, 0);
	feat_gate_open(&gate);

	for (int i = 0; i < NT; i++) {
		struct timespec ts;
		char want[32];
		int r;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		r = pthread_timedjoin_np(th[i], NULL, &ts);
		if (r) {
			feat_fail("thread %d (tid %d) not woken/joined: %s", i, saved_tid[i], strerror(r));
			continue;
		}
		snprintf(want, sizeof(want), "thread-%d-tls", i);
		FEAT_CHECK(seen_tid[i] == saved_tid[i], "thread %d: tid %d, expected %d", i, seen_tid[i], saved_tid[i]);
		FEAT_CHECK(seen_val[i] == 0x1000 + i * 77, "thread %d: tls_val %#lx, expected %#x", i, seen_val[i],
			   0x1000 + i * 77);
		FEAT_CHECK(!strcmp(seen_buf[i], want), "thread %d: tls_buf '%s', expected '%s'", i, seen_buf[i], want);
	}
	return feat_done();
}
