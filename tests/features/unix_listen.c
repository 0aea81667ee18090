/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A listening unix stream socket bound to DIR/listen.sock (backlog 7):
 *   one connection accepted before the dump, with 20 bytes queued each way;
 *   two connections still waiting in the backlog (c1, c2, in that order).
 * After restore: the socket file exists, the listener listens, accepting
 * gives c1's then c2's connection and both carry data both ways.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "feature.h"

static int connect_to(const struct sockaddr_un *sa)
{
	int c = socket(AF_UNIX, SOCK_STREAM, 0);

	if (c < 0 || connect(c, (const struct sockaddr *)sa, sizeof(*sa)))
		feat_die("connect");
	return c;
}

static void check_conn(int a, int c, const char *what)
{
	char buf[64] = "";

	FEAT_CHECK(write(c, what, strlen(what)) == (ssize_t)strlen(what) &&
			   read(a, buf, sizeof(buf) - 1) > 0 && !strcmp(buf, what),
		   "%s: client -> server got '%s'", what, buf);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(write(a, "back", 4) == 4 && read(c, buf, sizeof(buf) - 1) == 4 && !strcmp(buf, "back"),
		   "%s: server -> client got '%s'", what, buf);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, got;
	socklen_t l = sizeof(got);
	int lsk, acc, c0, c1, c2, a1, a2, v = 0;
	char buf[64];
	struct stat st;

	feat_init(argc, argv);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/listen.sock", argv[1]);
	unlink(sa.sun_path);
	lsk = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lsk < 0 || bind(lsk, (struct sockaddr *)&sa, sizeof(sa)) || listen(lsk, 7))
		feat_die("listen");
	c0 = connect_to(&sa);
	acc = accept(lsk, NULL, NULL);
	if (acc < 0)
		feat_die("accept");
	memset(buf, 'c', 20);
	if (write(c0, buf, 20) != 20)
		feat_die("write c0");
	memset(buf, 's', 20);
	if (write(acc, buf, 20) != 20)
		feat_die("write acc");
	c1 = connect_to(&sa);
	c2 = connect_to(&sa);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(stat(sa.sun_path, &st) == 0 && S_ISSOCK(st.st_mode), "%s is not a socket file",
		   sa.sun_path);
	l = sizeof(v);
	FEAT_CHECK(getsockopt(lsk, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) == 0 && v == 1,
		   "listener does not listen");
	l = sizeof(got);
	FEAT_CHECK(getsockname(lsk, (struct sockaddr *)&got, &l) == 0 && !strcmp(got.sun_path, sa.sun_path),
		   "listener name differs");
	l = sizeof(got);
	memset(&got, 0, sizeof(got));
	FEAT_CHECK(getsockname(acc, (struct sockaddr *)&got, &l) == 0 && !strcmp(got.sun_path, sa.sun_path),
		   "accepted socket name '%s' differs", got.sun_path);
	FEAT_CHECK(recv(acc, buf, sizeof(buf), MSG_DONTWAIT) == 20 && buf[19] == 'c',
		   "accepted socket lost its data");
	FEAT_CHECK(recv(c0, buf, sizeof(buf), MSG_DONTWAIT) == 20 && buf[19] == 's',
		   "client c0 lost its data");
	check_conn(acc, c0, "c0");
	fcntl(lsk, F_SETFL, O_NONBLOCK);
	a1 = accept(lsk, NULL, NULL);
	a2 = accept(lsk, NULL, NULL);
	FEAT_CHECK(a1 >= 0 && a2 >= 0, "cannot accept the waiting connections (%d %d): %s", a1, a2,
		   strerror(errno));
	FEAT_CHECK(accept(lsk, NULL, NULL) < 0 && errno == EAGAIN, "more than two waiting connections");
	if (a1 >= 0 && a2 >= 0) {
		check_conn(a1, c1, "c1");
		check_conn(a2, c2, "c2");
	}
	{
		int c3 = socket(AF_UNIX, SOCK_STREAM, 0), a3;

		FEAT_CHECK(connect(c3, (struct sockaddr *)&sa, sizeof(sa)) == 0, "new connect: %s",
			   strerror(errno));
		a3 = accept(lsk, NULL, NULL);
		FEAT_CHECK(a3 >= 0, "cannot accept a new connection");
		if (a3 >= 0)
			check_conn(a3, c3, "c3");
	}
	return feat_done();
}
