/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files in flight (SCM_RIGHTS) in unix socket queues, received after restore:
 *   a datagram pair, queued at d[1]: "plain-1"; "pipe" with a pipe's write
 *   end (the task keeps only the read end); "file" with a regular file at
 *   offset 5 (closed in the task); "two" with two fds (the task's own open
 *   file and the pipe's read end); "loop" with d[1] itself; "plain-2";
 *   a stream pair, queued at s[1]: "FD" with the task's own file, "GH" with
 *   the pipe's read end, 70000 plain bytes then "Z" with the pipe's read
 *   end, then "bbbb" (a read stops after the bytes that came with fds, as
 *   before the dump, also after a run longer than one kernel buffer);
 *   nested: x[1] holds the pipe's write end in its queue and is itself in
 *   flight at d[1] ("sock"), and held by the task.
 */
#include <linux/kcmp.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "feature.h"

static int send_fds(int sk, const char *msg, const int *fds, int n)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)msg, strlen(msg)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (n) {
		struct cmsghdr *c;

		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	return sendmsg(sk, &mh, 0) == (ssize_t)strlen(msg) ? 0 : -1;
}

/* Receives one message of at most len bytes: its size, *nfds fds into fds. */
static ssize_t recv_fds(int sk, char *buf, size_t len, int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, len};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(sk, &mh, MSG_DONTWAIT);

	*nfds = 0;
	if (n >= 0)
		buf[n] = '\0';
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			*nfds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds, CMSG_DATA(c), sizeof(int) * *nfds);
		}
	return n;
}

static bool same_file(int a, int b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, a, b) == 0;
}

/* The next message of sk must be want with nfds fds. */
static void expect(int sk, size_t len, const char *want, int nfds, int *fds)
{
	char buf[64];
	int got;
	ssize_t n = recv_fds(sk, buf, len, fds, &got);

	FEAT_CHECK(n == (ssize_t)strlen(want) && !strcmp(buf, want) && got == nfds,
		   "expected \"%s\" with %d fds, got %zd bytes \"%s\" with %d fds", want, nfds, n,
		   n >= 0 ? buf : "", got);
}

static void check_dgram(int d, int x1, int pipe_r, int own)
{
	char buf[64] = "";
	int fds[4] = {-1, -1, -1, -1};

	expect(d, sizeof(buf) - 1, "plain-1", 0, fds);
	expect(d, sizeof(buf) - 1, "pipe", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && write(fds[0], "xyz", 3) == 3 && read(pipe_r, buf, 3) == 3 &&
			   !memcmp(buf, "xyz", 3),
		   "the pipe's write end in flight does not write into the task's read end");
	expect(d, sizeof(buf) - 1, "file", 1, fds);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(fds[0] >= 0 && lseek(fds[0], 0, SEEK_CUR) == 5 && read(fds[0], buf, 5) == 5 &&
			   !memcmp(buf, "56789", 5),
		   "the file in flight: offset or contents differ (read \"%s\")", buf);
	expect(d, sizeof(buf) - 1, "two", 2, fds);
	FEAT_CHECK(fds[0] >= 0 && same_file(fds[0], own),
		   "the task's own file in flight is another description");
	FEAT_CHECK(fds[1] >= 0 && same_file(fds[1], pipe_r),
		   "the pipe's read end in flight is another description");
	expect(d, sizeof(buf) - 1, "loop", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && same_file(fds[0], d), "the socket in its own queue is another socket");
	expect(d, sizeof(buf) - 1, "sock", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && same_file(fds[0], x1), "the socket x[1] in flight is another socket");
	expect(x1, sizeof(buf) - 1, "in-x", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && write(fds[0], "n", 1) == 1 && read(pipe_r, buf, 1) == 1 && buf[0] == 'n',
		   "the pipe's write end in x[1]'s queue does not write into the task's read end");
	expect(d, sizeof(buf) - 1, "plain-2", 0, fds);
	FEAT_CHECK(recv(d, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "dgram: an extra message");
}

static void check_stream(int s, int pipe_r, int own)
{
	char buf[64];
	int fds[4] = {-1, -1, -1, -1};

	expect(s, sizeof(buf) - 1, "FD", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && same_file(fds[0], own),
		   "stream: the task's own file in flight is another description");
	expect(s, sizeof(buf) - 1, "GH", 1, fds);
	FEAT_CHECK(fds[0] >= 0 && same_file(fds[0], pipe_r),
		   "stream: the pipe's read end in flight is another description");
	{
		static char run[80000];
		int got = 0;
		ssize_t n = recv_fds(s, run, sizeof(run) - 1, fds, &got);

		FEAT_CHECK(n == 70001 && run[0] == 'z' && run[69999] == 'z' && run[70000] == 'Z' &&
				   got == 1 && same_file(fds[0], pipe_r),
			   "stream: the long run came back as %zd bytes with %d fds", n, got);
	}
	expect(s, sizeof(buf) - 1, "bbbb", 0, fds);
	FEAT_CHECK(recv(s, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN, "stream: extra bytes");
}

int main(int argc, char **argv)
{
	char path[4200];
	static char run[70001]; /* 70000 'z' and the NUL */
	int d[2], s[2], x[2], p[2], file, own;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/inflight.txt", argv[1]);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snprintf(path, sizeof(path), "%s/own.txt", argv[1]);
	own = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file < 0 || own < 0 || write(file, "0123456789", 10) != 10 || lseek(file, 5, SEEK_SET) != 5)
		feat_die("files");
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, d) || socketpair(AF_UNIX, SOCK_STREAM, 0, s) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, x) || pipe(p))
		feat_die("socketpair/pipe");
	if (send_fds(d[0], "plain-1", NULL, 0) || send_fds(d[0], "pipe", &p[1], 1) ||
	    send_fds(d[0], "file", &file, 1) || send_fds(d[0], "two", (int[]){own, p[0]}, 2) ||
	    send_fds(d[0], "loop", &d[1], 1) || send_fds(x[0], "in-x", &p[1], 1) ||
	    send_fds(d[0], "sock", &x[1], 1) || send_fds(d[0], "plain-2", NULL, 0))
		feat_die("send on the datagram pair");
	memset(run, 'z', sizeof(run) - 1);
	if (send_fds(s[0], "FD", &own, 1) || send_fds(s[0], "GH", &p[0], 1) || send_fds(s[0], run, NULL, 0) ||
	    send_fds(s[0], "Z", &p[0], 1) || send_fds(s[0], "bbbb", NULL, 0))
		feat_die("send on the stream pair");
	close(p[1]);
	close(file);

	feat_ready();
	feat_wait_go();

	check_dgram(d[1], x[1], p[0], own);
	check_stream(s[1], p[0], own);
	return feat_done();
}
