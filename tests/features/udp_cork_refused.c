/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A corked UDP socket holding data not sent yet: that data cannot be put
 * back, so the dump is refused by name and the program goes on.
 */
// criu-expect: dump-refused
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

	feat_init(argc, argv);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (bind(rx, (struct sockaddr *)&sa, l) || getsockname(rx, (struct sockaddr *)&sa, &l) ||
	    connect(tx, (struct sockaddr *)&sa, l) || setsockopt(tx, SOL_UDP, UDP_CORK, &v, sizeof(v)) ||
	    write(tx, "held", 4) != 4)
		feat_die("udp sockets");

	feat_ready();
	feat_wait_go();
	return feat_done();
}
