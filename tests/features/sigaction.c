/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Signal handlers: SA_SIGINFO|SA_RESTART|SA_ONSTACK with an sa_mask, a
 * SA_NODEFER|SA_RESETHAND handler, an ignored signal, an RT handler. After
 * restore: sigaction() reads back the same handler, flags, mask and
 * restorer, and raising each signal runs the handler with the right mask.
 */
#include "feature.h"

static char altstack[65536];
static volatile int usr2_runs, hup_runs, rt_runs;
static volatile int usr2_code, usr2_onstack;
static volatile int hup_self_blocked, usr2_mask_ok, rt_mask_ok;

static void usr2_handler(int sig, siginfo_t *si, void *uc)
{
	volatile char probe;
	sigset_t cur;

	usr2_runs++;
	usr2_code = si->si_code;
	usr2_onstack = (uintptr_t)&probe >= (uintptr_t)altstack && (uintptr_t)&probe < (uintptr_t)altstack + sizeof(altstack);
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	usr2_mask_ok = sigismember(&cur, SIGHUP) && sigismember(&cur, SIGRTMIN + 2) && sigismember(&cur, SIGUSR2) &&
		       !sigismember(&cur, SIGTERM);
}

static void hup_handler(int sig)
{
	sigset_t cur;

	hup_runs++;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	hup_self_blocked = sigismember(&cur, SIGHUP);
}

static void rt_handler(int sig, siginfo_t *si, void *uc)
{
	sigset_t cur;

	rt_runs += si->si_value.sival_int;
	pthread_sigmask(SIG_BLOCK, NULL, &cur);
	rt_mask_ok = sigismember(&cur, SIGINT) && sigismember(&cur, SIGRTMIN + 4);
}

struct want {
	int sig;
	const char *name;
	struct sigaction sa;
	struct sigaction before;
};

static struct want wants[4];

static void set(int idx, int sig, const char *name, void *fn, int flags, int m1, int m2)
{
	struct want *w = &wants[idx];

	w->sig = sig;
	w->name = name;
	memset(&w->sa, 0, sizeof(w->sa));
	if (flags & SA_SIGINFO)
		w->sa.sa_sigaction = fn;
	else
		w->sa.sa_handler = fn;
	w->sa.sa_flags = flags;
	sigemptyset(&w->sa.sa_mask);
	if (m1)
		sigaddset(&w->sa.sa_mask, m1);
	if (m2)
		sigaddset(&w->sa.sa_mask, m2);
	if (sigaction(sig, &w->sa, NULL) || sigaction(sig, NULL, &w->before))
		feat_die("sigaction");
}

int main(int argc, char **argv)
{
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	union sigval v = { .sival_int = 5 };

	feat_init(argc, argv);
	if (sigaltstack(&ss, NULL))
		feat_die("sigaltstack");
	set(0, SIGUSR2, "SIGUSR2", usr2_handler, SA_SIGINFO | SA_RESTART | SA_ONSTACK, SIGHUP, SIGRTMIN + 2);
	set(1, SIGHUP, "SIGHUP", hup_handler, SA_NODEFER | SA_RESETHAND, 0, 0);
	set(2, SIGTERM, "SIGTERM", SIG_IGN, 0, 0, 0);
	set(3, SIGRTMIN + 4, "SIGRTMIN+4", rt_handler, SA_SIGINFO, SIGINT, 0);

	feat_ready();
	feat_wait_go();

	for (int i = 0; i < 4; i++) {
		struct want *w = &wants[i];
		struct sigaction now;

		if (sigaction(w->sig, NULL, &now)) {
			feat_fail("%s: sigaction read: %s", w->name, strerror(errno));
			continue;
		}
		FEAT_CHECK(now.sa_handler == w->sa.sa_handler, "%s: handler %p, expected %p", w->name,
			   (void *)now.sa_handler, (void *)w->sa.sa_handler);
		FEAT_CHECK(now.sa_flags == w->before.sa_flags, "%s: flags %#x, expected %#x", w->name, now.sa_flags,
			   w->before.sa_flags);
		FEAT_CHECK(now.sa_restorer == w->before.sa_restorer, "%s: restorer %p, expected %p", w->name,
			   (void *)now.sa_restorer, (void *)w->before.sa_restorer);
		for (int s = 1; s <= 64; s++)
			if (sigismember(&now.sa_mask, s) != sigismember(&w->sa.sa_mask, s))
				feat_fail("%s: sa_mask bit %d is %d, expected %d", w->name, s, sigismember(&now.sa_mask, s),
					  sigismember(&w->sa.sa_mask, s));
	}

	raise(SIGUSR2);
	FEAT_CHECK(usr2_runs == 1, "SIGUSR2 handler ran %d times", usr2_runs);
	FEAT_CHECK(usr2_code == SI_TKILL, "SIGUSR2 si_code %d, expected SI_TKILL", usr2_code);
	FEAT_CHECK(usr2_onstack, "SIGUSR2 handler not on the alternate stack");
	FEAT_CHECK(usr2_mask_ok, "SIGUSR2 handler ran with the wrong blocked mask");

	raise(SIGHUP);
	FEAT_CHECK(hup_runs == 1, "SIGHUP handler ran %d times", hup_runs);
	FEAT_CHECK(!hup_self_blocked, "SIGHUP blocked in its SA_NODEFER handler");
	{
		struct sigaction now;

		sigaction(SIGHUP, NULL, &now);
		FEAT_CHECK(now.sa_handler == SIG_DFL, "SIGHUP handler after SA_RESETHAND is %p, expected SIG_DFL",
			   (void *)now.sa_handler);
	}

	raise(SIGTERM); /* ignored: we survive */

	sigqueue(getpid(), SIGRTMIN + 4, v);
	FEAT_CHECK(rt_runs == 5, "RT handler accumulated %d, expected 5", rt_runs);
	FEAT_CHECK(rt_mask_ok, "RT handler ran with the wrong blocked mask");
	return feat_done();
}
