/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A TCP connection reset by its peer (SO_LINGER 0, then close) whose reset
 * the task has not read yet, with data still queued before it: restoring
 * it as a connection that ended would give end of file instead of
 * ECONNRESET, so the dump is refused by name; the task then still reads its
 * data, then ECONNRESET (the dump took neither).
 */
// criu-expect: dump-refused
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
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
	if (a < 0 || setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) || write(a, "d", 1) != 1)
		feat_die("accept, write");
	usleep(50000);
	close(a); /* a reset */
	close(ls);
	usleep(100000);

	feat_ready();
	feat_wait_go();

	b = 0;
	FEAT_CHECK(read(c, &b, 1) == 1 && b == 'd', "the data queued before the reset is gone (read '%c')",
		   b);
	FEAT_CHECK(read(c, &b, 1) < 0 && errno == ECONNRESET, "the reset is gone: read gave %s",
		   strerror(errno));
	return feat_done();
}
