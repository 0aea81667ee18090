/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pipes:
 *   p1: 3000 bytes buffered, write end O_NONBLOCK, size set to 256 KiB;
 *   p2: packet mode (O_DIRECT) with three buffered 100-byte messages;
 *   p3: read end in a child process, written by the root after restore;
 *   rep: the child reports back through it.
 */
#include <sys/wait.h>

#include "feature.h"

static char byte(int i)
{
	return (char)(i * 7 + 3);
}

int main(int argc, char **argv)
{
	int p1[2], p2[2], p3[2], rep[2], st;
	char buf[4096];
	pid_t c;

	feat_init(argc, argv);
	if (pipe(p1) || pipe2(p2, O_DIRECT) || pipe(p3) || pipe(rep))
		feat_die("pipe");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		char msg[64] = "";
		ssize_t n;

		close(p3[1]);
		close(rep[0]);
		close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
		n = read(p3[0], msg, sizeof(msg) - 1);
		FEAT_CHECK(n == 12 && !memcmp(msg, "hello, child", 12), "child read %zd bytes '%s' from the shared pipe", n,
			   msg);
		n = read(p3[0], msg, sizeof(msg));
		FEAT_CHECK(n == 0, "child: no EOF after the root closed its end (%zd)", n);
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(p3[0]);
	close(rep[1]);
	if (fcntl(p1[0], F_SETPIPE_SZ, 256 * 1024) < 0)
		feat_die("F_SETPIPE_SZ");
	for (int i = 0; i < 3000; i++)
		buf[i] = byte(i);
	if (write(p1[1], buf, 3000) != 3000)
		feat_die("write p1");
	fcntl(p1[1], F_SETFL, O_NONBLOCK);
	for (int m = 0; m < 3; m++) {
		memset(buf, 'A' + m, 100);
		if (write(p2[1], buf, 100) != 100)
			feat_die("write p2");
	}

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fcntl(p1[0], F_GETPIPE_SZ) == 256 * 1024, "p1 size %d, expected 262144", fcntl(p1[0], F_GETPIPE_SZ));
	FEAT_CHECK(fcntl(p1[1], F_GETFL) & O_NONBLOCK, "p1 write end lost O_NONBLOCK");
	FEAT_CHECK(!(fcntl(p1[0], F_GETFL) & O_NONBLOCK), "p1 read end gained O_NONBLOCK");
	FEAT_CHECK((fcntl(p1[0], F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(p1[1], F_GETFL) & O_ACCMODE) == O_WRONLY,
		   "p1 access modes %#x/%#x", fcntl(p1[0], F_GETFL), fcntl(p1[1], F_GETFL));
	{
		int avail = -1;
		ssize_t n;

		fcntl(p1[0], F_SETFL, O_NONBLOCK);
		n = read(p1[0], buf, sizeof(buf));
		FEAT_CHECK(n == 3000, "p1 holds %zd bytes, expected 3000", n);
		for (int i = 0; i < n; i++)
			if (buf[i] != byte(i)) {
				feat_fail("p1 byte %d: %d", i, buf[i]);
				break;
			}
		(void)avail;
		/* the two ends are still one pipe */
		FEAT_CHECK(write(p1[1], "ping", 4) == 4 && read(p1[0], buf, 16) == 4 && !memcmp(buf, "ping", 4),
			   "p1 ends no longer connected");
	}
	FEAT_CHECK(fcntl(p2[1], F_GETFL) & O_DIRECT, "p2 lost packet mode (O_DIRECT)");
	fcntl(p2[0], F_SETFL, O_NONBLOCK);
	for (int m = 0; m < 3; m++) {
		ssize_t n = read(p2[0], buf, sizeof(buf));

		FEAT_CHECK(n == 100 && buf[0] == 'A' + m && buf[99] == 'A' + m,
			   "p2 message %d: %zd bytes starting '%c', expected 100 of '%c'", m, n, n > 0 ? buf[0] : '?', 'A' + m);
	}
	if (write(p3[1], "hello, child", 12) != 12)
		feat_fail("write to the shared pipe: %s", strerror(errno));
	close(p3[1]);
	feat_collect(rep[0]);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child status %#x", st);
	return feat_done();
}
