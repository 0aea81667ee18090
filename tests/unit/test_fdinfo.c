/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fdinfo parsers of the anonymous-inode fd kinds, on the kernel's text and on broken text. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "fdinfo.h"
#include "t.h"

static void test_eventfd(void)
{
	uint64_t c = 0;
	bool sem = false;

	CHECK_EQ_INT(fdinfo_eventfd("pos:\t0\nflags:\t04002\neventfd-count:                5\neventfd-id: 1\n"
				    "eventfd-semaphore: 1\n",
				    &c, &sem),
		     0);
	CHECK(c == 5 && sem);
	/* older kernels: no semaphore line */
	CHECK_EQ_INT(fdinfo_eventfd("eventfd-count: fffffffffffffffe\n", &c, &sem), 0);
	CHECK(c == 0xfffffffffffffffeull && !sem);
	CHECK_EQ_INT(fdinfo_eventfd("pos:\t0\n", &c, &sem), -EBADMSG);
	CHECK_EQ_INT(fdinfo_eventfd("eventfd-count: zz\n", &c, &sem), -EBADMSG);
}

static void test_signalfd(void)
{
	uint64_t m = 0;

	CHECK_EQ_INT(fdinfo_signalfd("ino:\t1038\nsigmask:\t0000000400000200\n", &m), 0);
	CHECK(m == 0x400000200ull);
	CHECK_EQ_INT(fdinfo_signalfd("sigmask:\n", &m), -EBADMSG);
}

static void test_timerfd(void)
{
	struct fdinfo_timerfd t;

	CHECK_EQ_INT(fdinfo_timerfd("clockid: 1\nticks: 3\nsettime flags: 01\nit_value: (2, 999978499)\n"
				    "it_interval: (1, 500)\n",
				    &t),
		     0);
	CHECK(t.clockid == 1 && t.ticks == 3 && t.settime_flags == 1);
	CHECK(t.value_sec == 2 && t.value_nsec == 999978499 && t.interval_sec == 1 && t.interval_nsec == 500);
	CHECK_EQ_INT(fdinfo_timerfd("clockid: 1\nticks: 0\nsettime flags: 00\nit_value: (2, 1000000000)\n"
				    "it_interval: (0, 0)\n",
				    &t),
		     -EBADMSG);
	CHECK_EQ_INT(fdinfo_timerfd("clockid: 1\nticks: 0\n", &t), -EBADMSG);
}

static void test_epoll(void)
{
	const char *text =
		"pos:\t0\nflags:\t02\ntfd:        3 events: 80000019 data:             1234  pos:0 ino:40e "
		"sdev:10\ntfd:       12 events:       19 data: deadbeef00000001  pos:0 ino:99 sdev:10\n";
	const char *pos = text;
	struct fdinfo_tfd t;

	CHECK_EQ_INT(fdinfo_epoll_next(&pos, &t), 1);
	CHECK(t.tfd == 3 && t.events == (EPOLLET | EPOLLIN | EPOLLERR | EPOLLHUP) && t.data == 0x1234 &&
	      t.ino == 0x40e);
	CHECK_EQ_INT(fdinfo_epoll_next(&pos, &t), 1);
	CHECK(t.tfd == 12 && t.data == 0xdeadbeef00000001ull && t.ino == 0x99);
	CHECK_EQ_INT(fdinfo_epoll_next(&pos, &t), 0);
	pos = "tfd: x events: 1\n";
	CHECK_EQ_INT(fdinfo_epoll_next(&pos, &t), -EBADMSG);
}

static void test_marks(void)
{
	const char *text =
		"fanotify flags:200 event-flags:8000\n"
		"fanotify sdev:fe00000 mflags:0 mask:200 ignored_mask:0\n"
		"fanotify ino:3c51a sdev:fe00000 mflags:40 mask:40000100 ignored_mask:4 fhandle-bytes:8 "
		"fhandle-type:1 f_handle:1ac5030000000000\n"
		"fanotify mnt_id:1a mflags:0 mask:20 ignored_mask:0\n";
	const char *pos = text;
	struct fdinfo_mark m;
	uint32_t f, e;

	CHECK_EQ_INT(fdinfo_fanotify(text, &f, &e), 0);
	CHECK(f == 0x200 && e == 0x8000);
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), 1);
	CHECK(m.kind == FDINFO_MARK_SB && m.sdev == 0xfe00000 && m.mask == 0x200);
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), 1);
	CHECK(m.kind == FDINFO_MARK_INODE && m.ino == 0x3c51a && m.mflags == 0x40 && m.ignored_mask == 4);
	CHECK(m.handle_bytes == 8 && m.handle_type == 1 && m.handle[0] == 0x1a && m.handle[1] == 0xc5 &&
	      !m.handle[7]);
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), 1);
	CHECK(m.kind == FDINFO_MARK_MOUNT && m.mnt_id == 0x1a && m.mask == 0x20);
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), 0);

	pos = "inotify wd:3 ino:3c51a sdev:fe00000 mask:80000100 ignored_mask:0 fhandle-bytes:8 "
	      "fhandle-type:1 "
	      "f_handle:1ac5030000000000\n";
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), 1);
	CHECK(m.has_wd && m.wd == 3 && m.mask == 0x80000100 && m.kind == FDINFO_MARK_INODE);
	/* a handle shorter than it says, an unknown kind of mark, junk */
	pos = "inotify wd:1 ino:1 sdev:1 mask:1 fhandle-bytes:8 fhandle-type:1 f_handle:1ac5\n";
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), -EBADMSG);
	pos = "fanotify mnt_ns:4 mflags:0 mask:1 ignored_mask:0\n";
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), -EOPNOTSUPP);
	pos = "inotify wd:1 mask\n";
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), -EBADMSG);
	pos = "fanotify mflags:0 mask:1\n";
	CHECK_EQ_INT(fdinfo_mark_next(&pos, &m), -EBADMSG);
}

static void test_pidfd(void)
{
	int pid = 0;

	CHECK_EQ_INT(fdinfo_pidfd("flags:\t02000002\nPid:\t3232\nNSpid:\t3232\n", &pid), 0);
	CHECK_EQ_INT(pid, 3232);
	CHECK_EQ_INT(fdinfo_pidfd("Pid:\t-1\n", &pid), 0);
	CHECK_EQ_INT(pid, -1);
	CHECK_EQ_INT(fdinfo_pidfd("Pid:\t0\n", &pid), -EBADMSG);
	CHECK_EQ_INT(fdinfo_pidfd("NSpid:\t5\n", &pid), -EBADMSG);
}

int main(void)
{
	t_run("fdinfo_eventfd", test_eventfd);
	t_run("fdinfo_signalfd", test_signalfd);
	t_run("fdinfo_timerfd", test_timerfd);
	t_run("fdinfo_epoll", test_epoll);
	t_run("fdinfo_marks", test_marks);
	t_run("fdinfo_pidfd", test_pidfd);
	return t_done();
}
