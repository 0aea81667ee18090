/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sockets bound to addresses no interface has, through IP_FREEBIND (a UDP
 * socket on 192.0.2.77) and IPV6_FREEBIND (a TCP listener on 2001:db8::77):
 * after restore they are bound there again and keep the flag. A third
 * (UDP on 192.0.2.78) was bound under IP_FREEBIND that was then turned off:
 * it is bound there again, with the flag off.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "feature.h"

static int flag(int sk)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(sk, SOL_IP, IP_FREEBIND, &v, &l);
	return v;
}

static int bound_to(int sk, int af, const char *want, int port)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	char a[INET6_ADDRSTRLEN] = "";

	if (getsockname(sk, (struct sockaddr *)&ss, &l) || ss.ss_family != af)
		return 0;
	if (af == AF_INET)
		inet_ntop(af, &((struct sockaddr_in *)&ss)->sin_addr, a, sizeof(a));
	else
		inet_ntop(af, &((struct sockaddr_in6 *)&ss)->sin6_addr, a, sizeof(a));
	return !strcmp(a, want) && ntohs(((struct sockaddr_in *)&ss)->sin_port) == port;
}

int main(int argc, char **argv)
{
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(40177)};
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(40178)};
	struct sockaddr_in s4off = {.sin_family = AF_INET, .sin_port = htons(40179)};
	int u, t, off, one = 1, zero = 0;

	feat_init(argc, argv);
	inet_pton(AF_INET, "192.0.2.77", &s4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::77", &s6.sin6_addr);
	u = socket(AF_INET, SOCK_DGRAM, 0);
	t = socket(AF_INET6, SOCK_STREAM, 0);
	if (u < 0 || t < 0 || setsockopt(u, SOL_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    setsockopt(t, SOL_IPV6, IPV6_FREEBIND, &one, sizeof(one)))
		feat_die("IP_FREEBIND");
	if (bind(u, (struct sockaddr *)&s4, sizeof(s4)) || bind(t, (struct sockaddr *)&s6, sizeof(s6)) ||
	    listen(t, 4))
		feat_die("bind to an address of no interface");
	inet_pton(AF_INET, "192.0.2.78", &s4off.sin_addr);
	off = socket(AF_INET, SOCK_DGRAM, 0);
	if (off < 0 || setsockopt(off, SOL_IP, IP_FREEBIND, &one, sizeof(one)) ||
	    bind(off, (struct sockaddr *)&s4off, sizeof(s4off)) ||
	    setsockopt(off, SOL_IP, IP_FREEBIND, &zero, sizeof(zero)))
		feat_die("bind, then IP_FREEBIND off");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(bound_to(u, AF_INET, "192.0.2.77", 40177), "the UDP socket is not bound to 192.0.2.77:40177");
	FEAT_CHECK(bound_to(t, AF_INET6, "2001:db8::77", 40178), "the listener is not bound to [2001:db8::77]:40178");
	FEAT_CHECK(flag(u) == 1, "the UDP socket's IP_FREEBIND is %d", flag(u));
	FEAT_CHECK(flag(t) == 1, "the listener's IPV6_FREEBIND is %d", flag(t));
	FEAT_CHECK(bound_to(off, AF_INET, "192.0.2.78", 40179), "the third socket is not bound to 192.0.2.78:40179");
	FEAT_CHECK(flag(off) == 0, "the third socket's IP_FREEBIND is %d, it was turned off", flag(off));
	return feat_done();
}
