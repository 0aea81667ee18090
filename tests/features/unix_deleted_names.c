/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Unix socket names that no longer lead to their socket, and relative ones:
 *   self:  a datagram socket bound to DIR/self.sock and connected to itself;
 *   rel:   a listener bound to the relative name "rel.sock" in DIR/rel, a
 *          client connected by that name and accepted; then the task moves
 *          its cwd to DIR, so the name no longer resolves from it;
 *   same:  listener A bound to DIR/same.sock, its file renamed away, listener
 *          B bound to the same path, and A's file renamed back over B's (B's
 *          name is deleted, A's is in force);
 *   fifo:  a datagram server bound to DIR/fifo.sock with a client connected,
 *          its file removed and a FIFO made on the path;
 *   gone:  a datagram server bound to DIR/gone/d.sock with a client connected,
 *          its file and the directory removed;
 *   rq:    a datagram server bound to the relative name "rq.sock" in DIR/rel,
 *          with a datagram queued by an unconnected sender;
 *   dq:    a datagram server bound to DIR/dq.sock with a datagram queued by
 *          an unconnected sender, its file removed.
 * After restore: every name reads as before, data flows on every connection,
 * the queued datagrams are read, a connect to DIR/same.sock reaches A,
 * DIR/fifo.sock is still the FIFO,
 * DIR/gone stays absent, and criu left no file behind in DIR.
 */
#include <dirent.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "feature.h"

static socklen_t set_name(struct sockaddr_un *sa, const char *fmt, const char *dir)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), fmt, dir);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa->sun_path) + 1);
}

static int sk(int type)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0)
		feat_die("socket");
	return fd;
}

static void check_name(int fd, const char *want, const char *what, int peer)
{
	struct sockaddr_un got;
	socklen_t l = sizeof(got);
	int r;

	memset(&got, 0, sizeof(got));
	r = peer ? getpeername(fd, (struct sockaddr *)&got, &l)
		 : getsockname(fd, (struct sockaddr *)&got, &l);
	FEAT_CHECK(r == 0 && !strcmp(got.sun_path, want), "%s: %s name is '%s', expected '%s'", what,
		   peer ? "peer" : "own", got.sun_path, want);
}

/* A connection waiting on the listener l, taken without blocking: its fd, or -1. */
static int take(int l)
{
	fcntl(l, F_SETFL, O_NONBLOCK);
	return accept(l, NULL, NULL);
}

static void check_flow(int from, int to, const char *what)
{
	char buf[16] = "";

	FEAT_CHECK(send(from, what, strlen(what), MSG_DONTWAIT) == (ssize_t)strlen(what),
		   "%s: send failed: %s", what, strerror(errno));
	FEAT_CHECK(recv(to, buf, sizeof(buf) - 1, MSG_DONTWAIT) == (ssize_t)strlen(what) &&
			   !strcmp(buf, what),
		   "%s: received '%s'", what, buf);
}

/* No file of criu's left in dir (an alias of a deleted name, or a file set aside), nor "tmp". */
static void check_clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d) {
		feat_fail("cannot list %s: %s", dir, strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		FEAT_CHECK(strncmp(e->d_name, ".criu", 5) && strcmp(e->d_name, "tmp"), "%s: left behind: %s",
			   dir, e->d_name);
	closedir(d);
}

int main(int argc, char **argv)
{
	struct sockaddr_un a, r;
	char path[4200];
	int self, rl, rc, ra, sa, sb, fs, fc, gs, gc, nc, t, rq, dq, snd;
	char got[16];
	socklen_t al;
	struct stat st;

	feat_init(argc, argv);
	/* self */
	self = sk(SOCK_DGRAM);
	al = set_name(&a, "%s/self.sock", argv[1]);
	if (bind(self, (struct sockaddr *)&a, al) || connect(self, (struct sockaddr *)&a, al))
		feat_die("self");
	/* rel */
	snprintf(path, sizeof(path), "%s/rel", argv[1]);
	if (mkdir(path, 0755) || chdir(path))
		feat_die("rel dir");
	rl = sk(SOCK_STREAM);
	rc = sk(SOCK_STREAM);
	al = set_name(&r, "rel.sock", NULL);
	if (bind(rl, (struct sockaddr *)&r, al) || listen(rl, 4) || connect(rc, (struct sockaddr *)&r, al))
		feat_die("rel");
	ra = accept(rl, NULL, NULL);
	if (ra < 0)
		feat_die("rel accept");
	/* rq */
	rq = sk(SOCK_DGRAM);
	snd = sk(SOCK_DGRAM);
	al = set_name(&r, "rq.sock", NULL);
	if (bind(rq, (struct sockaddr *)&r, al) ||
	    sendto(snd, "rq-data", 7, 0, (struct sockaddr *)&r, al) != 7)
		feat_die("rq");
	if (chdir(argv[1]))
		feat_die("chdir");
	/* dq */
	dq = sk(SOCK_DGRAM);
	al = set_name(&a, "%s/dq.sock", argv[1]);
	if (bind(dq, (struct sockaddr *)&a, al) ||
	    sendto(snd, "dq-data", 7, 0, (struct sockaddr *)&a, al) != 7 || unlink(a.sun_path))
		feat_die("dq");
	close(snd);
	/* same */
	sa = sk(SOCK_STREAM);
	sb = sk(SOCK_STREAM);
	al = set_name(&a, "%s/same.sock", argv[1]);
	snprintf(path, sizeof(path), "%s/tmp", argv[1]);
	if (bind(sa, (struct sockaddr *)&a, al) || listen(sa, 4) || rename(a.sun_path, path) ||
	    bind(sb, (struct sockaddr *)&a, al) || listen(sb, 4) || rename(path, a.sun_path))
		feat_die("same");
	/* fifo */
	fs = sk(SOCK_DGRAM);
	fc = sk(SOCK_DGRAM);
	al = set_name(&a, "%s/fifo.sock", argv[1]);
	if (bind(fs, (struct sockaddr *)&a, al) || connect(fc, (struct sockaddr *)&a, al) ||
	    unlink(a.sun_path) || mkfifo(a.sun_path, 0600))
		feat_die("fifo");
	/* gone */
	gs = sk(SOCK_DGRAM);
	gc = sk(SOCK_DGRAM);
	snprintf(path, sizeof(path), "%s/gone", argv[1]);
	al = set_name(&a, "%s/gone/d.sock", argv[1]);
	if (mkdir(path, 0755) || bind(gs, (struct sockaddr *)&a, al) ||
	    connect(gc, (struct sockaddr *)&a, al) || unlink(a.sun_path) || rmdir(path))
		feat_die("gone");

	feat_ready();
	feat_wait_go();

	set_name(&a, "%s/self.sock", argv[1]);
	check_name(self, a.sun_path, "self", 0);
	check_name(self, a.sun_path, "self", 1);
	check_flow(self, self, "self");

	check_name(rl, "rel.sock", "rel listener", 0);
	check_name(rc, "rel.sock", "rel client", 1);
	check_flow(rc, ra, "rel-c2a");
	check_flow(ra, rc, "rel-a2c");
	nc = sk(SOCK_STREAM);
	al = set_name(&r, "%s/rel/rel.sock", argv[1]);
	FEAT_CHECK(connect(nc, (struct sockaddr *)&r, al) == 0, "rel: cannot connect to %s: %s", r.sun_path,
		   strerror(errno));
	t = take(rl);
	FEAT_CHECK(t >= 0, "rel: the listener has no new connection");

	al = set_name(&a, "%s/same.sock", argv[1]);
	check_name(sa, a.sun_path, "same A", 0);
	check_name(sb, a.sun_path, "same B", 0);
	nc = sk(SOCK_STREAM);
	FEAT_CHECK(connect(nc, (struct sockaddr *)&a, al) == 0, "same: cannot connect: %s", strerror(errno));
	t = take(sa);
	FEAT_CHECK(t >= 0, "same: A (whose name is in force) has no new connection");
	t = take(sb);
	FEAT_CHECK(t < 0 && errno == EAGAIN, "same: B (deleted name) got the connection");

	set_name(&a, "%s/fifo.sock", argv[1]);
	check_name(fs, a.sun_path, "fifo server", 0);
	check_name(fc, a.sun_path, "fifo client", 1);
	check_flow(fc, fs, "fifo");
	FEAT_CHECK(lstat(a.sun_path, &st) == 0 && S_ISFIFO(st.st_mode), "%s is no longer the FIFO",
		   a.sun_path);

	set_name(&a, "%s/gone/d.sock", argv[1]);
	check_name(gs, a.sun_path, "gone server", 0);
	check_name(gc, a.sun_path, "gone client", 1);
	check_flow(gc, gs, "gone");
	snprintf(path, sizeof(path), "%s/gone", argv[1]);
	FEAT_CHECK(stat(path, &st) < 0 && errno == ENOENT, "%s is back", path);

	memset(got, 0, sizeof(got));
	FEAT_CHECK(recv(rq, got, sizeof(got) - 1, MSG_DONTWAIT) == 7 && !strcmp(got, "rq-data"),
		   "rq: received '%s'", got);
	check_name(rq, "rq.sock", "rq", 0);
	memset(got, 0, sizeof(got));
	FEAT_CHECK(recv(dq, got, sizeof(got) - 1, MSG_DONTWAIT) == 7 && !strcmp(got, "dq-data"),
		   "dq: received '%s'", got);
	set_name(&a, "%s/dq.sock", argv[1]);
	check_name(dq, a.sun_path, "dq", 0);
	FEAT_CHECK(access(a.sun_path, F_OK) < 0 && errno == ENOENT, "%s is back", a.sun_path);
	check_clean(argv[1]);
	snprintf(path, sizeof(path), "%s/rel", argv[1]);
	check_clean(path);
	return feat_done();
}
