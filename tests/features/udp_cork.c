/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A corked UDP socket (UDP_CORK) with nothing held back stays corked: after
 * restore two writes and an uncork make one datagram at its peer.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int rx, tx, v = 1;
	char buf[16] = { 0 };
	ssize_t n;

	feat_init(argc, argv);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(rx, (struct sockaddr *)&sa, l) || getsockname(rx, (struct sockaddr *)&sa, &l) ||
	    connect(tx, (struct sockaddr *)&sa, l) || setsockopt(tx, SOL_UDP, UDP_CORK, &v, sizeof(v)))
		feat_die("udp sockets");

	feat_ready();
	feat_wait_go();

	v = 0;
	l = sizeof(v);
	FEAT_CHECK(getsockopt(tx, SOL_UDP, UDP_CORK, &v, &l) == 0 && v == 1, "UDP_CORK is %d after restore", v);
	if (write(tx, "ab", 2) != 2 || write(tx, "cd", 2) != 2)
		feat_fail("write: %s", strerror(errno));
	v = 0;
	setsockopt(tx, SOL_UDP, UDP_CORK, &v, sizeof(v));
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	FEAT_CHECK(n == 4 && !strcmp(buf, "abcd"), "the peer got %zd bytes '%s', expected one datagram 'abcd'", n,
		   buf);
	return feat_done();
}
