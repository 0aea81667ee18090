/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Names of unix sockets: a stream socket bound to DIR/named.sock with mode
 * 0640 (not listening), a seqpacket socket on an abstract name, one bound to
 * DIR/gone.sock whose file was removed, and an unbound one. After restore
 * getsockname gives the same names, the socket file is back with its mode,
 * the removed one stays removed, and the abstract name is taken again.
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "feature.h"

static void check_name(int fd, const struct sockaddr_un *want, socklen_t want_len, const char *what)
{
	struct sockaddr_un got;
	socklen_t l = sizeof(got);

	memset(&got, 0, sizeof(got));
	FEAT_CHECK(getsockname(fd, (struct sockaddr *)&got, &l) == 0 && l == want_len &&
			   !memcmp(got.sun_path, want->sun_path,
				   want_len - offsetof(struct sockaddr_un, sun_path)),
		   "%s: name differs (length %u, expected %u; '%s')", what, l, want_len,
		   got.sun_path[0] ? got.sun_path : got.sun_path + 1);
}

int main(int argc, char **argv)
{
	struct sockaddr_un p = {.sun_family = AF_UNIX}, a = {.sun_family = AF_UNIX},
			   g = {.sun_family = AF_UNIX};
	socklen_t alen;
	int sp, sa, sg, su, t;
	struct stat st;

	feat_init(argc, argv);
	snprintf(p.sun_path, sizeof(p.sun_path), "%s/named.sock", argv[1]);
	snprintf(g.sun_path, sizeof(g.sun_path), "%s/gone.sock", argv[1]);
	unlink(p.sun_path);
	unlink(g.sun_path);
	alen = offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "criu-feat-names-%d", getpid());
	sp = socket(AF_UNIX, SOCK_STREAM, 0);
	sa = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	sg = socket(AF_UNIX, SOCK_DGRAM, 0);
	su = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(sp, (struct sockaddr *)&p, sizeof(p)) || bind(sa, (struct sockaddr *)&a, alen) ||
	    bind(sg, (struct sockaddr *)&g, sizeof(g)) || unlink(g.sun_path) || chmod(p.sun_path, 0640))
		feat_die("bind");

	feat_ready();
	feat_wait_go();

	check_name(sp, &p, offsetof(struct sockaddr_un, sun_path) + strlen(p.sun_path) + 1, "path");
	check_name(sa, &a, alen, "abstract");
	check_name(sg, &g, offsetof(struct sockaddr_un, sun_path) + strlen(g.sun_path) + 1, "removed path");
	check_name(su, &a, offsetof(struct sockaddr_un, sun_path), "unbound");
	FEAT_CHECK(stat(p.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0640,
		   "%s: not a socket file of mode 0640 (%o)", p.sun_path, st.st_mode);
	FEAT_CHECK(stat(g.sun_path, &st) < 0 && errno == ENOENT, "%s is back", g.sun_path);
	t = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	FEAT_CHECK(bind(t, (struct sockaddr *)&a, alen) < 0 && errno == EADDRINUSE,
		   "the abstract name is free");
	{
		int type = 0;
		socklen_t l = sizeof(type);

		getsockopt(sa, SOL_SOCKET, SO_TYPE, &type, &l);
		FEAT_CHECK(type == SOCK_SEQPACKET, "abstract socket type %d", type);
	}
	return feat_done();
}
