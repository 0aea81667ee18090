/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A raw RPC client for the tests: criu_req packets out, criu_resp packets in
 * (one protobuf message per SOCK_SEQPACKET packet), a `criu swrk N` spawner,
 * a `criu service` connector, and the workload the engine can dump today (a
 * child in its own session with stdio on /dev/null and no other fds).
 * Everything waits with a deadline, so a server that hangs fails a test
 * instead of hanging the suite.
 */
#ifndef CR_TESTS_RPC_CLIENT_H
#define CR_TESTS_RPC_CLIENT_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rpc.pb-c.h"

#define RC_TIMEOUT_MS 30000

static inline const char *rc_criu(void)
{
	const char *c = getenv("CRIU");

	return c && *c ? c : "criu";
}

/* Sends raw bytes as one packet; 0 or -errno. */
static inline int rc_send_raw(int sk, const void *buf, size_t len)
{
	ssize_t n = send(sk, buf, len, MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EMSGSIZE;
}

static inline int rc_send(int sk, const CriuReq *req)
{
	size_t len = criu_req__get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	int r;

	if (!buf)
		return -ENOMEM;
	criu_req__pack(req, buf);
	r = rc_send_raw(sk, buf, len);
	free(buf);
	return r;
}

/* Waits up to ms for sk to become readable: 1, 0 on timeout, -errno. */
static inline int rc_wait_readable(int sk, int ms)
{
	struct pollfd p = {.fd = sk, .events = POLLIN};
	int r;

	do
		r = poll(&p, 1, ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/*
 * Receives one response: 1 and *ret (free with criu_resp__free_unpacked),
 * 0 at EOF, -ETIMEDOUT, -EBADMSG when it does not decode. *ret_fd (if not
 * NULL) gets an fd passed with SCM_RIGHTS, or -1.
 */
static inline int rc_recv(int sk, CriuResp **ret, int *ret_fd)
{
	static uint8_t buf[1 << 16];
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b)};
	ssize_t n;
	int r;

	if (ret_fd)
		*ret_fd = -1;
	r = rc_wait_readable(sk, RC_TIMEOUT_MS);
	if (r <= 0)
		return r == 0 ? -ETIMEDOUT : r;
	n = recvmsg(sk, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int fd;

			memcpy(&fd, CMSG_DATA(c), sizeof(fd));
			if (ret_fd)
				*ret_fd = fd;
			else
				close(fd);
		}
	*ret = criu_resp__unpack(NULL, (size_t)n, buf);
	return *ret ? 1 : -EBADMSG;
}

/* Whether the peer closed sk (EOF within the deadline). */
static inline bool rc_eof(int sk)
{
	char c;

	if (rc_wait_readable(sk, RC_TIMEOUT_MS) <= 0)
		return false;
	return recv(sk, &c, 1, MSG_DONTWAIT) == 0;
}

static inline int rc_ack(int sk, bool success)
{
	CriuReq ack = CRIU_REQ__INIT;

	ack.type = CRIU_REQ_TYPE__NOTIFY;
	ack.has_notify_success = true;
	ack.notify_success = success;
	return rc_send(sk, &ack);
}

/* ---- notification log ---- */

struct rc_notes {
	int n;
	char name[16][32];
	int pid[16]; /* -1 when the notification had no pid */
};

/* "pre-dump,query-ext-files,post-dump" */
static inline void rc_notes_join(const struct rc_notes *nt, char *out, size_t size)
{
	out[0] = 0;
	for (int i = 0; i < nt->n; i++) {
		if (i)
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, nt->name[i], size - strlen(out) - 1);
	}
}

/*
 * Sends req and answers notifications with success, except the one named
 * fail_at (answered notify_success=false), until the final response.
 * 1 and *ret on a final response, else as rc_recv.
 */
static inline int rc_transact(int sk, const CriuReq *req, const char *fail_at, struct rc_notes *nt,
			      CriuResp **ret)
{
	int r = rc_send(sk, req);

	if (r < 0)
		return r;
	for (;;) {
		CriuResp *resp = NULL;
		bool ok;

		r = rc_recv(sk, &resp, NULL);
		if (r <= 0)
			return r;
		if (resp->type != CRIU_REQ_TYPE__NOTIFY) {
			*ret = resp;
			return 1;
		}
		if (nt && nt->n < 16 && resp->notify) {
			snprintf(nt->name[nt->n], sizeof(nt->name[0]), "%s",
				 resp->notify->script ? resp->notify->script : "(null)");
			nt->pid[nt->n] = resp->notify->has_pid ? resp->notify->pid : -1;
			nt->n++;
		}
		ok = !(fail_at && resp->notify && resp->notify->script &&
		       !strcmp(resp->notify->script, fail_at));
		criu_resp__free_unpacked(resp, NULL);
		r = rc_ack(sk, ok);
		if (r < 0)
			return r;
	}
}

/* ---- criu swrk ---- */

struct rc_swrk {
	pid_t pid;
	int sk;
};

/*
 * Starts `criu swrk <fdnum>` with its end of a socket pair at fdnum (go-criu
 * passes whatever number the fd has; we pick an unusual one on purpose).
 * stdio is inherited. 0 or -errno.
 */
static inline int rc_swrk_start(struct rc_swrk *s, int fdnum)
{
	int sks[2];
	char num[16];

	s->pid = -1;
	s->sk = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sks) < 0)
		return -errno;
	s->pid = fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0) {
		if (dup2(sks[1], fdnum) < 0) /* dup2 clears CLOEXEC */
			_exit(126);
		snprintf(num, sizeof(num), "%d", fdnum);
		execl(rc_criu(), "criu", "swrk", num, (char *)NULL);
		_exit(127);
	}
	close(sks[1]);
	s->sk = sks[0];
	return 0;
}

/* waitpid with a deadline: the status, or -ETIMEDOUT (the child is killed then). */
static inline int rc_wait_pid(pid_t pid, int ms)
{
	int st;

	for (int i = 0; i < ms / 10; i++) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			return -errno;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -ETIMEDOUT;
}

/* Closes the client end and reaps swrk: its wait status, or -ETIMEDOUT. */
static inline int rc_swrk_finish(struct rc_swrk *s)
{
	if (s->sk >= 0)
		close(s->sk);
	s->sk = -1;
	return rc_wait_pid(s->pid, RC_TIMEOUT_MS);
}

/* ---- criu service ---- */

static inline int rc_connect(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sk = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (sk < 0)
		return -errno;
	if (strlen(path) >= sizeof(a.sun_path)) {
		close(sk);
		return -ENAMETOOLONG;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(sk, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = -errno;

		close(sk);
		return r;
	}
	return sk;
}

/* ---- workloads ---- */

/*
 * Forks a child that the engine can dump: own session, stdio on /dev/null,
 * no other fds, sleeping in a loop. Its pid, or -errno.
 */
static inline pid_t rc_spawn_sleeper(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		setsid();
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		syscall(SYS_close_range, 3, ~0U, 0);
		for (;;)
			pause();
	}
	usleep(100000);
	return pid;
}

/* A field of /proc/pid/status ("State", "TracerPid", "PPid"), or "" */
static inline const char *rc_status_field(pid_t pid, const char *key)
{
	static char val[256];
	char path[64], line[256];
	size_t kl = strlen(key);
	FILE *f;

	val[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "re");
	if (!f)
		return val;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			char *v = line + kl + 1;

			while (*v == ' ' || *v == '\t')
				v++;
			v[strcspn(v, "\n")] = 0;
			memcpy(val, v, strlen(v) + 1); /* shorter than line */
			break;
		}
	fclose(f);
	return val;
}

/* Alive: exists and is neither a zombie nor dead. */
static inline bool rc_alive(pid_t pid)
{
	const char *s = rc_status_field(pid, "State");

	return *s && *s != 'Z' && *s != 'X';
}

/* SIGKILL and wait until the pid has gone (we, or a subreaper above us, reap it). */
static inline void rc_kill_wait(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return;
		if (!rc_status_field(pid, "State")[0])
			return;
		usleep(10000);
	}
}

/* Makes a fresh directory /tmp/criu-TAG.XXXXXX in buf. */
static inline int rc_mkdtemp(char *buf, size_t size, const char *tag)
{
	snprintf(buf, size, "/tmp/criu-%s.XXXXXX", tag);
	return mkdtemp(buf) ? 0 : -errno;
}

static inline int rc_rm_rf(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[4400];

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%.4000s/%s", dir, de->d_name);
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			rc_rm_rf(p);
		else
			unlink(p);
	}
	closedir(d);
	return rmdir(dir) < 0 ? -errno : 0;
}

static inline bool rc_file_exists(const char *dir, const char *name)
{
	char p[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return access(p, F_OK) == 0;
}

/* The first line of dir/name containing "Error", for failure messages. */
static inline const char *rc_log_error(const char *dir, const char *name)
{
	static char line[512];
	char p[300];
	FILE *f;

	snprintf(p, sizeof(p), "%.200s/%.90s", dir, name);
	snprintf(line, sizeof(line), "(no Error line in %s)", p);
	f = fopen(p, "re");
	if (!f)
		return line;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "Error")) {
			line[strcspn(line, "\n")] = 0;
			fclose(f);
			return line;
		}
	fclose(f);
	snprintf(line, sizeof(line), "(no Error line in %s)", p);
	return line;
}

#endif
