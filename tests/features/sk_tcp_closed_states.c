/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP sockets in the states around a connection's end, over IPv4 and IPv6
 * loopback, both ends in the tree, kept with --tcp-established:
 *   ended:    a shut its write side, c got a's data and FIN and shut too:
 *             both TCP_CLOSE (unhashed), c with a's data still unread;
 *   resetted: c got a's data, then a reset (a closed with SO_LINGER 0); c
 *             took the error (SO_ERROR) but not the data;
 * and, in a net namespace of its own with iptables:
 *   lastack:  c shut, then a rule dropped c's packets to a's port, then a
 *             shut: a in LAST_ACK (its FIN never acknowledged), c ended;
 *   synsent:  a rule drops SYNs to a listener's port: a non-blocking
 *             connect() stays in SYN_SENT;
 *   peergone: c wrote to a; a rule answers packets to a's port with a
 *             reset; a wrote to c, whose ACK drew the reset: c ended (it
 *             took the error), a is ESTABLISHED with c's data unread and
 *             its own unacknowledged (its peer's resets are rejected too).
 * After restore: the TCP state (TCP_INFO), both addresses (getsockname,
 * SO_PEERNAME: a closed socket keeps its peer's), the unread data then end
 * of file, EPIPE on a write, no error pending (SO_ERROR); with the rules
 * gone, LAST_ACK ends, SYN_SENT connects and carries data both ways, and
 * peergone's a reads its data, then the reset its retransmission draws.
 */
// criu-opts: --tcp-established
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "feature.h"

enum { LAST_ACK = 9 };

struct conn {
	const char *name;
	int af, a, c;
	struct sockaddr_storage a_addr, c_addr; /* each end's own address */
};

static socklen_t alen(int af)
{
	return af == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
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

static int listener(int af, uint16_t port, struct sockaddr_storage *ss)
{
	socklen_t len = alen(af);
	int l = socket(af, SOCK_STREAM, 0), one = 1;

	memset(ss, 0, sizeof(*ss));
	ss->ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	} else {
		((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	}
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l < 0 || bind(l, (struct sockaddr *)ss, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)ss, &len))
		feat_die("listener");
	return l;
}

static void connect_pair(struct conn *k, int af, const char *name, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = alen(af);
	int l = listener(af, port, &ss);

	k->name = name;
	k->af = af;
	k->c = socket(af, SOCK_STREAM, 0);
	if (k->c < 0 || connect(k->c, (struct sockaddr *)&ss, len))
		feat_die("connect");
	k->a = accept(l, NULL, NULL);
	if (k->a < 0)
		feat_die("accept");
	close(l);
	len = alen(af);
	getsockname(k->a, (struct sockaddr *)&k->a_addr, &len);
	len = alen(af);
	getsockname(k->c, (struct sockaddr *)&k->c_addr, &len);
}

static bool same_addr(int sk, bool peer, const struct sockaddr_storage *want, int af)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = alen(af);
	int r = peer ? getsockopt(sk, SOL_SOCKET, SO_PEERNAME, &ss, &len)
		     : getsockname(sk, (struct sockaddr *)&ss, &len);

	return r == 0 && !memcmp(&ss, want, alen(af));
}

static void setup_ended(struct conn *k, int af)
{
	char b;

	connect_pair(k, af, "ended", 0);
	if (write(k->a, "to-c", 4) != 4 || shutdown(k->a, SHUT_WR))
		feat_die("a: write, shutdown");
	wait_state(k->c, 8 /* CLOSE_WAIT */, "c in CLOSE_WAIT");
	if (shutdown(k->c, SHUT_WR) || read(k->a, &b, 1) != 0)
		feat_die("c: shutdown; a: EOF");
	wait_state(k->c, TCP_CLOSE, "c closed");
	wait_state(k->a, TCP_CLOSE, "a closed");
}

static void setup_resetted(struct conn *k, int af)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	socklen_t len = sizeof(int);
	int err = 0;

	connect_pair(k, af, "resetted", 0);
	if (write(k->a, "to-c", 4) != 4 || setsockopt(k->a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
		feat_die("a: write, SO_LINGER");
	usleep(50000);
	close(k->a); /* a reset */
	k->a = -1;
	wait_state(k->c, TCP_CLOSE, "c reset");
	if (getsockopt(k->c, SOL_SOCKET, SO_ERROR, &err, &len) || err != ECONNRESET) {
		errno = err;
		feat_die("c: SO_ERROR is not ECONNRESET");
	}
}

/* A closed end: its state, addresses, what is left to read, then EOF, EPIPE, no error. */
static void check_closed(const struct conn *k, int sk, const struct sockaddr_storage *self,
			 const struct sockaddr_storage *peer, const char *what, const char *unread)
{
	char buf[16] = {0};
	size_t n = strlen(unread);
	socklen_t len = sizeof(int);
	int err = -1, st = tcp_state(sk);
	ssize_t got;

	FEAT_CHECK(st == TCP_CLOSE, "%s/%d %s: TCP state %d, not CLOSE", k->name, k->af, what, st);
	FEAT_CHECK(same_addr(sk, false, self, k->af), "%s/%d %s: getsockname differs", k->name, k->af, what);
	FEAT_CHECK(same_addr(sk, true, peer, k->af), "%s/%d %s: SO_PEERNAME differs or fails (%s)", k->name,
		   k->af, what, strerror(errno));
	FEAT_CHECK(getsockopt(sk, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0,
		   "%s/%d %s: error %d pending", k->name, k->af, what, err);
	if (n) {
		got = recv(sk, buf, sizeof(buf), MSG_DONTWAIT);
		FEAT_CHECK(got == (ssize_t)n && !memcmp(buf, unread, n),
			   "%s/%d %s: read %zd bytes '%s', not '%s'", k->name, k->af, what, got, buf, unread);
	}
	got = recv(sk, buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(got == 0, "%s/%d %s: a read gave %zd (%s), not end of file", k->name, k->af, what, got,
		   got < 0 ? strerror(errno) : "data");
	got = send(sk, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	FEAT_CHECK(got < 0 && errno == EPIPE, "%s/%d %s: a write gave %zd (%s), not EPIPE", k->name, k->af,
		   what, got, strerror(errno));
}

static int ipt_target(const char *op, uint16_t port, const char *target)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "iptables -w %s INPUT -p tcp --dport %u -j %s", op, port, target);
	return system(cmd);
}

static int ipt_drop(const char *op, uint16_t port)
{
	return ipt_target(op, port, "DROP");
}

#define REJECT_RST "REJECT --reject-with tcp-reset"

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void setup_peergone(struct conn *k)
{
	socklen_t len = sizeof(int);
	int err = 0;

	connect_pair(k, AF_INET, "peergone", 0);
	if (write(k->c, "to-a", 4) != 4)
		feat_die("c: write");
	usleep(50000);
	if (ipt_target("-A", port_of(&k->a_addr), REJECT_RST))
		feat_die("iptables -A ... REJECT");
	if (write(k->a, "to-c", 4) != 4)
		feat_die("a: write");
	wait_state(k->c, TCP_CLOSE, "c reset");
	if (getsockopt(k->c, SOL_SOCKET, SO_ERROR, &err, &len) || err != ECONNRESET) {
		errno = err;
		feat_die("c: SO_ERROR is not ECONNRESET");
	}
	if (tcp_state(k->a) != TCP_ESTABLISHED) {
		errno = EPROTO;
		feat_die("a is not ESTABLISHED");
	}
}

static void check_peergone(const struct conn *k)
{
	struct pollfd p = {.fd = k->a, .events = POLLIN};
	char buf[8] = {0};
	ssize_t n;
	int st = tcp_state(k->a);

	FEAT_CHECK(st == TCP_ESTABLISHED, "peergone: a in TCP state %d, not ESTABLISHED", st);
	check_closed(k, k->c, &k->c_addr, &k->a_addr, "c", "to-c");
	n = recv(k->a, buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n == 4 && !memcmp(buf, "to-a", 4), "peergone: a read %zd bytes '%s', not 'to-a'", n, buf);
	FEAT_CHECK(ipt_target("-D", port_of(&k->a_addr), REJECT_RST) == 0, "peergone: iptables -D failed");
	/* a's retransmission of "to-c" meets no socket: the reset it draws reaches a now */
	FEAT_CHECK(poll(&p, 1, 15000) == 1, "peergone: no reset 15 s after the rule went (state %d)",
		   tcp_state(k->a));
	n = recv(k->a, buf, sizeof(buf), MSG_DONTWAIT);
	FEAT_CHECK(n < 0 && errno == ECONNRESET, "peergone: a's read gave %zd (%s), not ECONNRESET", n,
		   n < 0 ? strerror(errno) : "data");
	FEAT_CHECK(tcp_state(k->a) == TCP_CLOSE, "peergone: a in state %d after the reset", tcp_state(k->a));
}

static void setup_lastack(struct conn *k)
{
	connect_pair(k, AF_INET, "lastack", 0);
	if (shutdown(k->c, SHUT_WR))
		feat_die("c: shutdown");
	wait_state(k->a, 8 /* CLOSE_WAIT */, "a in CLOSE_WAIT");
	if (ipt_drop("-A", port_of(&k->a_addr)))
		feat_die("iptables -A");
	if (shutdown(k->a, SHUT_WR))
		feat_die("a: shutdown");
	wait_state(k->a, LAST_ACK, "a in LAST_ACK");
	wait_state(k->c, TCP_CLOSE, "c closed");
}

static void check_lastack(const struct conn *k)
{
	char b;
	int st = tcp_state(k->a);

	FEAT_CHECK(st == LAST_ACK, "lastack: a in TCP state %d, not LAST_ACK", st);
	FEAT_CHECK(same_addr(k->a, true, &k->c_addr, k->af), "lastack: a's peer differs");
	FEAT_CHECK(recv(k->a, &b, 1, MSG_DONTWAIT) == 0, "lastack: a reads no end of file");
	FEAT_CHECK(send(k->a, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno == EPIPE,
		   "lastack: a's write: %s, not EPIPE", strerror(errno));
	check_closed(k, k->c, &k->c_addr, &k->a_addr, "c", "");
	FEAT_CHECK(ipt_drop("-D", port_of(&k->a_addr)) == 0, "lastack: iptables -D failed");
	for (int i = 0; i < 200 && tcp_state(k->a) == LAST_ACK; i++)
		usleep(50000);
	FEAT_CHECK(tcp_state(k->a) == TCP_CLOSE, "lastack: a still in state %d 10 s after the rule went",
		   tcp_state(k->a));
}

struct synsent {
	int l, s;
	uint16_t port;
	struct sockaddr_storage l_addr, s_addr;
};

static void setup_synsent(struct synsent *y)
{
	socklen_t len = alen(AF_INET);

	y->l = listener(AF_INET, 0, &y->l_addr);
	y->port = ntohs(((struct sockaddr_in *)&y->l_addr)->sin_port);
	if (ipt_drop("-A", y->port))
		feat_die("iptables -A");
	y->s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (y->s < 0 || connect(y->s, (struct sockaddr *)&y->l_addr, len) == 0 || errno != EINPROGRESS)
		feat_die("connect in progress");
	wait_state(y->s, TCP_SYN_SENT, "SYN_SENT");
	getsockname(y->s, (struct sockaddr *)&y->s_addr, &len);
}

static void check_synsent(struct synsent *y)
{
	struct pollfd p = {.fd = y->l, .events = POLLIN};
	int st = tcp_state(y->s), a;
	char b = 0;

	FEAT_CHECK(st == TCP_SYN_SENT, "synsent: TCP state %d, not SYN_SENT", st);
	FEAT_CHECK(same_addr(y->s, false, &y->s_addr, AF_INET), "synsent: getsockname differs");
	FEAT_CHECK(same_addr(y->s, true, &y->l_addr, AF_INET), "synsent: SO_PEERNAME differs");
	FEAT_CHECK(ipt_drop("-D", y->port) == 0, "synsent: iptables -D failed");
	if (poll(&p, 1, 15000) != 1) {
		feat_fail("synsent: no connection to accept 15 s after the rule went (state %d)",
			  tcp_state(y->s));
		return;
	}
	a = accept(y->l, NULL, NULL);
	FEAT_CHECK(a >= 0, "synsent: accept: %s", strerror(errno));
	for (int i = 0; i < 200 && tcp_state(y->s) != TCP_ESTABLISHED; i++)
		usleep(5000);
	FEAT_CHECK(tcp_state(y->s) == TCP_ESTABLISHED, "synsent: state %d after accept", tcp_state(y->s));
	FEAT_CHECK(a >= 0 && write(y->s, "s", 1) == 1 && read(a, &b, 1) == 1 && b == 's', "synsent: s -> a");
	FEAT_CHECK(a >= 0 && write(a, "a", 1) == 1 &&
			   poll(&(struct pollfd){.fd = y->s, .events = POLLIN}, 1, 5000) == 1 &&
			   read(y->s, &b, 1) == 1 && b == 'a',
		   "synsent: a -> s");
}

int main(int argc, char **argv)
{
	struct conn ended[2], resetted[2], lastack, peergone;
	struct synsent syn;
	bool ns = system("ip -V >/dev/null 2>&1 && iptables -V >/dev/null 2>&1") == 0;

	feat_init(argc, argv);
	if (ns && (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0))
		feat_die("a net namespace of its own");
	if (!ns)
		printf("no ip or iptables: LAST_ACK and SYN_SENT are not tried\n");
	for (int f = 0; f < 2; f++) {
		setup_ended(&ended[f], f ? AF_INET6 : AF_INET);
		setup_resetted(&resetted[f], f ? AF_INET6 : AF_INET);
	}
	if (ns) {
		setup_lastack(&lastack);
		setup_synsent(&syn);
		setup_peergone(&peergone);
	}
	feat_ready();
	feat_wait_go();
	for (int f = 0; f < 2; f++) {
		check_closed(&ended[f], ended[f].c, &ended[f].c_addr, &ended[f].a_addr, "c", "to-c");
		check_closed(&ended[f], ended[f].a, &ended[f].a_addr, &ended[f].c_addr, "a", "");
		check_closed(&resetted[f], resetted[f].c, &resetted[f].c_addr, &resetted[f].a_addr, "c",
			     "to-c");
	}
	if (ns) {
		check_lastack(&lastack);
		check_synsent(&syn);
		check_peergone(&peergone);
	}
	return feat_done();
}
