/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files of /proc/PID held open: the process's own /proc/self/maps (which
 * the kernel names /proc/PID/maps), read partway, and a child's fd on its
 * parent's /proc/PPID/status. Their processes do not exist when criu
 * opens the other files of a restore. After restore: the fds name the same
 * paths, the maps fd is at its offset and still shows the process's own
 * mappings, the status fd the parent's. Low fd numbers: criu's own fds in a
 * restored task may sit there until its table is installed.
 */
#include <stdint.h>
#include <sys/mman.h>

#include "feature.h"

#define MAPS_FD	  3
#define STATUS_FD 4

static void link_of(pid_t pid, int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
}

int main(int argc, char **argv)
{
	char maps_link[256], status_link[256], now[256], head[64], want[64], buf[65536];
	void *marker;
	pid_t child;
	int fd, ready[2];
	off_t pos;
	ssize_t n;

	feat_init(argc, argv);
	marker = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open("/proc/self/maps", O_RDONLY);
	if (marker == MAP_FAILED || fd < 0 || dup2(fd, MAPS_FD) != MAPS_FD)
		feat_die("open /proc/self/maps");
	if (fd != MAPS_FD)
		close(fd);
	if (read(MAPS_FD, head, sizeof(head)) != sizeof(head))
		feat_die("read /proc/self/maps");
	pos = lseek(MAPS_FD, 0, SEEK_CUR);
	/* the pipe above the fds under test */
	if (pipe(ready) < 0 || dup2(ready[0], 20) != 20 || dup2(ready[1], 21) != 21)
		feat_die("pipe");
	close(ready[0]);
	close(ready[1]);
	ready[0] = 20;
	ready[1] = 21;
	child = fork();
	if (child < 0)
		feat_die("fork");
	if (child == 0) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/status", getppid());
		fd = open(path, O_RDONLY);
		if (fd < 0 || dup2(fd, STATUS_FD) != STATUS_FD || write(ready[1], "r", 1) != 1)
			_exit(1);
		if (fd != STATUS_FD)
			close(fd);
		close(ready[0]);
		close(ready[1]);
		for (;;)
			pause();
	}
	if (read(ready[0], head, 1) != 1)
		feat_die("wait for the child");
	close(ready[0]);
	close(ready[1]);
	link_of(getpid(), MAPS_FD, maps_link, sizeof(maps_link));
	link_of(child, STATUS_FD, status_link, sizeof(status_link));

	feat_ready();
	feat_wait_go();

	link_of(getpid(), MAPS_FD, now, sizeof(now));
	FEAT_CHECK(!strcmp(now, maps_link), "fd %d names '%s', before the dump '%s'", MAPS_FD, now,
		   maps_link);
	link_of(child, STATUS_FD, now, sizeof(now));
	FEAT_CHECK(!strcmp(now, status_link), "child's fd %d names '%s', before the dump '%s'", STATUS_FD,
		   now, status_link);
	FEAT_CHECK(lseek(MAPS_FD, 0, SEEK_CUR) == pos, "maps offset %ld, expected %ld",
		   (long)lseek(MAPS_FD, 0, SEEK_CUR), (long)pos);
	n = pread(MAPS_FD, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "%lx-%lx r--p", (unsigned long)(uintptr_t)marker,
		 (unsigned long)(uintptr_t)marker + 3 * 4096);
	FEAT_CHECK(strstr(buf, want) != NULL, "the maps fd does not show this process's mapping '%s'", want);
	{
		char path[64], line[128] = "";
		FILE *f;

		/* the child reads its fd: the parent's status, with the parent's pid */
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", child, STATUS_FD);
		FEAT_CHECK(access(path, F_OK) == 0, "the child has no fd %d", STATUS_FD);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", child, STATUS_FD);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f) && strncmp(line, "Pid:", 4))
			;
		if (f)
			fclose(f);
		snprintf(want, sizeof(want), "Pid:\t%d\n", getpid());
		FEAT_CHECK(!strcmp(line, want), "the child's status fd shows '%s', expected '%s'", line,
			   want);
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return feat_done();
}
