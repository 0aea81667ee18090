/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix datagram sockets keep message boundaries:
 *   a pair: a -> b three messages of 10, 1 and 500 bytes, b -> a two;
 *   srv bound to DIR/dgram.sock, cli connected to it (srv not connected),
 *   with two messages queued at srv; an abstract-named receiver abs with one
 *   message sent by an unconnected socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include "feature.h"

static const int sizes_ab[] = {10, 1, 500}, sizes_ba[] = {7, 2000};

static void check_msgs(int fd, const int *sizes, int n, char c, const char *what)
{
	char buf[4096];

	for (int m = 0; m < n; m++) {
		ssize_t got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		FEAT_CHECK(got == sizes[m] && buf[0] == c + m && buf[got - 1] == c + m,
			   "%s message %d: %zd bytes, expected %d of '%c'", what, m, got, sizes[m], c + m);
	}
	FEAT_CHECK(recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "%s: extra message",
		   what);
}

static void send_msgs(int fd, const int *sizes, int n, char c, const struct sockaddr_un *to)
{
	char buf[4096];

	for (int m = 0; m < n; m++) {
		memset(buf, c + m, sizes[m]);
		if (sendto(fd, buf, sizes[m], 0, (const struct sockaddr *)to, to ? sizeof(*to) : 0) !=
		    sizes[m])
			feat_die("send");
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, ab = {.sun_family = AF_UNIX};
	int sv[2], srv, cli, abs, anon;
	char buf[64];

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		feat_die("socketpair");
	send_msgs(sv[0], sizes_ab, 3, 'A', NULL);
	send_msgs(sv[1], sizes_ba, 2, 'a', NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/dgram.sock", argv[1]);
	unlink(sa.sun_path);
	srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	cli = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(srv, (struct sockaddr *)&sa, sizeof(sa)) || connect(cli, (struct sockaddr *)&sa, sizeof(sa)))
		feat_die("bind/connect dgram");
	send_msgs(cli, (const int[]){30, 40}, 2, 'P', NULL);
	snprintf(ab.sun_path + 1, sizeof(ab.sun_path) - 1, "criu-feat-dgram-%d", getpid());
	abs = socket(AF_UNIX, SOCK_DGRAM, 0);
	anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (bind(abs, (struct sockaddr *)&ab, sizeof(ab)))
		feat_die("bind abstract");
	send_msgs(anon, (const int[]){3}, 1, 'x', &ab);
	close(anon);

	feat_ready();
	feat_wait_go();

	check_msgs(sv[1], sizes_ab, 3, 'A', "pair a->b");
	check_msgs(sv[0], sizes_ba, 2, 'a', "pair b->a");
	check_msgs(srv, (const int[]){30, 40}, 2, 'P', "bound srv");
	check_msgs(abs, (const int[]){3}, 1, 'x', "abstract");
	FEAT_CHECK(send(cli, "hi", 2, 0) == 2 && recv(srv, buf, sizeof(buf), MSG_DONTWAIT) == 2,
		   "cli no longer connected to srv");
	FEAT_CHECK(send(sv[0], "hey", 3, 0) == 3 && recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 3,
		   "pair no longer connected");
	{
		struct sockaddr_un got;
		socklen_t l = sizeof(got);

		FEAT_CHECK(getpeername(cli, (struct sockaddr *)&got, &l) == 0 &&
				   !strcmp(got.sun_path, sa.sun_path),
			   "cli peer name differs");
	}
	return feat_done();
}
