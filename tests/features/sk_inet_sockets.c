/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP listeners and UDP sockets over IPv4 and IPv6, and their options:
 * SO_REUSEADDR/SO_REUSEPORT, SO_KEEPALIVE, SO_SNDBUF/SO_RCVBUF, SO_LINGER,
 * TCP_NODELAY, TCP_CORK, TCP_KEEPIDLE, IPV6_V6ONLY, O_NONBLOCK; a bound
 * and a connected UDP pair, unbound TCP and UDP sockets. After restore:
 * same ports, same options, and they work (accept, datagrams both ways).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "feature.h"

static int geti(int sk, int lvl, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(sk, lvl, opt, &v, &l);
	return v;
}

static void seti(int sk, int lvl, int opt, int v)
{
	if (setsockopt(sk, lvl, opt, &v, sizeof(v)))
		feat_die("setsockopt");
}

static socklen_t lo(int af, struct sockaddr_storage *ss, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

	s->sin6_family = AF_INET6;
	s->sin6_port = htons(port);
	s->sin6_addr = in6addr_loopback;
	return sizeof(*s);
}

static int port_of(int sk)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	if (getsockname(sk, (struct sockaddr *)&ss, &l))
		return -1;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct linger lg = {1, 7}, lg2;
	socklen_t l;
	int l4, l6, u4a, u4b, u6, tcp_unb, udp_unb, p4, p6, pa, pb, pu6;
	char buf[32];

	feat_init(argc, argv);
	/* IPv4 listener with every option */
	l4 = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	seti(l4, SOL_SOCKET, SO_REUSEADDR, 1);
	seti(l4, SOL_SOCKET, SO_REUSEPORT, 1);
	seti(l4, SOL_SOCKET, SO_KEEPALIVE, 1);
	seti(l4, SOL_SOCKET, SO_SNDBUF, 65536);
	seti(l4, SOL_SOCKET, SO_RCVBUF, 32768);
	setsockopt(l4, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	seti(l4, SOL_TCP, TCP_NODELAY, 1);
	seti(l4, SOL_TCP, TCP_CORK, 1);
	seti(l4, SOL_TCP, TCP_KEEPIDLE, 123);
	l = lo(AF_INET, &ss, 0);
	if (bind(l4, (struct sockaddr *)&ss, l) || listen(l4, 17))
		feat_die("l4");
	p4 = port_of(l4);
	/* IPv6 listener, v6only, no REUSEADDR */
	l6 = socket(AF_INET6, SOCK_STREAM, 0);
	seti(l6, SOL_IPV6, IPV6_V6ONLY, 1);
	l = lo(AF_INET6, &ss, 0);
	if (bind(l6, (struct sockaddr *)&ss, l) || listen(l6, 3))
		feat_die("l6");
	p6 = port_of(l6);
	/* UDP: a connected IPv4 pair, a bound IPv6 one */
	u4a = socket(AF_INET, SOCK_DGRAM, 0);
	u4b = socket(AF_INET, SOCK_DGRAM, 0);
	l = lo(AF_INET, &ss, 0);
	if (bind(u4a, (struct sockaddr *)&ss, l) || bind(u4b, (struct sockaddr *)&ss, l))
		feat_die("udp bind");
	pa = port_of(u4a);
	pb = port_of(u4b);
	l = lo(AF_INET, &ss, pb);
	if (connect(u4a, (struct sockaddr *)&ss, l))
		feat_die("udp connect");
	u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	seti(u6, SOL_SOCKET, SO_REUSEADDR, 1);
	l = lo(AF_INET6, &ss, 0);
	if (bind(u6, (struct sockaddr *)&ss, l))
		feat_die("udp6 bind");
	pu6 = port_of(u6);
	tcp_unb = socket(AF_INET6, SOCK_STREAM, 0);
	udp_unb = socket(AF_INET, SOCK_DGRAM, 0);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(port_of(l4) == p4, "l4 port %d, was %d", port_of(l4), p4);
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_ACCEPTCONN) == 1, "l4 not listening");
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_REUSEADDR) == 1, "l4 SO_REUSEADDR %d",
		   geti(l4, SOL_SOCKET, SO_REUSEADDR));
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_REUSEPORT) == 1, "l4 SO_REUSEPORT");
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_KEEPALIVE) == 1, "l4 SO_KEEPALIVE");
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_SNDBUF) == 131072, "l4 SO_SNDBUF %d",
		   geti(l4, SOL_SOCKET, SO_SNDBUF));
	FEAT_CHECK(geti(l4, SOL_SOCKET, SO_RCVBUF) == 65536, "l4 SO_RCVBUF %d",
		   geti(l4, SOL_SOCKET, SO_RCVBUF));
	l = sizeof(lg2);
	memset(&lg2, 0, sizeof(lg2));
	getsockopt(l4, SOL_SOCKET, SO_LINGER, &lg2, &l);
	FEAT_CHECK(lg2.l_onoff == 1 && lg2.l_linger == 7, "l4 SO_LINGER %d/%d", lg2.l_onoff, lg2.l_linger);
	FEAT_CHECK(geti(l4, SOL_TCP, TCP_NODELAY) == 1, "l4 TCP_NODELAY");
	FEAT_CHECK(geti(l4, SOL_TCP, TCP_CORK) == 1, "l4 TCP_CORK");
	FEAT_CHECK(geti(l4, SOL_TCP, TCP_KEEPIDLE) == 123, "l4 TCP_KEEPIDLE %d",
		   geti(l4, SOL_TCP, TCP_KEEPIDLE));
	FEAT_CHECK(fcntl(l4, F_GETFL) & O_NONBLOCK, "l4 lost O_NONBLOCK");
	FEAT_CHECK(port_of(l6) == p6, "l6 port %d, was %d", port_of(l6), p6);
	FEAT_CHECK(geti(l6, SOL_IPV6, IPV6_V6ONLY) == 1, "l6 IPV6_V6ONLY");
	FEAT_CHECK(geti(l6, SOL_SOCKET, SO_REUSEADDR) == 0, "l6 SO_REUSEADDR set");
	FEAT_CHECK(!(fcntl(l6, F_GETFL) & O_NONBLOCK), "l6 got O_NONBLOCK");
	for (int i = 0; i < 2; i++) {
		int lsk = i ? l6 : l4, c = socket(i ? AF_INET6 : AF_INET, SOCK_STREAM, 0), a;

		l = lo(i ? AF_INET6 : AF_INET, &ss, i ? p6 : p4);
		FEAT_CHECK(connect(c, (struct sockaddr *)&ss, l) == 0, "connect to listener %d: %s", i,
			   strerror(errno));
		usleep(20000);
		a = accept(lsk, NULL, NULL);
		FEAT_CHECK(a >= 0, "accept on listener %d: %s", i, strerror(errno));
		close(a);
		close(c);
	}
	FEAT_CHECK(port_of(u4a) == pa && port_of(u4b) == pb, "udp ports %d %d, were %d %d", port_of(u4a),
		   port_of(u4b), pa, pb);
	FEAT_CHECK(send(u4a, "ping", 4, 0) == 4, "udp send on the connected socket: %s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(recv(u4b, buf, sizeof(buf), MSG_DONTWAIT) == 4 && !strcmp(buf, "ping"), "udp recv '%s'",
		   buf);
	l = sizeof(ss);
	FEAT_CHECK(getpeername(u4a, (struct sockaddr *)&ss, &l) == 0 &&
			   ntohs(((struct sockaddr_in *)&ss)->sin_port) == pb,
		   "udp peer lost");
	FEAT_CHECK(port_of(u6) == pu6, "udp6 port %d, was %d", port_of(u6), pu6);
	FEAT_CHECK(geti(u6, SOL_SOCKET, SO_REUSEADDR) == 1, "udp6 SO_REUSEADDR");
	FEAT_CHECK(port_of(tcp_unb) == 0 && geti(tcp_unb, SOL_SOCKET, SO_DOMAIN) == AF_INET6,
		   "unbound tcp6 socket");
	FEAT_CHECK(port_of(udp_unb) == 0 && geti(udp_unb, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM,
		   "unbound udp socket");
	return feat_done();
}
