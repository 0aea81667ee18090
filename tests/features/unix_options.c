/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Options of unix sockets: SO_SNDBUF 100000 and SO_RCVBUF 70000 (the kernel
 * doubles them), SO_PASSCRED, SO_PEEK_OFF 3 with "abcdefgh" queued (a peek
 * gives "defgh"), O_NONBLOCK; the other end keeps the defaults.
 */
#include <sys/socket.h>

#include "feature.h"

static int opt(int fd, int o)
{
	int v = -100;
	socklen_t l = sizeof(v);

	getsockopt(fd, SOL_SOCKET, o, &v, &l);
	return v;
}

int main(int argc, char **argv)
{
	int sv[2], snd = 100000, rcv = 70000, one = 1, off = 3, snd0, rcv0;
	char buf[64] = "";
	ssize_t n;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		feat_die("socketpair");
	snd0 = opt(sv[1], SO_SNDBUF);
	rcv0 = opt(sv[1], SO_RCVBUF);
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    setsockopt(sv[0], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) || write(sv[1], "abcdefgh", 8) != 8)
		feat_die("setsockopt");
	fcntl(sv[0], F_SETFL, O_NONBLOCK);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(opt(sv[0], SO_SNDBUF) == 200000, "SO_SNDBUF %d, expected 200000", opt(sv[0], SO_SNDBUF));
	FEAT_CHECK(opt(sv[0], SO_RCVBUF) == 140000, "SO_RCVBUF %d, expected 140000", opt(sv[0], SO_RCVBUF));
	FEAT_CHECK(opt(sv[1], SO_SNDBUF) == snd0 && opt(sv[1], SO_RCVBUF) == rcv0,
		   "other end's buffers %d/%d, expected %d/%d", opt(sv[1], SO_SNDBUF), opt(sv[1], SO_RCVBUF),
		   snd0, rcv0);
	FEAT_CHECK(opt(sv[0], SO_PASSCRED) == 1, "SO_PASSCRED lost");
	FEAT_CHECK(opt(sv[1], SO_PASSCRED) == 0, "SO_PASSCRED set on the other end");
	FEAT_CHECK(opt(sv[0], SO_PEEK_OFF) == 3, "SO_PEEK_OFF %d, expected 3", opt(sv[0], SO_PEEK_OFF));
	FEAT_CHECK(opt(sv[1], SO_PEEK_OFF) == -1, "other end's SO_PEEK_OFF %d, expected -1",
		   opt(sv[1], SO_PEEK_OFF));
	FEAT_CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK, "O_NONBLOCK lost");
	n = recv(sv[0], buf, sizeof(buf) - 1, MSG_PEEK);
	FEAT_CHECK(n == 5 && !memcmp(buf, "defgh", 5), "peek at offset 3 gave %zd bytes '%s'", n, buf);
	n = recv(sv[0], buf, sizeof(buf) - 1, 0);
	FEAT_CHECK(n == 8 && !memcmp(buf, "abcdefgh", 8), "read gave %zd bytes", n);
	return feat_done();
}
