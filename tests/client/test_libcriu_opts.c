// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu without a criu: a fake peer (a thread on the other end of a
 * CRIU_COMM_FD socket pair, or this program re-executed as "swrk <fd>" for
 * CRIU_COMM_BIN) captures the requests the library sends and answers with
 * scripted responses. Checks the fields each setter produces, crun's call
 * sequences, and how answers map to return codes and errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criu.h"
#include "t.h"

#define ENV_CAPTURE "LIBCRIU_TEST_CAPTURE"

/* ---------------------------------------------------------------- the fake peer */

enum step_kind { STEP_RECV, STEP_SEND, STEP_GARBAGE };

struct step {
	enum step_kind kind;
	int pass_fd;
	CriuResp resp;
	CriuNotify notify;
	CriuDumpResp dump;
	CriuRestoreResp restore;
	CriuVersion version;
	CriuFeatures features;
};

struct peer {
	int fd;
	int nsteps;
	struct step steps[12];
	int nreqs;
	CriuReq *reqs[12];
	pthread_t thread;
};

static int send_packet(int fd, const void *buf, size_t len, int pass_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (pass_fd >= 0) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -1;
}

static int send_resp(int fd, const CriuResp *resp, int pass_fd)
{
	uint8_t buf[4096];
	size_t len = criu_resp__get_packed_size(resp);

	if (len > sizeof(buf))
		return -1;
	criu_resp__pack(resp, buf);
	return send_packet(fd, buf, len, pass_fd);
}

/* Receives one request packet; *ret_raw/len get the bytes when asked. */
static CriuReq *recv_req(int fd, uint8_t *raw, size_t *raw_len)
{
	uint8_t buf[65536];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);

	if (n <= 0)
		return NULL;
	if (raw) {
		memcpy(raw, buf, n);
		*raw_len = n;
	}
	return criu_req__unpack(NULL, n, buf);
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	int i;

	for (i = 0; i < p->nsteps; i++) {
		struct step *s = &p->steps[i];

		if (s->kind == STEP_RECV) {
			CriuReq *req = recv_req(p->fd, NULL, NULL);

			if (!req)
				break;
			p->reqs[p->nreqs++] = req;
		} else if (s->kind == STEP_GARBAGE) {
			send_packet(p->fd, "\xff\xff\xff", 3, -1);
		} else {
			send_resp(p->fd, &s->resp, s->pass_fd);
		}
	}
	close(p->fd);
	return NULL;
}

static struct step *peer_step(struct peer *p, enum step_kind kind)
{
	struct step *s = &p->steps[p->nsteps++];

	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->pass_fd = -1;
	criu_resp__init(&s->resp);
	return s;
}

static void peer_expect(struct peer *p)
{
	peer_step(p, STEP_RECV);
}

/* Queues an answer; the returned step can be decorated before peer_start(). */
static struct step *peer_reply(struct peer *p, CriuReqType type, bool success)
{
	struct step *s = peer_step(p, STEP_SEND);

	s->resp.type = type;
	s->resp.success = success;
	return s;
}

static void peer_notify(struct peer *p, const char *script, int pid, int pass_fd)
{
	struct step *s = peer_reply(p, CRIU_REQ_TYPE__NOTIFY, true);

	criu_notify__init(&s->notify);
	s->notify.script = (char *)script;
	s->notify.has_pid = pid > 0;
	s->notify.pid = pid;
	s->resp.notify = &s->notify;
	s->pass_fd = pass_fd;
	peer_expect(p); /* the acknowledgement */
}

/* Connects opts (NULL: the global set) to a new peer in CRIU_COMM_FD mode. */
static void peer_start(struct peer *p, criu_opts *opts)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		perror("socketpair");
		exit(2);
	}
	if (opts)
		criu_local_set_service_fd(opts, sv[0]);
	else
		criu_set_service_fd(sv[0]);
	p->fd = sv[1];
	pthread_create(&p->thread, NULL, peer_main, p);
}

static void peer_finish(struct peer *p)
{
	pthread_join(p->thread, NULL);
}

static void peer_free(struct peer *p)
{
	int i;

	for (i = 0; i < p->nreqs; i++)
		criu_req__free_unpacked(p->reqs[i], NULL);
	memset(p, 0, sizeof(*p));
}

/* The library must have closed (consumed) the fd it was given. */
static bool fd_is_closed(int fd)
{
	return fcntl(fd, F_GETFD) < 0 && errno == EBADF;
}

/* ---------------------------------------------------------------- crun's checkpoint */

static void check_checkpoint_request(const CriuReq *req)
{
	const CriuOpts *o = req->opts;

	CHECK_EQ_INT(req->type, CRIU_REQ_TYPE__DUMP);
	CHECK(o != NULL);
	if (!o)
		return;
	CHECK_EQ_INT(o->images_dir_fd, 7);
	CHECK(o->has_log_level && o->log_level == 4);
	CHECK_EQ_STR(o->log_file, "dump.log");
	CHECK_EQ_STR(o->config_file, "/etc/criu/crun.conf");
	CHECK(o->has_pid && o->pid == 4242);
	CHECK(o->has_work_dir_fd && o->work_dir_fd == 8);
	CHECK_EQ_STR(o->root, "/bundle/rootfs");
	CHECK_EQ_INT(o->n_ext_mnt, 2);
	if (o->n_ext_mnt == 2) {
		CHECK_EQ_STR(o->ext_mnt[0]->key, "/sys/fs/cgroup/cpu");
		CHECK_EQ_STR(o->ext_mnt[1]->val, "/etc/hosts");
	}
	CHECK_EQ_INT(o->n_external, 2);
	if (o->n_external == 2)
		CHECK_EQ_STR(o->external[1], "pid[4026531836]:extRootPidNS");
	CHECK_EQ_STR(o->freeze_cgroup, "/sys/fs/cgroup/ctr");
	CHECK(o->has_leave_running && o->leave_running);
	CHECK(o->has_ext_unix_sk && o->ext_unix_sk);
	CHECK(o->has_shell_job && !o->shell_job);
	CHECK(o->has_tcp_established && o->tcp_established);
	CHECK(o->has_file_locks && o->file_locks);
	CHECK(o->has_orphan_pts_master && o->orphan_pts_master);
	CHECK(o->has_manage_cgroups_mode && o->manage_cgroups_mode == CRIU_CG_MODE__SOFT);
	CHECK(o->has_manage_cgroups && o->manage_cgroups);
	CHECK(o->has_network_lock && o->network_lock == CRIU_NETWORK_LOCK_METHOD__SKIP);
	/* No notify callback on checkpoint: criu must not be asked for notifications. */
	CHECK(!o->has_notify_scripts);
	CHECK(!o->has_rst_sibling);
	CHECK(!o->has_timeout && !o->has_track_mem && !o->parent_img);
}

static void test_crun_checkpoint(void)
{
	struct peer p = {0};
	int r;

	CHECK_EQ_INT(criu_init_opts(), 0);
	criu_set_images_dir_fd(7);
	criu_set_log_level(4);
	CHECK_EQ_INT(criu_set_log_file("dump.log"), 0);
	CHECK_EQ_INT(criu_set_config_file("/etc/criu/crun.conf"), 0);
	criu_set_pid(4242);
	criu_set_work_dir_fd(8);
	CHECK_EQ_INT(criu_set_root("/bundle/rootfs"), 0);
	CHECK_EQ_INT(criu_add_ext_mount("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu"), 0);
	CHECK_EQ_INT(criu_add_ext_mount("/etc/hosts", "/etc/hosts"), 0);
	CHECK_EQ_INT(criu_add_external("net[4026531840]:extRootNetNS"), 0);
	CHECK_EQ_INT(criu_add_external("pid[4026531836]:extRootPidNS"), 0);
	CHECK_EQ_INT(criu_set_freeze_cgroup("/sys/fs/cgroup/ctr"), 0);
	criu_set_leave_running(true);
	criu_set_ext_unix_sk(true);
	criu_set_shell_job(false);
	criu_set_tcp_established(true);
	criu_set_file_locks(true);
	criu_set_orphan_pts_master(true);
	criu_set_manage_cgroups_mode(CRIU_CG_MODE_SOFT);
	criu_set_manage_cgroups(true);
	CHECK_EQ_INT(criu_set_network_lock(CRIU_NETWORK_LOCK_SKIP), 0);

	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__DUMP, true);
	peer_start(&p, NULL);
	r = criu_dump();
	peer_finish(&p);
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(p.nreqs, 1);
	if (p.nreqs == 1)
		check_checkpoint_request(p.reqs[0]);
	peer_free(&p);
	criu_free_opts();
}

/* crun's pre-dump: feature check then SINGLE_PRE_DUMP with track_mem and parent images. */
static void test_crun_pre_dump(void)
{
	struct criu_feature_check f = {.mem_track = true};
	struct peer p = {0};
	struct step *s;
	int r;

	CHECK_EQ_INT(criu_init_opts(), 0);
	criu_set_images_dir_fd(5);
	criu_set_pid(99);
	peer_expect(&p);
	s = peer_reply(&p, CRIU_REQ_TYPE__FEATURE_CHECK, true);
	criu_features__init(&s->features);
	s->features.has_mem_track = s->features.mem_track = true;
	s->features.has_lazy_pages = true; /* present but false */
	s->features.has_pidfd_store = s->features.pidfd_store = true;
	s->resp.features = &s->features;
	peer_start(&p, NULL);
	r = criu_feature_check(&f, sizeof(f));
	peer_finish(&p);
	CHECK_EQ_INT(r, 0);
	CHECK(f.mem_track && !f.lazy_pages && f.pidfd_store);
	if (p.nreqs == 1) {
		const CriuFeatures *q = p.reqs[0]->features;

		CHECK_EQ_INT(p.reqs[0]->type, CRIU_REQ_TYPE__FEATURE_CHECK);
		CHECK(q && q->has_mem_track && q->mem_track);
		CHECK(q && !q->has_lazy_pages && !q->has_pidfd_store);
	} else {
		T_FAILF("feature check sent %d requests", p.nreqs);
	}
	peer_free(&p);

	criu_set_track_mem(true);
	CHECK_EQ_INT(criu_set_parent_images("../parent"), 0);
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__SINGLE_PRE_DUMP, true);
	peer_start(&p, NULL);
	r = criu_pre_dump();
	peer_finish(&p);
	CHECK_EQ_INT(r, 0);
	if (p.nreqs == 1) {
		CHECK_EQ_INT(p.reqs[0]->type, CRIU_REQ_TYPE__SINGLE_PRE_DUMP);
		CHECK(p.reqs[0]->opts->has_track_mem && p.reqs[0]->opts->track_mem);
		CHECK_EQ_STR(p.reqs[0]->opts->parent_img, "../parent");
	}
	peer_free(&p);
	criu_free_opts();
}

/* ---------------------------------------------------------------- crun's restore (swrk child) */

static char self_exe[PATH_MAX];
static int notify_calls, orphan_fd_seen = -1, setup_ns_pid;
static bool orphan_is_devnull;

static int restore_notify(char *action, criu_notify_arg_t na)
{
	struct stat st;

	notify_calls++;
	if (!strcmp(action, "setup-namespaces"))
		setup_ns_pid = criu_notify_pid(na);
	if (!strcmp(action, "orphan-pts-master")) {
		orphan_fd_seen = criu_get_orphan_pts_master_fd();
		orphan_is_devnull = orphan_fd_seen >= 0 && fstat(orphan_fd_seen, &st) == 0 &&
				    S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
	}
	return 0;
}

/* The peer side of "swrk <fd>": re-executed copy of this program. */
static int fake_swrk(int fd)
{
	const char *capture = getenv(ENV_CAPTURE);
	uint8_t raw[65536];
	size_t raw_len = 0, i;
	CriuResp resp = CRIU_RESP__INIT;
	CriuRestoreResp rr = CRIU_RESTORE_RESP__INIT;
	CriuNotify n = CRIU_NOTIFY__INIT;
	CriuReq *req, *ack;
	int out, null_fd;

	req = recv_req(fd, raw, &raw_len);
	if (!req || !capture)
		return 3;
	out = open(capture, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0 || write(out, raw, raw_len) != (ssize_t)raw_len)
		return 4;
	close(out);

	/* Every inherited fd must really be open in the swrk process. */
	for (i = 0; req->opts && i < req->opts->n_inherit_fd; i++)
		if (fcntl(req->opts->inherit_fd[i]->fd, F_GETFD) < 0)
			return 5;

	resp.type = CRIU_REQ_TYPE__NOTIFY;
	resp.success = true;
	resp.notify = &n;
	n.script = "setup-namespaces";
	n.has_pid = true;
	n.pid = 4321;
	send_resp(fd, &resp, -1);
	ack = recv_req(fd, NULL, NULL);
	if (!ack || ack->type != CRIU_REQ_TYPE__NOTIFY || !ack->notify_success)
		return 6;
	criu_req__free_unpacked(ack, NULL);

	null_fd = open("/dev/null", O_RDWR);
	n.script = "orphan-pts-master";
	n.has_pid = false;
	send_resp(fd, &resp, null_fd);
	close(null_fd);
	ack = recv_req(fd, NULL, NULL);
	if (!ack || !ack->notify_success)
		return 7;
	criu_req__free_unpacked(ack, NULL);

	criu_resp__init(&resp);
	resp.type = CRIU_REQ_TYPE__RESTORE;
	resp.success = true;
	resp.restore = &rr;
	rr.pid = 31337;
	send_resp(fd, &resp, -1);
	criu_req__free_unpacked(req, NULL);
	return 0;
}

static CriuReq *read_capture(const char *path)
{
	uint8_t buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 ? criu_req__unpack(NULL, n, buf) : NULL;
}

static void check_restore_request(const CriuReq *req, int netns_fd)
{
	const CriuOpts *o = req->opts;

	CHECK_EQ_INT(req->type, CRIU_REQ_TYPE__RESTORE);
	if (!o) {
		T_FAILF("restore request without options");
		return;
	}
	CHECK(o->has_rst_sibling && o->rst_sibling);
	CHECK(o->has_notify_scripts && o->notify_scripts);
	CHECK_EQ_INT(o->images_dir_fd, 3);
	CHECK_EQ_INT(o->n_inherit_fd, 2);
	if (o->n_inherit_fd == 2) {
		CHECK_EQ_STR(o->inherit_fd[0]->key, "pipe:[12345]");
		CHECK_EQ_INT(o->inherit_fd[0]->fd, 1);
		CHECK_EQ_STR(o->inherit_fd[1]->key, "extRootNetNS");
		CHECK_EQ_INT(o->inherit_fd[1]->fd, netns_fd);
	}
	CHECK_EQ_STR(o->lsm_profile, "selinux:system_u:system_r:container_t:s0");
	CHECK_EQ_STR(o->lsm_mount_context, "system_u:object_r:container_file_t:s0");
	CHECK_EQ_INT(o->n_ext_mnt, 2);
	if (o->n_ext_mnt == 2) {
		CHECK_EQ_STR(o->ext_mnt[0]->key, "/data");
		CHECK_EQ_STR(o->ext_mnt[0]->val, "/srv/data");
		CHECK_EQ_STR(o->ext_mnt[1]->val, "/dev/null");
	}
	CHECK_EQ_INT(o->n_join_ns, 2);
	if (o->n_join_ns == 2) {
		CHECK_EQ_STR(o->join_ns[0]->ns, "uts");
		CHECK_EQ_STR(o->join_ns[0]->ns_file, "/proc/1/ns/uts");
		CHECK(o->join_ns[0]->extra_opt == NULL);
		CHECK_EQ_STR(o->join_ns[1]->extra_opt, "0,0");
	}
	CHECK_EQ_INT(o->n_cg_root, 2);
	if (o->n_cg_root == 2) {
		CHECK(o->cg_root[0]->ctrl == NULL); /* absent: all controllers */
		CHECK_EQ_STR(o->cg_root[0]->path, "/machine/ctr");
		CHECK_EQ_STR(o->cg_root[1]->ctrl, ""); /* present and empty: cgroup2 */
	}
	CHECK(o->has_tcp_close && o->tcp_close);
	CHECK_EQ_STR(o->log_file, "restore.log");
	CHECK_EQ_STR(o->root, "/bundle/criu-root");
}

static void test_crun_restore_child(void)
{
	char capture[] = "/tmp/libcriu-test-XXXXXX";
	CriuReq *req;
	int cfd, netns_fd, r;

	cfd = mkstemp(capture);
	if (cfd < 0) {
		T_FAILF("mkstemp: %s", strerror(errno));
		return;
	}
	close(cfd);
	setenv(ENV_CAPTURE, capture, 1);
	netns_fd = open("/proc/self/ns/net", O_RDONLY); /* no CLOEXEC: swrk inherits it */

	CHECK_EQ_INT(criu_init_opts(), 0);
	CHECK_EQ_INT(criu_set_service_binary(self_exe), 0);
	criu_set_images_dir_fd(3);
	CHECK_EQ_INT(criu_add_inherit_fd(1, "pipe:[12345]"), 0);
	criu_set_work_dir_fd(4);
	CHECK_EQ_INT(criu_set_lsm_profile("selinux:system_u:system_r:container_t:s0"), 0);
	CHECK_EQ_INT(criu_set_lsm_mount_context("system_u:object_r:container_file_t:s0"), 0);
	CHECK_EQ_INT(criu_add_ext_mount("/data", "/srv/data"), 0);
	CHECK_EQ_INT(criu_add_ext_mount("/proc/kcore", "/dev/null"), 0);
	CHECK_EQ_INT(criu_set_root("/bundle/criu-root"), 0);
	CHECK_EQ_INT(criu_add_inherit_fd(netns_fd, "extRootNetNS"), 0);
	CHECK_EQ_INT(criu_join_ns_add("uts", "/proc/1/ns/uts", NULL), 0);
	CHECK_EQ_INT(criu_join_ns_add("user", "/proc/1/ns/user", "0,0"), 0);
	criu_set_notify_cb(restore_notify);
	criu_set_tcp_close(true);
	CHECK_EQ_INT(criu_add_cg_root(NULL, "/machine/ctr"), 0);
	CHECK_EQ_INT(criu_add_cg_root("", "/machine/ctr2"), 0);
	criu_set_log_level(4);
	CHECK_EQ_INT(criu_set_log_file("restore.log"), 0);

	r = criu_restore_child();
	CHECK_EQ_INT(r, 31337);
	CHECK_EQ_INT(notify_calls, 2);
	CHECK_EQ_INT(setup_ns_pid, 4321);
	CHECK(orphan_fd_seen >= 0);
	CHECK(orphan_is_devnull);
	CHECK_EQ_INT(criu_get_orphan_pts_master_fd(), orphan_fd_seen);
	/* The swrk child has been reaped. */
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);

	req = read_capture(capture);
	if (req) {
		check_restore_request(req, netns_fd);
		criu_req__free_unpacked(req, NULL);
	} else {
		T_FAILF("no request captured by the fake swrk");
	}
	if (orphan_fd_seen >= 0)
		close(orphan_fd_seen);
	close(netns_fd);
	unlink(capture);
	criu_free_opts();
}

/* ---------------------------------------------------------------- answers → return codes */

/* Runs op on a fresh private set whose peer follows the already queued script. */
static int run_local(struct peer *p, int (*op)(criu_opts *))
{
	criu_opts *o = NULL;
	int r, saved;

	if (criu_local_init_opts(&o))
		return INT_MIN;
	criu_local_set_pid(o, 100);
	peer_start(p, o);
	errno = 12345;
	r = op(o);
	saved = errno;
	peer_finish(p);
	criu_local_free_opts(o);
	errno = saved;
	return r;
}

static void test_return_codes(void)
{
	struct peer p = {0};
	struct step *s;
	int r;

	/* success=false with cr_errno → -EBADE, errno = cr_errno */
	peer_expect(&p);
	s = peer_reply(&p, CRIU_REQ_TYPE__DUMP, false);
	s->resp.has_cr_errno = true;
	s->resp.cr_errno = ESRCH;
	r = run_local(&p, criu_local_dump);
	CHECK_EQ_INT(r, -EBADE);
	CHECK_EQ_INT(errno, ESRCH);
	peer_free(&p);

	/* success=false without cr_errno → -EBADE, errno 0 */
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__RESTORE, false);
	r = run_local(&p, criu_local_restore);
	CHECK_EQ_INT(r, -EBADE);
	CHECK_EQ_INT(errno, 0);
	peer_free(&p);

	/* EMPTY, success=false ("Invalid req") → -EINVAL */
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__EMPTY, false);
	CHECK_EQ_INT(run_local(&p, criu_local_check), -EINVAL);
	peer_free(&p);

	/* answer of another type → -EBADMSG */
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__RESTORE, true);
	CHECK_EQ_INT(run_local(&p, criu_local_dump), -EBADMSG);
	peer_free(&p);

	/* peer hangs up without answering → -ECOMM */
	peer_expect(&p);
	CHECK_EQ_INT(run_local(&p, criu_local_dump), -ECOMM);
	peer_free(&p);

	/* peer closed before the request (no SIGPIPE) → -ECOMM */
	CHECK_EQ_INT(run_local(&p, criu_local_restore), -ECOMM);
	peer_free(&p);

	/* undecodable answer → -ECOMM */
	peer_expect(&p);
	peer_step(&p, STEP_GARBAGE);
	CHECK_EQ_INT(run_local(&p, criu_local_check), -ECOMM);
	peer_free(&p);
}

static void test_success_values(void)
{
	struct peer p = {0};
	struct step *s;

	peer_expect(&p);
	s = peer_reply(&p, CRIU_REQ_TYPE__RESTORE, true);
	criu_restore_resp__init(&s->restore);
	s->restore.pid = 1234;
	s->resp.restore = &s->restore;
	CHECK_EQ_INT(run_local(&p, criu_local_restore), 1234);
	CHECK_EQ_INT(p.nreqs, 1);
	if (p.nreqs == 1)
		CHECK(!p.reqs[0]->opts->has_rst_sibling);
	peer_free(&p);

	/* a restored self-dump answers restored=true → 1 */
	peer_expect(&p);
	s = peer_reply(&p, CRIU_REQ_TYPE__DUMP, true);
	criu_dump_resp__init(&s->dump);
	s->dump.has_restored = s->dump.restored = true;
	s->resp.dump = &s->dump;
	CHECK_EQ_INT(run_local(&p, criu_local_dump), 1);
	peer_free(&p);

	/* CHECK carries no options */
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__CHECK, true);
	CHECK_EQ_INT(run_local(&p, criu_local_check), 0);
	if (p.nreqs == 1)
		CHECK(p.reqs[0]->type == CRIU_REQ_TYPE__CHECK && p.reqs[0]->opts == NULL);
	peer_free(&p);
}

static struct step *queue_version(struct peer *p, int major, int minor, int sublevel, char *gitid)
{
	struct step *s;

	peer_expect(p);
	s = peer_reply(p, CRIU_REQ_TYPE__VERSION, true);
	criu_version__init(&s->version);
	s->version.major_number = major;
	s->version.minor_number = minor;
	s->version.has_sublevel = sublevel >= 0;
	s->version.sublevel = sublevel;
	s->version.gitid = gitid;
	s->resp.version = &s->version;
	return s;
}

static int check_version_31500(criu_opts *o)
{
	return criu_local_check_version(o, 31500);
}

static int check_version_50000(criu_opts *o)
{
	return criu_local_check_version(o, 50000);
}

static void test_version(void)
{
	struct peer p = {0};

	queue_version(&p, 4, 2, 0, NULL);
	CHECK_EQ_INT(run_local(&p, criu_local_get_version), 40200);
	if (p.nreqs == 1)
		CHECK_EQ_INT(p.reqs[0]->type, CRIU_REQ_TYPE__VERSION);
	peer_free(&p);

	queue_version(&p, 3, 19, 1, "v3.19-12-gdeadbee");
	CHECK_EQ_INT(run_local(&p, criu_local_get_version), 32000);
	peer_free(&p);

	queue_version(&p, 4, 2, -1, NULL);
	CHECK_EQ_INT(run_local(&p, check_version_31500), 1);
	peer_free(&p);

	queue_version(&p, 4, 2, -1, NULL);
	CHECK_EQ_INT(run_local(&p, check_version_50000), 0);
	peer_free(&p);
}

static int notify_rc;
static char notify_seen[64];

static int record_notify(char *action, criu_notify_arg_t na)
{
	snprintf(notify_seen, sizeof(notify_seen), "%s", action);
	return notify_rc;
}

static int dump_with_cb(criu_opts *o)
{
	criu_local_set_notify_cb(o, record_notify);
	return criu_local_dump(o);
}

static void test_notify(void)
{
	struct peer p = {0};
	int fds[2];

	/* a failing callback: criu gets notify_success=false, the call returns the value */
	notify_rc = -77;
	peer_expect(&p);
	peer_notify(&p, "post-dump", 0, -1);
	CHECK_EQ_INT(run_local(&p, dump_with_cb), -77);
	CHECK_EQ_STR(notify_seen, "post-dump");
	CHECK_EQ_INT(p.nreqs, 2);
	if (p.nreqs == 2) {
		CHECK(p.reqs[0]->opts->has_notify_scripts && p.reqs[0]->opts->notify_scripts);
		CHECK_EQ_INT(p.reqs[1]->type, CRIU_REQ_TYPE__NOTIFY);
		CHECK(p.reqs[1]->has_notify_success && !p.reqs[1]->notify_success);
	}
	peer_free(&p);

	/* an fd attached to the notification reaches criu_get_orphan_pts_master_fd() */
	notify_rc = 0;
	if (pipe(fds)) {
		T_FAILF("pipe: %s", strerror(errno));
		return;
	}
	peer_expect(&p);
	peer_notify(&p, "orphan-pts-master", 0, fds[0]);
	peer_reply(&p, CRIU_REQ_TYPE__DUMP, true);
	CHECK_EQ_INT(run_local(&p, dump_with_cb), 0);
	CHECK_EQ_STR(notify_seen, "orphan-pts-master");
	if (p.nreqs == 2)
		CHECK(p.reqs[1]->has_notify_success && p.reqs[1]->notify_success);
	{
		int got = criu_get_orphan_pts_master_fd();
		struct stat a, b;

		CHECK(got >= 0 && got != fds[0]);
		CHECK(got >= 0 && fstat(got, &a) == 0 && fstat(fds[0], &b) == 0 && a.st_ino == b.st_ino);
		if (got >= 0)
			close(got);
	}
	close(fds[0]);
	close(fds[1]);
	peer_free(&p);
}

static int iterations;

static int more_twice(criu_predump_info pi)
{
	return ++iterations < 2 ? 1 : 0;
}

static int dump_iters_twice(criu_opts *o)
{
	return criu_local_dump_iters(o, more_twice);
}

static void test_dump_iters(void)
{
	struct peer p = {0};
	criu_opts *o = NULL;

	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__PRE_DUMP, true);
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__PRE_DUMP, true);
	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__DUMP, true);
	CHECK_EQ_INT(run_local(&p, dump_iters_twice), 0);
	CHECK_EQ_INT(p.nreqs, 3);
	if (p.nreqs == 3) {
		CHECK_EQ_INT(p.reqs[0]->type, CRIU_REQ_TYPE__PRE_DUMP);
		CHECK_EQ_INT(p.reqs[1]->type, CRIU_REQ_TYPE__PRE_DUMP);
		CHECK_EQ_INT(p.reqs[2]->type, CRIU_REQ_TYPE__DUMP);
	}
	peer_free(&p);

	/* no pid (self-dump) or no callback → -EINVAL */
	CHECK_EQ_INT(criu_local_init_opts(&o), 0);
	CHECK_EQ_INT(criu_local_dump_iters(o, more_twice), -EINVAL);
	criu_local_set_pid(o, 1);
	CHECK_EQ_INT(criu_local_dump_iters(o, NULL), -EINVAL);
	criu_local_free_opts(o);
}

static void test_feature_sizes(void)
{
	struct {
		struct criu_feature_check known;
		bool newer;
	} bigger = {{.mem_track = true}, true};
	struct peer p = {0};
	criu_opts *o = NULL;
	char huge[128] = {0};
	struct step *s;
	int r;

	CHECK_EQ_INT(criu_local_init_opts(&o), 0);
	CHECK_EQ_INT(criu_local_feature_check(o, NULL, 3), -EINVAL);
	CHECK_EQ_INT(criu_local_feature_check(o, (void *)huge, sizeof(huge)), -EINVAL);

	/* a longer struct from a newer header: unknown members come back false */
	peer_expect(&p);
	s = peer_reply(&p, CRIU_REQ_TYPE__FEATURE_CHECK, true);
	criu_features__init(&s->features);
	s->features.has_mem_track = s->features.mem_track = true;
	s->resp.features = &s->features;
	peer_start(&p, o);
	r = criu_local_feature_check(o, &bigger.known, sizeof(bigger));
	peer_finish(&p);
	CHECK_EQ_INT(r, 0);
	CHECK(bigger.known.mem_track && !bigger.newer);
	peer_free(&p);
	criu_local_free_opts(o);
}

/* ---------------------------------------------------------------- connection failures */

static void test_connection_refused(void)
{
	criu_opts *o = NULL;
	int r, fd;

	CHECK_EQ_INT(criu_local_init_opts(&o), 0);
	CHECK_EQ_INT(criu_local_set_service_address(o, "/nonexistent/criu_service.socket"), 0);
	r = criu_local_check(o);
	CHECK_EQ_INT(r, -ECONNREFUSED);
	CHECK_EQ_INT(errno, ENOENT);

	CHECK_EQ_INT(criu_local_set_service_binary(o, "/nonexistent/criu-binary"), 0);
	r = criu_local_get_version(o);
	CHECK_EQ_INT(r, -ECONNREFUSED);
	CHECK_EQ_INT(errno, ENOENT);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
	CHECK_EQ_INT(criu_local_set_service_binary(o, "criu-does-not-exist-on-path"), 0);
	CHECK_EQ_INT(criu_local_restore_child(o), -ECONNREFUSED);

	/* FD mode: the fd is consumed by a request; a second one has nothing to use */
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	criu_local_set_service_fd(o, fd);
	CHECK_EQ_INT(criu_local_check(o), -ECOMM);
	CHECK(fd_is_closed(fd));
	CHECK_EQ_INT(criu_local_check(o), -ECONNREFUSED);
	CHECK_EQ_INT(errno, EBADF);
	criu_local_free_opts(o);
}

/* ---------------------------------------------------------------- setters */

/* Inspects the options through a request to a peer, the only view of them. */
static void check_sent_options(criu_opts *o)
{
	const CriuOpts *rpc;
	struct peer p = {0};

	peer_expect(&p);
	peer_reply(&p, CRIU_REQ_TYPE__RESTORE, false);
	peer_start(&p, o);
	CHECK_EQ_INT(criu_local_restore(o), -EBADE);
	peer_finish(&p);
	rpc = p.nreqs == 1 ? p.reqs[0]->opts : NULL;
	CHECK(rpc != NULL);
	if (rpc) {
		CHECK_EQ_STR(rpc->root, "/b");
		CHECK_EQ_INT(rpc->n_exec_cmd, 1);
		CHECK(rpc->has_ext_unix_sk && rpc->ext_unix_sk && rpc->n_unix_sk_ino == 1);
		CHECK(rpc->ps && rpc->ps->has_port && rpc->ps->port == 4321);
		CHECK_EQ_STR(rpc->cgroup_yard, "/yard");
		CHECK_EQ_INT(rpc->n_cgroup_dump_controller, 1);
		CHECK(rpc->has_timeout && rpc->timeout == 30);
		CHECK(rpc->has_empty_ns && rpc->empty_ns == 0x40000000);
		CHECK(rpc->has_image_io_mode && rpc->image_io_mode == CRIU_IMAGE_IO_MODE__IMAGE_IO_DIRECT);
		CHECK_EQ_INT(rpc->images_dir_fd, -1);
		CHECK_EQ_STR(rpc->cgroup_props, "props");
		CHECK_EQ_STR(rpc->cgroup_props_file, "/props");
		CHECK(rpc->n_veths == 1 && !strcmp(rpc->veths[0]->if_out, "veth0"));
		CHECK(rpc->n_enable_fs == 1 && rpc->n_skip_mnt == 1 && rpc->n_irmap_scan_paths == 1);
	}
	peer_free(&p);
}

static void test_setter_validation(void)
{
	char *argv[] = {"/bin/true", "--flag", NULL};
	criu_opts *o = NULL;

	/* Global set not initialised: nothing crashes, requests fail. */
	criu_set_pid(1);
	CHECK_EQ_INT(criu_set_root("/"), -EINVAL);
	CHECK_EQ_INT(criu_dump(), -EINVAL);

	CHECK_EQ_INT(criu_local_init_opts(&o), 0);
	CHECK_EQ_INT(criu_local_set_root(o, NULL), -EINVAL);
	CHECK_EQ_INT(criu_local_add_ext_mount(o, "/a", NULL), -EINVAL);
	CHECK_EQ_INT(criu_local_add_cg_root(o, "cpu", NULL), -EINVAL);
	CHECK_EQ_INT(criu_local_join_ns_add(o, "net", NULL, NULL), -EINVAL);
	CHECK_EQ_INT(criu_local_set_pre_dump_mode(o, 7), -EINVAL);
	CHECK_EQ_INT(criu_local_set_network_lock(o, 0), -EINVAL);
	CHECK_EQ_INT(criu_local_set_exec_cmd(o, 0, argv), -EINVAL);
	CHECK_EQ_INT(criu_local_add_inherit_fd(o, -1, "x"), -EINVAL);

	CHECK_EQ_INT(criu_local_set_root(o, "/a"), 0);
	CHECK_EQ_INT(criu_local_set_root(o, "/b"), 0); /* replaces, frees the old copy */
	CHECK_EQ_INT(criu_local_set_exec_cmd(o, 2, argv), 0);
	CHECK_EQ_INT(criu_local_set_exec_cmd(o, 1, argv), 0);
	CHECK_EQ_INT(criu_local_add_unix_sk(o, 77), 0);
	CHECK_EQ_INT(criu_local_set_page_server_address_port(o, "10.0.0.1", 1234), 0);
	CHECK_EQ_INT(criu_local_set_page_server_address_port(o, "10.0.0.2", 4321), 0);
	CHECK_EQ_INT(criu_local_add_cg_props(o, "props"), 0);
	CHECK_EQ_INT(criu_local_add_cg_props_file(o, "/props"), 0);
	CHECK_EQ_INT(criu_local_add_cg_dump_controller(o, "cpu"), 0);
	CHECK_EQ_INT(criu_local_add_cg_yard(o, "/yard"), 0);
	CHECK_EQ_INT(criu_local_add_veth_pair(o, "eth0", "veth0"), 0);
	CHECK_EQ_INT(criu_local_add_enable_fs(o, "hugetlbfs"), 0);
	CHECK_EQ_INT(criu_local_add_skip_mnt(o, "/proc"), 0);
	CHECK_EQ_INT(criu_local_add_irmap_path(o, "/usr"), 0);
	CHECK_EQ_INT(criu_local_set_image_io_mode(o, CRIU_IMAGE_IO_DIRECT), 0);
	criu_local_set_timeout(o, 30);
	criu_local_set_empty_ns(o, 0x40000000);

	check_sent_options(o);

	criu_local_set_ext_unix_sk(o, false);
	CHECK_EQ_INT(criu_local_add_unix_sk(o, 78), -EINVAL);
	CHECK_EQ_INT(criu_local_set_service_address(o, NULL), 0);
	CHECK_EQ_INT(criu_local_add_inherit_fd(o, 1, "x"), -EINVAL); /* a service cannot inherit */
	/* re-init frees and replaces */
	CHECK_EQ_INT(criu_local_init_opts(&o), 0);
	criu_local_free_opts(o);
	criu_local_free_opts(NULL);
}

/* ---------------------------------------------------------------- threads */

static void *thread_dumps(void *arg)
{
	long failures = 0;
	int i;

	for (i = 0; i < 50; i++) {
		struct peer p = {0};
		criu_opts *o = NULL;

		if (criu_local_init_opts(&o))
			return (void *)1L;
		criu_local_set_pid(o, i + 1);
		peer_expect(&p);
		peer_reply(&p, CRIU_REQ_TYPE__DUMP, true);
		peer_start(&p, o);
		if (criu_local_dump(o) != 0)
			failures++;
		peer_finish(&p);
		if (p.nreqs != 1 || p.reqs[0]->opts->pid != i + 1)
			failures++;
		peer_free(&p);
		criu_local_free_opts(o);
	}
	return (void *)failures;
}

static void test_threads(void)
{
	pthread_t t[4];
	void *res;
	int i;

	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, thread_dumps, NULL);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], &res);
		CHECK_EQ_INT((long)res, 0);
	}
}

int main(int argc, char **argv)
{
	ssize_t n;

	if (argc == 3 && !strcmp(argv[1], "swrk"))
		return fake_swrk(atoi(argv[2]));

	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0) {
		perror("readlink /proc/self/exe");
		return 2;
	}
	self_exe[n] = '\0';

	t_run("libcriu_setter_validation", test_setter_validation);
	t_run("libcriu_crun_checkpoint", test_crun_checkpoint);
	t_run("libcriu_crun_pre_dump", test_crun_pre_dump);
	t_run("libcriu_crun_restore_child", test_crun_restore_child);
	t_run("libcriu_return_codes", test_return_codes);
	t_run("libcriu_success_values", test_success_values);
	t_run("libcriu_version", test_version);
	t_run("libcriu_notify", test_notify);
	t_run("libcriu_dump_iters", test_dump_iters);
	t_run("libcriu_feature_sizes", test_feature_sizes);
	t_run("libcriu_connection_refused", test_connection_refused);
	t_run("libcriu_threads", test_threads);
	return t_done();
}
