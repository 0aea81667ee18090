/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-thread alternate signal stacks: main and thread 1 have their own,
 * thread 2 has none, thread 3 one with SS_AUTODISARM. After restore each
 * reads sigaltstack back and runs an SA_ONSTACK handler, which must run on
 * that thread's alternate stack (or the normal one for thread 2).
 */
#include "feature.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define NT 4

static char stacks[NT][65536] __attribute__((aligned(64)));
static const size_t sizes[NT] = { 65536, 32768, 0, 49152 };
static const unsigned flags[NT] = { 0, 0, SS_DISABLE, SS_AUTODISARM };
static volatile int gate, started;
static __thread volatile uintptr_t handler_sp;
static stack_t got[NT];
static uintptr_t got_sp[NT];

static void handler(int sig)
{
	volatile char probe;

	handler_sp = (uintptr_t)&probe;
}

static void check_self(int i)
{
	sigaltstack(NULL, &got[i]);
	handler_sp = 0;
	raise(SIGUSR2);
	got_sp[i] = handler_sp;
}

static void setup(int i)
{
	stack_t ss = { 0 };

	if (flags[i] == SS_DISABLE)
		ss.ss_flags = SS_DISABLE;
	else {
		ss.ss_sp = stacks[i];
		ss.ss_size = sizes[i];
		ss.ss_flags = flags[i];
	}
	if (sigaltstack(&ss, NULL))
		feat_die("sigaltstack");
}

static void *worker(void *arg)
{
	int i = (int)(long)arg;
	stack_t orig;

	sigaltstack(NULL, &orig);
	setup(i);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	check_self(i);
	/* give back the thread's own (ASan unmaps it when the thread ends) */
	sigaltstack(&orig, NULL);
	return NULL;
}

static void verify(int i)
{
	uintptr_t lo = (uintptr_t)stacks[i], hi = lo + sizes[i];

	if (flags[i] == SS_DISABLE) {
		FEAT_CHECK(got[i].ss_flags == SS_DISABLE, "thread %d: ss_flags %#x, expected SS_DISABLE", i,
			   got[i].ss_flags);
		FEAT_CHECK(got_sp[i] && (got_sp[i] < (uintptr_t)stacks[0] || got_sp[i] >= (uintptr_t)stacks[NT]),
			   "thread %d: handler sp %#lx on some alternate stack", i, (unsigned long)got_sp[i]);
		return;
	}
	FEAT_CHECK(got[i].ss_sp == stacks[i], "thread %d: ss_sp %p, expected %p", i, got[i].ss_sp, (void *)stacks[i]);
	FEAT_CHECK(got[i].ss_size == sizes[i], "thread %d: ss_size %zu, expected %zu", i, got[i].ss_size, sizes[i]);
	FEAT_CHECK((unsigned)got[i].ss_flags == flags[i], "thread %d: ss_flags %#x, expected %#x", i, got[i].ss_flags, flags[i]);
	FEAT_CHECK(got_sp[i] >= lo && got_sp[i] < hi, "thread %d: handler sp %#lx not in the alternate stack %#lx-%#lx",
		   i, (unsigned long)got_sp[i], (unsigned long)lo, (unsigned long)hi);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	pthread_t th[NT];

	feat_init(argc, argv);
	sa.sa_handler = handler;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	setup(0);
	for (int i = 1; i < NT; i++)
		if (feat_thread_create(&th[i], worker, (void *)(long)i))
			feat_die("pthread_create");
	while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < NT - 1)
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	check_self(0);
	feat_gate_open(&gate);
	for (int i = 1; i < NT; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < NT; i++)
		verify(i);
	return feat_done();
}
