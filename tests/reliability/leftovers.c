/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * leftovers CMD...: runs CMD as a child subreaper that reaps nothing but
 * CMD, so that what CMD leaves behind stays visible: once CMD exits, prints
 * "leftovers N MS" (N processes now our children: zombies or live tasks
 * reparented to us, other than CMD; MS how long CMD took), then kills and
 * reaps them. Exits with CMD's status. A failed criu restore must leave 0.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int children(pid_t self, int kill_them)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
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
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	int st = 0;
	pid_t pid;

	if (argc < 2 || prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid = fork();
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("leftovers %d %ld\n", children(getpid(), 0),
	       (long)((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000));
	fflush(stdout);
	children(getpid(), 1);
	while (wait(NULL) > 0)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
