/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc/PID/timers parser and the image checks of POSIX timers and seccomp filters. */
#include <linux/seccomp.h>
#include <signal.h>
#include <time.h>

#include "log.h"
#include "seccomp.h"
#include "t.h"
#include "timers.h"

static const char good[] = "ID: 12\n"
			   "signal: 38/0000000000000e1e\n"
			   "notify: signal/pid.100\n"
			   "ClockID: 7\n"
			   "ID: 5\n"
			   "signal: 36/0000000000c0ffee\n"
			   "notify: signal/tid.101\n"
			   "ClockID: 1\n"
			   "ID: 0\n"
			   "signal: 34/00007fffdeadbeef\n"
			   "notify: none/pid.100\n"
			   "ClockID: -6\n";

static void release(TaskCore *core)
{
	for (size_t i = 0; i < core->n_posix_timers; i++)
		free(core->posix_timers[i]);
	free(core->posix_timers);
	core->posix_timers = NULL;
	core->n_posix_timers = 0;
}

static int parse(const char *text)
{
	TaskCore core = TASK_CORE__INIT;
	int r = posix_timers_parse(text, &core);

	release(&core);
	return r;
}

static void test_parse_good(void)
{
	TaskCore core = TASK_CORE__INIT;

	CHECK_EQ_INT(posix_timers_parse(good, &core), 0);
	CHECK_EQ_INT(core.n_posix_timers, 3);
	if (core.n_posix_timers == 3) {
		CHECK_EQ_INT(core.posix_timers[0]->id, 12);
		CHECK_EQ_INT(core.posix_timers[0]->signo, 38);
		CHECK_EQ_INT(core.posix_timers[0]->value, 0xe1e);
		CHECK_EQ_INT(core.posix_timers[0]->notify, SIGEV_SIGNAL);
		CHECK_EQ_INT(core.posix_timers[0]->clock_id, CLOCK_BOOTTIME);
		CHECK(!core.posix_timers[0]->has_notify_tid);
		CHECK_EQ_INT(core.posix_timers[1]->notify, SIGEV_SIGNAL | 4 /* SIGEV_THREAD_ID */);
		CHECK(core.posix_timers[1]->has_notify_tid);
		CHECK_EQ_INT(core.posix_timers[1]->notify_tid, 101);
		CHECK_EQ_INT(core.posix_timers[2]->notify, SIGEV_NONE);
		CHECK_EQ_INT(core.posix_timers[2]->value, 0x7fffdeadbeefull);
		CHECK_EQ_INT(core.posix_timers[2]->clock_id, -6);
	}
	release(&core);
	CHECK_EQ_INT(parse(""), 0);
}

static void test_parse_malformed(void)
{
	CHECK_EQ_INT(parse("ID: 1\nsignal: 14/0\nnotify: signal/pid.1\n"), -EBADMSG); /* no ClockID */
	CHECK_EQ_INT(parse("ID: 1\nID: 2\n"), -EBADMSG);			      /* truncated timer */
	CHECK_EQ_INT(parse("ID: 1\nsignal: 14/0\nnotify: bogus/pid.1\nClockID: 0\n"), -EBADMSG); /* notify */
	CHECK_EQ_INT(parse("ID: 1\nsignal: 14/0\nnotify: signal/xid.1\nClockID: 0\n"), -EBADMSG);
	CHECK_EQ_INT(parse("garbage\n"), -EBADMSG);
}

static void test_check_timers(void)
{
	PosixTimerEntry a = POSIX_TIMER_ENTRY__INIT, b = POSIX_TIMER_ENTRY__INIT, *list[] = {&a, &b};
	ThreadCore t0 = THREAD_CORE__INIT, t1 = THREAD_CORE__INIT, *th[] = {&t0, &t1};
	TaskCore core = TASK_CORE__INIT;

	t0.tid = 100;
	t1.tid = 101;
	a.id = 0, a.signo = SIGALRM, a.notify = SIGEV_SIGNAL;
	b.id = 3, b.signo = SIGRTMIN, b.notify = SIGEV_SIGNAL | 4, b.has_notify_tid = true,
	b.notify_tid = 101;
	core.posix_timers = list;
	core.n_posix_timers = 2;
	CHECK_EQ_INT(posix_timers_check("t", &core, th, 2), 0);
	b.notify_tid = 102; /* not a thread of the process */
	CHECK_EQ_INT(posix_timers_check("t", &core, th, 2), -EBADMSG);
	b.notify_tid = 101;
	b.id = 0; /* twice */
	CHECK_EQ_INT(posix_timers_check("t", &core, th, 2), -EBADMSG);
	b.id = 3;
	a.signo = 65;
	CHECK_EQ_INT(posix_timers_check("t", &core, th, 2), -EBADMSG);
	a.signo = SIGALRM;
	a.notify = 9;
	CHECK_EQ_INT(posix_timers_check("t", &core, th, 2), -EBADMSG);
}

static void test_check_seccomp(void)
{
	uint8_t prog[16] = {0};
	SeccompFilterEntry f1 = SECCOMP_FILTER_ENTRY__INIT, f2 = SECCOMP_FILTER_ENTRY__INIT,
			   *pool[] = {&f1, &f2};
	ThreadCore t0 = THREAD_CORE__INIT, t1 = THREAD_CORE__INIT, *th[] = {&t0, &t1};
	TaskCore core = TASK_CORE__INIT;

	f1.filter.data = f2.filter.data = prog;
	f1.filter.len = f2.filter.len = sizeof(prog);
	f2.has_prev = true, f2.prev = 1;
	core.seccomp = pool;
	core.n_seccomp = 2;
	t0.has_seccomp_mode = t1.has_seccomp_mode = true;
	t0.seccomp_mode = t1.seccomp_mode = SECCOMP_MODE_FILTER;
	t0.seccomp_filter = 2, t1.seccomp_filter = 1;
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), 0);
	f2.prev = 2; /* on itself */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	f2.prev = 1;
	f1.filter.len = 12; /* not whole instructions */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	f1.filter.len = sizeof(prog);
	t1.seccomp_filter = 3; /* out of the pool */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	t1.seccomp_filter = 0; /* filter mode without a filter */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	t1.seccomp_mode = SECCOMP_MODE_STRICT; /* strict mode, no filter: restored */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), 0);
	t1.seccomp_filter = 1; /* strict mode with a filter */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	t1.seccomp_filter = 0;
	t1.seccomp_mode = 3; /* unknown */
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
	t1.seccomp_mode = SECCOMP_MODE_DISABLED;
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), 0);
	f1.flags = SECCOMP_FILTER_FLAG_NEW_LISTENER;
	CHECK_EQ_INT(seccomp_check("t", &core, th, 2), -EBADMSG);
}

int main(void)
{
	log_set_level(0); /* the errors are expected */
	t_run("timers_parse_good", test_parse_good);
	t_run("timers_parse_malformed", test_parse_malformed);
	t_run("timers_check", test_check_timers);
	t_run("seccomp_check", test_check_seccomp);
	return t_done();
}
