/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A TCP connection that ended before the dump (both ends shut their
 * writing side and read the other's end of file; the listener is closed):
 * the sockets are closed and unhashed, and need no --tcp-* option. After
 * restore both still read end of file, a write gives EPIPE and the state is
 * TCP_CLOSE, not a never-connected socket's ENOTCONN.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "feature.h"

static void check(int sk, const char *who)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	char b;
	ssize_t n;

	memset(&ti, 0, sizeof(ti));
	FEAT_CHECK(getsockopt(sk, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 && ti.tcpi_state == TCP_CLOSE,
		   "%s: TCP state %u, not CLOSE", who, ti.tcpi_state);
	n = read(sk, &b, 1);
	FEAT_CHECK(n == 0, "%s: a read gave %zd (%s), not end of file", who, n, n < 0 ? strerror(errno) : "data");
	n = send(sk, "x", 1, MSG_NOSIGNAL);
	FEAT_CHECK(n < 0 && errno == EPIPE, "%s: a write gave %zd (%s), not EPIPE", who, n, strerror(errno));
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	int ls, c, a;
	char b;

	feat_init(argc, argv);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || c < 0 || bind(ls, (struct sockaddr *)&sa, l) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &l) || connect(c, (struct sockaddr *)&sa, l))
		feat_die("connect");
	a = accept(ls, NULL, NULL);
	if (a < 0)
		feat_die("accept");
	close(ls);
	if (shutdown(c, SHUT_WR) || shutdown(a, SHUT_WR) || read(a, &b, 1) != 0 || read(c, &b, 1) != 0)
		feat_die("end the connection");
	usleep(100000); /* the last ACKs */

	feat_ready();
	feat_wait_go();

	check(a, "server end");
	check(c, "client");
	return feat_done();
}
