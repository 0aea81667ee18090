/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --skip-in-flight: a listener with a connection not yet accepted (its
 * client outside the tree) is dumped without it; after restore the
 * listener keeps its port and backlog and accepts new connections.
 */
// criu-opts: --skip-in-flight
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, got;
	socklen_t l = sizeof(sa);
	int ls, c, a;
	pid_t p;

	feat_init(argc, argv);
	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(ls, (struct sockaddr *)&sa, l) || listen(ls, 5) ||
	    getsockname(ls, (struct sockaddr *)&sa, &l))
		feat_die("listen");
	/* the client: a grandchild that leaves the tree, connects, and lingers a while */
	p = fork();
	if (p == 0) {
		if (fork() == 0) {
			int s = socket(AF_INET, SOCK_STREAM, 0);

			close(ls); /* not the listener: only the tree holds it */
			setsid();
			if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
				sleep(20);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(p, NULL, 0);
	usleep(300000); /* the connection is in the accept queue now */
	feat_ready();
	feat_wait_go();
	l = sizeof(got);
	FEAT_CHECK(getsockname(ls, (struct sockaddr *)&got, &l) == 0 && got.sin_port == sa.sin_port,
		   "listener port");
	c = socket(AF_INET, SOCK_STREAM, 0);
	FEAT_CHECK(connect(c, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect: %s", strerror(errno));
	a = accept(ls, NULL, NULL);
	FEAT_CHECK(a >= 0, "accept: %s", strerror(errno));
	FEAT_CHECK(write(c, "z", 1) == 1 && read(a, &l, 1) == 1, "the new connection does not carry data");
	return feat_done();
}
