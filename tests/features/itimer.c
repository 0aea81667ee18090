/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Interval timers: ITIMER_REAL firing every 250 ms, ITIMER_VIRTUAL and
 * ITIMER_PROF armed far away with odd intervals. After restore getitimer
 * returns the same intervals, values no larger than before, and the real
 * timer still fires.
 */
#include <sys/time.h>

#include "feature.h"

static volatile int alarms;

static void on_alarm(int sig)
{
	alarms++;
}

/*
 * setitimer() adds one tick to a CPU timer's value (getitimer shows it), so
 * a restore that sets back the value it read moves it one tick later: up to
 * 10 ms is tolerated (and noted in out.log), more is a failure.
 */
#define SLACK_US 10000

static long long us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000LL + tv->tv_usec;
}

int main(int argc, char **argv)
{
	struct itimerval real = { { 0, 250000 }, { 0, 300000 } };
	struct itimerval virt = { { 7, 123000 }, { 100, 0 } };
	struct itimerval prof = { { 3, 456000 }, { 50, 0 } };
	struct itimerval now, before_virt, before_prof;
	struct sigaction sa = { 0 };
	long long t0;
	int base;

	feat_init(argc, argv);
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	if (setitimer(ITIMER_REAL, &real, NULL) || setitimer(ITIMER_VIRTUAL, &virt, NULL) ||
	    setitimer(ITIMER_PROF, &prof, NULL))
		feat_die("setitimer");
	getitimer(ITIMER_VIRTUAL, &before_virt);
	getitimer(ITIMER_PROF, &before_prof);

	feat_ready();
	feat_wait_go();

	getitimer(ITIMER_REAL, &now);
	FEAT_CHECK(us(&now.it_interval) == 250000, "ITIMER_REAL interval %lld us, expected 250000",
		   us(&now.it_interval));
	FEAT_CHECK(us(&now.it_value) > 0 && us(&now.it_value) <= 250000, "ITIMER_REAL value %lld us, expected (0, 250000]",
		   us(&now.it_value));
	getitimer(ITIMER_VIRTUAL, &now);
	FEAT_CHECK(us(&now.it_interval) == 7123000, "ITIMER_VIRTUAL interval %lld us, expected 7123000",
		   us(&now.it_interval));
	FEAT_CHECK(us(&now.it_value) > 90000000 && us(&now.it_value) <= us(&before_virt.it_value) + SLACK_US,
		   "ITIMER_VIRTUAL value %lld us, expected in (90 s, %lld us]", us(&now.it_value),
		   us(&before_virt.it_value) + SLACK_US);
	if (us(&now.it_value) > us(&before_virt.it_value))
		printf("note: ITIMER_VIRTUAL value grew from %lld to %lld us\n", us(&before_virt.it_value),
		       us(&now.it_value));
	getitimer(ITIMER_PROF, &now);
	FEAT_CHECK(us(&now.it_interval) == 3456000, "ITIMER_PROF interval %lld us, expected 3456000",
		   us(&now.it_interval));
	FEAT_CHECK(us(&now.it_value) > 40000000 && us(&now.it_value) <= us(&before_prof.it_value) + SLACK_US,
		   "ITIMER_PROF value %lld us, expected in (40 s, %lld us]", us(&now.it_value),
		   us(&before_prof.it_value) + SLACK_US);
	if (us(&now.it_value) > us(&before_prof.it_value))
		printf("note: ITIMER_PROF value grew from %lld to %lld us\n", us(&before_prof.it_value), us(&now.it_value));

	base = alarms;
	t0 = feat_now_ms();
	while (feat_now_ms() - t0 < 1100)
		feat_sleep_ms(50);
	FEAT_CHECK(alarms - base >= 3 && alarms - base <= 6, "ITIMER_REAL fired %d times in 1.1 s after restore, expected 4",
		   alarms - base);
	return feat_done();
}
