/* SPDX-License-Identifier: LGPL-2.1-or-later */
// criu-opts: --ext-unix-sk
/*
 * --ext-unix-sk: a datagram socket connected to a bound socket outside the
 * tree (DIR/log.sock, like /dev/log, held by a daemon that left the tree) is
 * reconnected to it by name at restore: a message sent after restore reaches
 * the daemon, which writes it to DIR/got.
 */
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX}, got;
	socklen_t l = sizeof(got);
	char path[4200], buf[64] = "";
	pid_t c, daemon_pid = 0;
	int pp[2], sk, srv;

	feat_init(argc, argv);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/log.sock", argv[1]);
	snprintf(path, sizeof(path), "%s/got", argv[1]);
	unlink(sa.sun_path);
	unlink(path);
	srv = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (srv < 0 || bind(srv, (struct sockaddr *)&sa, sizeof(sa)) || pipe(pp))
		feat_die("bind");
	c = fork();
	if (c == 0) {
		pid_t d = fork();

		if (d == 0) { /* the daemon: writes each message it gets to DIR/got */
			ssize_t n;

			setsid();
			close(pp[0]);
			close(pp[1]);
			while ((n = recv(srv, buf, sizeof(buf), 0)) > 0) {
				int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

				if (f >= 0 && write(f, buf, n) == n)
					close(f);
			}
			_exit(0);
		}
		if (write(pp[1], &d, sizeof(d)) != sizeof(d))
			_exit(1);
		_exit(0);
	}
	close(srv);
	close(pp[1]);
	if (c < 0 || waitpid(c, NULL, 0) != c ||
	    read(pp[0], &daemon_pid, sizeof(daemon_pid)) != sizeof(daemon_pid))
		feat_die("daemon");
	close(pp[0]);
	sk = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sk < 0 || connect(sk, (struct sockaddr *)&sa, sizeof(sa)))
		feat_die("connect");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(getpeername(sk, (struct sockaddr *)&got, &l) == 0 && !strcmp(got.sun_path, sa.sun_path),
		   "not connected to %s", sa.sun_path);
	FEAT_CHECK(send(sk, "after-restore", 13, 0) == 13, "send: %s", strerror(errno));
	for (int i = 0; i < 300 && feat_read_file(path, buf, sizeof(buf)) <= 0; i++)
		feat_sleep_ms(10);
	FEAT_CHECK(!strcmp(buf, "after-restore"), "the outside peer got '%s'", buf);
	kill(daemon_pid, SIGKILL);
	return feat_done();
}
