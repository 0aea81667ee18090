/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pending signals, blocked in every thread:
 *   shared (process-wide): SIGUSR2 by kill(), SIGRTMIN+1 twice by sigqueue()
 *     with payloads 111 and 222;
 *   main thread private: SIGRTMIN+2 with payload 0x5151 (rt_tgsigqueueinfo);
 *   other thread private: SIGUSR2 by tgkill(), SIGRTMIN+2 with payload 0xbeef
 *     (pthread_sigqueue).
 * After restore the per-thread and shared pending sets (/proc .../status
 * SigPnd, ShdPnd) must be the same and sigwaitinfo must return every signal
 * with its si_code, si_pid and si_value, in order.
 */
#include "feature.h"

static volatile int gate, started;
static pid_t wtid;
static char thread_diffs[2048];

static unsigned long long mask_of(int a, int b)
{
	return (a ? 1ULL << (a - 1) : 0) | (b ? 1ULL << (b - 1) : 0);
}

static unsigned long long read_mask(pid_t tid, const char *key)
{
	char path[64], v[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	if (feat_status_field(path, key, v, sizeof(v)))
		return ~0ULL;
	return strtoull(v, NULL, 16);
}

/* Takes one signal of set without waiting; describes a mismatch into err. */
static void take(const sigset_t *set, int sig, int code, int val, char *err, size_t len)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;
	int got;

	memset(&si, 0, sizeof(si));
	got = sigtimedwait(set, &si, &zero);
	if (got != sig) {
		snprintf(err + strlen(err), len - strlen(err), "got signal %d (%s), expected %d; ", got,
			 got < 0 ? strerror(errno) : "", sig);
		return;
	}
	/* tgkill() to another thread of the process reports SI_USER on recent kernels */
	if (si.si_code != code && !(code == SI_TKILL && si.si_code == SI_USER))
		snprintf(err + strlen(err), len - strlen(err), "signal %d: si_code %d, expected %d; ", sig, si.si_code,
			 code);
	if (si.si_pid != getpid())
		snprintf(err + strlen(err), len - strlen(err), "signal %d: si_pid %d, expected %d; ", sig, si.si_pid,
			 getpid());
	if (code == SI_QUEUE && si.si_value.sival_int != val)
		snprintf(err + strlen(err), len - strlen(err), "signal %d: si_value %d, expected %d; ", sig,
			 si.si_value.sival_int, val);
}

static void *worker(void *arg)
{
	sigset_t set;

	wtid = feat_gettid();
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	feat_gate_wait(&gate);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 2);
	/* private signals come before shared ones */
	take(&set, SIGUSR2, SI_TKILL, 0, thread_diffs, sizeof(thread_diffs));
	take(&set, SIGRTMIN + 2, SI_QUEUE, 0xbeef, thread_diffs, sizeof(thread_diffs));
	return NULL;
}

int main(int argc, char **argv)
{
	union sigval v;
	pthread_t th;
	sigset_t set;
	siginfo_t si;
	unsigned long long m;
	char err[2048] = "";

	feat_init(argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGRTMIN + 2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (feat_thread_create(&th, worker, NULL))
		feat_die("pthread_create");
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		feat_sleep_ms(1);

	kill(getpid(), SIGUSR2);
	v.sival_int = 111;
	sigqueue(getpid(), SIGRTMIN + 1, v);
	v.sival_int = 222;
	sigqueue(getpid(), SIGRTMIN + 1, v);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGRTMIN + 2;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = 0x5151;
	if (syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN + 2, &si))
		feat_die("rt_tgsigqueueinfo");
	syscall(SYS_tgkill, getpid(), wtid, SIGUSR2);
	v.sival_int = 0xbeef;
	pthread_sigqueue(th, SIGRTMIN + 2, v);

	feat_ready();
	feat_wait_go();

	m = read_mask(getpid(), "ShdPnd");
	FEAT_CHECK(m == mask_of(SIGUSR2, SIGRTMIN + 1), "ShdPnd %016llx, expected %016llx", m,
		   mask_of(SIGUSR2, SIGRTMIN + 1));
	m = read_mask(getpid(), "SigPnd");
	FEAT_CHECK(m == mask_of(SIGRTMIN + 2, 0), "main SigPnd %016llx, expected %016llx", m, mask_of(SIGRTMIN + 2, 0));
	m = read_mask(wtid, "SigPnd");
	FEAT_CHECK(m == mask_of(SIGUSR2, SIGRTMIN + 2), "thread SigPnd %016llx, expected %016llx", m,
		   mask_of(SIGUSR2, SIGRTMIN + 2));
	{
		sigset_t p;

		sigpending(&p);
		FEAT_CHECK(sigismember(&p, SIGUSR2) && sigismember(&p, SIGRTMIN + 1) && sigismember(&p, SIGRTMIN + 2),
			   "sigpending lacks one of SIGUSR2, SIGRTMIN+1, SIGRTMIN+2");
	}

	feat_gate_open(&gate);
	pthread_join(th, NULL);
	if (thread_diffs[0])
		feat_fail("thread: %s", thread_diffs);

	/* main: its private RT signal, then the shared ones */
	take(&set, SIGRTMIN + 2, SI_QUEUE, 0x5151, err, sizeof(err));
	take(&set, SIGUSR2, SI_USER, 0, err, sizeof(err));
	take(&set, SIGRTMIN + 1, SI_QUEUE, 111, err, sizeof(err));
	take(&set, SIGRTMIN + 1, SI_QUEUE, 222, err, sizeof(err));
	if (err[0])
		feat_fail("main: %s", err);
	sigpending(&set);
	for (int s = 1; s <= 64; s++)
		FEAT_CHECK(!sigismember(&set, s), "signal %d still pending at the end", s);
	return feat_done();
}
