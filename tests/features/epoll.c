/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * epoll, one set with these items (data in parentheses):
 *   e1, an eventfd with count 1, EPOLLIN (0xdeadbeef00000001);
 *   pipe p: read end EPOLLIN|EPOLLET (2), 10 bytes buffered;
 *           write end EPOLLOUT|EPOLLONESHOT (3), fired before the dump (disarmed);
 *   q0, a pipe read end added, then handed to a child and closed here (4);
 *   an eventfd added as fd N, dup'd and fd N closed, N then reused by another
 *   eventfd that is not in the set (5).
 * Checked after restore: the items of fdinfo (numbers, events, data), what
 * epoll_wait reports, and that EPOLL_CTL_MOD/DEL by fd number work.
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#include "feature.h"

static char info[8192];

static void read_info(int fd)
{
	feat_read_fdinfo(fd, info, sizeof(info));
}

/* Whether fdinfo has item tfd with events (the kernel adds EPOLLERR|EPOLLHUP to armed ones) and data. */
static int has_item(int tfd, uint32_t events, uint64_t data)
{
	for (char *p = strstr(info, "tfd:"); p; p = strstr(p + 1, "tfd:")) {
		unsigned long long d;
		unsigned int ev;
		int t;

		if (sscanf(p, "tfd: %d events: %x data: %llx", &t, &ev, &d) == 3 && t == tfd &&
		    (ev == events || ev == (events | EPOLLERR | EPOLLHUP)) && d == data)
			return 1;
	}
	return 0;
}

static int count_items(void)
{
	int n = 0;

	for (char *p = strstr(info, "tfd:"); p; p = strstr(p + 1, "tfd:"))
		n++;
	return n;
}

/* The data of the events reported now, as a bit set of the low byte of the data. */
static unsigned int ready(int ep)
{
	struct epoll_event ev[8];
	unsigned int set = 0;
	int n = epoll_wait(ep, ev, 8, 100);

	for (int i = 0; i < n; i++)
		set |= 1u << (ev[i].data.u64 & 0xff) % 32;
	return set;
}

int main(int argc, char **argv)
{
	struct epoll_event ev;
	uint64_t one = 1;
	int ep, e1, p[2], q[2], en, edup, n_fd, other, st;
	pid_t child;

	feat_init(argc, argv);
	ep = epoll_create1(EPOLL_CLOEXEC);
	e1 = eventfd(1, 0);
	if (ep < 0 || e1 < 0 || pipe(p) || pipe(q))
		feat_die("setup");
	ev = (struct epoll_event){EPOLLIN, {.u64 = 0xdeadbeef00000001ull}};
	epoll_ctl(ep, EPOLL_CTL_ADD, e1, &ev);
	ev = (struct epoll_event){EPOLLIN | EPOLLET, {.u64 = 2}};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	ev = (struct epoll_event){EPOLLOUT | EPOLLONESHOT, {.u64 = 3}};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev);
	ev = (struct epoll_event){EPOLLIN, {.u64 = 4}};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &ev))
		feat_die("epoll_ctl");
	en = eventfd(0, 0);
	ev = (struct epoll_event){EPOLLIN, {.u64 = 5}};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, en, &ev))
		feat_die("epoll_ctl en");
	n_fd = en;
	edup = dup(en);
	close(en);
	other = eventfd(7, 0); /* takes number n_fd */
	if (other != n_fd)
		feat_die("fd number not reused");
	/* the one-shot item fires and is disarmed; the ET item reports its data once */
	if (write(p[1], "0123456789", 10) != 10)
		feat_die("write");
	ready(ep);
	child = fork();
	if (child == 0) {
		/* only holds q0: reading would race with the parent's epoll_wait */
		close(q[1]);
		for (;;)
			pause();
	}
	int q0 = q[0];
	close(q[0]);
	feat_ready();
	feat_wait_go();

	read_info(ep);
	FEAT_CHECK(count_items() == 5, "%d items, want 5", count_items());
	FEAT_CHECK(has_item(e1, EPOLLIN, 0xdeadbeef00000001ull), "item e1 (fd %d) lost", e1);
	FEAT_CHECK(has_item(p[0], EPOLLIN | EPOLLET, 2), "item p0 (fd %d) lost", p[0]);
	FEAT_CHECK(has_item(p[1], EPOLLONESHOT, 3), "disarmed one-shot item p1 (fd %d) differs", p[1]);
	FEAT_CHECK(has_item(q0, EPOLLIN, 4), "item q0 (fd %d, held by the child) lost", q0);
	FEAT_CHECK(has_item(n_fd, EPOLLIN, 5), "item of fd %d (since closed) lost", n_fd);
	/* level-triggered e1 reports; p0 (edge) reports once as it is ready when added back */
	unsigned int r = ready(ep);
	FEAT_CHECK(r & (1u << 1), "e1 not reported (%#x)", r);
	FEAT_CHECK(!(r & ((1u << 3) | (1u << 4) | (1u << 5))), "items reported that are not ready (%#x)", r);
	/* q0 and the dup'd eventfd, through the targets' other fds */
	if (write(q[1], "x", 1) != 1 || write(edup, &one, sizeof(one)) != sizeof(one))
		feat_fail("writes failed");
	r = ready(ep);
	FEAT_CHECK((r & (1u << 4)) && (r & (1u << 5)), "q0/en items do not report (%#x)", r);
	/* the program's own MOD/DEL by its fd numbers */
	ev = (struct epoll_event){EPOLLIN, {.u64 = 6}};
	FEAT_CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, e1, &ev) == 0, "EPOLL_CTL_MOD e1: %s", strerror(errno));
	FEAT_CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL) == 0, "EPOLL_CTL_DEL p0: %s", strerror(errno));
	ev = (struct epoll_event){EPOLLOUT, {.u64 = 3}};
	FEAT_CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev) == 0, "EPOLL_CTL_MOD p1: %s", strerror(errno));
	errno = 0;
	FEAT_CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, other, NULL) < 0 && errno == ENOENT,
		   "fd %d (another eventfd now) is wrongly in the set", other);
	r = ready(ep);
	FEAT_CHECK((r & (1u << 6)) && (r & (1u << 3)) && !(r & (1u << 2)), "after MOD/DEL: %#x", r);
	read_info(ep);
	FEAT_CHECK(count_items() == 4, "%d items after one DEL, want 4", count_items());
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	return feat_done();
}
