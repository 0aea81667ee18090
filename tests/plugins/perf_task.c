/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The task of tests/cli/cli_plugins.sh (the feature-program shape of
 * tests/features/feature.h): holds a perf event fd, which the engine
 * cannot dump by itself, at fd 10, and with a second argument SOCKPATH a
 * unix stream socket connected to a listener outside the tree (an echo
 * server) at fd 11; a third argument "noperf" leaves the perf fd out.
 * After restore: fd 10 is a perf event again and its count goes up; fd 11
 * talks to the echo server.
 */
#include <linux/perf_event.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "feature.h"

#define PERF_FD 10
#define SOCK_FD 11

static int open_counter(void)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	return (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, 0);
}

static void check_perf(const char *when)
{
	unsigned long long a = 0, b = 0;
	char link[64] = "";
	ssize_t n = readlink("/proc/self/fd/10", link, sizeof(link) - 1);
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	if (n > 0)
		link[n] = '\0';
	FEAT_CHECK(!strcmp(link, "anon_inode:[perf_event]"), "%s: fd 10 is %s, not a perf event", when, link);
	FEAT_CHECK(read(PERF_FD, &a, sizeof(a)) == sizeof(a), "%s: read of the counter: %s", when, strerror(errno));
	nanosleep(&ts, NULL);
	FEAT_CHECK(read(PERF_FD, &b, sizeof(b)) == sizeof(b), "%s: read of the counter: %s", when, strerror(errno));
	FEAT_CHECK(b > a, "%s: the counter does not count (%llu then %llu)", when, a, b);
}

static void check_sock(void)
{
	char buf[16] = "";
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	FEAT_CHECK(getpeername(SOCK_FD, (struct sockaddr *)&sa, &len) == 0 && sa.sun_family == AF_UNIX,
		   "fd 11 is not a connected unix socket: %s", strerror(errno));
	FEAT_CHECK(write(SOCK_FD, "ping", 4) == 4, "write to the echo server: %s", strerror(errno));
	FEAT_CHECK(read(SOCK_FD, buf, sizeof(buf) - 1) == 4 && !strcmp(buf, "ping"),
		   "the echo server answered '%s' (%s)", buf, strerror(errno));
}

int main(int argc, char **argv)
{
	int perf = !(argc > 3 && !strcmp(argv[3], "noperf"));
	int fd;

	feat_init(argc, argv);
	if (perf) {
		fd = open_counter();
		if (fd < 0 || dup2(fd, PERF_FD) < 0)
			feat_die("perf_event_open (software cpu-clock, cpu 0)");
		close(fd);
	}
	if (argc > 2) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		feat_copy(sa.sun_path, sizeof(sa.sun_path), argv[2]);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || dup2(fd, SOCK_FD) < 0)
			feat_die("connect to the echo server");
		close(fd);
		check_sock();
	}
	if (perf)
		check_perf("before the dump");
	feat_ready();
	feat_wait_go();
	if (perf)
		check_perf("after restore");
	if (argc > 2)
		check_sock();
	return feat_done();
}
