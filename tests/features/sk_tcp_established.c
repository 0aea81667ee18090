/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Established TCP over IPv4 and IPv6 loopback, both ends in the tree, kept
 * with --tcp-established through TCP_REPAIR: unread data in both receive
 * queues, a send queue the peer's full window holds back (unacknowledged
 * and unsent), TCP_NODELAY, O_NONBLOCK; the listener they came from still
 * accepts. After restore every byte must arrive once, in order, and the
 * connection must go on both ways.
 */
// criu-opts: --tcp-established
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "feature.h"

#define BULK (4u << 20)

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 7 + i / 251);
}

struct conn {
	int lsk, cli, srv;
	size_t bulk_sent; /* cli -> srv, of which srv read none */
	socklen_t alen;
	struct sockaddr_storage laddr;
};

static void setup(int af, struct conn *c)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int one = 1, small = 4096;
	unsigned char buf[65536];

	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;

		s->sin_family = AF_INET;
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;

		s->sin6_family = AF_INET6;
		s->sin6_addr = in6addr_loopback;
		len = sizeof(*s);
	}
	c->alen = len;
	c->lsk = socket(af, SOCK_STREAM, 0);
	if (c->lsk < 0 || setsockopt(c->lsk, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(c->lsk, (struct sockaddr *)&ss, len) || listen(c->lsk, 8))
		feat_die("listener");
	c->laddr = ss;
	getsockname(c->lsk, (struct sockaddr *)&c->laddr, &len);
	c->cli = socket(af, SOCK_STREAM, 0);
	/* a small receive buffer on the server side holds the client's data back */
	if (c->cli < 0 || connect(c->cli, (struct sockaddr *)&c->laddr, len))
		feat_die("connect");
	c->srv = accept(c->lsk, NULL, NULL);
	if (c->srv < 0)
		feat_die("accept");
	setsockopt(c->srv, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	setsockopt(c->cli, SOL_TCP, TCP_NODELAY, &one, sizeof(one));
	/* server -> client: unread on the client */
	if (write(c->srv, "from-server", 11) != 11 || write(c->cli, "from-client", 11) != 11)
		feat_die("write");
	usleep(100000);
	/* client -> server: a bulk that fills the server's queue and the client's send queue */
	fcntl(c->cli, F_SETFL, O_NONBLOCK);
	c->bulk_sent = 0;
	for (int idle = 0; idle < 20 && c->bulk_sent < BULK;) {
		size_t n = sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pat(c->bulk_sent + i);
		ssize_t w = write(c->cli, buf, n);

		if (w > 0) {
			c->bulk_sent += (size_t)w;
			idle = 0;
		} else {
			usleep(10000);
			idle++;
		}
	}
}

static void check_conn(const char *name, struct conn *c)
{
	char buf[64];
	unsigned char *all = malloc(BULK + 64);
	size_t got = 0;
	int v = 0;
	socklen_t len = sizeof(v);
	int fl = fcntl(c->cli, F_GETFL);

	FEAT_CHECK(fl & O_NONBLOCK, "%s: client lost O_NONBLOCK", name);
	getsockopt(c->cli, SOL_TCP, TCP_NODELAY, &v, &len);
	FEAT_CHECK(v == 1, "%s: TCP_NODELAY %d", name, v);
	fcntl(c->cli, F_SETFL, fl & ~O_NONBLOCK);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(read(c->cli, buf, sizeof(buf)) == 11 && !memcmp(buf, "from-server", 11),
		   "%s: client read '%s'", name, buf);
	/* the server reads "from-client" then the whole bulk */
	while (got < 11 + c->bulk_sent) {
		struct pollfd p = {.fd = c->srv, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(c->srv, all + got, 11 + c->bulk_sent - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	FEAT_CHECK(got == 11 + c->bulk_sent, "%s: server got %zu of %zu bytes", name, got, 11 + c->bulk_sent);
	FEAT_CHECK(!memcmp(all, "from-client", 11), "%s: first bytes differ", name);
	for (size_t i = 0; i + 11 < got; i++)
		if (all[11 + i] != pat(i)) {
			feat_fail("%s: bulk byte %zu differs", name, i);
			break;
		}
	free(all);
	/* and it goes on, both ways */
	FEAT_CHECK(write(c->srv, "again", 5) == 5, "%s: server write", name);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(read(c->cli, buf, sizeof(buf)) == 5 && !strcmp(buf, "again"), "%s: client read2 '%s'",
		   name, buf);
	/* the listener still accepts */
	{
		int s = socket(c->laddr.ss_family, SOCK_STREAM, 0), a;

		FEAT_CHECK(connect(s, (struct sockaddr *)&c->laddr, c->alen) == 0,
			   "%s: connect to listener: %s", name, strerror(errno));
		a = accept(c->lsk, NULL, NULL);
		FEAT_CHECK(a >= 0, "%s: accept: %s", name, strerror(errno));
		close(s);
		close(a);
	}
}

int main(int argc, char **argv)
{
	struct conn c4, c6;

	feat_init(argc, argv);
	setup(AF_INET, &c4);
	setup(AF_INET6, &c6);
	printf("bulk v4 %zu v6 %zu\n", c4.bulk_sent, c6.bulk_sent);
	feat_ready();
	feat_wait_go();
	check_conn("ipv4", &c4);
	check_conn("ipv6", &c6);
	return feat_done();
}
