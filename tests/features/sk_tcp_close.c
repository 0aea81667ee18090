/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --tcp-close: an established connection (both ends in the tree) is
 * dumped without repair and restored closed, as a connection that ended
 * reads: TCP_CLOSE, end of file, POLLHUP, EPIPE on a write; the listener
 * stays a listener and accepts.
 */
// criu-opts: --tcp-close
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include "feature.h"

static void check_closed(int sk, const char *who)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);
	struct pollfd p = {.fd = sk, .events = POLLHUP};
	char b;
	ssize_t n;

	memset(&ti, 0, sizeof(ti));
	FEAT_CHECK(getsockopt(sk, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 && ti.tcpi_state == TCP_CLOSE,
		   "%s: TCP state %u, not CLOSE", who, ti.tcpi_state);
	n = recv(sk, &b, 1, MSG_DONTWAIT);
	FEAT_CHECK(n == 0, "%s: a read gave %zd (%s), not end of file", who, n, n < 0 ? strerror(errno) : "data");
	FEAT_CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLHUP, "%s: poll revents %#x, not POLLHUP", who,
		   p.revents);
	n = send(sk, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	FEAT_CHECK(n < 0 && errno == EPIPE, "%s: a write gave %zd (%s), not EPIPE", who, n, strerror(errno));
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, peer;
	socklen_t l = sizeof(sa);
	int ls, c, a, c2, a2;
	char buf[8];

	feat_init(argc, argv);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(ls, (struct sockaddr *)&sa, l) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &l))
		feat_die("listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sa, l))
		feat_die("connect");
	a = accept(ls, NULL, NULL);
	if (a < 0)
		feat_die("accept");
	feat_ready();
	feat_wait_go();
	l = sizeof(peer);
	FEAT_CHECK(getpeername(c, (struct sockaddr *)&peer, &l) < 0 && errno == ENOTCONN,
		   "client still connected");
	FEAT_CHECK(getpeername(a, (struct sockaddr *)&peer, &l) < 0 && errno == ENOTCONN,
		   "server end still connected");
	FEAT_CHECK(read(a, buf, 1) <= 0, "reading a closed socket gave data");
	check_closed(a, "server end");
	check_closed(c, "client");
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	FEAT_CHECK(connect(c2, (struct sockaddr *)&sa, sizeof(sa)) == 0, "listener gone: %s",
		   strerror(errno));
	a2 = accept(ls, NULL, NULL);
	FEAT_CHECK(a2 >= 0, "accept: %s", strerror(errno));
	return feat_done();
}
