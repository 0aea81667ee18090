/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shutdown state of unix sockets:
 *   pair 1 (stream): a wrote "last words" then shut down writing (SHUT_WR):
 *     b reads them then EOF; b can still write to a;
 *   pair 2 (seqpacket): c shut down reading (SHUT_RD): d cannot send;
 *   pair 3 (stream): f closed after writing "bye": e reads "bye" then EOF.
 */
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	int p1[2], p2[2], p3[2];
	char buf[64];
	ssize_t n;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p1) || socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p2) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, p3))
		feat_die("socketpair");
	if (write(p1[0], "last words", 10) != 10 || shutdown(p1[0], SHUT_WR) || shutdown(p2[0], SHUT_RD) ||
	    write(p3[1], "bye", 3) != 3 || close(p3[1]))
		feat_die("set up");

	feat_ready();
	feat_wait_go();

	n = recv(p1[1], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 10 && !memcmp(buf, "last words", 10), "pair 1: b got %zd bytes", n);
	n = recv(p1[1], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 0, "pair 1: b sees no EOF (%zd %s)", n, strerror(errno));
	FEAT_CHECK(send(p1[0], "x", 1, MSG_NOSIGNAL) < 0 && errno == EPIPE, "pair 1: a can still write");
	FEAT_CHECK(write(p1[1], "back", 4) == 4 && recv(p1[0], buf, sizeof(buf), MSG_DONTWAIT) == 4,
		   "pair 1: b -> a broken");
	FEAT_CHECK(send(p2[1], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EPIPE,
		   "pair 2: d can still send to c that shut down reading");
	FEAT_CHECK(send(p2[0], "y", 1, MSG_DONTWAIT) == 1 && recv(p2[1], buf, sizeof(buf), MSG_DONTWAIT) == 1,
		   "pair 2: c -> d broken");
	n = recv(p3[0], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 3 && !memcmp(buf, "bye", 3), "pair 3: e got %zd bytes", n);
	n = recv(p3[0], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 0, "pair 3: e sees no EOF (%zd %s)", n, strerror(errno));
	return feat_done();
}
