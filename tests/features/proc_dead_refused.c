/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file of /proc/CHILD held open after the child exited and was reaped:
 * no restore could open it again, so the dump is refused by name, and the
 * program runs on with the fd still readable as before (ESRCH).
 */
// criu-expect: dump-refused
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char path[64], buf[64];
	pid_t c;
	int fd;

	feat_init(argc, argv);
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/status", c);
	fd = open(path, O_RDONLY);
	if (fd < 0 || kill(c, SIGKILL) || waitpid(c, NULL, 0) != c)
		feat_die("child");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(read(fd, buf, sizeof(buf)) < 0 && errno == ESRCH,
		   "%s: reads, or fails otherwise than ESRCH", path);
	FEAT_CHECK(fcntl(fd, F_GETFD) >= 0, "the fd of %s is gone", path);
	return feat_done();
}
