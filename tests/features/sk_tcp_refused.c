/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An established TCP connection without --tcp-established: the dump is
 * refused with a message naming it, the program keeps running with its
 * connection intact, and no network lock rule is left behind.
 */
// criu-expect: dump-refused
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	int ls, c, a;
	char buf[8] = {0};

	feat_init(argc, argv);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(ls, (struct sockaddr *)&sa, l) || listen(ls, 1) ||
	    getsockname(ls, (struct sockaddr *)&sa, &l))
		feat_die("listen");
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&sa, l))
		feat_die("connect");
	a = accept(ls, NULL, NULL);
	if (a < 0 || write(c, "abc", 3) != 3)
		feat_die("accept");
	feat_ready();
	feat_wait_go();
	FEAT_CHECK(read(a, buf, 3) == 3 && !strcmp(buf, "abc"), "data lost: '%s'", buf);
	FEAT_CHECK(write(a, "xy", 2) == 2 && read(c, buf, 2) == 2 && !memcmp(buf, "xy", 2),
		   "connection broken");
	FEAT_CHECK(system("iptables -w -S 2>/dev/null | grep -q criu_lock") != 0,
		   "an iptables lock rule is left");
	return feat_done();
}
