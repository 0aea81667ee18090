/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ICMP echo ("ping") sockets and UDP-Lite: an IPv4 ping socket bound to
 * identifier 4242 and an unbound IPv6 one; a UDP-Lite receiver bound on
 * loopback and a connected sender, with checksum coverage set on both.
 * After restore: the same kinds, identifier and options, an echo request
 * gets its reply, and a UDP-Lite datagram goes through. The program opens
 * net.ipv4.ping_group_range to group 0 while it runs and puts it back.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>

#include "feature.h"

#ifndef SOL_UDPLITE
#define SOL_UDPLITE 136
#endif
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11

static char old_range[64];

static void set_range(const char *v)
{
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_RDWR);

	if (fd < 0)
		feat_die("ping_group_range");
	if (!old_range[0] && read(fd, old_range, sizeof(old_range) - 1) < 0)
		feat_die("read ping_group_range");
	if (pwrite(fd, v, strlen(v), 0) < 0)
		feat_die("write ping_group_range");
	close(fd);
}

static int geti(int sk, int lvl, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(sk, lvl, opt, &v, &l);
	return v;
}

static int echo(int sk)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct icmphdr h = {.type = ICMP_ECHO};
	char buf[256];

	h.un.echo.sequence = htons(7);
	if (sendto(sk, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to)) != sizeof(h))
		return -1;
	if (recv(sk, buf, sizeof(buf), 0) < (ssize_t)sizeof(h))
		return -1;
	return ((struct icmphdr *)buf)->type == ICMP_ECHOREPLY ? ntohs(((struct icmphdr *)buf)->un.echo.id) : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in p4 = {.sin_family = AF_INET, .sin_port = htons(4242), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in u = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, got;
	struct timeval tv = {2, 0};
	socklen_t l = sizeof(u);
	int ping4, ping6, ur, us, cov = 20;
	char buf[64];

	feat_init(argc, argv);
	set_range("0 0");
	ping4 = socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	ping6 = socket(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (ping4 < 0 || ping6 < 0 || bind(ping4, (struct sockaddr *)&p4, sizeof(p4)) ||
	    setsockopt(ping4, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		feat_die("ping sockets");
	ur = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	us = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	if (ur < 0 || us < 0 || bind(ur, (struct sockaddr *)&u, l) || getsockname(ur, (struct sockaddr *)&u, &l) ||
	    connect(us, (struct sockaddr *)&u, l) || setsockopt(us, SOL_UDPLITE, UDPLITE_SEND_CSCOV, &cov, sizeof(cov)) ||
	    setsockopt(ur, SOL_UDPLITE, UDPLITE_RECV_CSCOV, &cov, sizeof(cov)))
		feat_die("UDP-Lite sockets");

	feat_ready();
	feat_wait_go();

	l = sizeof(got);
	FEAT_CHECK(getsockname(ping4, (struct sockaddr *)&got, &l) == 0 && ntohs(got.sin_port) == 4242,
		   "the ping socket's identifier is %u, not 4242", ntohs(got.sin_port));
	FEAT_CHECK(geti(ping4, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMP && geti(ping6, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_ICMPV6,
		   "ping socket protocols %d %d", geti(ping4, SOL_SOCKET, SO_PROTOCOL), geti(ping6, SOL_SOCKET, SO_PROTOCOL));
	FEAT_CHECK(echo(ping4) == 4242, "no echo reply with identifier 4242");
	FEAT_CHECK(geti(us, SOL_UDPLITE, UDPLITE_SEND_CSCOV) == 20 && geti(ur, SOL_UDPLITE, UDPLITE_RECV_CSCOV) == 20,
		   "UDP-Lite coverage %d/%d, not 20", geti(us, SOL_UDPLITE, UDPLITE_SEND_CSCOV),
		   geti(ur, SOL_UDPLITE, UDPLITE_RECV_CSCOV));
	FEAT_CHECK(geti(ur, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDPLITE, "the receiver is not UDP-Lite");
	FEAT_CHECK(send(us, "lite", 4, 0) == 4 && recv(ur, buf, sizeof(buf), MSG_DONTWAIT) == 4, "a UDP-Lite datagram was lost");
	set_range(old_range);
	return feat_done();
}
