/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * timerfd:
 *   t1: CLOCK_MONOTONIC, 30 s left, every 7 s;
 *   t2: CLOCK_REALTIME, absolute (60 s from now), non-blocking, one shot;
 *   t3: CLOCK_MONOTONIC, expired once and not read (1 unread tick), disarmed;
 *   t4: CLOCK_BOOTTIME, every 20 ms, expired and not read.
 * Checked after restore: clock, interval, time left, flags, ticks.
 */
#include <stdint.h>
#include <sys/timerfd.h>

#include "feature.h"

static int fdinfo_int(int fd, const char *key, long long *ret)
{
	char path[64], buf[4096], *p;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	p = strstr(buf, key);
	if (!p)
		return -1;
	*ret = strtoll(p + strlen(key), NULL, 0);
	return 0;
}

int main(int argc, char **argv)
{
	struct itimerspec its, cur;
	struct timespec now;
	long long v = -1;
	uint64_t ticks = 0;
	int t1, t2, t3, t4;

	feat_init(argc, argv);
	t1 = timerfd_create(CLOCK_MONOTONIC, 0);
	t2 = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	t3 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	t4 = timerfd_create(CLOCK_BOOTTIME, 0);
	if (t1 < 0 || t2 < 0 || t3 < 0 || t4 < 0)
		feat_die("timerfd_create");
	its = (struct itimerspec){.it_value = {30, 0}, .it_interval = {7, 0}};
	if (timerfd_settime(t1, 0, &its, NULL))
		feat_die("settime t1");
	clock_gettime(CLOCK_REALTIME, &now);
	its = (struct itimerspec){.it_value = {now.tv_sec + 60, now.tv_nsec}};
	if (timerfd_settime(t2, TFD_TIMER_ABSTIME, &its, NULL))
		feat_die("settime t2");
	its = (struct itimerspec){.it_value = {0, 1000000}};
	if (timerfd_settime(t3, 0, &its, NULL))
		feat_die("settime t3");
	its = (struct itimerspec){.it_value = {0, 20000000}, .it_interval = {0, 20000000}};
	if (timerfd_settime(t4, 0, &its, NULL))
		feat_die("settime t4");
	usleep(100000); /* t3 and t4 expire */
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fdinfo_int(t1, "clockid:", &v) == 0 && v == CLOCK_MONOTONIC, "t1 clock %lld", v);
	FEAT_CHECK(fdinfo_int(t2, "clockid:", &v) == 0 && v == CLOCK_REALTIME, "t2 clock %lld", v);
	FEAT_CHECK(fdinfo_int(t4, "clockid:", &v) == 0 && v == CLOCK_BOOTTIME, "t4 clock %lld", v);
	FEAT_CHECK(fdinfo_int(t2, "settime flags:", &v) == 0 && v == TFD_TIMER_ABSTIME,
		   "t2 settime flags %lld", v);
	timerfd_gettime(t1, &cur);
	FEAT_CHECK(cur.it_interval.tv_sec == 7 && cur.it_interval.tv_nsec == 0, "t1 interval %ld.%09ld",
		   (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
	FEAT_CHECK(cur.it_value.tv_sec >= 10 && cur.it_value.tv_sec < 30, "t1 has %ld s left, want 10..29",
		   (long)cur.it_value.tv_sec);
	timerfd_gettime(t2, &cur);
	FEAT_CHECK(cur.it_interval.tv_sec == 0 && cur.it_value.tv_sec >= 30 && cur.it_value.tv_sec < 60,
		   "t2 has %ld s left (interval %ld), want 30..59", (long)cur.it_value.tv_sec,
		   (long)cur.it_interval.tv_sec);
	FEAT_CHECK((fcntl(t2, F_GETFL) & O_NONBLOCK) && !(fcntl(t1, F_GETFL) & O_NONBLOCK),
		   "O_NONBLOCK differs");
	timerfd_gettime(t3, &cur);
	FEAT_CHECK(!cur.it_value.tv_sec && !cur.it_value.tv_nsec, "t3 is armed again");
	FEAT_CHECK(read(t3, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks == 1,
		   "t3 read %llu ticks, want 1", (unsigned long long)ticks);
	errno = 0;
	FEAT_CHECK(read(t3, &ticks, sizeof(ticks)) < 0 && errno == EAGAIN, "t3 had more ticks");
	ticks = 0;
	FEAT_CHECK(read(t4, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks >= 1, "t4 read %llu ticks",
		   (unsigned long long)ticks);
	ticks = 0;
	FEAT_CHECK(read(t4, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks >= 1,
		   "t4 does not tick after its first read (%llu)", (unsigned long long)ticks);
	timerfd_gettime(t4, &cur);
	FEAT_CHECK(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 20000000, "t4 interval %ld ns",
		   cur.it_interval.tv_nsec);
	return feat_done();
}
