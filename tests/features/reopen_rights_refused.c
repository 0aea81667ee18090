/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A file opened as root (DIR/secret, 0600 root:root, read-write) held by a
 * child that then dropped to uid/gid 4321, as daemons do with their logs.
 * The restore opens files with the task's own rights, so it could not have
 * it back: the dump is refused by name, and the child goes on using the fd.
 */
// criu-expect: dump-refused
#include <sys/stat.h>
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char path[4200], buf[8] = "";
	int rep[2], go[2], fd;
	pid_t c;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/secret", argv[1]);
	if (pipe(rep) || pipe(go))
		feat_die("pipe");
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "kept", 4) != 4)
		feat_die("open");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		close(rep[0]);
		close(go[1]);
		if (setresgid(4321, 4321, 4321) || setresuid(4321, 4321, 4321))
			_exit(3);
		feat_child_wait_go(go[0]);
		FEAT_CHECK(pwrite(fd, "more", 4, 4) == 4 && pread(fd, buf, 8, 0) == 8 &&
				   !memcmp(buf, "keptmore", 8),
			   "child: the fd reads '%.8s'", buf);
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	close(fd);
	usleep(100000); /* the child has dropped its rights */

	feat_ready();
	feat_wait_go();

	if (write(go[1], "g", 1) != 1)
		feat_fail("cannot wake the child");
	feat_collect(rep[0]);
	waitpid(c, NULL, 0);
	return feat_done();
}
