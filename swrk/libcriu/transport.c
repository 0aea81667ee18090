// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libcriu transport: reaching criu (swrk child, service socket or a given
 * fd) and one request/answer exchange with notifications in between.
 * One protobuf message per SOCK_SEQPACKET packet, no length prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcriu.h"

/* Room for the fds one packet may carry; criu sends at most one. */
#define LC_MAX_RECV_FDS 4

static int orphan_pts_master_fd = -1;

void lc_set_orphan_pts_master_fd(int fd)
{
	__atomic_store_n(&orphan_pts_master_fd, fd, __ATOMIC_SEQ_CST);
}

int criu_get_orphan_pts_master_fd(void)
{
	return __atomic_load_n(&orphan_pts_master_fd, __ATOMIC_SEQ_CST);
}

/* Reads exactly len bytes (one packet on a seqpacket socket); -errno, or -EPIPE on EOF. */
static int read_full(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EPIPE;
}

static void close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
}

/* Child side of lc_spawn_swrk(): never returns. Only async-signal-safe calls here. */
static void __attribute__((noreturn))
swrk_child(const char *binary, const char *fdstr, int sk, int status_wr, bool detach)
{
	sigset_t mask;
	pid_t pid;
	int err;

	/* criu needs SIGCHLD to watch the tasks it restores. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);

	/* The socket is CLOEXEC in the caller: only criu may inherit it. */
	if (fcntl(sk, F_SETFD, 0) < 0)
		goto fail;
	/* A self-dump must not make criu a child of the process it dumps. */
	if (detach && daemon(0, 1) < 0)
		goto fail;
	pid = getpid();
	if (write(sk, &pid, sizeof(pid)) != sizeof(pid))
		goto fail;
	execlp(binary, binary, "swrk", fdstr, (char *)NULL);
fail:
	err = errno;
	if (write(status_wr, &err, sizeof(err)) < 0)
		_exit(2);
	_exit(1);
}

/*
 * Parent side: the child first reports its pid on the socket, then the
 * CLOEXEC status pipe either closes (exec worked) or carries an errno.
 */
static int swrk_handshake(int sk, int status_rd)
{
	int exec_err = 0, r;
	pid_t swrk_pid;

	r = read_full(sk, &swrk_pid, sizeof(swrk_pid));
	if (read_full(status_rd, &exec_err, sizeof(exec_err)) == 0 && exec_err)
		return -exec_err;
	if (r < 0)
		return r;
	return swrk_pid > 0 ? 0 : -EPROTO;
}

/* Starts "<binary> swrk <fd>" and fills conn; -errno when criu cannot be started. */
int lc_spawn_swrk(const char *binary, bool detach, struct lc_conn *conn)
{
	int sks[2], status[2], r;
	char fdstr[16];
	pid_t pid;

	if (socketpair(PF_LOCAL, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sks) < 0)
		return -errno;
	if (pipe2(status, O_CLOEXEC) < 0) {
		r = -errno;
		goto close_sks;
	}
	snprintf(fdstr, sizeof(fdstr), "%d", sks[1]);

	pid = fork();
	if (pid < 0) {
		r = -errno;
		goto close_all;
	}
	if (pid == 0)
		swrk_child(binary, fdstr, sks[1], status[1], detach);

	close(sks[1]);
	close(status[1]);
	conn->child = pid;
	r = swrk_handshake(sks[0], status[0]);
	close(status[0]);
	if (r < 0) {
		close(sks[0]);
		lc_disconnect(conn);
		return r;
	}
	conn->fd = sks[0];
	conn->own_fd = true;
	return 0;

close_all:
	close(status[0]);
	close(status[1]);
close_sks:
	close(sks[0]);
	close(sks[1]);
	return r;
}

static int connect_service(const char *path, struct lc_conn *conn)
{
	struct sockaddr_un addr = {.sun_family = AF_LOCAL};
	size_t len = strlen(path);
	int fd, r;

	if (len >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	memcpy(addr.sun_path, path, len);

	fd = socket(AF_LOCAL, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	do
		r = connect(fd, (struct sockaddr *)&addr, offsetof(struct sockaddr_un, sun_path) + len);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EISCONN) {
		r = -errno;
		close(fd);
		return r;
	}
	conn->fd = fd;
	conn->own_fd = true;
	return 0;
}

/*
 * Opens the conversation the option set asks for. detach: the request is a
 * self-dump. -errno when criu cannot be reached.
 */
int lc_connect(criu_opts *opts, bool detach, struct lc_conn *conn)
{
	*conn = (struct lc_conn){.fd = -1};

	switch (opts->service_comm) {
	case CRIU_COMM_FD:
		if (opts->service_fd < 0)
			return -EBADF;
		/* As in CRIU, the request consumes the fd: it is closed afterwards. */
		conn->fd = opts->service_fd;
		conn->own_fd = true;
		opts->service_fd = -1;
		return 0;
	case CRIU_COMM_SK:
		return connect_service(opts->service_address ? opts->service_address : LC_DEFAULT_ADDRESS,
				       conn);
	case CRIU_COMM_BIN:
		return lc_spawn_swrk(opts->service_binary ? opts->service_binary : LC_DEFAULT_BINARY, detach,
				     conn);
	}
	return -EINVAL;
}

/* Closes the socket first (criu may wait for EOF), then reaps the swrk child. */
void lc_disconnect(struct lc_conn *conn)
{
	int saved = errno;
	pid_t r;

	if (conn->own_fd && conn->fd >= 0)
		close(conn->fd);
	conn->fd = -1;
	if (conn->child > 0) {
		do
			r = waitpid(conn->child, NULL, 0);
		while (r < 0 && errno == EINTR);
		conn->child = 0;
	}
	errno = saved;
}

static int send_req(int fd, const CriuReq *req)
{
	size_t len = criu_req__get_packed_size(req);
	uint8_t *buf;
	ssize_t n;

	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	criu_req__pack(req, buf);
	/* MSG_NOSIGNAL: a dead criu must give -ECOMM, not kill the caller. */
	do
		n = send(fd, buf, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(buf);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EMSGSIZE;
}

/* Size of the next packet, without consuming it. 0 means EOF. */
static ssize_t peek_packet_size(int fd)
{
	ssize_t n;

	do
		n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/* Takes the first fd of an SCM_RIGHTS message; extra ones are closed. */
static int take_fds(struct msghdr *mh)
{
	struct cmsghdr *c;
	int fd = -1, i, nr, v;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nr; i++) {
			memcpy(&v, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = v;
			else
				close(v);
		}
	}
	return fd;
}

/* Receives one packet and decodes it; *ret_fd gets a passed fd or -1. */
static int recv_resp(int fd, CriuResp **ret_resp, int *ret_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * LC_MAX_RECV_FDS)];
	} ctl;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	CriuResp *resp;
	ssize_t size, n;
	uint8_t *buf;
	int passed;

	size = peek_packet_size(fd);
	if (size <= 0)
		return size < 0 ? (int)size : -ECONNRESET;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	iov = (struct iovec){.iov_base = buf, .iov_len = size};
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0 || (mh.msg_flags & MSG_TRUNC)) {
		free(buf);
		return n < 0 ? -errno : n == 0 ? -ECONNRESET : -EMSGSIZE;
	}
	passed = take_fds(&mh);
	resp = criu_resp__unpack(NULL, n, buf);
	free(buf);
	if (!resp) {
		close_keep_errno(passed);
		return -EBADMSG;
	}
	*ret_resp = resp;
	*ret_fd = passed;
	return 0;
}

/* Runs the callback for one notification and answers criu. */
static int handle_notify(struct lc_conn *conn, lc_notify_cb_t notify, CriuResp *resp, int passed_fd)
{
	CriuReq ack = CRIU_REQ__INIT;
	char no_name[1] = "";
	int ret = 0, r;

	/* Only "orphan-pts-master" carries an fd; the callback may fetch it. */
	if (passed_fd >= 0)
		lc_set_orphan_pts_master_fd(passed_fd);
	if (notify && resp->notify)
		ret = notify(resp->notify->script ? resp->notify->script : no_name, resp->notify);

	ack.type = CRIU_REQ_TYPE__NOTIFY;
	ack.has_notify_success = true;
	ack.notify_success = ret == 0;
	r = send_req(conn->fd, &ack);
	if (ret)
		return ret;
	if (r < 0) {
		conn->err = -r;
		return -ECOMM;
	}
	return 0;
}

/*
 * Sends req and returns criu's final answer in *ret_resp, answering
 * notifications on the way. Return codes as documented in criu.h; the
 * errno value to report is left in conn->err.
 */
int lc_transact(struct lc_conn *conn, lc_notify_cb_t notify, CriuReq *req, CriuResp **ret_resp)
{
	CriuResp *resp = NULL;
	int r, passed_fd = -1;

	r = send_req(conn->fd, req);
	if (r < 0)
		goto comm_error;
	for (;;) {
		r = recv_resp(conn->fd, &resp, &passed_fd);
		if (r < 0)
			goto comm_error;
		if (resp->type != CRIU_REQ_TYPE__NOTIFY)
			break;
		r = handle_notify(conn, notify, resp, passed_fd);
		criu_resp__free_unpacked(resp, NULL);
		if (r)
			return r;
	}
	close_keep_errno(passed_fd); /* nothing but a notification should carry one */

	if (resp->has_cr_errno)
		conn->err = resp->cr_errno;
	if (resp->type != req->type) {
		r = resp->type == CRIU_REQ_TYPE__EMPTY && !resp->success ? -EINVAL : -EBADMSG;
		criu_resp__free_unpacked(resp, NULL);
		return r;
	}
	*ret_resp = resp;
	return 0;

comm_error:
	conn->err = -r;
	return -ECOMM;
}
