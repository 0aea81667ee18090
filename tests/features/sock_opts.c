/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Socket options that a new socket would not have: a classic BPF filter
 * (SO_ATTACH_FILTER) locked with SO_LOCK_FILTER on a unix datagram socket
 * with a datagram queued, SO_RCVLOWAT, SO_RCVTIMEO/SO_SNDTIMEO, SO_PASSSEC
 * on unix sockets; SO_DONTROUTE, SO_OOBINLINE and a filter on TCP;
 * SO_NO_CHECK on UDP. After restore: the same values, and they act (the
 * filter drops what it dropped, the lock holds, the low-water mark waits).
 */
// criu-opts: --tcp-established
#include <arpa/inet.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "feature.h"

/* accepts a datagram whose first byte is 'A', drops every other one */
static struct sock_filter accept_a[] = {
	{BPF_LD | BPF_B | BPF_ABS, 0, 0, 0},
	{BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 'A'},
	{BPF_RET | BPF_K, 0, 0, 0xffff},
	{BPF_RET | BPF_K, 0, 0, 0},
};

/* accepts every packet whole: for TCP, whose segments must all pass */
static struct sock_filter accept_all[] = {
	{BPF_LD | BPF_W | BPF_LEN, 0, 0, 0},
	{BPF_RET | BPF_A, 0, 0, 0},
};

#define PROG(f) (struct sock_fprog){.len = sizeof(f) / sizeof(f[0]), .filter = f}

static int geti(int sk, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	if (getsockopt(sk, SOL_SOCKET, opt, &v, &l))
		return -errno;
	return v;
}

static void seti(int sk, int opt, int v, const char *what)
{
	if (setsockopt(sk, SOL_SOCKET, opt, &v, sizeof(v)))
		feat_die(what);
}

static long timeo_ms(int sk, int opt)
{
	struct timeval tv = {0};
	socklen_t l = sizeof(tv);

	if (getsockopt(sk, SOL_SOCKET, opt, &tv, &l))
		return -1;
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void set_timeo(int sk, int opt, long ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	if (setsockopt(sk, SOL_SOCKET, opt, &tv, sizeof(tv)))
		feat_die("SO_*TIMEO");
}

static void attach(int sk, struct sock_fprog p, int lock)
{
	if (setsockopt(sk, SOL_SOCKET, SO_ATTACH_FILTER, &p, sizeof(p)))
		feat_die("SO_ATTACH_FILTER");
	if (lock)
		seti(sk, SO_LOCK_FILTER, 1, "SO_LOCK_FILTER");
}

/* the filter read back is p, instruction by instruction */
static int same_filter(int sk, struct sock_fprog p)
{
	struct sock_filter f[8];
	socklen_t n = 8;

	if (getsockopt(sk, SOL_SOCKET, SO_GET_FILTER, f, &n) || n != p.len)
		return 0;
	return !memcmp(f, p.filter, p.len * sizeof(*f));
}

static void check_unix(int rx, int tx)
{
	int zero = 0;
	char buf[8] = {0};
	ssize_t n;

	FEAT_CHECK(same_filter(rx, PROG(accept_a)), "unix socket: its filter is not the one attached");
	FEAT_CHECK(geti(rx, SO_LOCK_FILTER) == 1, "unix socket: SO_LOCK_FILTER is %d", geti(rx, SO_LOCK_FILTER));
	FEAT_CHECK(setsockopt(rx, SOL_SOCKET, SO_DETACH_FILTER, &zero, sizeof(zero)) < 0 && errno == EPERM,
		   "unix socket: a locked filter could be detached (%s)", strerror(errno));
	FEAT_CHECK(geti(rx, SO_PASSSEC) == 1, "unix socket: SO_PASSSEC is %d", geti(rx, SO_PASSSEC));
	FEAT_CHECK(timeo_ms(rx, SO_RCVTIMEO) == 1500, "SO_RCVTIMEO is %ld ms, not 1500", timeo_ms(rx, SO_RCVTIMEO));
	FEAT_CHECK(timeo_ms(tx, SO_SNDTIMEO) == 2000, "SO_SNDTIMEO is %ld ms, not 2000", timeo_ms(tx, SO_SNDTIMEO));
	/* the datagram queued at dump is there; the filter still drops 'B' and lets 'A' through */
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	FEAT_CHECK(n == 2 && !memcmp(buf, "A1", 2), "the queued datagram: %zd bytes '%s', expected 'A1'", n, buf);
	if (send(tx, "B2", 2, 0) != 2 || send(tx, "A3", 2, 0) != 2)
		feat_fail("send after restore: %s", strerror(errno));
	n = recv(rx, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	FEAT_CHECK(n == 2 && !memcmp(buf, "A3", 2), "after restore got %zd bytes '%.2s', the filter should drop B2",
		   n, buf);
}

static int readable(int sk)
{
	struct pollfd p = {.fd = sk, .events = POLLIN};

	return poll(&p, 1, 200);
}

static void check_tcp(int srv, int cli, int udp)
{
	char buf[8] = {0};
	ssize_t n;

	FEAT_CHECK(geti(srv, SO_RCVLOWAT) == 4, "TCP: SO_RCVLOWAT is %d, not 4", geti(srv, SO_RCVLOWAT));
	FEAT_CHECK(geti(cli, SO_DONTROUTE) == 1, "TCP: SO_DONTROUTE is %d", geti(cli, SO_DONTROUTE));
	FEAT_CHECK(geti(srv, SO_OOBINLINE) == 1, "TCP: SO_OOBINLINE is %d", geti(srv, SO_OOBINLINE));
	FEAT_CHECK(same_filter(srv, PROG(accept_all)), "TCP: its filter is not the one attached");
	FEAT_CHECK(geti(udp, SO_NO_CHECK) == 1, "UDP: SO_NO_CHECK is %d", geti(udp, SO_NO_CHECK));
	/* the low-water mark acts: 2 bytes do not make the reader readable, 4 do */
	if (send(cli, "xy", 2, 0) != 2)
		feat_fail("send: %s", strerror(errno));
	FEAT_CHECK(readable(srv) == 0, "TCP: 2 bytes made it readable despite SO_RCVLOWAT 4");
	if (send(cli, "zw", 2, 0) != 2)
		feat_fail("send: %s", strerror(errno));
	FEAT_CHECK(readable(srv) == 1, "TCP: 4 bytes did not make it readable");
	n = recv(srv, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	FEAT_CHECK(n == 4 && !memcmp(buf, "xyzw", 4), "TCP: read %zd bytes '%s', expected 'xyzw'", n, buf);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(sa);
	int u[2], lsk, cli, srv, udp;

	feat_init(argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, u))
		feat_die("socketpair");
	seti(u[0], SO_PASSSEC, 1, "SO_PASSSEC");
	set_timeo(u[0], SO_RCVTIMEO, 1500);
	set_timeo(u[1], SO_SNDTIMEO, 2000);
	attach(u[0], PROG(accept_a), 1);
	if (send(u[1], "A1", 2, 0) != 2 || send(u[1], "B1", 2, 0) != 2)
		feat_die("send before dump");

	lsk = socket(AF_INET, SOCK_STREAM, 0);
	cli = socket(AF_INET, SOCK_STREAM, 0);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	if (lsk < 0 || cli < 0 || udp < 0 || bind(lsk, (struct sockaddr *)&sa, l) || listen(lsk, 1) ||
	    getsockname(lsk, (struct sockaddr *)&sa, &l) || connect(cli, (struct sockaddr *)&sa, l))
		feat_die("tcp");
	srv = accept(lsk, NULL, NULL);
	if (srv < 0)
		feat_die("accept");
	close(lsk);
	seti(srv, SO_RCVLOWAT, 4, "SO_RCVLOWAT");
	seti(srv, SO_OOBINLINE, 1, "SO_OOBINLINE");
	seti(cli, SO_DONTROUTE, 1, "SO_DONTROUTE");
	seti(udp, SO_NO_CHECK, 1, "SO_NO_CHECK");
	attach(srv, PROG(accept_all), 0);

	feat_ready();
	feat_wait_go();

	check_unix(u[0], u[1]);
	check_tcp(srv, cli, udp);
	return feat_done();
}
