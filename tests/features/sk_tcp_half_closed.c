/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Half-closed TCP connections over IPv4 and IPv6 loopback, both ends in the
 * tree, kept with --tcp-established:
 *   shut:    a shut its write side, b did not read: FIN_WAIT2 / CLOSE_WAIT,
 *            unread data both ways and b's EOF behind its data;
 *   eof:     the same, b read the data and the EOF;
 *   fw1:     p filled q's window, then shut: FIN_WAIT1 (the FIN waits behind
 *            data never sent) / ESTABLISHED;
 *   closing: the same, then q shut too: CLOSING / FIN_WAIT2;
 *   lastack: q shut, then p filled q's window and shut: LAST_ACK / FIN_WAIT2.
 * With nft, the program has a net namespace of its own and an nft rule drops
 * the packets of one direction, so that FINs were sent but never
 * acknowledged:
 *   unacked: q -> p dropped; p wrote and shut, q wrote and shut:
 *            FIN_WAIT1 / LAST_ACK, both FINs and q's data in flight;
 *   crossed: p -> q dropped; p shut, then q: CLOSING / FIN_WAIT1.
 * After restore: each state (TCP_INFO), every byte once and in order, end of
 * file exactly where a FIN was received, EPIPE where ours was sent, and the
 * open direction still carries data; with the rules gone, the connections
 * that were held back end.
 */
// criu-opts: --tcp-established
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "feature.h"

enum { FIN_WAIT1 = 4, FIN_WAIT2 = 5, CLOSE_WAIT = 8, LAST_ACK = 9, CLOSING = 11 };

struct pair {
	const char *name;
	int af, p, q;
	size_t bulk; /* p -> q, q read none */
};

static unsigned char pat(size_t i)
{
	return (unsigned char)(i * 13 + i / 509);
}

static int tcp_state(int sk)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0 ? -1 : ti.tcpi_state;
}

static void wait_state(int sk, int want, const char *what)
{
	for (int i = 0; i < 400 && tcp_state(sk) != want; i++)
		usleep(5000);
	if (tcp_state(sk) != want) {
		errno = EPROTO;
		feat_die(what);
	}
}

static void connect_pair(struct pair *c, int af, const char *name)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int l = socket(af, SOCK_STREAM, 0), small = 262144;

	c->name = name;
	c->af = af;
	ss.ss_family = (sa_family_t)af;
	if (af == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		feat_die("listener");
	c->p = socket(af, SOCK_STREAM, 0);
	/* small buffers: a full window is a few hundred kilobytes at most */
	setsockopt(c->p, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	if (c->p < 0 || connect(c->p, (struct sockaddr *)&ss, len))
		feat_die("connect");
	c->q = accept(l, NULL, NULL);
	if (c->q < 0)
		feat_die("accept");
	setsockopt(c->q, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	close(l);
}

/* p -> q until p's queue is full too: the rest of p's data is never sent. */
static void fill(struct pair *c)
{
	unsigned char buf[4096];
	int idle = 0;

	c->bulk = 0;
	while (idle < 20) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pat(c->bulk + i);
		ssize_t n = send(c->p, buf, sizeof(buf), MSG_DONTWAIT);

		if (n > 0) {
			c->bulk += (size_t)n;
			idle = 0;
		} else {
			usleep(5000);
			idle++;
		}
	}
}

static void setup(struct pair *c, int af, const char *name)
{
	char buf[16];
	int want;

	connect_pair(c, af, name);
	if (!strcmp(name, "shut") || !strcmp(name, "eof")) {
		if (write(c->q, "to-p", 4) != 4 || write(c->p, "to-q", 4) != 4 || shutdown(c->p, SHUT_WR))
			feat_die("write, shutdown");
		wait_state(c->p, FIN_WAIT2, "FIN_WAIT2");
		wait_state(c->q, CLOSE_WAIT, "CLOSE_WAIT");
		if (!strcmp(name, "eof") &&
		    (read(c->q, buf, sizeof(buf)) != 4 || read(c->q, buf, sizeof(buf)) != 0))
			feat_die("reading to the EOF");
		return;
	}
	if (!strcmp(name, "lastack")) {
		shutdown(c->q, SHUT_WR);
		wait_state(c->p, CLOSE_WAIT, "CLOSE_WAIT");
	}
	fill(c);
	shutdown(c->p, SHUT_WR);
	if (!strcmp(name, "closing"))
		shutdown(c->q, SHUT_WR);
	want = !strcmp(name, "fw1") ? FIN_WAIT1 : LAST_ACK;
	wait_state(c->p, !strcmp(name, "closing") ? CLOSING : want, name);
	wait_state(c->q, !strcmp(name, "fw1") ? TCP_ESTABLISHED : FIN_WAIT2, name);
}

/* Reads len bytes or up to an EOF; returns how many. */
static size_t read_all(int sk, unsigned char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = {.fd = sk, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(sk, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

static bool at_eof(int sk)
{
	struct pollfd p = {.fd = sk, .events = POLLIN};
	char c;

	return poll(&p, 1, 5000) == 1 && read(sk, &c, 1) == 0;
}

static bool write_epipe(int sk)
{
	return send(sk, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EPIPE;
}

/* p -> q (dir 0) or q -> p (dir 1) is dropped from now on. */
static void drop_dir(const struct pair *c, int dir)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char cmd[256];

	getsockname(c->q, (struct sockaddr *)&ss, &len);
	snprintf(cmd, sizeof(cmd), "nft add rule inet half out tcp %s %u drop", dir ? "sport" : "dport",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	if (system(cmd) != 0)
		feat_die(cmd);
}

static void setup_held(struct pair *c, int af, const char *name)
{
	connect_pair(c, af, name);
	if (!strcmp(name, "unacked")) {
		drop_dir(c, 1);
		if (write(c->p, "to-q", 4) != 4 || shutdown(c->p, SHUT_WR))
			feat_die("write, shutdown");
		wait_state(c->q, CLOSE_WAIT, "CLOSE_WAIT");
		if (write(c->q, "to-p", 4) != 4 || shutdown(c->q, SHUT_WR))
			feat_die("write, shutdown");
		wait_state(c->q, LAST_ACK, "LAST_ACK");
		wait_state(c->p, FIN_WAIT1, "FIN_WAIT1");
		return;
	}
	drop_dir(c, 0);
	shutdown(c->p, SHUT_WR);
	shutdown(c->q, SHUT_WR);
	wait_state(c->p, CLOSING, "CLOSING");
	wait_state(c->q, FIN_WAIT1, "FIN_WAIT1");
}

/* Reads exactly what, then the EOF, waiting up to ten seconds for retransmissions. */
static bool reads_then_eof(int sk, const char *what)
{
	char buf[16] = {0};
	size_t n = strlen(what);
	struct pollfd p = {.fd = sk, .events = POLLIN};

	if (n &&
	    (poll(&p, 1, 10000) != 1 || read_all(sk, (unsigned char *)buf, n) != n || memcmp(buf, what, n)))
		return false;
	return poll(&p, 1, 10000) == 1 && read(sk, buf, 1) == 0;
}

static void check_held(const struct pair *c)
{
	int sp = tcp_state(c->p), sq = tcp_state(c->q), af = c->af;
	const char *n = c->name;
	bool unacked = !strcmp(n, "unacked");

	FEAT_CHECK(sp == (unacked ? FIN_WAIT1 : CLOSING) && sq == (unacked ? LAST_ACK : FIN_WAIT1),
		   "%s/%d: states %d %d", n, af, sp, sq);
	FEAT_CHECK(write_epipe(c->p), "%s/%d: p's write: %s, not EPIPE", n, af, strerror(errno));
	FEAT_CHECK(write_epipe(c->q), "%s/%d: q's write: %s, not EPIPE", n, af, strerror(errno));
	FEAT_CHECK(reads_then_eof(unacked ? c->q : c->p, unacked ? "to-q" : ""),
		   "%s/%d: no data and EOF on %s", n, af, unacked ? "q" : "p");
}

/* Once the rules are gone: what was held back arrives. */
static void check_released(const struct pair *c)
{
	bool unacked = !strcmp(c->name, "unacked");

	FEAT_CHECK(reads_then_eof(unacked ? c->p : c->q, unacked ? "to-p" : ""),
		   "%s/%d: no data and EOF on %s", c->name, c->af, unacked ? "p" : "q");
}

static void check_shut(const struct pair *c, bool eof_read)
{
	unsigned char buf[16] = {0};
	const char *n = c->name;
	int af = c->af;

	FEAT_CHECK(tcp_state(c->p) == FIN_WAIT2, "%s/%d: p in state %d", n, af, tcp_state(c->p));
	FEAT_CHECK(tcp_state(c->q) == CLOSE_WAIT, "%s/%d: q in state %d", n, af, tcp_state(c->q));
	if (!eof_read)
		FEAT_CHECK(read_all(c->q, buf, 4) == 4 && !memcmp(buf, "to-q", 4), "%s/%d: q read '%s'", n,
			   af, buf);
	FEAT_CHECK(at_eof(c->q), "%s/%d: q reads no EOF", n, af);
	FEAT_CHECK(read_all(c->p, buf, 4) == 4 && !memcmp(buf, "to-p", 4), "%s/%d: p read '%s'", n, af, buf);
	FEAT_CHECK(write_epipe(c->p), "%s/%d: p's write: %s, not EPIPE", n, af, strerror(errno));
	FEAT_CHECK(write(c->q, "more", 4) == 4, "%s/%d: q write: %s", n, af, strerror(errno));
	FEAT_CHECK(read_all(c->p, buf, 4) == 4 && !memcmp(buf, "more", 4), "%s/%d: p read2 '%s'", n, af, buf);
	shutdown(c->q, SHUT_WR);
	FEAT_CHECK(at_eof(c->p), "%s/%d: p reads no EOF after q's shutdown", n, af);
}

static void check_bulk(const struct pair *c)
{
	unsigned char *all = malloc(c->bulk + 1);
	int sp = tcp_state(c->p), sq = tcp_state(c->q);
	const char *n = c->name;
	size_t got;

	if (!strcmp(n, "fw1")) {
		FEAT_CHECK(sp == FIN_WAIT1 && sq == TCP_ESTABLISHED, "%s/%d: states %d %d", n, c->af, sp, sq);
	} else {
		FEAT_CHECK(sp == (!strcmp(n, "closing") ? CLOSING : LAST_ACK) && sq == FIN_WAIT2,
			   "%s/%d: states %d %d", n, c->af, sp, sq);
		FEAT_CHECK(at_eof(c->p), "%s/%d: p reads no EOF", n, c->af);
	}
	FEAT_CHECK(write_epipe(c->p), "%s/%d: p's write: %s, not EPIPE", n, c->af, strerror(errno));
	got = read_all(c->q, all, c->bulk);
	FEAT_CHECK(got == c->bulk, "%s/%d: q got %zu of %zu bytes", n, c->af, got, c->bulk);
	for (size_t i = 0; i < got; i++)
		if (all[i] != pat(i)) {
			feat_fail("%s/%d: byte %zu differs", n, c->af, i);
			break;
		}
	FEAT_CHECK(at_eof(c->q), "%s/%d: q reads no EOF after the data", n, c->af);
	if (!strcmp(n, "fw1")) {
		FEAT_CHECK(write(c->q, "back", 4) == 4, "%s/%d: q write: %s", n, c->af, strerror(errno));
		FEAT_CHECK(read_all(c->p, all, 4) == 4 && !memcmp(all, "back", 4), "%s/%d: p read", n, c->af);
	}
	free(all);
}

int main(int argc, char **argv)
{
	static const char *const names[] = {"shut", "eof", "fw1", "closing", "lastack"};
	struct pair c[2][5], h[2][2];
	bool held = system("ip -V >/dev/null 2>&1 && nft -v >/dev/null 2>&1") == 0;

	feat_init(argc, argv);
	if (held) {
		if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0 ||
		    system("nft add table inet half && nft add chain inet half out "
			   "'{ type filter hook output priority 0; }'") != 0)
			feat_die("a net namespace with an nft table");
	} else {
		printf("no ip or nft: FINs never acknowledged are not tried\n");
	}
	for (int f = 0; f < 2; f++) {
		for (int i = 0; i < 5; i++)
			setup(&c[f][i], f ? AF_INET6 : AF_INET, names[i]);
		for (int i = 0; held && i < 2; i++)
			setup_held(&h[f][i], f ? AF_INET6 : AF_INET, i ? "crossed" : "unacked");
	}
	feat_ready();
	feat_wait_go();
	for (int f = 0; f < 2; f++) {
		check_shut(&c[f][0], false);
		check_shut(&c[f][1], true);
		for (int i = 2; i < 5; i++)
			check_bulk(&c[f][i]);
		for (int i = 0; held && i < 2; i++)
			check_held(&h[f][i]);
	}
	if (held) {
		FEAT_CHECK(system("nft delete table inet half") == 0, "cannot delete the nft table");
		for (int f = 0; f < 2; f++)
			for (int i = 0; i < 2; i++)
				check_released(&h[f][i]);
	}
	return feat_done();
}
