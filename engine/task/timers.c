/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * POSIX timers: dump from /proc/PID/timers plus remote timer_gettime and
 * timer_getoverrun; restore with remote timer_create/timer_settime.
 *
 * Exact: ids, clocks, signal numbers, sigev_value, notification kind and
 * target thread, interval. Relative: the remaining time is counted from the
 * moment of restore (the time between dump and restore does not count, as
 * for itimers). Not restorable: the overrun count (the kernel has no way to
 * set it: it is kept in the image only), and a timer signal that was pending
 * at dump comes back as an ordinary queued signal with the same siginfo, not
 * as the timer's own preallocated one. A CLOCK_THREAD_CPUTIME_ID timer
 * (clock id 3, or a thread clock of pid 0) measures the leader after restore:
 * /proc does not say which thread created it.
 */
#define LOG_PREFIX "timers: "
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>

#include "cleanup.h"
#include "compat.h"
#include "log.h"
#include "pstree.h"
#include "timers.h"

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* The kernel's struct sigevent on x86-64 (64 bytes), not glibc's. */
struct ksigevent {
	uint64_t value;
	int32_t signo;
	int32_t notify;
	int32_t tid;
	int32_t pad[11];
};

struct kitimerspec {
	int64_t interval_sec, interval_nsec;
	int64_t value_sec, value_nsec;
};

#define NSEC 1000000000ull
/* Arguments in the scratch area: the sigevent, then the id / the itimerspec. */
#define ARG_ID	 64
#define ARG_SPEC 128
#define ARG_END	 (ARG_SPEC + sizeof(struct kitimerspec))

/* ---- dump ---- */

static int notify_from_text(const char *kind, const char *target, int32_t *ret)
{
	int32_t n;

	if (!strcmp(kind, "signal"))
		n = SIGEV_SIGNAL;
	else if (!strcmp(kind, "none"))
		n = SIGEV_NONE;
	else if (!strcmp(kind, "thread"))
		n = SIGEV_THREAD;
	else
		return -EBADMSG;
	if (!strcmp(target, "tid"))
		n |= SIGEV_THREAD_ID;
	else if (strcmp(target, "pid"))
		return -EBADMSG;
	*ret = n;
	return 0;
}

static int add_timer(TaskCore *core, PosixTimerEntry *e)
{
	PosixTimerEntry **tmp = realloc(core->posix_timers, (core->n_posix_timers + 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	core->posix_timers = tmp;
	core->posix_timers[core->n_posix_timers++] = e;
	return 0;
}

/*
 * Parses the text of /proc/PID/timers into core->posix_timers (ids, clock,
 * notification); the times are filled later. Each timer is four lines:
 *   ID: 3 / signal: 34/00000000deadbeef / notify: signal/tid.1234 / ClockID: 1
 */
int posix_timers_parse(const char *text, TaskCore *core)
{
	PosixTimerEntry *cur = NULL;
	int seen = 0; /* bit per line of the current timer */

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		char kind[16], target[8];
		unsigned long long v;
		int a, b, r;

		if (sscanf(p, "ID: %d", &a) == 1) {
			if (cur && seen != 0xf)
				return -EBADMSG;
			cur = malloc(sizeof(*cur));
			if (!cur)
				return -ENOMEM;
			posix_timer_entry__init(cur);
			cur->id = a;
			r = add_timer(core, cur);
			if (r < 0) {
				free(cur);
				return r;
			}
			seen = 1;
		} else if (!cur) {
			if (*p != '\n')
				return -EBADMSG;
		} else if (sscanf(p, "signal: %d/%llx", &a, &v) == 2) {
			cur->signo = a;
			cur->value = v;
			seen |= 2;
		} else if (sscanf(p, "notify: %15[a-z]/%7[a-z].%d", kind, target, &b) == 3) {
			r = notify_from_text(kind, target, &cur->notify);
			if (r < 0)
				return r;
			if (cur->notify & SIGEV_THREAD_ID) {
				cur->has_notify_tid = true;
				cur->notify_tid = b;
			}
			seen |= 4;
		} else if (sscanf(p, "ClockID: %d", &a) == 1) {
			cur->clock_id = a;
			seen |= 8;
		}
	}
	return cur && seen != 0xf ? -EBADMSG : 0;
}

static int read_timers_file(pid_t pid, char **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], *buf = NULL;
	size_t len = 0;
	FILE *m;
	char chunk[4096];
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/timers", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	m = open_memstream(&buf, &len);
	if (!m)
		return -ENOMEM;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	if (ferror(f) || fclose(m)) {
		free(buf);
		return -EIO;
	}
	*ret = buf;
	return 0;
}

/* A thread CPU clock of "the calling thread" (CLOCK_THREAD_CPUTIME_ID or pid 0 encoded). */
static int is_own_thread_clock(int32_t clock)
{
	return clock == CLOCK_THREAD_CPUTIME_ID || (clock < 0 && (clock & 4) && (~clock >> 3) == 0);
}

static int read_timer_times(struct infect_ctl *c, PosixTimerEntry *e)
{
	struct kitimerspec its;
	long ret;
	int r;

	r = infect_sys(c, &ret, SYS_timer_gettime, e->id, c->scratch);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r == 0)
		r = infect_read(c->tid, c->scratch, &its, sizeof(its));
	if (r < 0)
		return r;
	e->interval_ns = (uint64_t)its.interval_sec * NSEC + (uint64_t)its.interval_nsec;
	e->value_ns = (uint64_t)its.value_sec * NSEC + (uint64_t)its.value_nsec;
	r = infect_sys(c, &ret, SYS_timer_getoverrun, e->id);
	if (r == 0 && ret < 0)
		r = (int)ret;
	if (r < 0)
		return r;
	e->overrun = (int32_t)ret;
	return 0;
}

int posix_timers_dump(pid_t pid, size_t nthreads, struct infect_ctl *c, TaskCore *core)
{
	_cleanup_free_ char *text = NULL;
	int r = read_timers_file(pid, &text);

	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read /proc/%d/timers", pid, pid);
	r = posix_timers_parse(text, core);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot parse /proc/%d/timers", pid, pid);
	for (size_t i = 0; i < core->n_posix_timers; i++) {
		PosixTimerEntry *e = core->posix_timers[i];

		r = read_timer_times(c, e);
		if (r < 0)
			return pr_err_ret(r, "pid %d: timer %d: cannot read its time", pid, e->id);
		if (e->has_notify_tid) { /* /proc shows criu's view of the tid; the image holds the tree's */
			pid_t v = proc_ns_pid(e->notify_tid);

			if (v <= 0)
				return pr_err_ret(v < 0 ? v : -ESRCH, "pid %d: timer %d: thread %d: cannot read its NSpid",
						  pid, e->id, e->notify_tid);
			e->notify_tid = v;
		}
		if (nthreads > 1 && is_own_thread_clock(e->clock_id))
			pr_warn("pid %d: timer %d counts the CPU time of the thread that created it; "
				"after restore it counts the leader's\n",
				pid, e->id);
		pr_debug("pid %d: timer %d clock %d notify %d sig %d value %#" PRIx64 " left %" PRIu64
			 " ns every %" PRIu64 " ns, overrun %d\n",
			 pid, e->id, e->clock_id, e->notify, e->signo, e->value, e->value_ns, e->interval_ns,
			 e->overrun);
	}
	return 0;
}

/* ---- restore ---- */

int posix_timers_check(const char *name, const TaskCore *core, ThreadCore **th, size_t nth)
{
	for (size_t i = 0; i < core->n_posix_timers; i++) {
		const PosixTimerEntry *e = core->posix_timers[i];
		int kind = e->notify & ~SIGEV_THREAD_ID;
		bool found = false;

		if (e->id < 0)
			return pr_err_ret(-EBADMSG, "%s: timer id %d", name, e->id);
		for (size_t k = 0; k < i; k++)
			if (core->posix_timers[k]->id == e->id)
				return pr_err_ret(-EBADMSG, "%s: timer %d twice", name, e->id);
		if (kind != SIGEV_SIGNAL && kind != SIGEV_NONE && kind != SIGEV_THREAD)
			return pr_err_ret(-EBADMSG, "%s: timer %d: notify %d", name, e->id, e->notify);
		if (kind != SIGEV_NONE && (e->signo < 1 || e->signo > 64))
			return pr_err_ret(-EBADMSG, "%s: timer %d: signal %d", name, e->id, e->signo);
		if (!(e->notify & SIGEV_THREAD_ID))
			continue;
		for (size_t k = 0; k < nth; k++)
			found |= e->has_notify_tid && th[k]->tid == (uint32_t)e->notify_tid;
		if (!found)
			return pr_err_ret(-EBADMSG,
					  "%s: timer %d signals thread %d, not one of the process's", name,
					  e->id, e->notify_tid);
	}
	return 0;
}

static int rcall(struct infect_ctl *c, long *ret, long nr, unsigned long a1, unsigned long a2,
		 unsigned long a3, unsigned long a4)
{
	int r = infect_syscall(c, nr, ret, a1, a2, a3, a4, 0, 0);

	if (r < 0)
		return r;
	return *ret < 0 && *ret > -4096 ? (int)*ret : 0;
}

/* timer_create with the sigevent of e; *id in: the id asked for (if honoured), out: the id got. */
static int create_one(struct infect_ctl *c, const PosixTimerEntry *e, int32_t *id)
{
	struct ksigevent ev = {0};
	long ret;
	int r;

	ev.value = e->value;
	ev.signo = e->signo;
	ev.notify = e->notify;
	ev.tid = e->has_notify_tid ? e->notify_tid : 0;
	r = infect_write(c->tid, c->scratch, &ev, sizeof(ev));
	if (r == 0)
		r = infect_write(c->tid, c->scratch + ARG_ID, id, sizeof(*id));
	if (r == 0)
		r = rcall(c, &ret, SYS_timer_create, (unsigned long)e->clock_id, c->scratch,
			  c->scratch + ARG_ID, 0);
	if (r == 0)
		r = infect_read(c->tid, c->scratch + ARG_ID, id, sizeof(*id));
	return r;
}

static int cmp_by_id(const void *a, const void *b)
{
	const PosixTimerEntry *x = *(PosixTimerEntry *const *)a, *y = *(PosixTimerEntry *const *)b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * Without the prctl the kernel hands out ids in increasing order: create
 * timers in id order and delete the ones that fill the gaps.
 */
static int create_in_order(struct infect_ctl *c, PosixTimerEntry **sorted, size_t n)
{
	int32_t last = -1;
	long ret;
	int r;

	for (size_t i = 0; i < n; i++) {
		const PosixTimerEntry *e = sorted[i];

		for (;;) {
			int32_t id = 0;

			r = create_one(c, e, &id);
			if (r < 0)
				return pr_err_ret(r, "pid %d: timer %d: timer_create", c->tid, e->id);
			if (id == e->id)
				break;
			if (id > e->id || id <= last)
				return pr_err_ret(-EEXIST, "pid %d: timer %d: the kernel gave id %d", c->tid,
						  e->id, id);
			last = id;
			r = rcall(c, &ret, SYS_timer_delete, (unsigned long)id, 0, 0, 0);
			if (r < 0)
				return pr_err_ret(r, "pid %d: timer_delete(%d)", c->tid, id);
		}
		last = e->id;
	}
	return 0;
}

static int create_timers(struct infect_ctl *c, const TaskCore *core)
{
	_cleanup_free_ PosixTimerEntry **sorted = NULL;
	long ret;
	int r, off;

	r = rcall(c, &ret, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_ON, 0, 0);
	if (r == 0) {
		/* /proc lists the newest first: create the oldest first, so it lists them the same */
		for (size_t i = core->n_posix_timers; i-- > 0;) {
			const PosixTimerEntry *e = core->posix_timers[i];
			int32_t id = e->id;

			r = create_one(c, e, &id);
			if (r == 0 && id != e->id)
				r = -EIO;
			if (r < 0) {
				pr_err("pid %d: timer %d (clock %d): timer_create: %s\n", c->tid, e->id,
				       e->clock_id, strerror(-r));
				break;
			}
		}
		off = rcall(c, &ret, SYS_prctl, PR_TIMER_CREATE_RESTORE_IDS, PR_TIMER_CREATE_RESTORE_IDS_OFF,
			    0, 0);
		if (off < 0 && r == 0)
			r = pr_err_ret(off, "pid %d: prctl(PR_TIMER_CREATE_RESTORE_IDS, OFF)", c->tid);
		return r;
	}
	if (r != -EINVAL)
		return pr_err_ret(r, "pid %d: prctl(PR_TIMER_CREATE_RESTORE_IDS)", c->tid);
	pr_info("pid %d: no PR_TIMER_CREATE_RESTORE_IDS: timers are created in id order\n", c->tid);
	sorted = malloc(core->n_posix_timers * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, core->posix_timers, core->n_posix_timers * sizeof(*sorted));
	qsort(sorted, core->n_posix_timers, sizeof(*sorted), cmp_by_id);
	return create_in_order(c, sorted, core->n_posix_timers);
}

int posix_timers_restore(struct infect_ctl *c, const TaskCore *core)
{
	long ret;
	int r;

	if (!core->n_posix_timers)
		return 0;
	if (c->scratch_size < ARG_END)
		return pr_err_ret(-E2BIG, "pid %d: no scratch area for timers", c->tid);
	r = create_timers(c, core);
	if (r < 0)
		return r;
	for (size_t i = 0; i < core->n_posix_timers; i++) {
		const PosixTimerEntry *e = core->posix_timers[i];
		struct kitimerspec its = {
			.interval_sec = (int64_t)(e->interval_ns / NSEC),
			.interval_nsec = (int64_t)(e->interval_ns % NSEC),
			.value_sec = (int64_t)(e->value_ns / NSEC),
			.value_nsec = (int64_t)(e->value_ns % NSEC),
		};

		if (!e->value_ns)
			continue; /* disarmed: created is enough */
		r = infect_write(c->tid, c->scratch + ARG_SPEC, &its, sizeof(its));
		if (r == 0)
			r = rcall(c, &ret, SYS_timer_settime, (unsigned long)e->id, 0, c->scratch + ARG_SPEC,
				  0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: timer %d: timer_settime", c->tid, e->id);
		if (e->overrun)
			pr_debug("pid %d: timer %d: overrun %d at dump is not restored\n", c->tid, e->id,
				 e->overrun);
	}
	pr_info("pid %d: %zu POSIX timer(s) restored\n", c->tid, core->n_posix_timers);
	return 0;
}

/*
 * setitimer() adds one tick to a CPU timer it arms (ITIMER_VIRTUAL/PROF)
 * and getitimer() shows it, so a value read at dump comes back one tick
 * longer unless the tick is taken off. The tick (1/CONFIG_HZ) is measured
 * once on ourselves.
 */
static uint64_t cpu_itimer_tick_ns(void)
{
	static uint64_t tick;
	static const uint64_t hz_ticks[] = { 1000000, 3333333, 4000000, 10000000 };
	struct itimerval set = { .it_value = { 1, 0 } }, got, off = { 0 };
	uint64_t extra, best = 4000000;

	if (tick)
		return tick;
	if (setitimer(ITIMER_PROF, &set, NULL) || getitimer(ITIMER_PROF, &got)) {
		setitimer(ITIMER_PROF, &off, NULL);
		return tick = best;
	}
	setitimer(ITIMER_PROF, &off, NULL);
	extra = (uint64_t)got.it_value.tv_sec * 1000000000ull + (uint64_t)got.it_value.tv_usec * 1000ull;
	extra = extra > 1000000000ull ? extra - 1000000000ull : 0;
	for (size_t i = 0; i < sizeof(hz_ticks) / sizeof(hz_ticks[0]); i++) {
		uint64_t d = extra > hz_ticks[i] ? extra - hz_ticks[i] : hz_ticks[i] - extra;
		uint64_t db = extra > best ? extra - best : best - extra;

		if (d < db)
			best = hz_ticks[i];
	}
	pr_debug("CPU itimer tick: %" PRIu64 " ns (measured %" PRIu64 ")\n", best, extra);
	return tick = best;
}

/* itimers last, so that they lose as little time as possible. */
int itimers_restore(struct infect_ctl *c, const TaskCore *core)
{
	long ret;
	int r;

	for (size_t i = 0; i < core->n_itimers; i++) {
		const ItimerEntry *e = core->itimers[i];
		uint64_t value_ns = e->value_ns;

		if (e->which != ITIMER_REAL && value_ns > cpu_itimer_tick_ns())
			value_ns -= cpu_itimer_tick_ns();
		struct itimerval itv = {
			.it_interval = { (time_t)(e->interval_ns / 1000000000ull),
					 (suseconds_t)(e->interval_ns % 1000000000ull / 1000) },
			.it_value = { (time_t)(value_ns / 1000000000ull),
				      (suseconds_t)(value_ns % 1000000000ull / 1000) },
		};

		if (!itv.it_value.tv_sec && !itv.it_value.tv_usec)
			itv.it_value.tv_usec = 1; /* it was about to fire */
		r = infect_write(c->tid, c->scratch, &itv, sizeof(itv));
		if (r == 0)
			r = rcall(c, &ret, SYS_setitimer, e->which, c->scratch, 0, 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: setitimer %u", c->tid, e->which);
	}
	return 0;
}
