/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Robust futex lists: get_robust_list() of each thread is unchanged, and a
 * thread that holds a robust mutex and exits after restore without
 * unlocking makes the next locker get EOWNERDEAD (the kernel walks the
 * restored list at exit).
 */
#include <linux/futex.h>

#include "feature.h"

static pthread_mutex_t robust;
static volatile int gate, started;
static void *thread_head_before, *thread_head_after;
static size_t thread_len_before, thread_len_after;

static void get_list(void **head, size_t *len)
{
	*head = NULL;
	*len = 0;
	syscall(SYS_get_robust_list, 0, head, len);
}

static void *worker(void *arg)
{
	get_list(&thread_head_before, &thread_len_before);
	if (pthread_mutex_lock(&robust))
		return NULL;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	get_list(&thread_head_after, &thread_len_after);
	return NULL; /* exits holding the mutex */
}

int main(int argc, char **argv)
{
	pthread_mutexattr_t a;
	void *head_before, *head_after;
	size_t len_before, len_after;
	pthread_t th;
	int r;

	feat_init(argc, argv);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &a);
	get_list(&head_before, &len_before);
	if (!head_before)
		feat_die("no robust list registered");
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	get_list(&head_after, &len_after);
	FEAT_CHECK(head_after == head_before && len_after == len_before, "main: robust list %p/%zu, expected %p/%zu",
		   head_after, len_after, head_before, len_before);
	feat_gate_open(&gate);
	pthread_join(th, NULL);
	FEAT_CHECK(thread_head_after == thread_head_before && thread_len_after == thread_len_before,
		   "thread: robust list %p/%zu, expected %p/%zu", thread_head_after, thread_len_after, thread_head_before,
		   thread_len_before);
	FEAT_CHECK(thread_head_before != head_before, "threads share a robust list head");
	r = pthread_mutex_trylock(&robust);
	FEAT_CHECK(r == EOWNERDEAD, "locking the mutex of the dead owner: %d (%s), expected EOWNERDEAD", r, strerror(r));
	if (r == EOWNERDEAD) {
		pthread_mutex_consistent(&robust);
		pthread_mutex_unlock(&robust);
	}
	return feat_done();
}
