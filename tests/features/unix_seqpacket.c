/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix seqpacket socketpair: messages of 5, 0x1000 and 1 bytes a -> b and
 * one of 77 bytes b -> a keep their boundaries across restore.
 */
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	static const int sizes[] = {5, 0x1000, 1};
	char buf[8192];
	int sv[2], type = 0;
	socklen_t l = sizeof(type);
	ssize_t n;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		feat_die("socketpair");
	for (int m = 0; m < 3; m++) {
		memset(buf, 'K' + m, sizes[m]);
		if (send(sv[0], buf, sizes[m], 0) != sizes[m])
			feat_die("send a");
	}
	memset(buf, 'z', 77);
	if (send(sv[1], buf, 77, 0) != 77)
		feat_die("send b");

	feat_ready();
	feat_wait_go();

	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &l);
	FEAT_CHECK(type == SOCK_SEQPACKET, "type %d, expected SOCK_SEQPACKET", type);
	for (int m = 0; m < 3; m++) {
		n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		FEAT_CHECK(n == sizes[m] && buf[0] == 'K' + m && buf[n - 1] == 'K' + m,
			   "b message %d: %zd bytes, expected %d", m, n, sizes[m]);
	}
	n = recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 77 && buf[76] == 'z', "a message: %zd bytes, expected 77", n);
	FEAT_CHECK(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) < 0 &&
			   recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) < 0,
		   "extra messages");
	FEAT_CHECK(send(sv[1], "abc", 3, 0) == 3 && recv(sv[0], buf, sizeof(buf), 0) == 3,
		   "pair disconnected");
	return feat_done();
}
