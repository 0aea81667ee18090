/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The shape of every feature program (CRIU's zdtm tests are the model):
 *
 *	int main(int argc, char **argv)
 *	{
 *		feat_init(argc, argv);		// DIR from argv[1]; stdio to DIR/out.log
 *		... set up the state under test ...
 *		feat_ready();			// the runner may dump now
 *		feat_wait_go();			// returns after restore, on SIGUSR1
 *		... verify every piece, feat_fail("what differed") for each ...
 *		return feat_done();		// writes DIR/result: PASS or FAIL + details
 *	}
 *
 * The runner (tests/features/run.sh) starts the program (it writes DIR/pid), waits for DIR/ready,
 * dumps and restores it with build/criu, sends SIGUSR1 and reads DIR/result.
 * The program must not keep fds the engine cannot dump yet: feat_init leaves
 * only regular files open (stdio on DIR/out.log, stdin on /dev/null).
 */
#ifndef CR_TESTS_FEATURE_H
#define CR_TESTS_FEATURE_H

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char feat_dir[4096];
static char feat_diffs[8192];
static volatile sig_atomic_t feat_go;

static void feat_on_usr1(int sig)
{
	(void)sig;
	feat_go = 1;
}

/* Records one difference; the verdict will be FAIL with all of them. */
static void feat_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void feat_fail(const char *fmt, ...)
{
	size_t len = strlen(feat_diffs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(feat_diffs + len, sizeof(feat_diffs) - len - 1, fmt, ap);
	va_end(ap);
	len = strlen(feat_diffs);
	if (len < sizeof(feat_diffs) - 2) {
		feat_diffs[len] = ';';
		feat_diffs[len + 1] = ' ';
		feat_diffs[len + 2] = '\0';
	}
}

#define FEAT_CHECK(cond, fmt, ...)                                                   \
	do {                                                                         \
		if (!(cond))                                                         \
			feat_fail("%s:%d: " fmt, __FILE__, __LINE__, ##__VA_ARGS__); \
	} while (0)

/* Setup failures end the program before the dump: the runner reports them. */
static void feat_die(const char *what)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/result", feat_dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "SETUP-FAIL %s: %s\n", what, strerror(errno));
		fclose(f);
	}
	exit(2);
}

static void feat_init(int argc, char **argv)
{
	struct sigaction sa;
	char path[4200];
	int fd;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		exit(2);
	}
	snprintf(feat_dir, sizeof(feat_dir), "%s", argv[1]);
	snprintf(path, sizeof(path), "%s/out.log", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0)
		feat_die("open out.log");
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	snprintf(path, sizeof(path), "%s/pid", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0)
		feat_die("write pid");
	close(fd);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = feat_on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
}

/*
 * Makes the rest of the program pid 1 of a new pid namespace: forks into it
 * and the parent, left outside, writes DIR/pid (the new init's pid as the
 * runner sees it), waits for that child and exits with its status. The
 * runner dumps the child's tree and learns the restored init's host pid from
 * criu restore --pidfile.
 */
static inline void feat_enter_pidns(void)
{
	char path[4200];
	pid_t child;
	int fd, st, p[2];
	char c;

	if (unshare(CLONE_NEWPID) < 0)
		feat_die("unshare(CLONE_NEWPID)");
	if (pipe(p) < 0)
		feat_die("pipe");
	child = fork();
	if (child < 0)
		feat_die("fork into the new pid namespace");
	if (child == 0) {
		/* on once DIR/pid names us */
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			feat_die("read the go-ahead");
		close(p[0]);
		/* its own session, as a container's init has (runc calls setsid) */
		if (setsid() < 0)
			feat_die("setsid in the new pid namespace");
		return;
	}
	snprintf(path, sizeof(path), "%s/pid", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || dprintf(fd, "%d\n", child) < 0)
		feat_die("write pid");
	close(fd);
	close(p[0]);
	close(p[1]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

static void feat_ready(void)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/ready", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0)
		feat_die("create ready");
	close(fd);
}

/* Sleeps until the runner says go (after restore). */
static void feat_wait_go(void)
{
	while (!feat_go)
		pause();
}

static int feat_done(void)
{
	char path[4200], tmp[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/result", feat_dir);
	snprintf(tmp, sizeof(tmp), "%s/result.tmp", feat_dir);
	f = fopen(tmp, "w");
	if (!f)
		return 3;
	if (feat_diffs[0])
		fprintf(f, "FAIL %s\n", feat_diffs);
	else
		fprintf(f, "PASS\n");
	fclose(f);
	rename(tmp, path);
	return feat_diffs[0] ? 1 : 0;
}

/*
 * Shared helpers. All are static inline so that a program that does not use
 * one does not warn.
 */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>

/* Copies src into dst of size len (len > 0), truncating; always NUL-terminated. */
static inline void feat_copy(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Finds the /proc/self/maps line of the mapping that contains addr; copies
 * its permissions ("rwxp", 4 chars + NUL) and, if name is not NULL, its path
 * or [name] (empty for anonymous). start/end may be NULL. 0 if found, -1 if not.
 */
static inline int feat_map_find(const void *addr, char perms[5], char *name, size_t name_len, uintptr_t *start,
				uintptr_t *end)
{
	uintptr_t a = (uintptr_t)addr;
	char line[4608];
	int ret = -1;
	FILE *f;

	f = fopen("/proc/self/maps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		int pos = 0;

		if (sscanf(line, "%lx-%lx %4s %*x %*x:%*x %*u%n", &lo, &hi, p, &pos) < 3)
			continue;
		if (a < lo || a >= hi)
			continue;
		if (perms)
			memcpy(perms, p, 5);
		if (start)
			*start = lo;
		if (end)
			*end = hi;
		if (name && name_len) {
			char *n = line + pos;

			while (*n == ' ')
				n++;
			n[strcspn(n, "\n")] = '\0';
			feat_copy(name, name_len, n);
		}
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* Permissions of the mapping that contains addr ("----" if none). */
static inline const char *feat_map_perms(const void *addr, char perms[5])
{
	if (feat_map_find(addr, perms, NULL, 0, NULL, NULL))
		snprintf(perms, 5, "----");
	return perms;
}

/*
 * Copies the value of field ("Rss", "VmFlags", ...) from the /proc/self/smaps
 * entry of the mapping that contains addr. 0 if found, -1 if not.
 */
static inline int feat_smaps_field(const void *addr, const char *field, char *out, size_t out_len)
{
	uintptr_t a = (uintptr_t)addr;
	size_t flen = strlen(field);
	char line[4608];
	int inside = 0, ret = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char c;

		if (sscanf(line, "%lx-%lx %c", &lo, &hi, &c) == 3 && strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = a >= lo && a < hi;
			continue;
		}
		if (inside && !strncmp(line, field, flen) && line[flen] == ':') {
			char *v = line + flen + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = '\0';
			feat_copy(out, out_len, v);
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

/* 1 if the mapping containing addr has the two-letter VmFlags flag, 0 if not, -1 on error. */
static inline int feat_vmflag(const void *addr, const char *flag)
{
	char flags[512], *tok, *save = NULL;

	if (feat_smaps_field(addr, "VmFlags", flags, sizeof(flags)))
		return -1;
	for (tok = strtok_r(flags, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, flag))
			return 1;
	return 0;
}

/* Reads a whole (small) file into buf, NUL-terminated; returns its length or -1. */
static inline ssize_t feat_read_file(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

/*
 * Field number "field" (1-based, as in proc(5): 3 is the state, 4 the ppid...)
 * of /proc/PID/stat (pid 0: self), as a string. 0 if found, -1 if not.
 */
static inline int feat_proc_stat(int pid, int field, char *out, size_t out_len)
{
	char path[64], buf[2048], *p, *save = NULL;
	int i;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/stat");
	if (feat_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	if (field == 2) {
		p = strchr(buf, '(');
		snprintf(out, out_len, "%.*s", (int)(strrchr(buf, ')') - p - 1), p + 1);
		return 0;
	}
	if (field == 1) {
		snprintf(out, out_len, "%.*s", (int)strcspn(buf, " "), buf);
		return 0;
	}
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p = strtok_r(p + 1, " \n", &save);
	for (i = 3; p && i < field; i++)
		p = strtok_r(NULL, " \n", &save);
	if (!p)
		return -1;
	feat_copy(out, out_len, p);
	return 0;
}

/* The value of "Key:" in /proc/PATH_status (e.g. "/proc/self/status"), 0 or -1. */
static inline int feat_status_field(const char *path, const char *key, char *out, size_t out_len)
{
	char buf[8192], *p;
	size_t klen = strlen(key);

	if (feat_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			snprintf(out, out_len, "%.*s", (int)strcspn(p, "\n"), p);
			return 0;
		}
	}
	return -1;
}

static inline pid_t feat_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * A one-shot gate for threads: feat_gate_wait() blocks (in FUTEX_WAIT, so a
 * thread sits in a syscall during the dump) until feat_gate_open().
 */
static inline void feat_gate_wait(volatile int *gate)
{
	while (!__atomic_load_n(gate, __ATOMIC_ACQUIRE))
		syscall(SYS_futex, gate, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static inline void feat_gate_open(volatile int *gate)
{
	__atomic_store_n(gate, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, gate, FUTEX_WAKE_PRIVATE, 1 << 30, NULL, NULL, 0);
}

/*
 * pthread_create with SIGUSR1 blocked in the new thread, so that the runner's
 * go signal wakes the main thread's pause() in feat_wait_go().
 */
static inline int feat_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t usr1, old;
	int ret;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	ret = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}

/*
 * Multi-process programs: a child sends its differences (possibly none) to
 * the root over a pipe with feat_report(), the root merges them with
 * feat_collect(), which reads until EOF.
 */
static inline void feat_report(int fd, const char *who)
{
	dprintf(fd, "%s%s%s\n", feat_diffs[0] ? who : "", feat_diffs[0] ? ": " : "", feat_diffs);
}

static inline void feat_collect(int fd)
{
	char buf[8192];
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(buf) - 1 && ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			got += n;
	buf[got] = '\0';
	for (char *line = buf, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (*line)
			feat_fail("%s", line);
	}
}

/*
 * A child that checks itself after restore: fn(go_fd) runs in it, sets its
 * state up, waits for a byte on go_fd (feat_child_wait_go) and checks with
 * FEAT_CHECK; its differences go to the root when it returns. The root
 * calls feat_child_check() after feat_wait_go(); feat_run_child() is the
 * whole of such a program's main.
 */
struct feat_child {
	pid_t pid;
	int go, report;
};

static inline void feat_child_wait_go(int go_fd)
{
	char x;

	while (read(go_fd, &x, 1) < 0 && errno == EINTR)
		;
}

static inline void feat_child_start(struct feat_child *c, void (*fn)(int go_fd))
{
	int go[2], rep[2];

	if (pipe(go) || pipe(rep))
		feat_die("pipe");
	c->pid = fork();
	if (c->pid < 0)
		feat_die("fork");
	if (c->pid == 0) {
		close(go[1]);
		close(rep[0]);
		fn(go[0]);
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(go[0]);
	close(rep[1]);
	c->go = go[1];
	c->report = rep[0];
}

/* Lets the child check itself, waits for its exit 0 and merges its differences. */
static inline void feat_child_check(struct feat_child *c)
{
	int st = 0;

	if (write(c->go, "x", 1) != 1)
		feat_fail("write go: %s", strerror(errno));
	if (waitpid(c->pid, &st, 0) != c->pid || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child ended with status %#x", st);
	feat_collect(c->report);
}

/* Monotonic milliseconds. */
static inline long long feat_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static inline void feat_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* main() of a program whose state is all in one child (fn, as for feat_child_start). */
static inline int feat_run_child(int argc, char **argv, void (*fn)(int go_fd))
{
	struct feat_child c;

	feat_init(argc, argv);
	feat_child_start(&c, fn);
	feat_sleep_ms(200);

	feat_ready();
	feat_wait_go();

	feat_child_check(&c);
	return feat_done();
}

/*
 * For hosts without a feature: call instead of the setup; it lets the runner
 * dump and restore, then writes "SKIP why" as the verdict and exits.
 */
static inline void feat_skip(const char *why)
{
	char path[4200];
	FILE *f;

	feat_ready();
	feat_wait_go();
	snprintf(path, sizeof(path), "%s/result", feat_dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "SKIP %s\n", why);
		fclose(f);
	}
	exit(0);
}


/* Reads /proc/self/fdinfo/FD into buf (empty if it cannot be read). */
static inline void feat_read_fdinfo(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f >= 0 ? read(f, buf, size - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (f >= 0)
		close(f);
}

#endif
