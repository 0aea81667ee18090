/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix stream socketpair within one task, with data queued both ways:
 *   a -> b: 3000 bytes in three writes (read back as one byte stream);
 *   b -> a: 100 bytes, of which 10 were already read before the dump.
 * After restore: the queues hold exactly the unread bytes, the pair is still
 * connected both ways, a keeps O_NONBLOCK.
 */
#include <sys/socket.h>

#include "feature.h"

static char byte(int i)
{
	return (char)(i * 13 + 5);
}

int main(int argc, char **argv)
{
	int sv[2];
	char buf[8192];
	ssize_t n;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		feat_die("socketpair");
	for (int i = 0; i < 3000; i++)
		buf[i] = byte(i);
	for (int k = 0; k < 3; k++)
		if (write(sv[0], buf + k * 1000, 1000) != 1000)
			feat_die("write a");
	memset(buf, 'r', 100);
	if (write(sv[1], buf, 100) != 100 || read(sv[0], buf, 10) != 10)
		feat_die("write b");
	fcntl(sv[0], F_SETFL, O_NONBLOCK);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK, "a lost O_NONBLOCK");
	FEAT_CHECK(!(fcntl(sv[1], F_GETFL) & O_NONBLOCK), "b gained O_NONBLOCK");
	n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 3000, "b holds %zd bytes, expected 3000", n);
	for (int i = 0; i < n; i++)
		if (buf[i] != byte(i)) {
			feat_fail("b byte %d differs", i);
			break;
		}
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 90 && buf[0] == 'r' && buf[89] == 'r', "a holds %zd bytes, expected 90 of 'r'", n);
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n < 0 && errno == EAGAIN, "a: more data than expected (%zd)", n);
	FEAT_CHECK(write(sv[0], "ping", 4) == 4 && read(sv[1], buf, 16) == 4 && !memcmp(buf, "ping", 4),
		   "a -> b no longer connected");
	FEAT_CHECK(write(sv[1], "pong", 4) == 4 && read(sv[0], buf, 16) == 4 && !memcmp(buf, "pong", 4),
		   "b -> a no longer connected");
	{
		int type = 0;
		socklen_t l = sizeof(type);

		getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &l);
		FEAT_CHECK(type == SOCK_STREAM, "type %d", type);
	}
	return feat_done();
}
