/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A unix socket that is only in flight (sent over a datagram pair, then
 * closed by the task; its peer stays open): the dump is refused with a
 * message naming it, and the program goes on with its queue intact (the
 * socket is received and still talks to its peer).
 */
// criu-expect: dump-refused
#include <sys/socket.h>

#include "feature.h"

int main(int argc, char **argv)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char c = 'm', buf[8];
	struct iovec iov = {&c, 1};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	int d[2], x[2], got = -1;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) || socketpair(AF_UNIX, SOCK_STREAM, 0, x))
		feat_die("socketpair");
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &x[0], sizeof(int));
	if (sendmsg(d[0], &mh, 0) != 1)
		feat_die("sendmsg");
	close(x[0]);

	feat_ready();
	feat_wait_go();

	mh.msg_controllen = sizeof(ctl.b);
	FEAT_CHECK(recvmsg(d[1], &mh, MSG_DONTWAIT) == 1 && c == 'm' && (cm = CMSG_FIRSTHDR(&mh)) &&
			   cm->cmsg_type == SCM_RIGHTS,
		   "the message with the socket in flight is gone");
	if (cm)
		memcpy(&got, CMSG_DATA(cm), sizeof(int));
	FEAT_CHECK(got >= 0 && write(got, "hi", 2) == 2 && read(x[1], buf, 2) == 2 && !memcmp(buf, "hi", 2),
		   "the socket in flight no longer talks to its peer");
	return feat_done();
}
