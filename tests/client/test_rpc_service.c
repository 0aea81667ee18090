// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `criu service` as libcriu (CRIU_COMM_SK) and systemd use it: started by
 * this test with --address, --address-mode 0666 and --pidfile, readiness through NOTIFY_SOCKET
 * and --status-fd, one worker per connection, the peer checks for non-root
 * clients (refused for root's process, allowed for their own), the fields
 * refused in service mode, and socket activation with LISTEN_FDS.
 * Needs root and $CRIU; runs under a child subreaper (tests/run.sh).
 */
#include <grp.h>
#include <sys/prctl.h>

#include "criu.h"
#include "rpc_client.h"
#include "t.h"

#define NOBODY 65534

static char tmpdir[256], sock_path[300], pid_path[300], notify_path[300];
static pid_t service = -1;
static int notify_sk = -1, status_rd = -1;

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

static int bind_socket(const char *path, int type)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sk = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (sk < 0)
		return -errno;
	if (strlen(path) >= sizeof(a.sun_path)) {
		close(sk);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	unlink(path);
	if (bind(sk, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(sk);
		return -errno;
	}
	return sk;
}

/* One request on a new connection to the service, and its final response. */
static CriuResp *service_once(const char *path, const CriuReq *req)
{
	CriuResp *resp = NULL;
	int sk = rc_connect(path), r;

	if (sk < 0) {
		T_FAILF("cannot connect to %s: %s", path, strerror(-sk));
		return NULL;
	}
	r = rc_transact(sk, req, NULL, NULL, &resp);
	close(sk);
	if (r <= 0) {
		T_FAILF("no response from the service: %s", r == 0 ? "EOF" : strerror(-r));
		return NULL;
	}
	return resp;
}

/* ---- the service this test runs ---- */

static void start_service(void)
{
	char log[320], out[320];
	int st[2];

	snprintf(sock_path, sizeof(sock_path), "%s/criu.sock", tmpdir);
	snprintf(pid_path, sizeof(pid_path), "%s/service.pid", tmpdir);
	snprintf(notify_path, sizeof(notify_path), "%s/notify.sock", tmpdir);
	snprintf(log, sizeof(log), "%s/service.log", tmpdir);
	snprintf(out, sizeof(out), "%s/service.out", tmpdir);
	notify_sk = bind_socket(notify_path, SOCK_DGRAM);
	if (notify_sk < 0 || pipe2(st, O_CLOEXEC) < 0)
		return;
	service = fork();
	if (service == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		if (st[1] == 5) /* --status-fd 5 */
			fcntl(5, F_SETFD, 0);
		else
			dup2(st[1], 5);
		setenv("NOTIFY_SOCKET", notify_path, 1);
		/* the non-root clients below connect: the operator opens the socket to them */
		execl(rc_criu(), "criu", "service", "--address", sock_path, "--address-mode", "0666",
		      "--pidfile", pid_path, "--status-fd", "5", "-v4", "-o", log, (char *)NULL);
		_exit(127);
	}
	close(st[1]);
	status_rd = st[0];
}

static void test_service_ready(void)
{
	char buf[64] = "", pidbuf[32] = "";
	ssize_t n;
	FILE *f;

	if (service < 0 || notify_sk < 0) {
		T_FAILF("the service was not started");
		return;
	}
	/* NOTIFY_SOCKET: one datagram "READY=1" once it listens */
	if (rc_wait_readable(notify_sk, RC_TIMEOUT_MS) <= 0) {
		T_FAILF("no READY=1 on NOTIFY_SOCKET within %d ms (log %s/service.out)", RC_TIMEOUT_MS,
			tmpdir);
		return;
	}
	n = recv(notify_sk, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	if (n > 0)
		buf[n] = 0;
	CHECK(has(buf, "READY=1"));
	/* --status-fd: one '\0' byte, then closed */
	CHECK(rc_wait_readable(status_rd, RC_TIMEOUT_MS) > 0);
	n = read(status_rd, buf, sizeof(buf));
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(buf[0], 0);
	CHECK_EQ_INT(read(status_rd, buf, sizeof(buf)), 0);
	/* --pidfile: the service's pid (no --daemon) */
	f = fopen(pid_path, "re");
	CHECK(f != NULL);
	if (f) {
		CHECK(fgets(pidbuf, sizeof(pidbuf), f) != NULL);
		fclose(f);
		CHECK_EQ_INT(atoi(pidbuf), service);
	}
	/* bound and listening, with the mode the operator asked for */
	CHECK(access(sock_path, F_OK) == 0);
	{
		struct stat st;

		CHECK(stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
		CHECK_EQ_INT(st.st_mode & 07777, 0666);
	}
}

static void test_version_check(void)
{
	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_address(sock_path), 0);
	CHECK_EQ_INT(criu_get_version(), 40200);
	CHECK_EQ_INT(criu_check(), 0);
}

/* An idle connection holds one worker; another client is still served. */
static void test_concurrent_clients(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp;
	int idle = rc_connect(sock_path);

	CHECK(idle >= 0);
	req.type = CRIU_REQ_TYPE__VERSION;
	resp = service_once(sock_path, &req);
	if (resp) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__VERSION);
		CHECK(resp->success);
		criu_resp__free_unpacked(resp, NULL);
	}
	if (idle >= 0)
		close(idle);
}

/* rst_sibling and inherit_fd belong to criu swrk: the service refuses them. */
static void test_swrk_only_fields(void)
{
	char dir[320];
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	InheritFd inh = INHERIT_FD__INIT, *inhp = &inh;
	CriuResp *resp;
	int dirfd;

	snprintf(dir, sizeof(dir), "%s/sibling", tmpdir);
	mkdir(dir, 0700);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	o.images_dir_fd = dirfd;
	o.log_file = "restore.log";
	o.has_rst_sibling = o.rst_sibling = true;
	req.type = CRIU_REQ_TYPE__RESTORE;
	req.opts = &o;
	resp = service_once(sock_path, &req);
	if (resp) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__RESTORE);
		CHECK(!resp->success);
		CHECK(has(resp->cr_errmsg, "rst_sibling"));
		criu_resp__free_unpacked(resp, NULL);
	}
	/* libcriu's criu_restore_child goes through swrk even when a socket is set; raw here */
	o.has_rst_sibling = false;
	inh.key = "pipe:[1]";
	inh.fd = 0;
	o.n_inherit_fd = 1;
	o.inherit_fd = &inhp;
	resp = service_once(sock_path, &req);
	if (resp) {
		CHECK(!resp->success);
		CHECK(has(resp->cr_errmsg, "inherit_fd"));
		criu_resp__free_unpacked(resp, NULL);
	}
	close(dirfd);
}

/* ---- non-root clients ---- */

/* In a child: become uid/gid 65534 with no capabilities (and stay ptrace-able by our own uid). */
static int become_nobody(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
	    setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return -errno;
	/* a uid change makes us non-dumpable: /proc/<pid> would be root's */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return strcmp(rc_status_field(getpid(), "CapEff"), "0000000000000000") ? -EPERM : 0;
}

/* Sends a DUMP of pid (or a RESTORE) through the service from the current (non-root) process: the response.
 */
static CriuResp *nobody_request(const char *dir, CriuReqType type, pid_t pid)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	CriuResp *resp = NULL;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), sk, r;

	if (dirfd < 0) {
		printf("    cannot open %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	o.images_dir_fd = dirfd;
	o.log_file = type == CRIU_REQ_TYPE__DUMP ? "dump.log" : "restore.log";
	o.has_log_level = true;
	o.log_level = 4;
	o.has_pid = pid > 0;
	o.pid = pid;
	req.type = type;
	req.opts = &o;
	sk = rc_connect(sock_path);
	if (sk < 0) {
		printf("    cannot connect to %s: %s\n", sock_path, strerror(-sk));
		close(dirfd);
		return NULL;
	}
	r = rc_transact(sk, &req, NULL, NULL, &resp);
	close(sk);
	close(dirfd);
	if (r <= 0) {
		printf("    no response: %s\n", r == 0 ? "EOF" : strerror(-r));
		return NULL;
	}
	return resp;
}

static char *nobody_dir(const char *name)
{
	static char dir[320];

	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, name);
	mkdir(dir, 0700);
	if (chown(dir, NOBODY, NOBODY) < 0)
		return NULL;
	return dir;
}

/* Runs fn(arg) in a child as nobody; PASS when it exits 0. */
static void as_nobody(int (*fn)(const char *dir, pid_t arg), const char *dir, pid_t arg)
{
	pid_t c;
	int st;

	fflush(stdout);
	c = fork();
	if (c == 0) {
		int r = become_nobody();

		if (r < 0) {
			printf("    cannot become uid %d without capabilities: %s\n", NOBODY, strerror(-r));
			fflush(stdout);
			_exit(2);
		}
		r = fn(dir, arg);
		fflush(stdout);
		_exit(r);
	}
	st = rc_wait_pid(c, 2 * RC_TIMEOUT_MS);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAILF("the non-root client failed (status %#x); logs in %s", st, dir);
}

static int dump_roots_process(const char *dir, pid_t victim)
{
	CriuResp *resp = nobody_request(dir, CRIU_REQ_TYPE__DUMP, victim);
	int ok;

	if (!resp)
		return 1;
	ok = resp->type == CRIU_REQ_TYPE__DUMP && !resp->success && resp->cr_errmsg &&
	     (has(resp->cr_errmsg, "not the caller's own") || has(resp->cr_errmsg, "belongs to uid"));
	printf("    refused: success %d, cr_errno %d, cr_errmsg: %s\n", resp->success, resp->cr_errno,
	       resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	return ok ? 0 : 1;
}

static void test_nonroot_refused(void)
{
	const char *dir = nobody_dir("nonroot-refused");
	pid_t victim = rc_spawn_sleeper();

	if (!dir || victim < 0) {
		T_FAILF("setup failed");
		rc_kill_wait(victim);
		return;
	}
	as_nobody(dump_roots_process, dir, victim);
	/* untouched: still running, not traced, not dumped */
	CHECK(rc_alive(victim));
	CHECK_EQ_STR(rc_status_field(victim, "TracerPid"), "0");
	CHECK(!rc_file_exists(dir, "inventory.img"));
	rc_kill_wait(victim);
}

/*
 * A process of the caller's uid whose child is still root (it forked before
 * dropping its ids, as a setuid program's parent could): the whole tree is
 * checked, so the dump is refused naming the child.
 */
static pid_t spawn_mixed_tree(pid_t *ret_child)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		pid_t c;

		setsid();
		c = fork();
		if (c == 0) {
			for (;;)
				pause();
		}
		if (write(p[1], &c, sizeof(c)) != sizeof(c))
			_exit(1);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(1);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		syscall(SYS_close_range, 3, ~0U, 0);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], ret_child, sizeof(*ret_child)) != sizeof(*ret_child))
		*ret_child = -1;
	close(p[0]);
	usleep(200000);
	return pid;
}

static int dump_mixed_tree(const char *dir, pid_t victim)
{
	CriuResp *resp = nobody_request(dir, CRIU_REQ_TYPE__DUMP, victim);
	int ok;

	if (!resp)
		return 1;
	ok = resp->type == CRIU_REQ_TYPE__DUMP && !resp->success && resp->cr_errmsg &&
	     has(resp->cr_errmsg, "not the caller's own");
	printf("    refused: success %d, cr_errmsg: %s\n", resp->success, resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	return ok ? 0 : 1;
}

static void test_nonroot_mixed_tree(void)
{
	const char *dir = nobody_dir("nonroot-mixed");
	pid_t child = -1, victim = spawn_mixed_tree(&child);

	if (!dir || victim < 0 || child < 0) {
		T_FAILF("setup failed");
		return;
	}
	CHECK_EQ_STR(rc_status_field(victim, "Uid"), "65534\t65534\t65534\t65534");
	as_nobody(dump_mixed_tree, dir, victim);
	/* both untouched: still running, not traced, nothing dumped */
	CHECK(rc_alive(victim) && rc_alive(child));
	CHECK_EQ_STR(rc_status_field(victim, "TracerPid"), "0");
	CHECK_EQ_STR(rc_status_field(child, "TracerPid"), "0");
	CHECK(!rc_file_exists(dir, "inventory.img"));
	kill(child, SIGKILL);
	rc_kill_wait(victim);
}

static int dump_own_child(const char *dir, pid_t unused)
{
	pid_t pid = rc_spawn_sleeper();
	CriuResp *resp;
	int ok, st;

	if (pid < 0)
		return 1;
	resp = nobody_request(dir, CRIU_REQ_TYPE__DUMP, pid);
	if (!resp) {
		rc_kill_wait(pid);
		return 1;
	}
	ok = resp->type == CRIU_REQ_TYPE__DUMP && resp->success;
	if (!ok)
		printf("    own child not dumped: cr_errno %d, cr_errmsg: %s\n", resp->cr_errno,
		       resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	if (ok && !rc_file_exists(dir, "inventory.img")) {
		printf("    the dump succeeded but %s/inventory.img is missing\n", dir);
		ok = 0;
	}
	/* dumped without leave_running: the child is gone */
	if (ok && (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st))) {
		printf("    the dumped child was not killed\n");
		ok = 0;
	}
	if (!ok) {
		rc_kill_wait(pid);
		return 1;
	}
	/* and restores it: its own images, its own uid */
	resp = nobody_request(dir, CRIU_REQ_TYPE__RESTORE, 0);
	if (!resp)
		return 1;
	ok = resp->type == CRIU_REQ_TYPE__RESTORE && resp->success && resp->restore &&
	     resp->restore->pid == pid;
	if (!ok)
		printf("    own child not restored: cr_errno %d, cr_errmsg: %s\n", resp->cr_errno,
		       resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	if (ok && (!rc_alive(pid) || strcmp(rc_status_field(pid, "Uid"), "65534\t65534\t65534\t65534"))) {
		printf("    restored pid %d: alive %d, Uid %s\n", pid, rc_alive(pid),
		       rc_status_field(pid, "Uid"));
		ok = 0;
	}
	rc_kill_wait(pid);
	return ok ? 0 : 1;
}

static void test_nonroot_own_child(void)
{
	const char *dir = nobody_dir("nonroot-own");

	if (!dir) {
		T_FAILF("setup failed");
		return;
	}
	as_nobody(dump_own_child, dir, 0);
}

/* A non-root client's config_file is opened with its ids: root's secrets stay out of cr_errmsg. */
static int read_roots_file(const char *path, pid_t unused)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	CriuResp *resp = NULL;
	int sk = rc_connect(sock_path), r, ok;

	if (sk < 0)
		return 1;
	o.config_file = (char *)path;
	req.type = CRIU_REQ_TYPE__CHECK;
	req.opts = &o;
	r = rc_transact(sk, &req, NULL, NULL, &resp);
	close(sk);
	if (r <= 0) {
		printf("    no response\n");
		return 1;
	}
	ok = !resp->success && !has(resp->cr_errmsg, "secret-value") &&
	     has(resp->cr_errmsg, "Permission denied");
	printf("    config_file of root's: success %d, cr_errmsg: %s\n", resp->success,
	       resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	return ok ? 0 : 1;
}

static void test_nonroot_config_file(void)
{
	char path[320];
	FILE *f;

	snprintf(path, sizeof(path), "%s/secret.conf", tmpdir);
	f = fopen(path, "we");
	if (!f || fprintf(f, "secret-value-4711\n") < 0 || fclose(f) || chmod(path, 0600) < 0) {
		T_FAILF("cannot write %s", path);
		return;
	}
	as_nobody(read_roots_file, path, 0);
}

/* ---- systemd socket activation ---- */

static void test_socket_activation(void)
{
	char path[320], out[320];
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp;
	pid_t pid;
	int ls, st;

	snprintf(path, sizeof(path), "%s/activated.sock", tmpdir);
	snprintf(out, sizeof(out), "%s/activated.out", tmpdir);
	ls = bind_socket(path, SOCK_SEQPACKET);
	if (ls < 0 || listen(ls, 4) < 0) {
		T_FAILF("cannot listen on %s", path);
		return;
	}
	pid = fork();
	if (pid == 0) {
		char num[16];
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		dup2(ls, 3); /* SD_LISTEN_FDS_START */
		snprintf(num, sizeof(num), "%d", getpid());
		setenv("LISTEN_PID", num, 1);
		setenv("LISTEN_FDS", "1", 1);
		unsetenv("NOTIFY_SOCKET");
		/* no --address: the service must use fd 3, not bind ./criu_service.socket */
		if (chdir(tmpdir) < 0)
			_exit(126);
		execl(rc_criu(), "criu", "service", "-v4", (char *)NULL);
		_exit(127);
	}
	close(ls);
	req.type = CRIU_REQ_TYPE__VERSION;
	resp = service_once(path, &req);
	if (resp) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__VERSION);
		CHECK(resp->success);
		CHECK(resp->version && resp->version->major_number == 4);
		criu_resp__free_unpacked(resp, NULL);
	}
	CHECK(!rc_file_exists(tmpdir, "criu_service.socket"));
	kill(pid, SIGTERM);
	st = rc_wait_pid(pid, RC_TIMEOUT_MS);
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAILF("the activated service did not stop cleanly on SIGTERM (status %#x, log %s)", st,
			out);
}

static void test_service_stop(void)
{
	int st;

	if (service < 0) {
		T_FAILF("no service");
		return;
	}
	kill(service, SIGTERM);
	st = rc_wait_pid(service, RC_TIMEOUT_MS);
	service = -1;
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		T_FAILF("the service did not stop cleanly on SIGTERM (status %#x)", st);
	/* it removes the socket it bound */
	CHECK(access(sock_path, F_OK) < 0);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP rpc_service: needs root\n");
		return 0;
	}
	if (access(rc_criu(), X_OK) < 0) {
		printf("SKIP rpc_service: $CRIU (%s) is not executable\n", rc_criu());
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (rc_mkdtemp(tmpdir, sizeof(tmpdir), "rpc-service") < 0 || chmod(tmpdir, 0755) < 0) {
		printf("FAIL rpc_service: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	start_service();
	t_run("service_ready", test_service_ready);
	t_run("service_version_check", test_version_check);
	t_run("service_concurrent_clients", test_concurrent_clients);
	t_run("service_swrk_only_fields", test_swrk_only_fields);
	t_run("service_nonroot_refused", test_nonroot_refused);
	t_run("service_nonroot_own_child", test_nonroot_own_child);
	t_run("service_nonroot_mixed_tree", test_nonroot_mixed_tree);
	t_run("service_nonroot_config_file", test_nonroot_config_file);
	t_run("service_socket_activation", test_socket_activation);
	t_run("service_stop", test_service_stop);
	if (service > 0)
		rc_kill_wait(service);
	if (t_failures)
		printf("    logs kept in %s (service.log, service.out, */dump.log)\n", tmpdir);
	else
		rc_rm_rf(tmpdir);
	return t_done();
}
