/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A task whose cwd is the /proc directory of a child that exited and was
 * reaped: no restore could enter it again, so the dump is refused by name,
 * and the task runs on in it as before.
 */
// criu-expect: dump-refused
#include <sys/wait.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char path[64], before[128] = "", after[128] = "";
	pid_t c;

	feat_init(argc, argv);
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d", c);
	if (chdir(path) || kill(c, SIGKILL) || waitpid(c, NULL, 0) != c ||
	    readlink("/proc/self/cwd", before, sizeof(before) - 1) < 0)
		feat_die("chdir");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(readlink("/proc/self/cwd", after, sizeof(after) - 1) > 0 && !strcmp(before, after),
		   "the cwd is '%s', was '%s'", after, before);
	return feat_done();
}
