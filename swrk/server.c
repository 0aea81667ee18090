/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The RPC front doors: `criu swrk FD` (one client on a socketpair it made)
 * and `criu service` (a listening SOCK_SEQPACKET socket, one worker process
 * per connection). Both run the same request loop: one criu_req per packet
 * in, notifications and one criu_resp per packet out (PROTOCOL.md §1-§2).
 *
 * Every request builds its own job: options from the global config files,
 * then the RPC fields, then the RPC config_file; the peer (SO_PEERCRED) is
 * checked for every request, and its fds are reopened through
 * /proc/<peer pid>/fd/N.
 */
#define LOG_PREFIX "rpc: "
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/fsuid.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caller_policy.h"
#include "cleanup.h"
#include "cpu.h"
#include "engine.h"
#include "hooks.h"
#include "kerndat.h"
#include "log.h"
#include "safe_open.h"
#include "options.h"
#include "rpc.h"
#include "server.h"
#include "version.h"

struct peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary (SO_PEERGROUPS) */
	size_t nr_groups;
};

struct conn {
	int sk;
	bool swrk; /* criu swrk: rst_sibling, inherit_fd and ps.fd are allowed */
	bool dry;  /* server_serve_dry(): options only, no engine, no files */
	bool fs_as_peer;   /* the job's file system ids and groups are the peer's (restrict_fs_ids) */
	gid_t *own_groups; /* criu's supplementary groups, taken back after the job */
	size_t nr_own_groups;
	bool restricted; /* the peer is held to swrk/caller_policy.c (not root, criu holds more) */
	bool self_caps;	 /* this process holds capabilities (read once) */
	struct peer peer;
	/* images_dir_fd as action scripts see it: criu's /proc/PID/fd/N (the engine uses /proc/self) */
	char images_dir_proc[64];
	int idle_ms;	     /* criu service: close a connection that sends nothing for this long; 0: wait */
	const char *refusal; /* criu service: over a limit, every request is answered with this */
	int log_level; /* of the process, between requests */
	int log_fd;    /* the service's own log (-o), or -1 for stderr */
};

/* ---- packets ---- */

static int send_resp(int sk, const CriuResp *resp, int fd)
{
	_cleanup_free_ void *buf = NULL;
	size_t len = 0;
	struct iovec iov;
	struct msghdr mh = { 0 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	int r = rpc_encode_resp(resp, &buf, &len);

	if (r < 0)
		return pr_err_ret(r, "cannot encode a %s response", rpc_req_type_name(resp->type));
	iov.iov_base = buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(sk, &mh, MSG_NOSIGNAL) != (ssize_t)len)
		return pr_perror_ret("cannot send the %s response", rpc_req_type_name(resp->type));
	return 0;
}

int server_answer_restored_dump(int sk)
{
	CriuResp resp = CRIU_RESP__INIT;
	CriuDumpResp dr = CRIU_DUMP_RESP__INIT;

	resp.type = CRIU_REQ_TYPE__DUMP;
	resp.success = true;
	resp.dump = &dr;
	dr.has_restored = true;
	dr.restored = true;
	return send_resp(sk, &resp, -1);
}

/* Receives one request: 1 and *ret, 0 at EOF, -errno. */
static int recv_req(int sk, CriuReq **ret)
{
	_cleanup_free_ void *buf = NULL;
	ssize_t len, n;

	for (;;) {
		len = recv(sk, NULL, 0, MSG_PEEK | MSG_TRUNC);
		if (len >= 0 || errno != EINTR)
			break;
	}
	if (len < 0)
		return pr_perror_ret("cannot receive a request");
	if (len == 0) {
		/* EOF, or an empty packet: tell them apart by reading it */
		char c;

		n = recv(sk, &c, 1, MSG_DONTWAIT);
		if (n <= 0)
			return 0;
		return rpc_decode_req("", 0, ret) < 0 ? -EBADMSG : 1;
	}
	if ((size_t)len > RPC_MAX_REQ_SIZE) {
		char c;

		recv(sk, &c, 1, 0); /* drop it */
		return pr_err_ret(-EMSGSIZE, "a request of %zd bytes is more than we accept (%u)", len,
				  RPC_MAX_REQ_SIZE);
	}
	buf = malloc((size_t)len);
	if (!buf)
		return -ENOMEM;
	n = recv(sk, buf, (size_t)len, 0);
	if (n != len)
		return pr_perror_ret("cannot receive a request of %zd bytes", len);
	if (rpc_decode_req(buf, (size_t)n, ret) < 0)
		return -EBADMSG;
	return 1;
}

/* The peer's supplementary groups as of connect() (SO_PEERGROUPS), into p->groups. */
static int get_peer_groups(int sk, struct peer *p)
{
	socklen_t len = 64 * sizeof(gid_t);

	for (;;) {
		gid_t *g = realloc(p->groups, len ? len : sizeof(gid_t));

		if (!g)
			return -ENOMEM;
		p->groups = g;
		if (getsockopt(sk, SOL_SOCKET, SO_PEERGROUPS, g, &len) == 0)
			break;
		if (errno != ERANGE)
			return pr_perror_ret("cannot read the peer's groups (SO_PEERGROUPS)");
	}
	p->nr_groups = len / sizeof(gid_t);
	return 0;
}

static int get_peer(int sk, struct peer *p)
{
	struct ucred uc;
	socklen_t sl = sizeof(uc);

	if (getsockopt(sk, SOL_SOCKET, SO_PEERCRED, &uc, &sl) < 0)
		return pr_perror_ret("cannot read the peer's credentials (SO_PEERCRED)");
	p->pid = uc.pid;
	p->uid = uc.uid;
	p->gid = uc.gid;
	return 0;
}

/* ---- notifications (the hooks bus calls this) ---- */

static int rpc_notify(void *arg, const char *action, pid_t pid, int fd)
{
	struct conn *c = arg;
	CriuResp resp = CRIU_RESP__INIT;
	CriuNotify nt = CRIU_NOTIFY__INIT;
	_cleanup_pb_(criu_req) CriuReq *req = NULL;
	int r;

	resp.type = CRIU_REQ_TYPE__NOTIFY;
	resp.success = true;
	resp.notify = &nt;
	nt.script = (char *)action;
	if (!strcmp(action, "setup-namespaces") || !strcmp(action, "post-restore")) {
		nt.has_pid = true;
		nt.pid = pid;
	}
	r = send_resp(c->sk, &resp, fd);
	if (r < 0)
		return r;
	r = recv_req(c->sk, &req);
	if (r == 0)
		return pr_err_ret(-ECONNRESET, "%s: the client closed the connection instead of answering", action);
	if (r < 0)
		return r;
	if (req->type != CRIU_REQ_TYPE__NOTIFY || !req->has_notify_success || !req->notify_success)
		return pr_err_ret(-ECANCELED, "%s: RPC client reported script error (answer %s, notify_success %d)",
				  action, rpc_req_type_name(req->type), req->has_notify_success && req->notify_success);
	return 0;
}

/* ---- one job ---- */

/* Opens the peer's fd n through /proc; the new fd, or -errno. */
static int open_peer_fd(const struct peer *p, int n, int flags, const char *what)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", p->pid, n);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("%s: cannot open the client's fd %d (%s)", what, n, path);
	return fd;
}

/*
 * A non-root caller may act only on its own uid: the tree's real, effective
 * and saved ids must equal the caller's, with no capabilities.
 */
static int check_task_owner(const struct peer *p, pid_t pid)
{
	char path[64], line[256];
	unsigned int u[4], g[4];
	unsigned long long cap = 0;
	int got = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d: cannot read %s", pid, path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]) == 4)
			got |= 1;
		else if (sscanf(line, "Gid: %u %u %u %u", &g[0], &g[1], &g[2], &g[3]) == 4)
			got |= 2;
		else if (!strncmp(line, "CapPrm:", 7) || !strncmp(line, "CapEff:", 7))
			cap |= strtoull(line + 7, NULL, 16);
	}
	fclose(f);
	if (got != 3)
		return pr_err_ret(-EIO, "pid %d: cannot parse %s", pid, path);
	for (int i = 0; i < 3; i++)
		if (u[i] != p->uid || g[i] != p->gid)
			return pr_err_ret(-EPERM, "pid %d (uid %u/%u/%u, gid %u/%u/%u) is not the caller's own (uid %u, gid %u)",
					  pid, u[0], u[1], u[2], g[0], g[1], g[2], p->uid, p->gid);
	if (cap)
		return pr_err_ret(-EPERM, "pid %d holds capabilities (%#llx); a non-root caller may not dump it", pid,
				  cap);
	return 0;
}

/* The refusals that depend only on the options; run again after the RPC config_file. */
static int check_job_opts(const struct conn *c, const CriuReq *req, const struct cr_opts *o)
{
	if (!c->swrk) {
		if (o->restore_sibling)
			return pr_err_ret(-EPERM, "rst_sibling is allowed only with criu swrk, not criu service");
		if (o->nr_inherit_fds)
			return pr_err_ret(-EPERM, "inherit_fd is allowed only with criu swrk, not criu service");
		if (o->rpc_ps_fd >= 0)
			return pr_err_ret(-EPERM, "ps.fd is allowed only with criu swrk, not criu service");
	}
	if (o->log_file && strchr(o->log_file, '/'))
		return pr_err_ret(-EINVAL, "log_file %s: must be a plain file name, without '/'", o->log_file);
	if ((req->type == CRIU_REQ_TYPE__DUMP || req->type == CRIU_REQ_TYPE__RESTORE) && !o->images_dir &&
	    o->rpc_images_dir_fd < 0)
		return pr_err_ret(-EINVAL, "no images directory: neither images_dir_fd nor images_dir is set");
	return 0;
}

/*
 * The job's options without touching the file system (the fuzzer runs this):
 * the global config files, then the RPC fields. 0 or -errno (logged).
 */
static int build_job_opts(struct conn *c, const CriuReq *req, struct cr_opts *o)
{
	char *argv[] = { "criu", NULL };
	int r;

	opts_init(o);
	r = opts_load(o, 1, argv); /* the global config files */
	if (r < 0)
		return r;
	o->origin = "RPC";
	if (req->opts) {
		o->input = OPT_BY_RPC_FIELD;
		r = rpc_opts_apply(req->opts, o);
		o->input = OPT_BY_OPERATOR;
		if (r < 0)
			return r;
	}
	return check_job_opts(c, req, o);
}

/* images_dir as a path: relative to the server's cwd (as criu), so made absolute before the chdir. */
static int absolute_images_dir(struct cr_opts *o)
{
	char cwd[PATH_MAX], *abs;

	if (!o->images_dir || o->images_dir[0] == '/')
		return 0;
	if (!getcwd(cwd, sizeof(cwd)))
		return pr_perror_ret("cannot resolve images_dir %s", o->images_dir);
	if (asprintf(&abs, "%s/%s", cwd, o->images_dir) < 0)
		return -ENOMEM;
	free(o->images_dir);
	o->images_dir = abs;
	return 0;
}

/*
 * A non-root client's job touches the file system with the client's ids, as
 * criu's service does: otherwise its config_file, images_dir, work dir and
 * log would be opened and written by root (and a config_file's first line
 * would come back in cr_errmsg). Only the fs ids and the supplementary
 * groups change (criu's own, root's group 0, would open group-root files),
 * so ptrace and /proc keep working; the fs capabilities drop while fsuid is
 * not 0. Every request takes them anew and end_job() gives them back.
 */
static void unrestrict_fs_ids(struct conn *c);

static int restrict_fs_ids(struct conn *c)
{
	int n;

	if (c->peer.uid == 0 || geteuid() != 0)
		return 0;
	/* criu's own supplementary groups (root's group 0) would still open group-root files */
	n = getgroups(0, NULL);
	free(c->own_groups);
	c->own_groups = n > 0 ? calloc((size_t)n, sizeof(gid_t)) : NULL;
	if (n < 0 || (n > 0 && (!c->own_groups || getgroups(n, c->own_groups) != n)))
		return pr_perror_ret("cannot read criu's own groups");
	c->nr_own_groups = (size_t)n;
	c->fs_as_peer = true;
	if (setgroups(c->peer.nr_groups, c->peer.groups) < 0) {
		int r = pr_perror_ret("cannot take the groups of the client (uid %u)", c->peer.uid);

		unrestrict_fs_ids(c);
		return r;
	}
	setfsgid(c->peer.gid);
	setfsuid(c->peer.uid);
	/* setfs*id() report no error: the value they return on a second call is the one in force */
	if ((uid_t)setfsuid((uid_t)-1) != c->peer.uid || (gid_t)setfsgid((gid_t)-1) != c->peer.gid) {
		unrestrict_fs_ids(c);
		return pr_err_ret(-EPERM, "cannot take the file system ids of the client (uid %u gid %u)",
				  c->peer.uid, c->peer.gid);
	}
	pr_info("files of this job are opened as uid %u gid %u and its %zu groups (the client)\n",
		c->peer.uid, c->peer.gid, c->peer.nr_groups);
	return 0;
}

static void unrestrict_fs_ids(struct conn *c)
{
	if (!c->fs_as_peer)
		return;
	setfsuid(0);
	setfsgid(0);
	if (setgroups(c->nr_own_groups, c->own_groups) < 0)
		pr_perror("cannot take criu's own groups back");
	c->fs_as_peer = false;
}

/* Builds the job's options and opens its dirs and log. 0 or -errno (logged). */
static int setup_job(struct conn *c, const CriuReq *req, struct cr_request *job, int *images_fd)
{
	struct cr_opts *o = &job->opts;
	_cleanup_free_ char *config = NULL;
	bool have_dir;
	int r, fd;

	r = build_job_opts(c, req, o);
	if (r < 0)
		return r;
	r = restrict_fs_ids(c);
	if (r < 0)
		return r;
	if (o->config_file) {
		/* the caller's: caller_policy.c judges each line it sets and names the file */
		config = strdup(o->config_file);
		if (!config)
			return -ENOMEM;
		/* applied after the RPC fields, and a missing file is no error (PROTOCOL.md §1.3) */
		o->input = OPT_BY_RPC_CONFIG;
		r = opts_apply_config_file(o, config, false);
		o->input = OPT_BY_OPERATOR;
		if (r < 0)
			return r;
		r = check_job_opts(c, req, o);
		if (r < 0)
			return r;
	}
	job->from_rpc = true;
	job->peer_pid = c->peer.pid;
	job->peer_uid = c->peer.uid;
	job->peer_gid = c->peer.gid;
	job->peer_groups = c->peer.groups;
	job->nr_peer_groups = c->peer.nr_groups;

	/* the images dir: the client's fd, else a path */
	if (o->rpc_images_dir_fd >= 0) {
		char path[64];

		fd = open_peer_fd(&c->peer, o->rpc_images_dir_fd, O_RDONLY | O_DIRECTORY, "images_dir_fd");
		if (fd < 0)
			return fd;
		*images_fd = fd;
		/* /proc/self: a dump runs in a tracer child (engine/guard.c), which has the fd too */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		snprintf(c->images_dir_proc, sizeof(c->images_dir_proc), "/proc/%d/fd/%d", getpid(), fd);
		free(o->images_dir);
		o->images_dir = strdup(path);
		if (!o->images_dir)
			return -ENOMEM;
	} else {
		r = absolute_images_dir(o);
		if (r < 0)
			return r;
	}

	/* the work dir: the client's fd, else --work-dir, else the images dir */
	have_dir = o->rpc_work_dir_fd >= 0 || o->work_dir || o->images_dir;
	if (o->rpc_work_dir_fd >= 0)
		job->work_dir_fd = open_peer_fd(&c->peer, o->rpc_work_dir_fd, O_RDONLY | O_DIRECTORY, "work_dir_fd");
	else if (have_dir)
		job->work_dir_fd = open(o->work_dir ? o->work_dir : o->images_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else
		job->work_dir_fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (job->work_dir_fd < 0)
		return job->work_dir_fd == -1 ? pr_perror_ret("cannot open the work directory") : job->work_dir_fd;
	if (fchdir(job->work_dir_fd) < 0)
		return pr_perror_ret("cannot enter the work directory");

	/*
	 * The log: a plain name in the work dir. A request with no directory
	 * at all (CHECK, FEATURE_CHECK without opts) logs to our stderr rather
	 * than leave a criu.log in the caller's cwd.
	 */
	if (!o->log_to_stderr && (o->log_file || have_dir) && !(o->log_file && !strcmp(o->log_file, "-"))) {
		const char *log_name = o->log_file ? o->log_file : "criu.log";
		char why[160];

		/* the work dir may be another user's: never through a planted link */
		r = log_open_at(job->work_dir_fd, log_name, o->log_level, false);
		if (r < 0) {
			pr_err("cannot open the log file %s: %s\n", log_name,
			       cr_create_strerror(r, job->work_dir_fd, log_name, why, sizeof(why)));
			return r;
		}
		cr_warn_shared_dir(job->work_dir_fd, "work directory",
				   o->work_dir ? o->work_dir : o->images_dir ? o->images_dir : ".");
	} else {
		log_set_level(o->log_level);
	}
	/* after the log is open, so that a refusal is in the job's log as well as in cr_errmsg */
	if (c->restricted) {
		r = policy_check_caller_opts(o, c->peer.uid, config);
		if (r < 0)
			return r;
	}
	r = opts_check_supported(o);
	if (r < 0)
		return r;
	opts_log_unused_externals(o);
	return hooks_setup(o, o->rpc_images_dir_fd >= 0 ? c->images_dir_proc : o->images_dir,
			   o->rpc_notify_scripts ? rpc_notify : NULL, c);
}

/* Puts the log back where the process had it between requests. */
static void restore_log(const struct conn *c)
{
	int fd;

	if (log_is_file())
		log_close();
	fd = c->log_fd >= 0 ? fcntl(c->log_fd, F_DUPFD_CLOEXEC, 3) : -1;
	if (fd >= 0)
		log_use_fd(fd, c->log_level);
	else
		log_open(NULL, c->log_level);
}

static void end_job(struct conn *c, struct cr_request *job, int images_fd)
{
	hooks_reset();
	unrestrict_fs_ids(c);
	restore_log(c);
	if (job->work_dir_fd >= 0)
		close(job->work_dir_fd);
	if (images_fd >= 0)
		close(images_fd);
	opts_free(&job->opts);
}

static void fill_error(CriuResp *resp, int err)
{
	const char *msg = log_first_error();

	resp->success = false;
	if (err < 0) {
		resp->has_cr_errno = true;
		resp->cr_errno = -err;
	}
	resp->cr_errmsg = (char *)(msg ? msg : strerror(err < 0 ? -err : EIO));
}

/* Serves one request that needs a job (dump, restore, check, feature check; the rest are refused here). */
static int do_job(struct conn *c, const CriuReq *req, CriuResp *resp)
{
	struct cr_request job = { .work_dir_fd = -1 };
	CriuDumpResp dr = CRIU_DUMP_RESP__INIT;
	CriuRestoreResp rr = CRIU_RESTORE_RESP__INIT;
	CriuFeatures ft = CRIU_FEATURES__INIT;
	int images_fd = -1, r;
	bool caller_gone = false; /* a self-dump killed the caller: nobody to answer */
	struct stat sk_st;

	log_reset_first_error();
	if (c->dry) {
		/* options built and checked, nothing run */
		r = build_job_opts(c, req, &job.opts);
		if (r >= 0 && c->restricted)
			r = policy_check_caller_opts(&job.opts, c->peer.uid, NULL);
		if (r < 0)
			fill_error(resp, -EBADRQC);
		else
			resp->success = true;
		opts_free(&job.opts);
		return send_resp(c->sk, resp, -1);
	}
	r = setup_job(c, req, &job, &images_fd);
	if (r < 0) {
		/* PROTOCOL.md §1.3: setup failures report EBADRQC */
		fill_error(resp, -EBADRQC);
		goto out;
	}
	switch (req->type) {
	case CRIU_REQ_TYPE__DUMP:
		if (job.opts.pid <= 0)
			job.opts.pid = c->peer.pid; /* a self-dump */
		if (c->peer.uid != 0) {
			r = check_task_owner(&c->peer, job.opts.pid);
			if (r < 0)
				break;
		}
		/* the caller's end of this connection may be in the tree: it is its RPC socket */
		if (fstat(c->sk, &sk_st) == 0)
			job.rpc_sk_ino = sk_st.st_ino;
		r = cr_dump(&job);
		caller_gone = r >= 0 && job.opts.pid == c->peer.pid && !job.opts.leave_running &&
			      !job.opts.leave_stopped;
		if (r >= 0) {
			resp->dump = &dr;
			dr.has_restored = true;
			dr.restored = false;
		}
		break;
	case CRIU_REQ_TYPE__RESTORE:
		job.opts.restore_detached = true; /* the service never waits for the tree */
		job.answer_restored_rpc = server_answer_restored_dump;
		r = cr_restore(&job);
		if (r > 0) {
			resp->restore = &rr;
			rr.pid = r;
		}
		break;
	case CRIU_REQ_TYPE__CHECK:
		r = cr_check(&job);
		break;
	case CRIU_REQ_TYPE__CPUINFO_DUMP:
		r = cr_cpuinfo_dump(&job);
		break;
	case CRIU_REQ_TYPE__CPUINFO_CHECK:
		r = cr_cpuinfo_check(&job);
		break;
	case CRIU_REQ_TYPE__FEATURE_CHECK: {
		bool mem = false, lazy = false, pidfd = false;

		r = cr_feature_check(&mem, &lazy, &pidfd);
		resp->features = &ft;
		ft.has_mem_track = ft.has_lazy_pages = ft.has_pidfd_store = true;
		if (req->features) {
			ft.mem_track = req->features->has_mem_track && req->features->mem_track && mem;
			ft.lazy_pages = req->features->has_lazy_pages && req->features->lazy_pages && lazy;
			ft.pidfd_store = req->features->has_pidfd_store && req->features->pidfd_store && pidfd;
		}
		break;
	}
	default:
		/* refused once the job's log is open: runc and Podman show that log, not our stderr */
		r = pr_err_ret(-EOPNOTSUPP, "not supported yet: %s requests", rpc_req_type_name(req->type));
		break;
	}
	if (r < 0)
		fill_error(resp, r);
	else
		resp->success = true;
	pr_info("%s request from pid %d: %s\n", rpc_req_type_name(req->type), c->peer.pid,
		resp->success ? "done" : "failed");
out:
	/* PROTOCOL.md §1.5: its restore answers it, with restored = true */
	if (caller_gone)
		pr_info("self-dump of pid %d done: the caller is gone, no answer\n", c->peer.pid);
	r = caller_gone ? 0 : send_resp(c->sk, resp, -1);
	end_job(c, &job, images_fd);
	return r;
}

static bool keep_open_allowed(int type)
{
	return type == CRIU_REQ_TYPE__PAGE_SERVER || type == CRIU_REQ_TYPE__PAGE_SERVER_CHLD ||
	       type == CRIU_REQ_TYPE__CPUINFO_DUMP || type == CRIU_REQ_TYPE__CPUINFO_CHECK ||
	       type == CRIU_REQ_TYPE__FEATURE_CHECK || type == CRIU_REQ_TYPE__VERSION;
}

/*
 * criu service: waits up to c->idle_ms for the next request. 1 when one is
 * there (or the client hung up), 0 when the connection stayed silent.
 */
static int wait_for_request(const struct conn *c)
{
	struct pollfd p = {.fd = c->sk, .events = POLLIN};
	int r;

	if (c->idle_ms <= 0)
		return 1;
	do
		r = poll(&p, 1, c->idle_ms);
	while (r < 0 && errno == EINTR);
	return r != 0;
}

/* Over a limit of the service: the request is answered, not served. */
static int refuse_request(const struct conn *c, const CriuReq *req)
{
	CriuResp resp = CRIU_RESP__INIT;

	pr_err("%s request from pid %d (uid %u) refused: %s\n", rpc_req_type_name(req->type), c->peer.pid,
	       c->peer.uid, c->refusal);
	resp.type = req->type;
	resp.success = false;
	resp.has_cr_errno = true;
	resp.cr_errno = EAGAIN;
	resp.cr_errmsg = (char *)c->refusal;
	return send_resp(c->sk, &resp, -1);
}

/* Serves requests on sk until one without keep_open; 0, or -errno for a failed request. */
static int serve(struct conn *c)
{
	int ret = 0;

	c->self_caps = policy_self_holds_caps();
	for (;;) {
		_cleanup_pb_(criu_req) CriuReq *req = NULL;
		CriuResp resp = CRIU_RESP__INIT;
		int r = get_peer(c->sk, &c->peer);

		if (r >= 0 && !c->dry)
			r = get_peer_groups(c->sk, &c->peer);
		if (r < 0)
			return r;
		c->restricted = policy_caller_restricted(c->peer.uid, geteuid(), c->self_caps);
		if (!wait_for_request(c)) {
			pr_warn("service: pid %d (uid %u) sent no request for %d s: closing the connection\n",
				c->peer.pid, c->peer.uid, c->idle_ms / 1000);
			return -ETIMEDOUT;
		}
		r = recv_req(c->sk, &req);
		if (r == 0)
			return ret; /* the client is done */
		if (r < 0) {
			/*
			 * Garbage: answer EMPTY and hang up. Its keep_open is
			 * unknown, and a client waiting for our EOF must get it.
			 */
			resp.type = CRIU_REQ_TYPE__EMPTY;
			fill_error(&resp, r);
			resp.cr_errmsg = "Invalid req: the request does not decode";
			send_resp(c->sk, &resp, -1);
			return r;
		}
		if (c->refusal) {
			refuse_request(c, req);
			return -EAGAIN;
		}
		resp.type = req->type;
		switch (req->type) {
		case CRIU_REQ_TYPE__VERSION: {
			CriuVersion v = CRIU_VERSION__INIT;

			v.major_number = CRIU_VERSION_MAJOR;
			v.minor_number = CRIU_VERSION_MINOR;
			v.name = CRIU_IMPL_NAME " " CRIU_IMPL_VERSION;
			resp.version = &v;
			resp.success = true;
			r = send_resp(c->sk, &resp, -1);
			break;
		}
		case CRIU_REQ_TYPE__WAIT_PID: {
			int st;
			pid_t p = req->has_pid ? (pid_t)req->pid : -1;

			if (p <= 0) {
				r = pr_err_ret(-EINVAL, "WAIT_PID: no pid to wait for");
			} else if (c->dry) {
				r = -ECHILD; /* a dry run waits for nobody */
			} else if (waitpid(p, &st, 0) == p) {
				r = 0;
				resp.success = true;
				resp.has_status = true;
				resp.status = st;
			} else {
				r = pr_perror_ret("WAIT_PID %d", p);
			}
			if (r < 0)
				fill_error(&resp, r);
			r = send_resp(c->sk, &resp, -1);
			break;
		}
		case CRIU_REQ_TYPE__DUMP:
		case CRIU_REQ_TYPE__RESTORE:
		case CRIU_REQ_TYPE__CHECK:
		case CRIU_REQ_TYPE__FEATURE_CHECK:
		/* do_job() refuses those not supported yet once their log is open */
		case CRIU_REQ_TYPE__PRE_DUMP:
		case CRIU_REQ_TYPE__SINGLE_PRE_DUMP:
		case CRIU_REQ_TYPE__PAGE_SERVER:
		case CRIU_REQ_TYPE__PAGE_SERVER_CHLD:
		case CRIU_REQ_TYPE__CPUINFO_DUMP:
		case CRIU_REQ_TYPE__CPUINFO_CHECK:
			r = do_job(c, req, &resp);
			break;
		default: /* NOTIFY as a request, or a type we do not know */
			pr_err("Invalid req: type %d (%s)\n", req->type, rpc_req_type_name(req->type));
			resp.type = CRIU_REQ_TYPE__EMPTY;
			resp.success = false;
			resp.cr_errmsg = "Invalid req";
			r = send_resp(c->sk, &resp, -1);
			break;
		}
		if (r < 0)
			return r;
		if (!resp.success)
			ret = -EIO;
		if (!(req->has_keep_open && req->keep_open && keep_open_allowed(req->type)))
			return ret;
	}
}

int server_serve_dry(int sk, bool swrk)
{
	struct conn c = { .sk = sk, .swrk = swrk, .dry = true, .log_level = 0, .log_fd = -1 };

	return serve(&c);
}

int server_swrk(int fd, int log_level)
{
	struct conn c = { .sk = fd, .swrk = true, .log_level = log_level, .log_fd = -1 };
	int type = 0, r;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_SEQPACKET)
		return pr_err_ret(-EBADF, "swrk: fd %d is not a SOCK_SEQPACKET socket", fd);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	r = serve(&c);
	free(c.peer.groups);
	free(c.own_groups);
	return r;
}

/* ---- criu service ---- */

static volatile sig_atomic_t stop_service;

static void on_term(int sig)
{
	(void)sig;
	stop_service = 1;
}

static void notify_ready(const struct cr_opts *o)
{
	const char *ns = getenv("NOTIFY_SOCKET");

	if (ns && (ns[0] == '/' || ns[0] == '@')) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		size_t n = strlen(ns);

		if (s >= 0 && n < sizeof(a.sun_path)) {
			memcpy(a.sun_path, ns, n);
			if (a.sun_path[0] == '@')
				a.sun_path[0] = 0;
			sendto(s, "READY=1", 7, MSG_NOSIGNAL, (struct sockaddr *)&a,
			       (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
		}
		if (s >= 0)
			close(s);
	}
	if (o->status_fd >= 0) {
		char z = 0;

		if (write(o->status_fd, &z, 1) != 1)
			pr_warn("status-fd %d: %s\n", o->status_fd, strerror(errno));
		close(o->status_fd);
	}
}

/*
 * Binds addr with the operator's mode (--address-mode, default 0600: root
 * only). The socket is bound with no permissions and chmod'ed before it
 * listens, so that nobody connects while it has any other mode.
 */
static int bind_service_socket(const char *addr, mode_t mode)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	_cleanup_close_ int s = -EBADF;
	struct stat st;
	mode_t old_umask;
	int r;

	if (strlen(addr) >= sizeof(a.sun_path))
		return pr_err_ret(-ENAMETOOLONG, "service: address %s is too long", addr);
	strcpy(a.sun_path, addr);
	if (lstat(addr, &st) == 0) {
		/* a stale socket of ours is replaced; anything else is not ours to delete */
		if (!S_ISSOCK(st.st_mode))
			return pr_err_ret(-EEXIST, "service: %s exists and is not a socket", addr);
		if (unlink(addr) < 0)
			return pr_perror_ret("service: cannot remove the old socket %s", addr);
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return pr_perror_ret("service: socket");
	old_umask = umask(0777);
	r = bind(s, (struct sockaddr *)&a, sizeof(a));
	umask(old_umask);
	if (r < 0)
		return pr_perror_ret("service: cannot bind %s", addr);
	if (chmod(addr, mode) < 0)
		return pr_perror_ret("service: cannot set mode %04o on %s", (unsigned int)mode, addr);
	/* the kernel caps it at net.core.somaxconn: a burst of clients waits there, it is not refused */
	if (listen(s, SOMAXCONN) < 0)
		return pr_perror_ret("service: cannot listen on %s", addr);
	pr_info("service: listening on %s (mode %04o)\n", addr, (unsigned int)mode);
	return TAKE_FD(s);
}

static int listen_socket(const struct cr_opts *o, bool *activated)
{
	const char *lpid = getenv("LISTEN_PID"), *lfds = getenv("LISTEN_FDS");
	const char *addr = o->address ? o->address : "criu_service.socket";

	/* systemd socket activation: our socket is fd 3, its mode is the unit's SocketMode */
	if (lpid && lfds && atoi(lpid) == getpid() && atoi(lfds) >= 1) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		*activated = true;
		fcntl(3, F_SETFD, FD_CLOEXEC);
		if (fcntl(3, F_SETFL, fcntl(3, F_GETFL) | O_NONBLOCK) < 0)
			return pr_perror_ret("service: the activated socket (fd 3)");
		if (o->address_mode >= 0)
			pr_warn("service: --address-mode %04o ignored: the socket unit's SocketMode "
				"applies\n",
				(unsigned int)o->address_mode);
		pr_info("service: socket activation, listening on fd 3\n");
		return 3;
	}
	return bind_service_socket(addr, o->address_mode >= 0 ? (mode_t)o->address_mode : 0600);
}

/*
 * The service's own log (-o, relative to the work dir -W as for every
 * command, appended to): an fd to hand to each worker, or -1 for stderr.
 */
static int open_service_log(const struct cr_opts *o, int wdfd, const char *wd)
{
	char why[160];
	int fd;

	if (o->log_to_stderr || !o->log_file || !strcmp(o->log_file, "-"))
		return -1;
	fd = cr_create_at(wdfd, o->log_file, O_WRONLY | O_APPEND, 0600);
	if (fd < 0) {
		pr_err("service: cannot open the log %s/%s; logging to stderr: %s\n", wd, o->log_file,
		       cr_create_strerror(fd, wdfd, o->log_file, why, sizeof(why)));
		return -1;
	}
	return fd;
}

/* The pid file (--pidfile, relative to the work dir), created afresh. */
static int write_service_pidfile(const struct cr_opts *o, int wdfd)
{
	_cleanup_close_ int fd = -EBADF;
	char why[160];

	fd = cr_create_at(wdfd, o->pidfile, O_WRONLY | O_TRUNC, 0644);
	if (fd < 0) {
		pr_err("service: cannot create the pid file %s: %s\n", o->pidfile,
		       cr_create_strerror(fd, wdfd, o->pidfile, why, sizeof(why)));
		return fd;
	}
	if (dprintf(fd, "%d", getpid()) < 0)
		return pr_perror_ret("service: cannot write the pid file %s", o->pidfile);
	return 0;
}

/* The service's workers: one per connection, counted per uid for the limits. */
struct worker {
	pid_t pid;
	uid_t uid;
	bool refusal; /* answers one request with a refusal: counts in the total only */
};

struct workers {
	struct worker *v;
	unsigned int n, max;
};

static void workers_reap(struct workers *w)
{
	pid_t p;

	while ((p = waitpid(-1, NULL, WNOHANG)) > 0)
		for (unsigned int i = 0; i < w->n; i++)
			if (w->v[i].pid == p) {
				w->v[i] = w->v[--w->n];
				break;
			}
}

/* The workers of uid: serving ones (refusals false), or those answering with a refusal. */
static unsigned int workers_of(const struct workers *w, uid_t uid, bool refusals)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < w->n; i++)
		n += w->v[i].uid == uid && w->v[i].refusal == refusals;
	return n;
}

static void on_child(int sig)
{
	(void)sig; /* only interrupts ppoll(): a worker slot may be free */
}

/*
 * One accepted connection: a worker serves it, or, when its uid is at
 * --max-workers-per-uid (root is not limited per uid), answers its request
 * with a refusal. 0, or -errno when no worker could be started.
 */
static int start_worker(const struct cr_opts *o, struct workers *w, int ls, int sk, int log_fd,
			const sigset_t *mask)
{
	char refusal[160] = "";
	struct peer p;
	pid_t pid;

	if (get_peer(sk, &p) < 0)
		return -ENOTCONN;
	if (p.uid != 0 && workers_of(w, p.uid, false) >= o->max_workers_per_uid) {
		/*
		 * One refusal at a time per uid: a uid that keeps connecting
		 * past its limit must not fill the service's slots with them.
		 */
		if (workers_of(w, p.uid, true))
			return pr_err_ret(-EAGAIN, "service: uid %u (pid %d) is over its limit and being refused "
					  "already: connection closed",
					  p.uid, p.pid);
		snprintf(refusal, sizeof(refusal),
			 "service: uid %u already has %u connections (--max-workers-per-uid %u); try again "
			 "later",
			 p.uid, workers_of(w, p.uid, false), o->max_workers_per_uid);
	}
	pid = fork();
	if (pid < 0)
		return pr_perror_ret("service: cannot fork a worker for pid %d", p.pid);
	if (pid == 0) {
		struct conn c = {.sk = sk, .swrk = false, .log_level = o->log_level, .log_fd = log_fd};

		close(ls); /* a worker accepts nothing, and must not keep the socket once the service stops */
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, mask, NULL);
		c.idle_ms = (int)(o->idle_timeout > 86400 ? 86400 : o->idle_timeout) * 1000;
		if (refusal[0]) {
			c.refusal = refusal;
			/* a refusal does not wait long for the request it answers */
			if (c.idle_ms == 0 || c.idle_ms > 2000)
				c.idle_ms = 2000;
		}
		_exit(serve(&c) < 0 ? 1 : 0);
	}
	w->v[w->n++] = (struct worker){.pid = pid, .uid = p.uid, .refusal = refusal[0] != 0};
	return 0;
}

/*
 * Accepts while fewer than --max-workers workers run; at the limit new
 * connections wait in the listen backlog until one ends. SIGCHLD and SIGTERM
 * are blocked but inside ppoll(), so that neither is missed between the
 * check and the wait.
 */
static int service_loop(const struct cr_opts *o, int ls, int log_fd)
{
	struct workers w = {.max = o->max_workers};
	struct sigaction sa = {0};
	sigset_t block, orig;
	int ret = 0;

	w.v = calloc(w.max, sizeof(*w.v));
	if (!w.v)
		return -ENOMEM;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	while (!stop_service) {
		struct pollfd p = {.fd = ls, .events = POLLIN};
		bool full;
		int sk;

		workers_reap(&w);
		full = w.n >= w.max;
		if (ppoll(full ? NULL : &p, full ? 0 : 1, NULL, &orig) < 0) {
			if (errno == EINTR)
				continue;
			ret = pr_perror_ret("service: poll");
			break;
		}
		sk = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		if (sk < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
				continue;
			ret = pr_perror_ret("service: accept");
			break;
		}
		start_worker(o, &w, ls, sk, log_fd, &orig);
		close(sk);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	free(w.v);
	return ret;
}

int server_service(const struct cr_opts *o)
{
	bool activated = false;
	const char *wd = o->work_dir ? o->work_dir : o->images_dir ? o->images_dir : ".";
	_cleanup_close_ int wdfd = -EBADF;
	int ls, log_fd, r;

	if (o->max_workers == 0)
		return pr_err_ret(-EINVAL, "service: --max-workers 0: at least one worker is needed");
	/* checked before we open anything that could take its number */
	if (o->status_fd >= 0 && fcntl(o->status_fd, F_GETFD) < 0)
		return pr_perror_ret("service: --status-fd %d is not an open fd", o->status_fd);
	wdfd = open(wd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (wdfd < 0)
		return pr_perror_ret("service: cannot open the work directory %s", wd);
	log_fd = open_service_log(o, wdfd, wd);
	if (log_fd >= 0) {
		int fd = fcntl(log_fd, F_DUPFD_CLOEXEC, 3);

		if (fd >= 0)
			log_use_fd(fd, o->log_level);
	}
	ls = listen_socket(o, &activated);
	if (ls < 0)
		return ls;
	if (o->daemon && daemon(1, 0) < 0)
		return pr_perror_ret("service: cannot become a daemon");
	cr_warn_shared_dir(wdfd, "work directory", wd);
	if (o->pidfile) {
		r = write_service_pidfile(o, wdfd);
		if (r < 0)
			return r;
	}
	close(TAKE_FD(wdfd)); /* the workers, and the trees they restore, need no copy */
	pr_info("service: at most %u workers, %u per non-root uid; idle connections closed after %u s\n",
		o->max_workers, o->max_workers_per_uid, o->idle_timeout);
	notify_ready(o);
	r = service_loop(o, ls, log_fd);
	pr_info("service: stopped\n");
	if (!activated && o->address)
		unlink(o->address);
	return r;
}
