/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIGTRAP pending and blocked, with a handler installed (engines that trap
 * their own code with int3 must not take it for theirs):
 *   shared (process-wide): kill(getpid(), SIGTRAP), si_code SI_USER;
 *   main thread private: rt_tgsigqueueinfo with si_code TRAP_BRKPT and si_addr;
 *   other thread private: queued by itself (the kernel takes a si_code >= 0
 *     only from the target thread), si_code TRAP_TRACE.
 * After restore each thread still has them pending (SigPnd, ShdPnd), takes
 * them with sigwaitinfo with the same si_code, si_pid and si_addr, and the
 * handler and the blocked masks are unchanged.
 */
#include "feature.h"

static volatile int gate, started;
static pid_t wtid;
static char thread_diffs[1024];

static void on_trap(int sig)
{
	(void)sig;
}

static unsigned long long read_mask(pid_t tid, const char *key)
{
	char path[64], v[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (feat_status_field(path, key, v, sizeof(v)))
		return ~0ULL;
	return strtoull(v, NULL, 16);
}

/* Takes one SIGTRAP without waiting; its siginfo, or si_signo 0 if none. */
static siginfo_t take_trap(void)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	sigset_t s;

	memset(&si, 0, sizeof(si));
	sigemptyset(&s);
	sigaddset(&s, SIGTRAP);
	if (sigtimedwait(&s, &si, &zero) != SIGTRAP)
		memset(&si, 0, sizeof(si));
	return si;
}

static void *worker(void *arg)
{
	siginfo_t si;
	sigset_t cur;

	wtid = feat_gettid();
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGTRAP;
	si.si_code = TRAP_TRACE;
	si.si_addr = (void *)0x5678;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), wtid, SIGTRAP, &si))
		snprintf(thread_diffs, sizeof(thread_diffs), "thread: cannot queue its SIGTRAP: %s; ", strerror(errno));
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	pthread_sigmask(SIG_SETMASK, NULL, &cur);
	if (!sigismember(&cur, SIGTRAP))
		snprintf(thread_diffs + strlen(thread_diffs), sizeof(thread_diffs) - strlen(thread_diffs),
			 "thread: SIGTRAP not blocked any more; ");
	si = take_trap();
	if (si.si_signo != SIGTRAP || si.si_code != TRAP_TRACE || si.si_addr != (void *)0x5678)
		snprintf(thread_diffs + strlen(thread_diffs), sizeof(thread_diffs) - strlen(thread_diffs),
			 "thread: private SIGTRAP signo %d code %d addr %p, expected TRAP_TRACE at 0x5678; ",
			 si.si_signo, si.si_code, si.si_addr);
	return NULL;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { 0 };
	unsigned long long bit = 1ULL << (SIGTRAP - 1);
	siginfo_t si;
	sigset_t trap;
	pthread_t th;

	feat_init(argc, argv);
	sa.sa_handler = on_trap;
	if (sigaction(SIGTRAP, &sa, NULL))
		feat_die("sigaction");
	sigemptyset(&trap);
	sigaddset(&trap, SIGTRAP);
	sigprocmask(SIG_BLOCK, &trap, NULL); /* the thread inherits it */
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		feat_sleep_ms(1);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGTRAP;
	si.si_code = TRAP_BRKPT;
	si.si_addr = (void *)0x1234abcd;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGTRAP, &si) || kill(getpid(), SIGTRAP))
		feat_die("queue SIGTRAP");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(read_mask(getpid(), "SigPnd") == bit, "main SigPnd %#llx, expected %#llx",
		   read_mask(getpid(), "SigPnd"), bit);
	FEAT_CHECK(read_mask(getpid(), "ShdPnd") == bit, "ShdPnd %#llx, expected %#llx", read_mask(getpid(), "ShdPnd"),
		   bit);
	FEAT_CHECK(read_mask(wtid, "SigPnd") == bit, "thread SigPnd %#llx, expected %#llx", read_mask(wtid, "SigPnd"),
		   bit);
	FEAT_CHECK(read_mask(getpid(), "SigBlk") & bit, "main: SIGTRAP not blocked any more");
	sigaction(SIGTRAP, NULL, &sa);
	FEAT_CHECK(sa.sa_handler == on_trap, "SIGTRAP handler %p, expected %p", (void *)sa.sa_handler, (void *)on_trap);
	si = take_trap(); /* the thread's own queue first */
	FEAT_CHECK(si.si_signo == SIGTRAP && si.si_code == TRAP_BRKPT && si.si_addr == (void *)0x1234abcd,
		   "private SIGTRAP signo %d code %d addr %p, expected TRAP_BRKPT at 0x1234abcd", si.si_signo,
		   si.si_code, si.si_addr);
	si = take_trap();
	FEAT_CHECK(si.si_signo == SIGTRAP && si.si_code == SI_USER && si.si_pid == getpid() && si.si_uid == getuid(),
		   "shared SIGTRAP signo %d code %d pid %d uid %d, expected SI_USER from %d/%d", si.si_signo,
		   si.si_code, si.si_pid, si.si_uid, getpid(), getuid());
	si = take_trap();
	FEAT_CHECK(si.si_signo == 0, "a third SIGTRAP (code %d) was pending", si.si_code);
	feat_gate_open(&gate);
	pthread_join(th, NULL);
	if (thread_diffs[0])
		feat_fail("%s", thread_diffs);
	return feat_done();
}
