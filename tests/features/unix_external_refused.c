/* SPDX-License-Identifier: LGPL-2.1-or-later */
// criu-expect: dump-refused
/*
 * A unix stream socket whose peer is held outside the dumped tree (by a
 * daemon: a grandchild that left the tree) must make the dump fail, and the
 * task must keep running with its connection intact.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	int sv[2];
	char buf[16];
	pid_t c, daemon_pid = 0;
	int pp[2];

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || pipe(pp))
		feat_die("socketpair");
	c = fork();
	if (c == 0) {
		pid_t d = fork();

		if (d == 0) { /* the daemon: echoes what it reads */
			ssize_t n;

			setsid();
			close(sv[0]);
			close(pp[0]);
			close(pp[1]);
			while ((n = read(sv[1], buf, sizeof(buf))) > 0)
				if (write(sv[1], buf, n) != n)
					break;
			_exit(0);
		}
		if (write(pp[1], &d, sizeof(d)) != sizeof(d))
			_exit(1);
		_exit(0);
	}
	close(sv[1]);
	close(pp[1]);
	if (c < 0 || waitpid(c, NULL, 0) != c ||
	    read(pp[0], &daemon_pid, sizeof(daemon_pid)) != sizeof(daemon_pid))
		feat_die("daemon");
	close(pp[0]);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(write(sv[0], "echo", 4) == 4 && read(sv[0], buf, sizeof(buf)) == 4 &&
			   !memcmp(buf, "echo", 4),
		   "the connection to the outside peer is broken");
	kill(daemon_pid, SIGKILL);
	return feat_done();
}
