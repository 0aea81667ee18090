/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --tcp-close: an established connection (both ends in the tree) is
 * dumped without repair and restored closed; the listener stays a
 * listener and accepts.
 */
// criu-opts: --tcp-close
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "feature.h"

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
	c2 = socket(AF_INET, SOCK_STREAM, 0);
	FEAT_CHECK(connect(c2, (struct sockaddr *)&sa, sizeof(sa)) == 0, "listener gone: %s",
		   strerror(errno));
	a2 = accept(ls, NULL, NULL);
	FEAT_CHECK(a2 >= 0, "accept: %s", strerror(errno));
	return feat_done();
}
