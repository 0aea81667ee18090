/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw inet sockets and IP-level options: a raw IPv4 socket of protocol UDP
 * bound to 127.0.0.1 with IP_PKTINFO, IP_TTL 32 and IP_TOS; a raw IPv6 one
 * bound to ::1 with IPV6_RECVPKTINFO, IPV6_TCLASS and IPV6_FREEBIND, a raw IPv4 ICMP one
 * connected to 127.0.0.2 (getpeername does not show it); a UDP socket with
 * IP_TTL 7. After restore: the same kinds, binding, peer and options, and
 * the raw socket still sees a UDP datagram sent to loopback.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
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

int main(int argc, char **argv)
{
	struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, got;
	struct sockaddr_in6 lo6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT}, got6;
	struct sockaddr_in to = lo;
	socklen_t l;
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000002)};
	int r4, r6, rc, u, s;
	char buf[256];

	feat_init(argc, argv);
	r4 = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	r6 = socket(AF_INET6, SOCK_RAW, IPPROTO_UDP);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	rc = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (rc < 0 || connect(rc, (struct sockaddr *)&peer, sizeof(peer)))
		feat_die("connected raw socket");
	if (r4 < 0 || r6 < 0 || u < 0 || bind(r4, (struct sockaddr *)&lo, sizeof(lo)) ||
	    bind(r6, (struct sockaddr *)&lo6, sizeof(lo6)))
		feat_die("raw sockets");
	seti(r4, SOL_IP, IP_PKTINFO, 1);
	seti(r4, SOL_IP, IP_TTL, 32);
	seti(r4, SOL_IP, IP_TOS, IPTOS_THROUGHPUT);
	seti(r6, SOL_IPV6, IPV6_RECVPKTINFO, 1);
	seti(r6, SOL_IPV6, IPV6_TCLASS, 0x20);
	seti(u, SOL_IP, IP_TTL, 7);
	seti(r6, SOL_IPV6, IPV6_FREEBIND, 1);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(geti(r4, SOL_SOCKET, SO_TYPE) == SOCK_RAW && geti(r4, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_UDP,
		   "raw IPv4 socket: type %d protocol %d", geti(r4, SOL_SOCKET, SO_TYPE), geti(r4, SOL_SOCKET, SO_PROTOCOL));
	l = sizeof(got);
	FEAT_CHECK(getsockname(r4, (struct sockaddr *)&got, &l) == 0 && got.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
		   "raw IPv4 socket is not bound to 127.0.0.1");
	l = sizeof(got6);
	FEAT_CHECK(getsockname(r6, (struct sockaddr *)&got6, &l) == 0 && IN6_IS_ADDR_LOOPBACK(&got6.sin6_addr),
		   "raw IPv6 socket is not bound to ::1");
	FEAT_CHECK(geti(r4, SOL_IP, IP_PKTINFO) == 1, "IP_PKTINFO %d", geti(r4, SOL_IP, IP_PKTINFO));
	FEAT_CHECK(geti(r4, SOL_IP, IP_TTL) == 32, "IP_TTL %d, not 32", geti(r4, SOL_IP, IP_TTL));
	FEAT_CHECK(geti(r4, SOL_IP, IP_TOS) == IPTOS_THROUGHPUT, "IP_TOS %#x", geti(r4, SOL_IP, IP_TOS));
	FEAT_CHECK(geti(r6, SOL_IPV6, IPV6_RECVPKTINFO) == 1, "IPV6_RECVPKTINFO %d", geti(r6, SOL_IPV6, IPV6_RECVPKTINFO));
	FEAT_CHECK(geti(r6, SOL_IPV6, IPV6_TCLASS) == 0x20, "IPV6_TCLASS %#x", geti(r6, SOL_IPV6, IPV6_TCLASS));
	FEAT_CHECK(geti(u, SOL_IP, IP_TTL) == 7, "UDP IP_TTL %d, not 7", geti(u, SOL_IP, IP_TTL));
	FEAT_CHECK(geti(r6, SOL_IPV6, IPV6_FREEBIND) == 1, "raw IPv6 socket: IPV6_FREEBIND %d",
		   geti(r6, SOL_IPV6, IPV6_FREEBIND));
	/* connected: a send without an address goes to its peer (EDESTADDRREQ when not connected) */
	{
		unsigned char echo[8] = {8, 0, 0, 0, 0, 1, 0, 1}; /* ICMP echo request, checksum below */
		unsigned int sum = 0;

		for (int i = 0; i < 8; i += 2)
			sum += (unsigned int)(echo[i] << 8 | echo[i + 1]);
		sum = ~((sum & 0xffff) + (sum >> 16)) & 0xffff;
		echo[2] = (unsigned char)(sum >> 8), echo[3] = (unsigned char)sum;
		FEAT_CHECK(send(rc, echo, sizeof(echo), 0) == sizeof(echo), "the connected raw socket cannot send: %s",
			   strerror(errno));
	}
	/* the raw socket sees a UDP datagram to loopback (an IP header, then UDP) */
	s = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_port = htons(40999);
	if (sendto(s, "rawcheck", 8, 0, (struct sockaddr *)&to, sizeof(to)) != 8)
		feat_fail("sendto: %s", strerror(errno));
	usleep(50000);
	{
		ssize_t n;
		int seen = 0;

		while ((n = recv(r4, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if (n >= 28 + 8 && !memcmp(buf + 28, "rawcheck", 8))
				seen = 1;
		FEAT_CHECK(seen, "the raw socket did not see the datagram");
	}
	return feat_done();
}
