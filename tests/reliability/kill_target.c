/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The workload of rel_kill.sh: a process that notices any trace a killed
 * criu could leave in it.
 *
 *   kill_target DIR MIB [CHILDREN]
 *
 * It fills MIB MiB with a pattern, blocks SIGUSR1 (and only that), and runs
 * threads that sit in the system calls a seize interrupts: nanosleep (must
 * never return early or fail), pause (must never return: there is no
 * handler) and read on a pipe nobody writes (must never return). The main
 * thread reads commands from the FIFO DIR/cmd; on 'c' it checks its memory,
 * the signal mask of every thread, its mappings against those it started
 * with, that no tracer is left, and what the threads saw, then writes
 * "ok SEQ" or "damage SEQ: what" to DIR/status. CHILDREN sleeping children
 * make a tree for restore. It writes DIR/ready once set up.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char damage[512];
static const char *dir;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (damage[0])
		return;
	va_start(ap, fmt);
	vsnprintf(damage, sizeof(damage), fmt, ap);
	va_end(ap);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;) {
		struct timespec ts = { 0, 200 * 1000000 };
		uint64_t t0 = now_ns();
		int r = nanosleep(&ts, NULL);
		uint64_t dt = now_ns() - t0;

		if (r != 0)
			note("nanosleep failed: %s", strerror(errno));
		else if (dt < 200 * 1000000ull)
			note("nanosleep returned after %llu us of 200000", (unsigned long long)(dt / 1000));
	}
	return NULL;
}

static void *pauser(void *arg)
{
	(void)arg;
	for (;;) {
		int r = pause();

		note("pause() returned %d (%s)", r, strerror(errno));
	}
	return NULL;
}

static void *reader(void *arg)
{
	int fd = *(int *)arg;
	char c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		note("read on an open pipe nobody writes returned %zd (%s)", n, n < 0 ? strerror(errno) : "EOF");
	}
	return NULL;
}

/* A /proc file into buf (static buffers: a malloc could grow the heap between two reads). */
static char *read_file(const char *path, char *buf, size_t cap)
{
	size_t len = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		exit(2);
	while (len < cap - 1 && (n = read(fd, buf + len, cap - len - 1)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return buf;
}

static char maps0[1 << 18], maps1[1 << 18], status_buf[1 << 14];

/* The first line of b that a lacks, for the message. */
static const char *first_new_line(const char *a, const char *b)
{
	static char line[256];
	const char *p = b;

	while (*p) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		if (!strstr(a, line))
			return line;
		p += n + (e ? 1 : 0);
	}
	return "(a line is missing)";
}

static void check_status_of(const char *path, const char *want_blk)
{
	char *s = read_file(path, status_buf, sizeof(status_buf)), *p;

	p = strstr(s, "SigBlk:");
	if (p)
		p += strspn(p + 7, " \t") + 7;
	if (!p || strncmp(p, want_blk, strlen(want_blk)))
		note("%s: SigBlk is %.16s, want %s", path, p ? p : "?", want_blk);
	p = strstr(s, "TracerPid:");
	if (!p || atoi(p + 10) != 0)
		note("%s: still traced (TracerPid %d)", path, p ? atoi(p + 10) : -1);
}

static void write_status(unsigned seq)
{
	char tmp[4096], path[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s/status.tmp", dir);
	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(tmp, "w");
	if (!f)
		exit(2);
	if (damage[0])
		fprintf(f, "damage %u: %s\n", seq, damage);
	else
		fprintf(f, "ok %u\n", seq);
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv)
{
	size_t len = (argc > 2 ? strtoul(argv[2], NULL, 0) : 16) << 20;
	int children = argc > 3 ? atoi(argv[3]) : 0;
	unsigned char *mem;
	char path[4096];
	int cmd, pfd[2];
	unsigned seq = 0;
	pthread_t th;
	sigset_t set;

	if (argc < 2)
		return 2;
	dir = argv[1];
	for (int i = 0; i < children; i++)
		if (fork() == 0)
			for (;;)
				pause();
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < len; i += 512)
		mem[i] = (unsigned char)(i * 2654435761u >> 13);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	if (pipe(pfd) < 0)
		return 2;
	snprintf(path, sizeof(path), "%s/cmd", dir);
	unlink(path);
	if (mkfifo(path, 0600) < 0 || (cmd = open(path, O_RDWR)) < 0)
		return 2;
	pthread_create(&th, NULL, sleeper, NULL);
	pthread_create(&th, NULL, pauser, NULL);
	pthread_create(&th, NULL, reader, &pfd[0]);
	usleep(100000);
	read_file("/proc/self/maps", maps0, sizeof(maps0));
	snprintf(path, sizeof(path), "%s/ready", dir);
	close(open(path, O_WRONLY | O_CREAT, 0600));

	for (;;) {
		char c;
		ssize_t n = read(cmd, &c, 1);

		if (n != 1) {
			note("read on the command fifo returned %zd (%s)", n, n < 0 ? strerror(errno) : "EOF");
			write_status(++seq);
			continue;
		}
		if (c != 'c')
			continue;
		for (size_t i = 0; i < len; i += 512)
			if (mem[i] != (unsigned char)(i * 2654435761u >> 13)) {
				note("memory differs at offset %zu", i);
				break;
			}
		read_file("/proc/self/maps", maps1, sizeof(maps1));
		if (strcmp(maps1, maps0))
			note("the mappings changed: %s", strcmp(first_new_line(maps0, maps1), "(a line is missing)")
							       ? first_new_line(maps0, maps1)
							       : first_new_line(maps1, maps0));
		{
			DIR *d = opendir("/proc/self/task");
			struct dirent *de;
			char tpath[300];

			while (d && (de = readdir(d)))
				if (de->d_name[0] != '.') {
					snprintf(tpath, sizeof(tpath), "/proc/self/task/%s/status", de->d_name);
					check_status_of(tpath, "0000000000000200");
				}
			if (d)
				closedir(d);
		}
		write_status(++seq);
	}
}
