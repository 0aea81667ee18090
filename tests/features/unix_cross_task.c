/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix sockets shared across tasks:
 *   a stream socketpair whose ends are held by the parent (p) and the child (c),
 *     with "to-child" queued for the child and "to-parent" for the parent;
 *   the child's client connected (and accepted) to the parent's listener on
 *     an abstract name, with 5 bytes queued for the parent.
 * After restore each side reads its data and they still talk.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int sv[2], rep[2], go[2], lsk, acc, st;
	char buf[64];
	pid_t c;

	feat_init(argc, argv);
	snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "criu-feat-cross-%d", getpid());
	lsk = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lsk < 0 || bind(lsk, (struct sockaddr *)&sa, sizeof(sa)) || listen(lsk, 4))
		feat_die("listen");
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(rep) || pipe(go))
		feat_die("socketpair");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		int cl = socket(AF_UNIX, SOCK_STREAM, 0);
		ssize_t n;

		close(sv[0]);
		close(rep[0]);
		close(go[1]);
		close(lsk);
		if (connect(cl, (struct sockaddr *)&sa, sizeof(sa)) || write(cl, "hello", 5) != 5 ||
		    write(sv[1], "to-parent", 9) != 9)
			_exit(3);
		if (read(go[0], buf, 1) != 1) /* the root says go after restore */
			_exit(4);
		n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		FEAT_CHECK(n == 8 && !memcmp(buf, "to-child", 8), "child: pair holds %zd bytes", n);
		FEAT_CHECK(write(cl, "more", 4) == 4, "child: cannot write to the listener's connection");
		n = read(cl, buf, sizeof(buf));
		FEAT_CHECK(n == 3 && !memcmp(buf, "ack", 3), "child: no ack (%zd)", n);
		FEAT_CHECK(write(sv[1], "x", 1) == 1, "child: pair write failed");
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(sv[1]);
	close(rep[1]);
	close(go[0]);
	acc = accept(lsk, NULL, NULL);
	if (acc < 0 || write(sv[0], "to-child", 8) != 8)
		feat_die("accept");
	for (int i = 0; i < 200; i++) { /* wait until the child wrote both */
		int q = 0;

		if (recv(acc, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT) == 5 &&
		    recv(sv[0], buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT) == 9)
			break;
		(void)q;
		feat_sleep_ms(10);
	}

	feat_ready();
	feat_wait_go();

	if (write(go[1], "g", 1) != 1)
		feat_fail("cannot wake the child");
	FEAT_CHECK(recv(acc, buf, 5, 0) == 5 && !memcmp(buf, "hello", 5), "parent: connection lost 'hello'");
	FEAT_CHECK(recv(sv[0], buf, 9, 0) == 9 && !memcmp(buf, "to-parent", 9),
		   "parent: pair lost 'to-parent'");
	FEAT_CHECK(read(acc, buf, 4) == 4 && !memcmp(buf, "more", 4), "parent: no 'more' from the child");
	FEAT_CHECK(write(acc, "ack", 3) == 3, "parent: cannot ack");
	FEAT_CHECK(read(sv[0], buf, 1) == 1 && buf[0] == 'x',
		   "parent: pair no longer connected to the child");
	close(go[1]);
	feat_collect(rep[0]);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child status %#x", st);
	return feat_done();
}
