// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `criu swrk N` as runc, go-criu and libcriu drive it: raw protobuf over a
 * socket pair (the server end at an unusual fd number, as go-criu passes
 * whatever number it has), and libcriu with CRIU_COMM_BIN. Covers every
 * request type, malformed packets, keep_open, the notification sequences of
 * a real dump and restore, a refused post-dump, rst_sibling, and the error
 * fields of failed jobs (PROTOCOL.md §1-§2).
 * Needs root and $CRIU; runs under a child subreaper (tests/run.sh).
 */
#include "criu.h"
#include "rpc_client.h"
#include "t.h"

#define SWRK_FD 7 /* the number the server end gets in `criu swrk N` */

static char tmpdir[256];

/* ---- helpers ---- */

/* One request on a fresh swrk, and its final response (notifications acked). */
static CriuResp *swrk_once(const CriuReq *req, struct rc_notes *nt, const char *fail_at, int *ret_status)
{
	struct rc_swrk s;
	CriuResp *resp = NULL;
	int r;

	*ret_status = -1;
	if (rc_swrk_start(&s, SWRK_FD) < 0) {
		T_FAILF("cannot start criu swrk: %s", strerror(errno));
		return NULL;
	}
	r = rc_transact(s.sk, req, fail_at, nt, &resp);
	if (r <= 0) {
		T_FAILF("no response to a %d request: %s", req->type, r == 0 ? "EOF" : strerror(-r));
		resp = NULL;
	}
	*ret_status = rc_swrk_finish(&s);
	return resp;
}

static void check_exited(int status, int code)
{
	if (status < 0 || !WIFEXITED(status))
		T_FAILF("criu swrk did not exit normally: status %#x%s", status,
			status >= 0 && WIFSIGNALED(status) ? " (killed by a signal)" : "");
	else if (code >= 0 && WEXITSTATUS(status) != code)
		T_FAILF("criu swrk exited with %d, expected %d", WEXITSTATUS(status), code);
}

/* A fresh images dir under tmpdir, and an fd for it at a number >= 100 that swrk does not inherit. */
static int images_dir(const char *name, char *path, size_t size)
{
	int fd, hi;

	snprintf(path, size, "%s/%s", tmpdir, name);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	close(fd);
	return hi;
}

static void opts_for(CriuOpts *o, int dirfd, const char *log)
{
	criu_opts__init(o);
	o->images_dir_fd = dirfd;
	o->log_file = (char *)log;
	o->has_log_level = true;
	o->log_level = 4;
}

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

/* ---- request types without a job ---- */

static void test_version(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp;
	int st;

	req.type = CRIU_REQ_TYPE__VERSION; /* go-criu sends no opts */
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__VERSION);
	CHECK(resp->success);
	CHECK(resp->version != NULL);
	if (resp->version) {
		CHECK_EQ_INT(resp->version->major_number, 4);
		CHECK_EQ_INT(resp->version->minor_number, 2);
		/* a gitid would make runc count us as 4.3; we are 4.2 */
		CHECK(resp->version->gitid == NULL);
		CHECK(resp->version->name && resp->version->name[0]);
		if (resp->version->name)
			printf("    version name: %s\n", resp->version->name);
	}
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 0);
}

static void test_version_libcriu(void)
{
	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
	CHECK_EQ_INT(criu_get_version(), 40200);
	CHECK_EQ_INT(criu_check_version(31500), 1);
	CHECK_EQ_INT(criu_check_version(40300), 0);
	CHECK_EQ_INT(criu_check(), 0);
}

static void test_check(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp;
	int st;

	req.type = CRIU_REQ_TYPE__CHECK;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__CHECK);
	CHECK(resp->success);
	if (!resp->success)
		printf("    cr_errmsg: %s\n", resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 0);
}

static void test_feature_check(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuFeatures want = CRIU_FEATURES__INIT;
	struct criu_feature_check lc = {.mem_track = true};
	CriuResp *resp;
	int st;

	/* runc --pre-dump asks for mem_track only: the others come back present and false */
	req.type = CRIU_REQ_TYPE__FEATURE_CHECK;
	req.features = &want;
	want.has_mem_track = want.mem_track = true;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__FEATURE_CHECK);
	CHECK(resp->success);
	CHECK(resp->features != NULL);
	if (resp->features) {
		/* no pre-dump with memory tracking in this binary: a yes would send runc into a failure */
		CHECK(resp->features->has_mem_track && !resp->features->mem_track);
		CHECK(resp->features->has_lazy_pages && !resp->features->lazy_pages);
		CHECK(resp->features->has_pidfd_store && !resp->features->pidfd_store);
		/* libcriu must report the same answer */
		CHECK_EQ_INT(criu_init_opts(), 0);
		CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
		CHECK_EQ_INT(criu_feature_check(&lc, sizeof(lc)), 0);
		CHECK_EQ_INT(lc.mem_track, resp->features->mem_track);
		CHECK_EQ_INT(lc.lazy_pages, 0);
	}
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 0);

	/* an answer does not depend on what else is asked with it */
	{
		bool alone = false, with_others = false;

		want.has_mem_track = want.mem_track = false;
		want.has_pidfd_store = want.pidfd_store = true;
		resp = swrk_once(&req, NULL, NULL, &st);
		if (!resp)
			return;
		alone = resp->features && resp->features->pidfd_store;
		criu_resp__free_unpacked(resp, NULL);
		check_exited(st, 0);
		want.has_mem_track = want.mem_track = true;
		want.has_lazy_pages = want.lazy_pages = true;
		resp = swrk_once(&req, NULL, NULL, &st);
		if (!resp)
			return;
		with_others = resp->features && resp->features->pidfd_store;
		CHECK(resp->features && !resp->features->mem_track && !resp->features->lazy_pages);
		criu_resp__free_unpacked(resp, NULL);
		check_exited(st, 0);
		CHECK_EQ_INT(alone, with_others);
		CHECK(alone); /* pidfd_open and pidfd_getfd are on this kernel */
	}
}

static void test_wait_pid(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp;
	int st;

	/* we are not a child of swrk: ECHILD */
	req.type = CRIU_REQ_TYPE__WAIT_PID;
	req.has_pid = true;
	req.pid = (uint32_t)getpid();
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__WAIT_PID);
	CHECK(!resp->success);
	CHECK(resp->has_cr_errno);
	CHECK_EQ_INT(resp->cr_errno, ECHILD);
	CHECK(!resp->has_status);
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, -1);

	/* no pid at all */
	req.has_pid = false;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__WAIT_PID);
	CHECK(!resp->success);
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, -1);
}

static void test_not_supported_yet(void)
{
	static const CriuReqType types[] = {
		CRIU_REQ_TYPE__PRE_DUMP,	 CRIU_REQ_TYPE__SINGLE_PRE_DUMP, CRIU_REQ_TYPE__PAGE_SERVER,
		CRIU_REQ_TYPE__PAGE_SERVER_CHLD,
	};

	char dir[] = "/tmp/criu-rpc-nsy.XXXXXX";
	int dirfd;

	if (!mkdtemp(dir) || (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		T_FAILF("cannot make a directory: %s", strerror(errno));
		return;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CriuReq req = CRIU_REQ__INIT;
		char path[sizeof(dir) + 16], text[4096] = "";
		CriuOpts o;
		CriuResp *resp;
		ssize_t n;
		int st, fd;

		opts_for(&o, dirfd, "x.log");
		req.type = types[i];
		req.opts = &o;
		resp = swrk_once(&req, NULL, NULL, &st);
		if (!resp)
			continue;
		if (resp->type != types[i] || resp->success || !has(resp->cr_errmsg, "not supported") ||
		    !resp->has_cr_errno || resp->cr_errno != EOPNOTSUPP)
			T_FAILF("request type %d: got type %d success %d cr_errno %d cr_errmsg \"%s\"", types[i],
				resp->type, resp->success, resp->cr_errno, resp->cr_errmsg ? resp->cr_errmsg : "(none)");
		criu_resp__free_unpacked(resp, NULL);
		check_exited(st, -1);
		/* the refusal is in the job's log too: runc and Podman show that log */
		snprintf(path, sizeof(path), "%s/x.log", dir);
		fd = open(path, O_RDONLY);
		n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		text[n > 0 ? n : 0] = '\0';
		if (!has(text, "not supported yet"))
			T_FAILF("request type %d: its log %s does not say why it was refused", types[i], path);
		unlink(path);
	}
	close(dirfd);
	rmdir(dir);
}

/* One CPUINFO_DUMP or CPUINFO_CHECK of dirfd with criu_opts.cpu_cap (has_cap false: not given). */
static CriuResp *cpuinfo_req(CriuReqType type, int dirfd, bool has_cap, uint32_t cap)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	int st;
	CriuResp *resp;

	opts_for(&o, dirfd, "cpuinfo.log");
	o.has_cpu_cap = has_cap;
	o.cpu_cap = cap;
	req.type = type;
	req.opts = &o;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (resp && resp->type != type)
		T_FAILF("a %d request answered with type %d", type, resp->type);
	return resp;
}

/*
 * CPUINFO_DUMP writes cpuinfo.img, CPUINFO_CHECK passes on this CPU; a copy
 * that says the CPU had avx512f fails with ENOTSUP naming it, unless
 * criu_opts.cpu_cap leaves out ins (criu's mask: 1 fpu, 2 cpu, 4 ins).
 */
static void test_cpuinfo(void)
{
	char dir[300], forged[300], cmd[1024], forge[300];
	int dirfd = images_dir("cpuinfo", dir, sizeof(dir)), fdirfd;
	CriuResp *resp = cpuinfo_req(CRIU_REQ_TYPE__CPUINFO_DUMP, dirfd, false, 0);

	CHECK(resp && resp->success);
	CHECK(rc_file_exists(dir, "cpuinfo.img"));
	if (resp)
		criu_resp__free_unpacked(resp, NULL);
	resp = cpuinfo_req(CRIU_REQ_TYPE__CPUINFO_CHECK, dirfd, false, 0);
	CHECK(resp && resp->success);
	if (resp && !resp->success)
		printf("    cr_errmsg: %s\n", resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	if (resp)
		criu_resp__free_unpacked(resp, NULL);

	/* the forger is built beside criu: $BUILD/criu, $BUILD/tests/reliability/rel_forge */
	snprintf(forge, sizeof(forge), "%s", rc_criu());
	*strrchr(forge, '/') = '\0';
	snprintf(forged, sizeof(forged), "%s/cpuinfo-avx512", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tests/reliability/rel_forge %s %s cpu-feature avx512f", forge, dir, forged);
	if (!strchr(rc_criu(), '/') || system(cmd) != 0) {
		T_FAILF("cannot forge a cpuinfo.img: %s", cmd);
		close(dirfd);
		return;
	}
	fdirfd = open(forged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	resp = cpuinfo_req(CRIU_REQ_TYPE__CPUINFO_CHECK, fdirfd, true, 1 | 4);
	CHECK(resp && !resp->success && resp->has_cr_errno && resp->cr_errno == ENOTSUP);
	CHECK(resp && has(resp->cr_errmsg, "avx512f"));
	if (resp)
		printf("    cr_errmsg: %s\n", resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	if (resp)
		criu_resp__free_unpacked(resp, NULL);
	resp = cpuinfo_req(CRIU_REQ_TYPE__CPUINFO_CHECK, fdirfd, true, 1);
	CHECK(resp && resp->success);
	if (resp)
		criu_resp__free_unpacked(resp, NULL);
	close(fdirfd);
	close(dirfd);
}

/* libcriu's restore of dirfd with criu_set_cpu_cap(cap): the restored pid, or < 0 */
static int restore_with_cap(int dirfd, unsigned int cap)
{
	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
	criu_set_images_dir_fd(dirfd);
	criu_set_log_level(4);
	criu_set_log_file("restore.log");
	criu_set_cpu_cap(cap);
	return criu_restore_child();
}

/*
 * A restore over RPC checks the image's CPU as criu_opts.cpu_cap says: a
 * checkpoint whose cpuinfo.img says the CPU had avx512f is refused with
 * fpu|ins (5) and restored with fpu (1).
 */
static void test_restore_cpu_cap(void)
{
	char dir[300], forged[300], cmd[1024], forge[300];
	int dirfd = images_dir("cpu-cap", dir, sizeof(dir)), fdirfd, r, ws;
	pid_t pid;

	if (system("grep -q avx512f /proc/cpuinfo") == 0) {
		T_SKIP("this CPU has avx512f");
		return;
	}
	pid = rc_spawn_sleeper();
	if (dirfd < 0 || pid < 0 || !strchr(rc_criu(), '/')) {
		T_FAILF("setup failed");
		return;
	}
	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
	criu_set_images_dir_fd(dirfd);
	criu_set_log_file("dump.log");
	criu_set_pid(pid);
	r = criu_dump();
	CHECK_EQ_INT(r, 0);
	if (r != 0) {
		rc_kill_wait(pid);
		return;
	}
	CHECK_EQ_INT(waitpid(pid, &ws, 0), pid);
	snprintf(forge, sizeof(forge), "%s", rc_criu());
	*strrchr(forge, '/') = '\0';
	snprintf(forged, sizeof(forged), "%s/cpu-cap-avx512", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tests/reliability/rel_forge %s %s cpu-feature avx512f", forge, dir, forged);
	CHECK_EQ_INT(system(cmd), 0);
	fdirfd = open(forged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	r = restore_with_cap(fdirfd, 1 | 4);
	CHECK(r < 0);
	CHECK(has(rc_log_error(forged, "restore.log"), "missing on this CPU: avx512f"));
	CHECK(!rc_alive(pid));
	r = restore_with_cap(fdirfd, 1);
	CHECK_EQ_INT(r, pid);
	if (r != pid)
		printf("    restore: %s (log %s/restore.log)\n", rc_log_error(forged, "restore.log"), forged);
	else
		rc_kill_wait(pid);
	close(fdirfd);
	close(dirfd);
}

/* NOTIFY sent as a request, and a type criu does not know: EMPTY, success=false. */
static void test_invalid_types(void)
{
	static const int types[] = {CRIU_REQ_TYPE__NOTIFY, CRIU_REQ_TYPE__EMPTY, 99};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CriuReq req = CRIU_REQ__INIT;
		CriuResp *resp;
		int st;

		req.type = (CriuReqType)types[i];
		resp = swrk_once(&req, NULL, NULL, &st);
		if (!resp)
			continue;
		if (resp->type != CRIU_REQ_TYPE__EMPTY || resp->success)
			T_FAILF("request type %d: answered type %d success %d (want EMPTY, false)", types[i],
				resp->type, resp->success);
		criu_resp__free_unpacked(resp, NULL);
		check_exited(st, -1);
	}
}

/* Sends raw bytes as the request: EMPTY success=false, then the server ends normally. */
static void expect_empty_for(const char *what, const void *buf, size_t len)
{
	struct rc_swrk s;
	CriuResp *resp = NULL;
	int r, st;

	if (rc_swrk_start(&s, SWRK_FD) < 0) {
		T_FAILF("cannot start criu swrk");
		return;
	}
	r = rc_send_raw(s.sk, buf, len);
	if (r < 0)
		T_FAILF("%s: send: %s", what, strerror(-r));
	r = rc_recv(s.sk, &resp, NULL);
	if (r <= 0) {
		T_FAILF("%s: no response (%s)", what, r == 0 ? "EOF" : strerror(-r));
	} else {
		if (resp->type != CRIU_REQ_TYPE__EMPTY || resp->success)
			T_FAILF("%s: answered type %d success %d (want EMPTY, false)", what, resp->type,
				resp->success);
		criu_resp__free_unpacked(resp, NULL);
		/* one request per connection: after a bad one the server hangs up */
		if (!rc_eof(s.sk))
			T_FAILF("%s: the server did not close the connection", what);
	}
	st = rc_swrk_finish(&s);
	if (st < 0 || !WIFEXITED(st))
		T_FAILF("%s: criu swrk did not exit normally (status %#x)", what, st);
}

static void test_garbage(void)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t badwire[] = {0x0f, 0x01}; /* field 1 with wire type 7 */
	uint8_t buf[512];
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	size_t len;

	expect_empty_for("garbage", junk, sizeof(junk));
	expect_empty_for("bad wire type", badwire, sizeof(badwire));

	/* a real DUMP request cut short */
	opts_for(&o, 5, "dump.log");
	o.root = "/some/root/path";
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	len = criu_req__get_packed_size(&req);
	if (len > sizeof(buf)) {
		T_FAILF("request too big");
		return;
	}
	criu_req__pack(&req, buf);
	expect_empty_for("truncated packet", buf, len - 4);

	/* criu_req without its required type: only opts */
	req.type = 0;
	len = criu_req__get_packed_size(&req);
	criu_req__pack(&req, buf);
	if (buf[0] == 0x08) { /* type 0 is packed as field 1 by protobuf-c (required): drop it */
		memmove(buf, buf + 2, len - 2);
		len -= 2;
	}
	expect_empty_for("missing required type", buf, len);

	/* an inherit_fd entry without its required fd */
	{
		static const uint8_t no_fd[] = {
			0x08, 0x01,	       /* type = DUMP */
			0x12, 0x09,	       /* opts, 9 bytes */
			0x08, 0x00,	       /* images_dir_fd = 0 */
			0xda, 0x01, 0x04,      /* field 27 (inherit_fd), 4 bytes */
			0x0a, 0x02, 'a',  'b', /* key = "ab", no fd */
		};
		expect_empty_for("inherit_fd without fd", no_fd, sizeof(no_fd));
	}
}

/* keep_open lets VERSION and FEATURE_CHECK share one connection. */
static void test_keep_open(void)
{
	struct rc_swrk s;
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp = NULL;
	int r, st;

	if (rc_swrk_start(&s, SWRK_FD) < 0) {
		T_FAILF("cannot start criu swrk");
		return;
	}
	req.type = CRIU_REQ_TYPE__VERSION;
	req.has_keep_open = req.keep_open = true;
	r = rc_transact(s.sk, &req, NULL, NULL, &resp);
	CHECK_EQ_INT(r, 1);
	if (r == 1) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__VERSION);
		CHECK(resp->success);
		criu_resp__free_unpacked(resp, NULL);
	}
	req.type = CRIU_REQ_TYPE__FEATURE_CHECK;
	req.has_keep_open = false;
	r = rc_transact(s.sk, &req, NULL, NULL, &resp);
	CHECK_EQ_INT(r, 1);
	if (r == 1) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__FEATURE_CHECK);
		CHECK(resp->success);
		criu_resp__free_unpacked(resp, NULL);
	}
	/* no keep_open on the second one: the server is done */
	CHECK(rc_eof(s.sk));
	st = rc_swrk_finish(&s);
	check_exited(st, 0);
}

/* keep_open is honoured only for the types PROTOCOL.md §1.4 lists: not for DUMP. */
static void test_keep_open_dump(void)
{
	char dir[300];
	struct rc_swrk s;
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp = NULL;
	int dirfd = images_dir("keep-open-dump", dir, sizeof(dir)), r, st;

	if (dirfd < 0 || rc_swrk_start(&s, SWRK_FD) < 0) {
		T_FAILF("setup failed");
		return;
	}
	opts_for(&o, dirfd, "dump.log");
	o.has_pid = true;
	o.pid = 0x3ffffff0; /* no such pid */
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	req.has_keep_open = req.keep_open = true;
	r = rc_transact(s.sk, &req, NULL, NULL, &resp);
	CHECK_EQ_INT(r, 1);
	if (r == 1) {
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__DUMP);
		criu_resp__free_unpacked(resp, NULL);
	}
	/* a second request gets no answer: the server ended after the DUMP */
	req.type = CRIU_REQ_TYPE__VERSION;
	req.opts = NULL;
	req.has_keep_open = false;
	rc_send(s.sk, &req);
	resp = NULL;
	r = rc_recv(s.sk, &resp, NULL);
	if (r == 1) {
		T_FAILF("a VERSION after a keep_open DUMP was answered (type %d)", resp->type);
		criu_resp__free_unpacked(resp, NULL);
	} else if (r == -ETIMEDOUT) {
		T_FAILF("the server neither answered nor closed the connection");
	}
	st = rc_swrk_finish(&s);
	check_exited(st, -1);
	close(dirfd);
}

/* ---- jobs that fail ---- */

static void test_dump_error_fields(void)
{
	char dir[300], pidstr[32];
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp;
	int dirfd = images_dir("dump-esrch", dir, sizeof(dir)), st;
	pid_t gone = fork();

	if (gone == 0)
		_exit(0);
	waitpid(gone, NULL, 0); /* a pid that existed and is free now */
	opts_for(&o, dirfd, "dump.log");
	o.has_pid = true;
	o.pid = gone;
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	snprintf(pidstr, sizeof(pidstr), "%d", gone);
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__DUMP);
	CHECK(!resp->success);
	CHECK(resp->has_cr_errno && resp->cr_errno > 0);
	CHECK(has(resp->cr_errmsg, pidstr));
	printf("    cr_errno %d, cr_errmsg: %s\n", resp->cr_errno,
	       resp->cr_errmsg ? resp->cr_errmsg : "(none)");
	CHECK(rc_file_exists(dir, "dump.log"));
	CHECK(!rc_file_exists(dir, "inventory.img"));
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 1);
	close(dirfd);
}

static void test_log_file_with_slash(void)
{
	char dir[300];
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp;
	int dirfd = images_dir("log-slash", dir, sizeof(dir)), st;

	opts_for(&o, dirfd, "../escape.log");
	o.has_pid = true;
	o.pid = getpid();
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__DUMP);
	CHECK(!resp->success);
	CHECK(resp->has_cr_errno);
	CHECK_EQ_INT(resp->cr_errno, EBADRQC);
	CHECK(has(resp->cr_errmsg, "log_file"));
	CHECK(!rc_file_exists(tmpdir, "escape.log"));
	criu_resp__free_unpacked(resp, NULL);
	close(dirfd);
}

/* images_dir_fd names an fd of the client: one we do not have fails cleanly. */
static void test_bad_images_dir_fd(void)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp;
	int st;

	opts_for(&o, 987, "dump.log");
	o.has_pid = true;
	o.pid = getpid();
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	resp = swrk_once(&req, NULL, NULL, &st);
	if (!resp)
		return;
	CHECK(!resp->success);
	CHECK_EQ_INT(resp->cr_errno, EBADRQC);
	CHECK(has(resp->cr_errmsg, "images_dir_fd"));
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 1);
}

/* ---- real dumps and restores ---- */

static void test_dump_restore_notifications(void)
{
	char dir[300], seq[256];
	struct rc_notes nt = {0};
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp;
	int dirfd = images_dir("notify", dir, sizeof(dir)), st, ws;
	pid_t pid = rc_spawn_sleeper(), restored = -1;

	if (dirfd < 0 || pid < 0) {
		T_FAILF("setup failed");
		return;
	}
	/* dirfd is CLOEXEC at >= 100: swrk can only reach it through /proc/<us>/fd */
	opts_for(&o, dirfd, "dump.log");
	o.has_pid = true;
	o.pid = pid;
	o.has_notify_scripts = o.notify_scripts = true;
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	resp = swrk_once(&req, &nt, NULL, &st);
	if (!resp) {
		rc_kill_wait(pid);
		return;
	}
	rc_notes_join(&nt, seq, sizeof(seq));
	CHECK_EQ_STR(seq, "pre-dump,query-ext-files,post-dump");
	for (int i = 0; i < nt.n; i++)
		if (nt.pid[i] != -1)
			T_FAILF("dump notification %s carries pid %d (only setup-namespaces/post-restore do)",
				nt.name[i], nt.pid[i]);
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__DUMP);
	CHECK(resp->success);
	if (!resp->success) {
		printf("    dump failed: %s; log %s/dump.log\n", resp->cr_errmsg ? resp->cr_errmsg : "?",
		       dir);
		criu_resp__free_unpacked(resp, NULL);
		rc_kill_wait(pid);
		return;
	}
	CHECK(resp->dump && resp->dump->has_restored && !resp->dump->restored);
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 0);
	CHECK(rc_file_exists(dir, "inventory.img"));
	CHECK(rc_file_exists(dir, "dump.log"));
	/* the dumped tree is gone: reap it so that its pid is free again */
	CHECK_EQ_INT(waitpid(pid, &ws, 0), pid);
	CHECK(WIFSIGNALED(ws));

	memset(&nt, 0, sizeof(nt));
	opts_for(&o, dirfd, "restore.log");
	o.has_notify_scripts = o.notify_scripts = true;
	req.type = CRIU_REQ_TYPE__RESTORE;
	resp = swrk_once(&req, &nt, NULL, &st);
	if (!resp)
		return;
	rc_notes_join(&nt, seq, sizeof(seq));
	CHECK_EQ_STR(seq, "pre-restore,post-restore,pre-resume,post-resume");
	for (int i = 0; i < nt.n; i++) {
		bool want_pid =
			!strcmp(nt.name[i], "post-restore") || !strcmp(nt.name[i], "setup-namespaces");

		if (want_pid && nt.pid[i] != pid)
			T_FAILF("%s: pid %d, expected %d", nt.name[i], nt.pid[i], pid);
		if (!want_pid && nt.pid[i] != -1)
			T_FAILF("%s carries pid %d", nt.name[i], nt.pid[i]);
	}
	CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__RESTORE);
	CHECK(resp->success);
	if (!resp->success)
		printf("    restore failed: %s; log %s/restore.log\n",
		       resp->cr_errmsg ? resp->cr_errmsg : "?", dir);
	CHECK(resp->restore != NULL);
	if (resp->restore) {
		restored = resp->restore->pid;
		CHECK_EQ_INT(restored, pid);
	}
	criu_resp__free_unpacked(resp, NULL);
	check_exited(st, 0);
	CHECK(rc_alive(pid));
	rc_kill_wait(pid);
	close(dirfd);
}

/* The client refuses post-dump: the dump fails, the tree runs on untraced, no checkpoint left. */
static void test_post_dump_refused(void)
{
	char dir[300], seq[256];
	struct rc_notes nt = {0};
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o;
	CriuResp *resp;
	int dirfd = images_dir("post-dump-refused", dir, sizeof(dir)), st, ws;
	pid_t pid = rc_spawn_sleeper();

	if (dirfd < 0 || pid < 0) {
		T_FAILF("setup failed");
		return;
	}
	opts_for(&o, dirfd, "dump.log");
	o.has_pid = true;
	o.pid = pid;
	o.has_notify_scripts = o.notify_scripts = true;
	req.type = CRIU_REQ_TYPE__DUMP;
	req.opts = &o;
	resp = swrk_once(&req, &nt, "post-dump", &st);
	if (resp) {
		rc_notes_join(&nt, seq, sizeof(seq));
		CHECK_EQ_STR(seq, "pre-dump,query-ext-files,post-dump");
		CHECK_EQ_INT(resp->type, CRIU_REQ_TYPE__DUMP);
		CHECK(!resp->success);
		CHECK(has(resp->cr_errmsg, "post-dump"));
		printf("    cr_errmsg: %s\n", resp->cr_errmsg ? resp->cr_errmsg : "(none)");
		criu_resp__free_unpacked(resp, NULL);
		check_exited(st, 1);
	}
	CHECK(!rc_file_exists(dir, "inventory.img"));
	CHECK(rc_alive(pid));
	CHECK_EQ_STR(rc_status_field(pid, "TracerPid"), "0");
	CHECK(rc_status_field(pid, "State")[0] == 'S');
	CHECK_EQ_INT(waitpid(pid, &ws, WNOHANG), 0);
	rc_kill_wait(pid);
	close(dirfd);
}

/* libcriu: dump with a notify callback, then criu_restore_child (rst_sibling). */
static struct rc_notes lc_notes;

static int lc_notify(char *action, criu_notify_arg_t na)
{
	if (lc_notes.n < 16) {
		snprintf(lc_notes.name[lc_notes.n], sizeof(lc_notes.name[0]), "%s", action);
		lc_notes.pid[lc_notes.n] = criu_notify_pid(na) ? criu_notify_pid(na) : -1;
		lc_notes.n++;
	}
	return 0;
}

static void test_restore_child(void)
{
	char dir[300], seq[256], ppid[32];
	int dirfd = images_dir("restore-child", dir, sizeof(dir)), r, ws;
	pid_t pid = rc_spawn_sleeper();

	if (dirfd < 0 || pid < 0) {
		T_FAILF("setup failed");
		return;
	}
	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
	criu_set_images_dir_fd(dirfd);
	criu_set_log_level(4);
	criu_set_log_file("dump.log");
	criu_set_pid(pid);
	criu_set_notify_cb(lc_notify);
	memset(&lc_notes, 0, sizeof(lc_notes));
	r = criu_dump();
	CHECK_EQ_INT(r, 0);
	rc_notes_join(&lc_notes, seq, sizeof(seq));
	CHECK_EQ_STR(seq, "pre-dump,query-ext-files,post-dump");
	if (r != 0) {
		printf("    dump: %s (log %s/dump.log)\n", rc_log_error(dir, "dump.log"), dir);
		rc_kill_wait(pid);
		return;
	}
	CHECK_EQ_INT(waitpid(pid, &ws, 0), pid);

	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(rc_criu()), 0);
	criu_set_images_dir_fd(dirfd);
	criu_set_log_level(4);
	criu_set_log_file("restore.log");
	criu_set_notify_cb(lc_notify);
	memset(&lc_notes, 0, sizeof(lc_notes));
	r = criu_restore_child();
	CHECK_EQ_INT(r, pid);
	rc_notes_join(&lc_notes, seq, sizeof(seq));
	CHECK_EQ_STR(seq, "pre-restore,post-restore,pre-resume,post-resume");
	if (r != pid) {
		printf("    restore: %s (log %s/restore.log)\n", rc_log_error(dir, "restore.log"), dir);
		return;
	}
	/* rst_sibling: the restored root is our own child, not swrk's */
	snprintf(ppid, sizeof(ppid), "%d", getpid());
	CHECK_EQ_STR(rc_status_field(pid, "PPid"), ppid);
	CHECK(rc_alive(pid));
	CHECK_EQ_INT(waitpid(pid, &ws, WNOHANG), 0);
	kill(pid, SIGKILL);
	CHECK_EQ_INT(waitpid(pid, &ws, 0), pid);
	CHECK(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
	close(dirfd);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("SKIP rpc_swrk: needs root\n");
		return 0;
	}
	if (access(rc_criu(), X_OK) < 0) {
		printf("SKIP rpc_swrk: $CRIU (%s) is not executable\n", rc_criu());
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	if (rc_mkdtemp(tmpdir, sizeof(tmpdir), "rpc-swrk") < 0) {
		printf("FAIL rpc_swrk: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	t_run("version", test_version);
	t_run("version_libcriu", test_version_libcriu);
	t_run("check", test_check);
	t_run("feature_check", test_feature_check);
	t_run("wait_pid", test_wait_pid);
	t_run("not_supported_yet", test_not_supported_yet);
	t_run("cpuinfo", test_cpuinfo);
	t_run("invalid_types", test_invalid_types);
	t_run("garbage", test_garbage);
	t_run("keep_open", test_keep_open);
	t_run("keep_open_dump", test_keep_open_dump);
	t_run("dump_error_fields", test_dump_error_fields);
	t_run("log_file_with_slash", test_log_file_with_slash);
	t_run("bad_images_dir_fd", test_bad_images_dir_fd);
	t_run("dump_restore_notifications", test_dump_restore_notifications);
	t_run("post_dump_refused", test_post_dump_refused);
	t_run("restore_child", test_restore_child);
	t_run("restore_cpu_cap", test_restore_cpu_cap);
	if (t_failures)
		printf("    images and logs kept in %s\n", tmpdir);
	else
		rc_rm_rf(tmpdir);
	return t_done();
}
