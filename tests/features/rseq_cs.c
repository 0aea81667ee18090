/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rseq_cs: a thread sits inside an rseq critical section during the dump.
 * The section (struct rseq_cs of uapi linux/rseq.h, flags 0) spins until the
 * main thread releases it after restore, then commits by storing the value
 * of rseq->rseq_cs it reads as its last instruction. The kernel, after any
 * preemption inside the section, clears rseq_cs and moves the thread to the
 * abort handler, so a section that commits must still see its own
 * descriptor there: a cleared one means it was interrupted (by the dump)
 * and resumed without the abort. The registration must be the dumped one:
 * the same area, length and signature give EBUSY, another signature EPERM,
 * another length EINVAL; cpu_id is kept up to date.
 */
#include <sys/rseq.h>

#include "feature.h"

#define FEAT_RSEQ_SIG 0x53053053

struct feat_rseq_cs {
	uint32_t version, flags;
	uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

extern const struct feat_rseq_cs feat_cs_desc;

static volatile int release, entered;
static volatile long aborts;
static uint64_t seen;
static char thread_diffs[2048];

static struct rseq *area(void)
{
	return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* 1 if the section committed (seen holds rseq_cs as read at its end), 0 if the kernel aborted it. */
static __attribute__((noinline)) int spin_in_section(struct rseq *rs)
{
	__asm__ __volatile__ goto(".pushsection .data.feat_rseq, \"aw\"\n\t"
				  ".balign 32\n\t"
				  ".globl feat_cs_desc\n"
				  "feat_cs_desc:\n\t"
				  ".long 0, 0\n\t"
				  ".quad 1f, 2f - 1f, 4f\n\t"
				  ".popsection\n\t"
				  "leaq feat_cs_desc(%%rip), %%rax\n\t"
				  "movq %%rax, %[cs]\n"
				  "1:\n\t"
				  "cmpl $0, %[rel]\n\t"
				  "je 1b\n\t"
				  "movq %[cs], %%rax\n\t"
				  "movq %%rax, %[seen]\n" /* the commit */
				  "2:\n\t"
				  ".pushsection .text.feat_rseq_abort, \"ax\"\n\t"
				  ".byte 0x0f, 0xb9, 0x3d\n\t" /* ud1 with the signature as its operand */
				  ".long 0x53053053\n"
				  "4:\n\t"
				  "jmp %l[aborted]\n\t"
				  ".popsection\n\t"
				  :
				  : [cs] "m"(rs->rseq_cs), [rel] "m"(release), [seen] "m"(seen)
				  : "memory", "cc", "rax"
				  : aborted);
	return 1;
aborted:
	return 0;
}

#define TFAIL(...) \
	snprintf(thread_diffs + strlen(thread_diffs), sizeof(thread_diffs) - strlen(thread_diffs), __VA_ARGS__)

static void check_registration(struct rseq *rs)
{
	unsigned int len = __rseq_size < 32 ? 32 : __rseq_size;
	long r;

	errno = 0;
	r = syscall(SYS_rseq, rs, len, 0, FEAT_RSEQ_SIG);
	if (!(r == -1 && errno == EBUSY))
		TFAIL("same area/length/signature: rseq gave %ld errno %d, expected EBUSY; ", r, errno);
	errno = 0;
	r = syscall(SYS_rseq, rs, len, 0, FEAT_RSEQ_SIG + 1);
	if (!(r == -1 && errno == EPERM))
		TFAIL("another signature: rseq gave %ld errno %d, expected EPERM (signature not restored); ", r, errno);
	errno = 0;
	r = syscall(SYS_rseq, rs, len + 32, 0, FEAT_RSEQ_SIG);
	if (!(r == -1 && errno == EINVAL))
		TFAIL("another length: rseq gave %ld errno %d, expected EINVAL (length not restored); ", r, errno);
	if ((int)rs->cpu_id < 0 || (int)rs->cpu_id != sched_getcpu())
		TFAIL("rseq cpu_id %d, sched_getcpu %d; ", (int)rs->cpu_id, sched_getcpu());
}

static void *worker(void *arg)
{
	struct rseq *rs = area();

	for (;;) {
		entered = 1;
		if (spin_in_section(rs))
			break;
		aborts++;
	}
	if (seen != (uint64_t)(uintptr_t)&feat_cs_desc)
		TFAIL("the section committed with rseq_cs %#llx, not its descriptor %p: it was interrupted and "
		      "resumed without its abort handler; ",
		      (unsigned long long)seen, (void *)&feat_cs_desc);
	if (!aborts)
		TFAIL("the section was never aborted, though the dump interrupted it; ");
	rs->rseq_cs = 0;
	check_registration(rs);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	feat_init(argc, argv);
	if (__rseq_size == 0)
		feat_skip("glibc did not register rseq");
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!entered)
		feat_sleep_ms(1);
	feat_sleep_ms(50);

	feat_ready();
	feat_wait_go();

	feat_sleep_ms(50);
	release = 1;
	pthread_join(th, NULL);
	if (thread_diffs[0])
		feat_fail("worker: %s", thread_diffs);
	return feat_done();
}
