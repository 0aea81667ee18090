// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A self-dump through libcriu: a child of the test calls criu_dump() with
 * no pid, so criu dumps the caller itself and kills it; after a restore its
 * criu_dump() returns 1 and it goes on (PROTOCOL.md §1.5, §7). Restored once
 * with `$CRIU restore -d` and once with criu_restore_child() from the test.
 * The child writes what criu_dump() returned (and whether its memory is
 * intact) to a result file; 0 never comes (the dump kills it without an
 * answer). With criu_set_leave_running() the caller gets its answer and
 * criu_dump() returns 0, and a restore of those images returns 1 in the
 * copy. Runs as root under a child subreaper (tests/run.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "criu.h"
#include "t.h"

#define WAIT_SECONDS 120
#define MAGIC	     0x5e1fd0u

static const char *criu_bin;
static char tmp[] = "/tmp/libcriu-self-dump.XXXXXX";

/* Checked after the restore: the child's memory came back. */
static volatile unsigned int magic;

static void write_result(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			_exit(5);
		close(fd);
	}
}

/*
 * The self-dumping child: its own session, stdio on /dev/null, no other fd,
 * so that the tree holds nothing criu refuses. Exits 0 only as the restored
 * copy (criu_dump() == 1), or with leave_running as the original
 * (criu_dump() == 0), with its memory intact.
 */
static void __attribute__((noreturn)) self_dumper(const char *dir, const char *result, bool leave_running)
{
	char text[64];
	int n = open("/dev/null", O_RDWR), dfd, r;

	setsid();
	for (int i = 0; i < 3; i++)
		dup2(n, i);
	for (int i = 3; i < 1024; i++)
		close(i);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	magic = MAGIC;
	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_log_file("dump.log");
	criu_set_log_level(4);
	criu_set_leave_running(leave_running);
	r = criu_dump();
	snprintf(text, sizeof(text), "%d %d %s", r, r < 0 ? errno : 0, magic == MAGIC ? "intact" : "lost");
	write_result(result, text);
	_exit((r == 1 || (leave_running && r == 0)) && magic == MAGIC ? 0 : 3);
}

/* waitpid with a deadline; false (and the child killed) if it did not end in time. */
static bool wait_for(pid_t pid, int *status)
{
	for (int i = 0; i < WAIT_SECONDS * 10; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		usleep(100000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return false;
}

static void read_result(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, size - 1) : -1;

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Other processes that became ours (the daemonized criu swrk, subreaper): reaped. */
static void reap_strays(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/*
 * Starts the self-dumper in tmp/name and waits for the dump to kill it (with
 * leave_running: for it to see criu_dump() == 0 and exit 0). Returns its
 * pid, or -1 (reported).
 */
static pid_t dump_self_dumper(const char *name, bool leave_running, char *dir, size_t dir_size, char *result,
			      size_t result_size)
{
	char text[64];
	pid_t pid;
	int st = 0;

	snprintf(dir, dir_size, "%s/%s", tmp, name);
	snprintf(result, result_size, "%s/%s.result", tmp, name);
	mkdir(dir, 0700);
	pid = fork();
	if (pid == 0)
		self_dumper(dir, result, leave_running);
	if (pid < 0) {
		T_FAILF("fork: %s", strerror(errno));
		return -1;
	}
	if (!wait_for(pid, &st)) {
		T_FAILF("the self-dumping child %d did not end within %d s; log %s/dump.log", pid, WAIT_SECONDS, dir);
		return -1;
	}
	reap_strays();
	read_result(result, text, sizeof(text));
	if (leave_running) {
		CHECK_EQ_STR(text, "0 0 intact");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			T_FAILF("the self-dumping child (leave_running): status %#x; log %s/dump.log", st, dir);
			return -1;
		}
		unlink(result);
		return pid;
	}
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		T_FAILF("the self-dumping child was not killed by the dump: status %#x, criu_dump() said \"%s\"; log %s/dump.log",
			st, text, dir);
		return -1;
	}
	/* killed inside criu_dump(): nothing written yet (0 would mean an answer came) */
	CHECK_EQ_STR(text, "");
	unlink(result);
	return pid;
}

/* After the restore: the copy reports criu_dump() == 1 and exits 0. */
static void check_restored(pid_t pid, const char *dir, const char *result)
{
	char text[64];
	int st = 0;

	if (!wait_for(pid, &st)) {
		T_FAILF("restored pid %d did not end within %d s (criu_dump() hangs?); log %s/restore.log", pid,
			WAIT_SECONDS, dir);
		return;
	}
	read_result(result, text, sizeof(text));
	CHECK_EQ_STR(text, "1 0 intact");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAILF("restored pid %d: status %#x (expected exit 0); logs %s/dump.log %s/restore.log", pid, st,
			dir, dir);
}

static void cli_restore(const char *name, bool leave_running)
{
	char dir[256], result[256], cmd[1024];
	pid_t pid = dump_self_dumper(name, leave_running, dir, sizeof(dir), result, sizeof(result));
	int r;

	if (pid < 0)
		return;
	snprintf(cmd, sizeof(cmd), "%s restore -d -D %s -o restore.log -v4", criu_bin, dir);
	r = system(cmd);
	if (r != 0) {
		T_FAILF("%s: status %#x; log %s/restore.log", cmd, r, dir);
		return;
	}
	/* criu -d exited: we are the subreaper, the restored task is ours to wait for */
	check_restored(pid, dir, result);
}

static void test_cli_restore(void)
{
	cli_restore("cli", false);
}

/* the original is answered (0) and exits; its images restored still answer 1 */
static void test_leave_running(void)
{
	cli_restore("leave-running", true);
}

static void test_restore_child(void)
{
	char dir[256], result[256];
	pid_t pid = dump_self_dumper("child", false, dir, sizeof(dir), result, sizeof(result));
	int dfd, r;

	if (pid < 0)
		return;
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_log_file("restore.log");
	criu_set_log_level(4);
	r = criu_restore_child();
	close(dfd);
	if (r != pid) {
		T_FAILF("criu_restore_child() = %d (errno %d), expected pid %d; log %s/restore.log", r, errno, pid,
			dir);
		return;
	}
	check_restored(pid, dir, result);
}

int main(void)
{
	char cmd[300];

	criu_bin = getenv("CRIU");
	if (!criu_bin || geteuid() != 0) {
		printf("SKIP libcriu_self_dump: needs root and $CRIU\n");
		return 0;
	}
	if (!mkdtemp(tmp))
		return 1;
	/* restored tasks whose criu went away (-d), and the daemonized swrk, come to us */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	t_run("libcriu_self_dump_cli_restore", test_cli_restore);
	t_run("libcriu_self_dump_restore_child", test_restore_child);
	t_run("libcriu_self_dump_leave_running", test_leave_running);
	reap_strays();
	if (!t_failures && !getenv("KEEP_IMAGES")) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd) != 0)
			printf("    cannot remove %s\n", tmp);
	} else {
		printf("    images and logs kept in %s\n", tmp);
	}
	return t_done();
}
