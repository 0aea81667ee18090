/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * FS and GS bases: glibc's TLS through fs (fs:0 is the thread pointer), and
 * an own GS base per thread set with arch_prctl(ARCH_SET_GS) pointing at a
 * distinct buffer; %gs:8 reads through it. After restore every base, the
 * value read through %fs and %gs, and __thread variables must be unchanged.
 */
#include <asm/prctl.h>
#include <sys/auxv.h>

#include "feature.h"

static __thread unsigned long tls_word;
static unsigned long gsbuf[2][4];
static volatile int gate, started;

struct seen {
	unsigned long fs_before, fs_after, gs_after, fs0, gs8, tls, rdgs;
};
static struct seen seen[2];

static int have_fsgsbase(void)
{
	return !!(getauxval(AT_HWCAP2) & 2); /* HWCAP2_FSGSBASE */
}

static void capture(int i)
{
	unsigned long v;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &seen[i].fs_after);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &seen[i].gs_after);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(v));
	seen[i].fs0 = v;
	__asm__ volatile("mov %%gs:8, %0" : "=r"(v));
	seen[i].gs8 = v;
	seen[i].tls = tls_word;
	if (have_fsgsbase()) {
		__asm__ volatile("rdgsbase %0" : "=r"(v));
		seen[i].rdgs = v;
	}
}

static void setup(int i)
{
	gsbuf[i][1] = 0xfeedface00000000UL + i;
	tls_word = 0xabc000 + i;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &seen[i].fs_before);
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)gsbuf[i]))
		feat_die("ARCH_SET_GS");
}

static void *worker(void *arg)
{
	setup(1);
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	capture(1);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	feat_init(argc, argv);
	setup(0);
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		feat_sleep_ms(1);

	feat_ready();
	feat_wait_go();

	capture(0);
	feat_gate_open(&gate);
	pthread_join(th, NULL);
	for (int i = 0; i < 2; i++) {
		struct seen *s = &seen[i];

		FEAT_CHECK(s->fs_after == s->fs_before, "thread %d: fs base %#lx, expected %#lx", i, s->fs_after,
			   s->fs_before);
		FEAT_CHECK(s->fs0 == s->fs_before, "thread %d: %%fs:0 %#lx, expected the thread pointer %#lx", i, s->fs0,
			   s->fs_before);
		FEAT_CHECK(s->gs_after == (unsigned long)gsbuf[i], "thread %d: gs base %#lx, expected %p", i, s->gs_after,
			   (void *)gsbuf[i]);
		FEAT_CHECK(s->gs8 == 0xfeedface00000000UL + i, "thread %d: %%gs:8 %#lx, expected %#lx", i, s->gs8,
			   0xfeedface00000000UL + i);
		FEAT_CHECK(s->tls == 0xabc000UL + i, "thread %d: __thread word %#lx, expected %#lx", i, s->tls,
			   0xabc000UL + i);
		if (have_fsgsbase())
			FEAT_CHECK(s->rdgs == (unsigned long)gsbuf[i], "thread %d: rdgsbase %#lx, expected %p", i, s->rdgs,
				   (void *)gsbuf[i]);
	}
	FEAT_CHECK(seen[0].fs_before != seen[1].fs_before, "both threads share one fs base");
	return feat_done();
}
