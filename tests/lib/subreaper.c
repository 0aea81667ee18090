/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a command as a child subreaper: orphans of the tests (trees that were
 * dumped, killed or restored detached) are reparented here and reaped, since
 * PID 1 on these machines does not reap. Exits with the command's status.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Counts, and with kill_them kills, every process whose parent we are (what the tests left). */
static int children(int kill_them)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid();

	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[300], buf[512], *p;
		FILE *f;
		int ppid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 && ppid == self) {
			n++;
			if (kill_them)
				kill(atoi(de->d_name), SIGKILL);
		}
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	pid_t main_pid, pid;
	int status, main_status = 0, main_done = 0, leftovers = 0;
	struct timespec t0, t1;

	/*
	 * --leftovers: reap nothing but the command while it runs, then print
	 * "leftovers N MS": the processes it left to us (zombies included) and
	 * how long it took. A failed criu restore must leave 0.
	 */
	if (argc > 1 && !strcmp(argv[1], "--leftovers")) {
		leftovers = 1;
		argv++, argc--;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s [--leftovers] COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("prctl(PR_SET_CHILD_SUBREAPER)");
		return 2;
	}
	main_pid = fork();
	if (main_pid < 0) {
		perror("fork");
		return 2;
	}
	if (main_pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "%s: cannot run: %m\n", argv[1]);
		_exit(127);
	}
	if (leftovers) {
		while (waitpid(main_pid, &main_status, 0) < 0 && errno == EINTR)
			;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		printf("leftovers %d %ld\n", children(0),
		       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
		fflush(stdout);
		main_done = 1;
		children(1);
	}
	for (;;) {
		pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nothing left */
		}
		if (pid == main_pid) {
			main_status = status;
			main_done = 1;
		}
		if (main_done) {
			/* what the command left behind is not ours to keep */
			children(1);
		}
	}
	if (WIFEXITED(main_status))
		return WEXITSTATUS(main_status);
	return 128 + WTERMSIG(main_status);
}
