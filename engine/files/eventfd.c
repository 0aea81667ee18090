/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Event and timer fds: eventfd (counter, EFD_SEMAPHORE), signalfd (mask) and
 * timerfd (clock, time left, interval, unread expirations). Their state is
 * read from fdinfo; the O_NONBLOCK flag is the description's own.
 */
#define LOG_PREFIX "files: "
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "fdinfo.h"
#include "files_priv.h"
#include "log.h"

static bool anon_is(const char *link, const char *name)
{
	return !strncmp(link, "anon_inode:", 11) && !strcmp(link + 11, name);
}

/* ---- eventfd ---- */

static bool eventfd_match(const struct stat *st, const char *link)
{
	return anon_is(link, "[eventfd]");
}

static int eventfd_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ char *info = NULL;
	EventfdEntry *e = calloc(1, sizeof(*e));
	bool sem = false;
	int r;

	if (!e)
		return -ENOMEM;
	eventfd_entry__init(e);
	fe->eventfd = e;
	r = fdinfo_read(a->local, &info);
	if (r >= 0)
		r = fdinfo_eventfd(info, &e->count, &sem);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read the eventfd state", a->pid, a->fd);
	e->semaphore = sem;
	return 0;
}

static int eventfd_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const EventfdEntry *e = fe->eventfd;
	int f;

	if (!e || e->count == UINT64_MAX)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": eventfd without a valid state", fe->id);
	f = eventfd(0, EFD_CLOEXEC | (e->semaphore ? EFD_SEMAPHORE : 0) |
			       (fe->flags & O_NONBLOCK ? EFD_NONBLOCK : 0));
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": eventfd failed", fe->id);
	/* eventfd() takes only 32 bits: the count is written */
	if (e->count && write(f, &e->count, sizeof(e->count)) != sizeof(e->count)) {
		int r = pr_perror_ret("file %" PRIu64 ": cannot set the eventfd count %" PRIu64, fe->id,
				      e->count);

		close(f);
		return r;
	}
	*ret_fd = f;
	return 0;
}

const struct fd_ops eventfd_fd_ops = {
	.name = "eventfd",
	.kind = FILE_KIND__FILE_EVENTFD,
	.match = eventfd_match,
	.dump = eventfd_dump,
	.open = eventfd_open,
};

/* ---- signalfd ---- */

static bool signalfd_match(const struct stat *st, const char *link)
{
	return anon_is(link, "[signalfd]");
}

static int signalfd_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ char *info = NULL;
	SignalfdEntry *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	signalfd_entry__init(e);
	fe->signalfd = e;
	r = fdinfo_read(a->local, &info);
	if (r >= 0)
		r = fdinfo_signalfd(info, &e->sigmask);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read the signalfd mask", a->pid, a->fd);
	return 0;
}

static int signalfd_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	sigset_t set;
	int f;

	if (!fe->signalfd)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": signalfd without its mask", fe->id);
	sigemptyset(&set);
	for (int sig = 1; sig <= 64; sig++)
		if (fe->signalfd->sigmask & (1ull << (sig - 1)))
			sigaddset(&set, sig);
	f = signalfd(-1, &set, SFD_CLOEXEC | (fe->flags & O_NONBLOCK ? SFD_NONBLOCK : 0));
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": signalfd failed", fe->id);
	*ret_fd = f;
	return 0;
}

const struct fd_ops signalfd_fd_ops = {
	.name = "signalfd",
	.kind = FILE_KIND__FILE_SIGNALFD,
	.match = signalfd_match,
	.dump = signalfd_dump,
	.open = signalfd_open,
};

/* ---- timerfd ---- */

static bool timerfd_match(const struct stat *st, const char *link)
{
	return anon_is(link, "[timerfd]");
}

static int timerfd_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	_cleanup_free_ char *info = NULL;
	struct fdinfo_timerfd t;
	TimerfdEntry *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	timerfd_entry__init(e);
	fe->timerfd = e;
	r = fdinfo_read(a->local, &info);
	if (r >= 0)
		r = fdinfo_timerfd(info, &t);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: cannot read the timerfd state", a->pid, a->fd);
	e->clockid = t.clockid;
	e->ticks = t.ticks;
	e->settime_flags = t.settime_flags;
	e->value_sec = t.value_sec;
	e->value_nsec = (uint32_t)t.value_nsec;
	e->interval_sec = t.interval_sec;
	e->interval_nsec = (uint32_t)t.interval_nsec;
	return 0;
}

/* The timer is armed again with the time it had left (the checkpoint's downtime does not count). */
static int timerfd_arm(const FileEntry *fe, int f)
{
	const TimerfdEntry *e = fe->timerfd;
	struct itimerspec its = {
		.it_value = {(time_t)e->value_sec, e->value_nsec},
		.it_interval = {(time_t)e->interval_sec, e->interval_nsec},
	};
	int flags = 0;

	if (!e->value_sec && !e->value_nsec && (e->interval_sec || e->interval_nsec) && e->ticks)
		its.it_value.tv_nsec =
			1; /* a periodic timer that expired: let it expire again, then set ticks */
	if (e->settime_flags & TFD_TIMER_ABSTIME && (its.it_value.tv_sec || its.it_value.tv_nsec)) {
		struct timespec now;

		/* absolute, so that TFD_TIMER_CANCEL_ON_SET still applies */
		if (clock_gettime(e->clockid, &now) < 0)
			return pr_perror_ret("file %" PRIu64 ": cannot read clock %d", fe->id, e->clockid);
		its.it_value.tv_sec += now.tv_sec;
		its.it_value.tv_nsec += now.tv_nsec;
		if (its.it_value.tv_nsec >= 1000000000L) {
			its.it_value.tv_sec++;
			its.it_value.tv_nsec -= 1000000000L;
		}
		flags = (int)e->settime_flags & (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET);
	}
	if (timerfd_settime(f, flags, &its, NULL) < 0)
		return pr_perror_ret("file %" PRIu64 ": timerfd_settime failed", fe->id);
	return 0;
}

/* Unread expirations: TFD_IOC_SET_TICKS (CONFIG_CHECKPOINT_RESTORE). */
static int timerfd_set_ticks(const FileEntry *fe, int f)
{
	uint64_t ticks = fe->timerfd->ticks;

	if (!ticks)
		return 0;
	if (!fe->timerfd->value_sec && !fe->timerfd->value_nsec &&
	    (fe->timerfd->interval_sec || fe->timerfd->interval_nsec)) {
		struct pollfd p = {.fd = f, .events = POLLIN};

		/* wait for the 1 ns re-expiry, so that it does not add a tick after ours */
		if (poll(&p, 1, 1000) != 1)
			pr_warn("file %" PRIu64 ": the expired periodic timerfd did not fire again\n",
				fe->id);
	}
	if (ioctl(f, TFD_IOC_SET_TICKS, &ticks) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot set %" PRIu64 " unread expirations", fe->id,
				     ticks);
	return 0;
}

static int timerfd_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const TimerfdEntry *e = fe->timerfd;
	_cleanup_close_ int f = -EBADF;
	int r;

	if (!e || e->value_nsec >= 1000000000u || e->interval_nsec >= 1000000000u)
		return pr_err_ret(-EBADMSG, "file %" PRIu64 ": timerfd without a valid state", fe->id);
	f = timerfd_create(e->clockid, TFD_CLOEXEC | (fe->flags & O_NONBLOCK ? TFD_NONBLOCK : 0));
	if (f < 0)
		return pr_perror_ret("file %" PRIu64 ": timerfd_create(clock %d) failed", fe->id, e->clockid);
	r = timerfd_arm(fe, f);
	if (r >= 0)
		r = timerfd_set_ticks(fe, f);
	if (r < 0)
		return r;
	*ret_fd = TAKE_FD(f);
	return 0;
}

const struct fd_ops timerfd_fd_ops = {
	.name = "timerfd",
	.kind = FILE_KIND__FILE_TIMERFD,
	.match = timerfd_match,
	.dump = timerfd_dump,
	.open = timerfd_open,
};
