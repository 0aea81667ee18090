// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu against the real build/criu ($CRIU): dump a child of the test,
 * criu_restore_child() it back and waitpid() it, notify callbacks with their
 * pids, version checks, an unreachable service, criu_local_* from two threads
 * at once, and crun's call sequence through dlopen("libcriu.so.2").
 * Runs as root under a child subreaper (tests/run.sh).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <termios.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "t.h"

static const char *criu_bin;
static char tmp[] = "/tmp/libcriu-real.XXXXXX";

/* A child in its own session with only stdio (on /dev/null): counts into *counter. */
static pid_t start_child(_Atomic long *counter)
{
	pid_t pid = fork();

	if (pid == 0) {
		int n = open("/dev/null", O_RDWR);

		setsid();
		for (int i = 0; i < 3; i++)
			dup2(n, i);
		for (int i = 3; i < 1024; i++)
			close(i);
		for (;;) {
			if (counter)
				atomic_fetch_add(counter, 1);
			usleep(10000);
		}
	}
	usleep(100000);
	return pid;
}

static int images_dir(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	mkdir(path, 0700);
	return open(path, O_RDONLY | O_DIRECTORY);
}

/* ---- notifications ---- */

static char seen[512];
static int post_dump_pid = -1, post_restore_pid = -1;

static int notify_cb(char *action, criu_notify_arg_t na)
{
	strncat(seen, action, sizeof(seen) - strlen(seen) - 2);
	strcat(seen, " ");
	if (!strcmp(action, "post-dump"))
		post_dump_pid = criu_notify_pid(na);
	if (!strcmp(action, "post-restore"))
		post_restore_pid = criu_notify_pid(na);
	return 0;
}

static void test_versions(void)
{
	criu_init_opts();
	criu_set_service_binary(criu_bin);
	CHECK_EQ_INT(criu_get_version(), 40200);
	CHECK_EQ_INT(criu_check_version(31500), 1);
	CHECK_EQ_INT(criu_check_version(40300), 0);
	CHECK_EQ_INT(criu_check(), 0);
}

static void test_unreachable_service(void)
{
	criu_init_opts();
	criu_set_service_address("/nonexistent/criu_service.socket"); /* switches to CRIU_COMM_SK */
	CHECK_EQ_INT(criu_check(), -ECONNREFUSED);
	criu_init_opts();
	criu_set_service_binary("/nonexistent/criu");
	CHECK_EQ_INT(criu_check(), -ECONNREFUSED);
}

/* dump a child, restore it as our child, see the notifications */
static void test_dump_and_restore_child(void)
{
	_Atomic long *counter = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid = start_child(NULL);
	int dfd = images_dir("child"), st, r;
	long before;

	(void)counter;
	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_pid(pid);
	criu_set_log_file("dump.log");
	criu_set_log_level(4);
	criu_set_notify_cb(notify_cb);
	seen[0] = 0;
	CHECK_EQ_INT(criu_dump(), 0);
	CHECK_EQ_STR(seen, "pre-dump query-ext-files post-dump ");
	CHECK_EQ_INT(post_dump_pid, 0); /* PROTOCOL.md §2: pid only for setup-namespaces and post-restore */
	/* the dump killed it; it was our child, so we reap it */
	CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	criu_set_log_file("restore.log");
	seen[0] = 0;
	r = criu_restore_child();
	CHECK_EQ_INT(r, pid);
	CHECK_EQ_STR(seen, "pre-restore post-restore pre-resume post-resume ");
	CHECK_EQ_INT(post_restore_pid, pid);
	if (r > 0) {
		/* our child again: we can signal and reap it */
		CHECK_EQ_INT(kill(r, 0), 0);
		before = 0;
		kill(r, SIGTERM);
		CHECK(waitpid(r, &st, 0) == r && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
		(void)before;
	}
	close(dfd);
}

/* A callback that refuses post-dump fails the dump; the child goes on. */
static int refuse_post_dump(char *action, criu_notify_arg_t na)
{
	(void)na;
	return strcmp(action, "post-dump") ? 0 : -1;
}

static void test_refused_post_dump(void)
{
	pid_t pid = start_child(NULL);
	int dfd = images_dir("refused"), st, r;
	char path[300], status[4096] = { 0 };
	int sfd;

	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_pid(pid);
	criu_set_log_file("dump.log");
	criu_set_notify_cb(refuse_post_dump);
	r = criu_dump();
	CHECK(r < 0);
	CHECK_EQ_INT(kill(pid, 0), 0);
	CHECK_EQ_INT(waitpid(pid, &st, WNOHANG), 0);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	sfd = open(path, O_RDONLY);
	CHECK(sfd >= 0 && read(sfd, status, sizeof(status) - 1) > 0);
	if (sfd >= 0)
		close(sfd);
	CHECK(strstr(status, "TracerPid:\t0\n") != NULL);
	CHECK(faccessat(dfd, "inventory.img", F_OK, 0) < 0);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(dfd);
}

/* ---- two threads, two private option sets, two dumps at once ---- */

struct job {
	pid_t pid;
	int dfd;
	int ret;
};

static void *dump_job(void *arg)
{
	struct job *j = arg;
	criu_opts *o = NULL;

	if (criu_local_init_opts(&o) < 0) {
		j->ret = -ENOMEM;
		return NULL;
	}
	criu_local_set_service_binary(o, criu_bin);
	criu_local_set_images_dir_fd(o, j->dfd);
	criu_local_set_pid(o, j->pid);
	criu_local_set_leave_running(o, true);
	criu_local_set_log_file(o, "dump.log");
	j->ret = criu_local_dump(o);
	criu_local_free_opts(o);
	return NULL;
}

static void test_local_two_threads(void)
{
	struct job j[2];
	pthread_t th[2];
	int st;

	for (int i = 0; i < 2; i++) {
		char name[16];

		snprintf(name, sizeof(name), "thread%d", i);
		j[i].pid = start_child(NULL);
		j[i].dfd = images_dir(name);
		j[i].ret = -1;
	}
	for (int i = 0; i < 2; i++)
		CHECK_EQ_INT(pthread_create(&th[i], NULL, dump_job, &j[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ_INT(j[i].ret, 0);
		/* each went into its own directory, for its own pid, and the child runs on */
		CHECK_EQ_INT(faccessat(j[i].dfd, "inventory.img", F_OK, 0), 0);
		CHECK_EQ_INT(kill(j[i].pid, 0), 0);
		kill(j[i].pid, SIGKILL);
		waitpid(j[i].pid, &st, 0);
		close(j[i].dfd);
	}
}

/* ---- crun's sequence (PROTOCOL.md §4), through dlopen as crun does ---- */

#define SYM(h, name) ((__typeof__(&name))dlsym(h, #name))

static void test_crun_sequence(void)
{
	void *h = dlopen("libcriu.so.2", RTLD_NOW);
	pid_t pid = start_child(NULL);
	int dfd = images_dir("crun"), st, r;

	CHECK(h != NULL);
	if (!h) {
		printf("    dlopen: %s\n", dlerror());
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		return;
	}
	/* every symbol crun requires is there */
	static const char *const required[] = {
		"criu_add_ext_mount", "criu_add_external", "criu_add_inherit_fd", "criu_check_version", "criu_dump",
		"criu_get_orphan_pts_master_fd", "criu_init_opts", "criu_feature_check", "criu_pre_dump",
		"criu_restore_child", "criu_set_ext_unix_sk", "criu_set_file_locks", "criu_set_freeze_cgroup",
		"criu_set_images_dir_fd", "criu_set_leave_running", "criu_set_log_file", "criu_set_log_level",
		"criu_set_manage_cgroups", "criu_set_manage_cgroups_mode", "criu_set_notify_cb",
		"criu_set_orphan_pts_master", "criu_set_parent_images", "criu_set_pid", "criu_set_root",
		"criu_add_cg_root", "criu_set_shell_job", "criu_set_tcp_established", "criu_set_tcp_close",
		"criu_set_track_mem", "criu_set_work_dir_fd", "criu_set_lsm_profile", "criu_set_lsm_mount_context",
		"criu_join_ns_add", "criu_set_network_lock", "criu_set_config_file",
	};
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (!dlsym(h, required[i]))
			T_FAILF("libcriu.so.2 lacks %s", required[i]);

	/* checkpoint, in crun's order, for a plain process tree (no rootfs, mounts or cgroups) */
	SYM(h, criu_init_opts)();
	SYM(h, criu_set_service_binary)(criu_bin);
	CHECK_EQ_INT(SYM(h, criu_check_version)(31500), 1);
	SYM(h, criu_set_images_dir_fd)(dfd);
	SYM(h, criu_set_log_level)(4);
	SYM(h, criu_set_log_file)("dump.log");
	SYM(h, criu_set_config_file)("/etc/criu/crun.conf"); /* absent: ignored */
	SYM(h, criu_set_pid)(pid);
	SYM(h, criu_set_leave_running)(false);
	SYM(h, criu_set_ext_unix_sk)(false);
	SYM(h, criu_set_shell_job)(false);
	SYM(h, criu_set_tcp_established)(false);
	SYM(h, criu_set_file_locks)(false);
	SYM(h, criu_set_orphan_pts_master)(true);
	r = SYM(h, criu_dump)();
	CHECK_EQ_INT(r, 0);
	waitpid(pid, &st, 0);

	/* restore, in crun's order */
	SYM(h, criu_init_opts)();
	SYM(h, criu_set_service_binary)(criu_bin);
	CHECK_EQ_INT(SYM(h, criu_check_version)(31500), 1);
	SYM(h, criu_set_images_dir_fd)(dfd);
	SYM(h, criu_set_config_file)("/etc/criu/crun.conf");
	SYM(h, criu_set_notify_cb)(notify_cb);
	SYM(h, criu_set_ext_unix_sk)(false);
	SYM(h, criu_set_shell_job)(false);
	SYM(h, criu_set_tcp_established)(false);
	SYM(h, criu_set_tcp_close)(false);
	SYM(h, criu_set_file_locks)(false);
	SYM(h, criu_set_orphan_pts_master)(true);
	SYM(h, criu_set_log_level)(4);
	SYM(h, criu_set_log_file)("restore.log");
	r = SYM(h, criu_restore_child)();
	CHECK_EQ_INT(r, pid);
	CHECK_EQ_INT(SYM(h, criu_get_orphan_pts_master_fd)(), -1);
	if (r > 0) {
		kill(r, SIGKILL);
		CHECK(waitpid(r, &st, 0) == r);
	}
	close(dfd);
	dlclose(h);
}

/* ---- a terminal container: the pty master is outside the tree ---- */

static int orphan_fd = -1;

static int take_orphan(char *action, criu_notify_arg_t na)
{
	(void)na;
	if (!strcmp(action, "orphan-pts-master"))
		orphan_fd = dup(criu_get_orphan_pts_master_fd());
	return 0;
}

/* Writes line to the master m and waits for "echo:" + line back. */
static bool echoes(int m, const char *line)
{
	char want[64], buf[512] = { 0 };
	size_t got = 0;

	snprintf(want, sizeof(want), "echo:%s", line);
	if (write(m, line, strlen(line)) != (ssize_t)strlen(line) || write(m, "\n", 1) != 1)
		return false;
	for (int i = 0; i < 50 && !strstr(buf, want); i++) {
		struct pollfd p = { m, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(m, buf + got, sizeof(buf) - 1 - got);
		if (n > 0)
			got += (size_t)n;
	}
	return strstr(buf, want) != NULL;
}

static void test_orphan_pts_master(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), dfd = images_dir("orphan"), st, r;
	struct winsize ws = { .ws_row = 33, .ws_col = 99 };
	pid_t pid;

	CHECK(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	ioctl(m, TIOCSWINSZ, &ws);
	pid = fork();
	if (pid == 0) {
		char line[128];
		int s;

		setsid();
		s = open(ptsname(m), O_RDWR);
		if (s < 0 || ioctl(s, TIOCSCTTY, 0) < 0)
			_exit(1);
		for (int i = 0; i < 3; i++)
			dup2(s, i);
		for (int i = 3; i < 1024; i++)
			close(i);
		setvbuf(stdout, NULL, _IONBF, 0);
		while (fgets(line, sizeof(line), stdin))
			printf("echo:%s", line);
		_exit(0);
	}
	CHECK(echoes(m, "before"));

	criu_init_opts();
	criu_set_service_binary(criu_bin);
	criu_set_images_dir_fd(dfd);
	criu_set_pid(pid);
	criu_set_log_file("dump.log");
	criu_set_log_level(4);
	CHECK_EQ_INT(criu_dump(), 0);
	waitpid(pid, &st, 0);
	close(m); /* the old console is gone, as with a runtime that restores elsewhere */

	criu_set_log_file("restore.log");
	criu_set_orphan_pts_master(true);
	criu_set_notify_cb(take_orphan);
	r = criu_restore_child();
	CHECK_EQ_INT(r, pid);
	CHECK(orphan_fd >= 0);
	if (orphan_fd >= 0) {
		struct winsize got = { 0 };

		/* the new console carries the old one's state, and the task talks through it */
		CHECK(ioctl(orphan_fd, TIOCGWINSZ, &got) == 0 && got.ws_row == 33 && got.ws_col == 99);
		CHECK(echoes(orphan_fd, "after"));
		close(orphan_fd);
	}
	if (r > 0) {
		kill(r, SIGKILL);
		waitpid(r, &st, 0);
	}
	close(dfd);
}

int main(void)
{
	char cmd[300];

	criu_bin = getenv("CRIU");
	if (!criu_bin || geteuid() != 0) {
		printf("SKIP libcriu_real: needs root and $CRIU\n");
		return 0;
	}
	if (!mkdtemp(tmp))
		return 1;
	t_run("versions", test_versions);
	t_run("unreachable_service", test_unreachable_service);
	t_run("dump_and_restore_child", test_dump_and_restore_child);
	t_run("refused_post_dump", test_refused_post_dump);
	t_run("local_two_threads", test_local_two_threads);
	t_run("crun_sequence", test_crun_sequence);
	t_run("orphan_pts_master", test_orphan_pts_master);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		return 1;
	return t_done();
}
