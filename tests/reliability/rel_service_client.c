// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The client of tests/reliability/rel_service.sh: raw RPC requests to a
 * `criu service` socket, run as whatever user the script chose.
 *
 *   req SOCK TYPE [FIELD=VALUE...]  one request (version, check, dump,
 *       restore); fields: config, images_dir, images_dir_fd (a path opened
 *       here and passed as an fd), root, pid, exec_cmd, log_file,
 *       freeze_cgroup, leave_running, shell_job. Prints "answer success=S cr_errno=E
 *       pid=P msg=M"; exits 0 when an answer came.
 *   burst SOCK N block|nonblock  N clients at once, each sending VERSION;
 *       prints "answered A/N connect_failed C"; exits 0 when A == N.
 *   idle SOCK SECONDS  connects, sends nothing; prints "closed after MS ms"
 *       (exit 0) or "open after SECONDS s" (exit 1).
 *   limit SOCK N  holds N silent connections, then asks VERSION on one
 *   flood SOCK N S opens N silent connections and holds them S seconds
 *       more; prints that answer, then frees them and asks again.
 */
#include <pthread.h>

#include "rpc_client.h"

static int usage(void)
{
	fprintf(stderr, "usage: rel_service_client req|burst|idle|limit|flood SOCK ...\n");
	return 2;
}

static CriuReqType type_of(const char *s)
{
	if (!strcmp(s, "version"))
		return CRIU_REQ_TYPE__VERSION;
	if (!strcmp(s, "check"))
		return CRIU_REQ_TYPE__CHECK;
	if (!strcmp(s, "dump"))
		return CRIU_REQ_TYPE__DUMP;
	if (!strcmp(s, "restore"))
		return CRIU_REQ_TYPE__RESTORE;
	return CRIU_REQ_TYPE__EMPTY;
}

/* FIELD=VALUE onto o; 0 or -EINVAL. */
static int set_field(CriuOpts *o, char *kv, char **exec_argv)
{
	char *v = strchr(kv, '=');

	if (!v)
		return -EINVAL;
	*v++ = 0;
	if (!strcmp(kv, "config")) {
		o->config_file = v;
	} else if (!strcmp(kv, "images_dir")) {
		o->images_dir = v;
	} else if (!strcmp(kv, "images_dir_fd")) {
		o->images_dir_fd = open(v, O_RDONLY | O_DIRECTORY);
		if (o->images_dir_fd < 0) {
			printf("cannot open %s: %s\n", v, strerror(errno));
			return -errno;
		}
	} else if (!strcmp(kv, "root")) {
		o->root = v;
	} else if (!strcmp(kv, "pid")) {
		o->has_pid = true;
		o->pid = atoi(v);
	} else if (!strcmp(kv, "exec_cmd")) {
		exec_argv[0] = v;
		o->n_exec_cmd = 1;
		o->exec_cmd = exec_argv;
	} else if (!strcmp(kv, "log_file")) {
		o->log_file = v;
	} else if (!strcmp(kv, "freeze_cgroup")) {
		o->freeze_cgroup = v;
	} else if (!strcmp(kv, "leave_running")) {
		o->has_leave_running = true;
		o->leave_running = atoi(v) != 0;
	} else if (!strcmp(kv, "shell_job")) {
		o->has_shell_job = true;
		o->shell_job = atoi(v) != 0;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int cmd_req(const char *sock, int argc, char **argv)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuOpts o = CRIU_OPTS__INIT;
	CriuResp *resp = NULL;
	char *exec_argv[1];
	int sk, r;

	if (argc < 1)
		return usage();
	req.type = type_of(argv[0]);
	if (req.type == CRIU_REQ_TYPE__EMPTY)
		return usage();
	o.has_log_level = true;
	o.log_level = 4;
	for (int i = 1; i < argc; i++)
		if (set_field(&o, argv[i], exec_argv) < 0) {
			fprintf(stderr, "bad field %s\n", argv[i]);
			return 2;
		}
	if (req.type != CRIU_REQ_TYPE__VERSION)
		req.opts = &o;
	sk = rc_connect(sock);
	if (sk < 0) {
		printf("cannot connect to %s: %s\n", sock, strerror(-sk));
		return 1;
	}
	r = rc_transact(sk, &req, NULL, NULL, &resp);
	close(sk);
	if (r <= 0) {
		printf("no answer: %s\n", r == 0 ? "EOF" : strerror(-r));
		return 1;
	}
	printf("answer success=%d cr_errno=%d pid=%d msg=%s\n", resp->success, resp->cr_errno,
	       resp->restore ? resp->restore->pid : 0, resp->cr_errmsg ? resp->cr_errmsg : "");
	criu_resp__free_unpacked(resp, NULL);
	return 0;
}

/* Connects without blocking: the socket, -EAGAIN when the backlog is full, or -errno. */
static int connect_nonblock(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int sk = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (sk < 0)
		return -errno;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(sk, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int r = -errno;

		close(sk);
		return r;
	}
	return sk;
}

/* Sends VERSION on sk and waits for its answer: 1 when a successful VERSION answer came. */
static int version_on(int sk)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp = NULL;
	int ok;

	uint8_t buf[4096]; /* rc_recv's buffer is static: not for threads */
	ssize_t n;

	req.type = CRIU_REQ_TYPE__VERSION;
	/* a non-blocking socket: the packet is small, the send does not block on an empty queue */
	if (rc_send(sk, &req) < 0 || rc_wait_readable(sk, RC_TIMEOUT_MS) <= 0)
		return 0;
	n = recv(sk, buf, sizeof(buf), 0);
	if (n <= 0)
		return 0;
	resp = criu_resp__unpack(NULL, (size_t)n, buf);
	if (!resp)
		return 0;
	ok = resp->type == CRIU_REQ_TYPE__VERSION && resp->success && resp->version;
	criu_resp__free_unpacked(resp, NULL);
	return ok;
}

struct burst_arg {
	const char *sock;
	bool nonblock;
	int fd;
	int result; /* 1 answered, 0 not, -1 connect failed */
	pthread_barrier_t *go;
};

static void *burst_one(void *p)
{
	struct burst_arg *a = p;

	pthread_barrier_wait(a->go);
	a->fd = a->nonblock ? connect_nonblock(a->sock) : rc_connect(a->sock);
	if (a->fd < 0) {
		a->result = -1;
		return NULL;
	}
	a->result = version_on(a->fd);
	close(a->fd);
	return NULL;
}

static int cmd_burst(const char *sock, int argc, char **argv)
{
	int n = argc >= 1 ? atoi(argv[0]) : 0, answered = 0, refused = 0;
	bool nonblock = argc >= 2 && !strcmp(argv[1], "nonblock");
	struct burst_arg *a;
	pthread_t *th;
	pthread_barrier_t go;

	if (n <= 0)
		return usage();
	a = calloc((size_t)n, sizeof(*a));
	th = calloc((size_t)n, sizeof(*th));
	if (!a || !th)
		return 1;
	pthread_barrier_init(&go, NULL, (unsigned int)n);
	for (int i = 0; i < n; i++) {
		a[i] = (struct burst_arg){.sock = sock, .nonblock = nonblock, .go = &go};
		if (pthread_create(&th[i], NULL, burst_one, &a[i])) {
			printf("cannot start client thread %d\n", i);
			return 1;
		}
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		answered += a[i].result == 1;
		refused += a[i].result == -1;
	}
	printf("answered %d/%d connect_failed %d\n", answered, n, refused);
	return answered == n ? 0 : 1;
}

static int cmd_idle(const char *sock, int argc, char **argv)
{
	int secs = argc >= 1 ? atoi(argv[0]) : 0, sk = rc_connect(sock), r;
	struct timespec t0, t1;
	char c;

	if (sk < 0) {
		printf("cannot connect to %s: %s\n", sock, strerror(-sk));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = rc_wait_readable(sk, secs * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r <= 0 || recv(sk, &c, 1, MSG_DONTWAIT) != 0) {
		printf("open after %d s\n", secs);
		return 1;
	}
	printf("closed after %ld ms\n",
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return 0;
}

/* One VERSION request on a new connection: prints its answer. */
static void ask_version(const char *sock, const char *what)
{
	CriuReq req = CRIU_REQ__INIT;
	CriuResp *resp = NULL;
	int sk = rc_connect(sock), r;

	if (sk < 0) {
		printf("%s: cannot connect: %s\n", what, strerror(-sk));
		return;
	}
	req.type = CRIU_REQ_TYPE__VERSION;
	r = rc_transact(sk, &req, NULL, NULL, &resp);
	close(sk);
	if (r <= 0) {
		printf("%s: no answer: %s\n", what, r == 0 ? "EOF" : strerror(-r));
		return;
	}
	printf("%s: success=%d cr_errno=%d msg=%s\n", what, resp->success, resp->cr_errno,
	       resp->cr_errmsg ? resp->cr_errmsg : "");
	criu_resp__free_unpacked(resp, NULL);
}

static int cmd_limit(const char *sock, int argc, char **argv)
{
	int n = argc >= 1 ? atoi(argv[0]) : 0, *held;

	if (n <= 0)
		return usage();
	held = calloc((size_t)n, sizeof(*held));
	if (!held)
		return 1;
	for (int i = 0; i < n; i++) {
		held[i] = rc_connect(sock);
		if (held[i] < 0) {
			printf("cannot connect %d: %s\n", i, strerror(-held[i]));
			return 1;
		}
	}
	usleep(500000); /* the service has accepted them all */
	ask_version(sock, "over the limit");
	for (int i = 0; i < n; i++)
		close(held[i]);
	usleep(500000); /* their workers saw EOF and ended */
	ask_version(sock, "after release");
	return 0;
}

/* flood SOCK N SECONDS: opens N connections that send nothing and holds them SECONDS. */
static int cmd_flood(const char *sock, int argc, char **argv)
{
	int n = argc >= 1 ? atoi(argv[0]) : 0, secs = argc >= 2 ? atoi(argv[1]) : 3, opened = 0;

	if (n <= 0)
		return usage();
	for (int i = 0; i < n; i++)
		opened += rc_connect(sock) >= 0;
	printf("flood: %d/%d connections open\n", opened, n);
	fflush(stdout);
	sleep((unsigned int)secs);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "req"))
		return cmd_req(argv[2], argc - 3, argv + 3);
	if (!strcmp(argv[1], "burst"))
		return cmd_burst(argv[2], argc - 3, argv + 3);
	if (!strcmp(argv[1], "idle"))
		return cmd_idle(argv[2], argc - 3, argv + 3);
	if (!strcmp(argv[1], "flood"))
		return cmd_flood(argv[2], argc - 3, argv + 3);
	if (!strcmp(argv[1], "limit"))
		return cmd_limit(argv[2], argc - 3, argv + 3);
	return usage();
}
