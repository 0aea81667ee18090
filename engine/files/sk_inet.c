/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP and UDP sockets over IPv4 and IPv6.
 *
 * Dump: the socket's state, addresses, listen backlog and accept queue come
 * from sock_diag (INET_DIAG, matched by inode), its options from getsockopt
 * on our copy. An established TCP connection (--tcp-established) is first
 * locked (netlock.h), then put in repair mode (tcp(7) TCP_REPAIR) and read:
 * sequence numbers, both queues (unacknowledged data included), window,
 * MSS, window scale, SACK and timestamps. It stays in repair mode so that
 * killing the tree closes it without a FIN or a reset; if the tree goes on
 * instead, it leaves repair mode again.
 *
 * Restore: the socket is made in repair mode, its sequence numbers set,
 * bound and "connected" (no SYN in repair mode), its options, queues and
 * window put back. Repair mode makes binding ignore the other sockets on
 * the port (the listener an accepted connection shares its port with), so
 * it is left on until every socket is open and only then switched off,
 * just before the tasks resume (files_restore_net_ready).
 *
 * Half-closed connections: sk_tcp_half.c; ended and connecting (SYN_SENT)
 * ones: sk_tcp_closed.c.
 *
 * UDP datagrams still queued at dump are not kept (as in CRIU).
 */
#define LOG_PREFIX "files: "
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "log.h"
#include "netlock.h"
#include "sk_net.h"
#include "sk_tcp_closed.h"
#include "sk_tcp_half.h"

#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif

enum { ST_ESTABLISHED = 1, ST_SYN_SENT = 2, ST_SYN_RECV = 3, ST_CLOSE = 7, ST_LISTEN = 10 };

/* ---- shared by the network kinds ---- */

/* A new socket (domain, type, proto) in the network namespace of the socket sk. */
int sk_socket_in_netns_of(int sk, int domain, int type, int proto)
{
	_cleanup_close_ int ns = -EBADF, self = -EBADF;
	struct stat a, b;
	int nsk, r;

	ns = ioctl(sk, SIOCGSKNS);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (ns < 0 || self < 0 || fstat(ns, &a) < 0 || fstat(self, &b) < 0 || a.st_ino == b.st_ino) {
		nsk = socket(domain, type | SOCK_CLOEXEC, proto);
		return nsk < 0 ? -errno : nsk;
	}
	if (setns(ns, CLONE_NEWNET) < 0)
		return -errno;
	nsk = socket(domain, type | SOCK_CLOEXEC, proto);
	r = nsk < 0 ? -errno : nsk;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* criu must not stay in the task's namespace */
		pr_perror("cannot return to criu's network namespace");
		abort();
	}
	return r;
}

int sk_diag_socket_for(int sk)
{
	return sk_socket_in_netns_of(sk, AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG);
}

int sk_diag_query(int sk, const void *req, size_t len, int (*cb)(const struct nlmsghdr *h, void *arg), void *arg)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	_cleanup_close_ int nl = sk_diag_socket_for(sk);
	_cleanup_free_ char *buf = malloc(32768);
	int found = 0;

	if (nl < 0 || !buf)
		return nl < 0 ? nl : -ENOMEM;
	if (sendto(nl, req, len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(nl, buf, 32768, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return found;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : found;
			}
			if (!found) {
				int r = cb(h, arg);

				if (r < 0)
					return r;
				found = r; /* read on to NLMSG_DONE: the socket is ours only */
			}
		}
	}
}

int sk_restore_flags(int sk, uint32_t flags)
{
	if (flags & O_NONBLOCK && fcntl(sk, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static int get_int(int sk, int level, int opt, int *ret)
{
	socklen_t len = sizeof(*ret);

	*ret = 0;
	return getsockopt(sk, level, opt, ret, &len) < 0 ? -errno : 0;
}

static int set_int(int sk, int level, int opt, int v)
{
	return setsockopt(sk, level, opt, &v, sizeof(v)) < 0 ? -errno : 0;
}

void sk_net_dump_free(struct sk_net_dump *net)
{
	if (!net)
		return;
	netlock_free(net->lock);
	free(net->rep);
	free(net);
}

int sk_net_dump_write(struct files_dump *fd, struct img_dir *d)
{
	return fd->net ? netlock_dump_write(fd->net->lock, d) : 0;
}

int files_dump_set_net(struct files_dump *fd, const struct files_net_opts *o)
{
	struct sk_net_dump *net = calloc(1, sizeof(*net));
	int r;

	if (!net)
		return -ENOMEM;
	net->o = *o;
	r = netlock_dump_init(o->network_lock, o->root, o->tcp_established, &net->lock);
	if (r < 0) {
		free(net);
		return r;
	}
	fd->net = net;
	return 0;
}

void files_dump_net_resume(struct files_dump *fd)
{
	struct sk_net_dump *net = fd ? fd->net : NULL;

	if (!net)
		return;
	for (size_t i = 0; i < net->nr_rep; i++) {
		const struct sk_repaired *s = &net->rep[i];

		if (set_int(s->local, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF) < 0)
			pr_perror("a TCP connection could not leave repair mode");
		/* repair mode overwrote SO_REUSEADDR */
		set_int(s->local, SOL_SOCKET, SO_REUSEADDR, s->reuseaddr);
	}
	net->nr_rep = 0;
	if (netlock_dump_unlock(net->lock) < 0)
		pr_err("the network lock could not be lifted: remove it by hand (netlock.h)\n");
}

/* ---- dump ---- */

static bool inet_match(int local, const struct stat *st, const char *link)
{
	int dom;

	return S_ISSOCK(st->st_mode) && get_int(local, SOL_SOCKET, SO_DOMAIN, &dom) == 0 &&
	       (dom == AF_INET || dom == AF_INET6);
}

struct diag_want {
	uint32_t ino;
	struct inet_diag_msg msg;
	uint8_t shutdown;
};

static int inet_diag_cb(const struct nlmsghdr *h, void *arg)
{
	struct diag_want *w = arg;
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    m->idiag_inode != w->ino)
		return 0;
	w->msg = *m;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == INET_DIAG_SHUTDOWN && RTA_PAYLOAD(a) >= 1)
			w->shutdown = *(const uint8_t *)RTA_DATA(a);
	return 1;
}

/* 1 and the diag message of the socket ino, 0 when sock_diag does not list it (not bound). */
static int inet_diag_find(int sk, int family, int proto, uint32_t ino, struct diag_want *w)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.r = {.sdiag_family = (uint8_t)family, .sdiag_protocol = (uint8_t)proto, .idiag_states = ~0u},
	};

	memset(w, 0, sizeof(*w));
	w->ino = ino;
	return sk_diag_query(sk, &req, sizeof(req), inet_diag_cb, w);
}


static int set_addr(ProtobufCBinaryData *b, protobuf_c_boolean *has, int family,
		    const struct sockaddr_storage *ss)
{
	size_t len = family == AF_INET ? 4 : 16;
	const void *src = family == AF_INET ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
					    : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	b->data = malloc(len);
	if (!b->data)
		return -ENOMEM;
	memcpy(b->data, src, len);
	b->len = len;
	*has = true;
	return 0;
}

static uint16_t port_of(const struct sockaddr_storage *ss)
{
	return ntohs(((const struct sockaddr_in *)ss)->sin_port); /* same place in sockaddr_in6 */
}

#ifndef SOL_UDPLITE
#define SOL_UDPLITE 136
#endif
#ifndef UDPLITE_SEND_CSCOV
#define UDPLITE_SEND_CSCOV 10
#define UDPLITE_RECV_CSCOV 11
#endif

/* IP_FREEBIND and IP_TRANSPARENT, or their IPv6 twins (one flag of the socket each) */
#define FB_LEVEL(f) ((f) == AF_INET6 ? SOL_IPV6 : SOL_IP)
#define FB_OPT(f)   ((f) == AF_INET6 ? IPV6_FREEBIND : IP_FREEBIND)
#define TP_OPT(f)   ((f) == AF_INET6 ? IPV6_TRANSPARENT : IP_TRANSPARENT)

/* ICMP echo ("ping") sockets: SOCK_DGRAM of IPPROTO_ICMP or IPPROTO_ICMPV6, bound to an identifier. */
static bool is_ping(int proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* The kinds this file keeps: TCP, datagrams of UDP, UDP-Lite and ping, and raw sockets of any protocol. */
static bool inet_kind_ok(int family, int type, int proto)
{
	if (type == SOCK_STREAM)
		return proto == IPPROTO_TCP;
	if (type == SOCK_RAW)
		return proto > 0 && proto < 256;
	return type == SOCK_DGRAM && (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
				      (family == AF_INET && proto == IPPROTO_ICMP) ||
				      (family == AF_INET6 && proto == IPPROTO_ICMPV6));
}

static const char *proto_name(int proto)
{
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_UDPLITE && !is_ping(proto))
		return "raw";
	return proto == IPPROTO_TCP ? "TCP" : proto == IPPROTO_UDP ? "UDP" : proto == IPPROTO_UDPLITE ? "UDP-Lite" : "ping";
}

static const char *conn_str(const InetSkEntry *e, char *buf, size_t size)
{
	char s[INET6_ADDRSTRLEN] = "?", d[INET6_ADDRSTRLEN] = "?";
	int af = (int)e->family;

	if (e->has_src_addr)
		inet_ntop(af, e->src_addr.data, s, sizeof(s));
	if (e->has_dst_addr)
		inet_ntop(af, e->dst_addr.data, d, sizeof(d));
	snprintf(buf, size, "%s %s:%u -> %s:%u", proto_name((int)e->protocol), s, e->src_port,
		 d, e->dst_port);
	return buf;
}

/* fin: the size ioc gives counts our FIN, which is no data */
static int peek_queue(const struct fd_dump_arg *a, int queue, int ioc, bool fin, ProtobufCBinaryData *b,
		      protobuf_c_boolean *has)
{
	int len = 0;
	ssize_t n;

	if (set_int(a->local, SOL_TCP, TCP_REPAIR_QUEUE, queue) < 0 || ioctl(a->local, ioc, &len) < 0)
		return pr_perror_ret("pid %d fd %d: cannot size a TCP queue", a->pid, a->fd);
	if (fin && len > 0)
		len--;
	if (len <= 0)
		return 0;
	b->data = malloc((size_t)len);
	if (!b->data)
		return -ENOMEM;
	n = recv(a->local, b->data, (size_t)len, MSG_PEEK | MSG_DONTWAIT);
	if (n != len)
		return pr_perror_ret("pid %d fd %d: TCP queue: %zd of %d bytes read", a->pid, a->fd, n, len);
	b->len = (size_t)len;
	*has = true;
	return 0;
}

static int note_repaired(struct sk_net_dump *net, int local, bool reuseaddr)
{
	struct sk_repaired *tmp = realloc(net->rep, (net->nr_rep + 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	net->rep = tmp;
	net->rep[net->nr_rep].local = local;
	net->rep[net->nr_rep].reuseaddr = reuseaddr;
	net->nr_rep++;
	return 0;
}

/* Both queues, their sequence numbers and what was never sent; a FIN is no data (sk_tcp_half.c). */
static int dump_tcp_queues(const struct fd_dump_arg *a, uint32_t state, TcpStreamEntry *t)
{
	int v = 0, r;

	r = peek_queue(a, TCP_RECV_QUEUE, SIOCINQ, false, &t->recvq, &t->has_recvq);
	if (r == 0 && get_int(a->local, SOL_TCP, TCP_QUEUE_SEQ, &v) < 0)
		r = pr_perror_ret("pid %d fd %d: TCP_QUEUE_SEQ (receive)", a->pid, a->fd);
	t->rcv_seq = (uint32_t)v;
	if (r == 0)
		r = peek_queue(a, TCP_SEND_QUEUE, SIOCOUTQ, tcp_half_fin_in_sendq(state), &t->sendq,
			       &t->has_sendq);
	if (r == 0 && get_int(a->local, SOL_TCP, TCP_QUEUE_SEQ, &v) < 0)
		r = pr_perror_ret("pid %d fd %d: TCP_QUEUE_SEQ (send)", a->pid, a->fd);
	t->snd_seq = (uint32_t)v;
	if (r < 0)
		return r;
	if (ioctl(a->local, SIOCOUTQNSD, &v) < 0 || v <= 0)
		return 0;
	if (tcp_half_fin_sent(state)) {
		/* it counts our FIN: the FIN is last, so it was never sent if anything was not */
		t->has_fin_unsent = t->fin_unsent = true;
		v--;
	}
	t->has_unsent = v > 0;
	t->unsent = (uint32_t)v;
	return 0;
}

/* In repair mode (the connection is locked): everything the restore needs. */
static int dump_tcp_stream(struct sk_net_dump *net, const struct fd_dump_arg *a, InetSkEntry *e)
{
	TcpStreamEntry *t = calloc(1, sizeof(*t));
	struct tcp_repair_window win;
	struct tcp_info ti;
	socklen_t len;
	int v = 0, r;

	if (!t)
		return -ENOMEM;
	tcp_stream_entry__init(t);
	e->tcp = t;
	r = netlock_add_conn(net->lock, (int)e->family, e->src_addr.data, (uint16_t)e->src_port,
			     e->dst_addr.data, (uint16_t)e->dst_port);
	if (r < 0)
		return r;
	if (set_int(a->local, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON) < 0)
		return pr_perror_ret("pid %d fd %d: cannot put the TCP connection in repair mode", a->pid,
				     a->fd);
	r = note_repaired(net, a->local, e->opts && e->opts->reuseaddr);
	if (r < 0)
		return r;
	len = sizeof(ti);
	if (getsockopt(a->local, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return pr_perror_ret("pid %d fd %d: TCP_INFO", a->pid, a->fd);
	if (ti.tcpi_state != e->state)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: TCP connection left state %u (now %u)", a->pid,
				  a->fd, e->state, ti.tcpi_state);
	t->opt_mask = ti.tcpi_options;
	if (ti.tcpi_options & TCPI_OPT_WSCALE) {
		t->has_snd_wscale = t->has_rcv_wscale = true;
		t->snd_wscale = ti.tcpi_snd_wscale;
		t->rcv_wscale = ti.tcpi_rcv_wscale;
	}
	r = dump_tcp_queues(a, e->state, t);
	if (r < 0)
		return r;
	if (get_int(a->local, SOL_TCP, TCP_MAXSEG, &v) < 0)
		return pr_perror_ret("pid %d fd %d: TCP_MAXSEG", a->pid, a->fd);
	t->mss = (uint32_t)v;
	if (ti.tcpi_options & TCPI_OPT_TIMESTAMPS) {
		if (get_int(a->local, SOL_TCP, TCP_TIMESTAMP, &v) < 0)
			return pr_perror_ret("pid %d fd %d: TCP_TIMESTAMP", a->pid, a->fd);
		t->has_timestamp = true;
		t->timestamp = (uint32_t)v;
	}
	len = sizeof(win);
	if (getsockopt(a->local, SOL_TCP, TCP_REPAIR_WINDOW, &win, &len) < 0)
		return pr_perror_ret("pid %d fd %d: TCP_REPAIR_WINDOW", a->pid, a->fd);
	t->has_snd_wl1 = t->has_snd_wnd = t->has_max_window = t->has_rcv_wnd = t->has_rcv_wup = true;
	t->snd_wl1 = win.snd_wl1;
	t->snd_wnd = win.snd_wnd;
	t->max_window = win.max_window;
	t->rcv_wnd = win.rcv_wnd;
	t->rcv_wup = win.rcv_wup;
	return 0;
}

/* Connecting (--tcp-established): locked, and its initial sequence number read in repair mode. */
static int dump_tcp_syn_sent(struct sk_net_dump *net, const struct fd_dump_arg *a, InetSkEntry *e)
{
	TcpStreamEntry *t = calloc(1, sizeof(*t));
	struct tcp_info ti;
	socklen_t len = sizeof(ti);
	int v = 0, r;

	if (!t)
		return -ENOMEM;
	tcp_stream_entry__init(t);
	e->tcp = t;
	if (!e->has_src_addr || !e->has_dst_addr)
		return pr_err_ret(-EPROTO, "pid %d fd %d: connecting TCP socket without addresses", a->pid,
				  a->fd);
	r = netlock_add_conn(net->lock, (int)e->family, e->src_addr.data, (uint16_t)e->src_port,
			     e->dst_addr.data, (uint16_t)e->dst_port);
	if (r < 0)
		return r;
	if (set_int(a->local, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON) < 0)
		return pr_perror_ret("pid %d fd %d: cannot put the connecting TCP socket in repair mode",
				     a->pid, a->fd);
	r = note_repaired(net, a->local, e->opts && e->opts->reuseaddr);
	if (r < 0)
		return r;
	if (getsockopt(a->local, SOL_TCP, TCP_INFO, &ti, &len) < 0)
		return pr_perror_ret("pid %d fd %d: TCP_INFO", a->pid, a->fd);
	if (ti.tcpi_state != ST_SYN_SENT)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: TCP socket left state SYN_SENT (now %u)",
				  a->pid, a->fd, ti.tcpi_state);
	if (set_int(a->local, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) < 0 ||
	    get_int(a->local, SOL_TCP, TCP_QUEUE_SEQ, &v) < 0)
		return pr_perror_ret("pid %d fd %d: TCP_QUEUE_SEQ (send)", a->pid, a->fd);
	t->snd_seq = (uint32_t)v;
	/* data queued behind the SYN (TCP_FASTOPEN_CONNECT, sendto MSG_FASTOPEN) would be lost */
	if (recv(a->local, &v, 1, MSG_PEEK | MSG_DONTWAIT) > 0)
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: not supported yet: a connecting TCP socket with data queued to send "
			"(TCP fast open)",
			a->pid, a->fd);
	if (get_int(a->local, SOL_TCP, TCP_MAXSEG, &v) == 0)
		t->mss = (uint32_t)v;
	return 0;
}

static void dump_tcp_opts(int local, SkOptsEntry *o)
{
	int v;

#define TOPT(name, opt, conv)                                                                                \
	if (get_int(local, SOL_TCP, opt, &v) == 0) {                                                         \
		o->has_##name = true;                                                                        \
		o->name = conv;                                                                              \
	}
	TOPT(nodelay, TCP_NODELAY, v != 0);
	TOPT(cork, TCP_CORK, v != 0);
	TOPT(keepidle, TCP_KEEPIDLE, (uint32_t)v);
	TOPT(keepintvl, TCP_KEEPINTVL, (uint32_t)v);
	TOPT(keepcnt, TCP_KEEPCNT, (uint32_t)v);
#undef TOPT
}

/*
 * UDP_CORK: a corked socket is kept corked; data it holds back (not sent
 * yet, not a datagram of its own yet) cannot be put back, so it is refused.
 */
static int dump_udp_cork(const struct fd_dump_arg *a, SkOptsEntry *o)
{
	int v = 0, q = 0;

	if (get_int(a->local, SOL_UDP, UDP_CORK, &v) < 0 || !v)
		return 0;
	if (ioctl(a->local, SIOCOUTQ, &q) == 0 && q > 0)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: not supported yet: a corked UDP socket with data not sent (%d bytes queued)",
				  a->pid, a->fd, q);
	o->has_cork = true;
	o->cork = true;
	return 0;
}

/* The system's default TTL: IP_TTL reads it when the socket has none of its own. */
static int default_ttl(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/net/ipv4/ip_default_ttl", "re");
	int v = 64;

	if (f && fscanf(f, "%d", &v) != 1)
		v = 64;
	return v;
}

/* IP-level options of any inet socket: packet info, TTL, TOS, traffic class. */
static void dump_ip_opts(int sk, int family, SkOptsEntry *o)
{
	int v;

	if (family == AF_INET) {
		if (get_int(sk, SOL_IP, IP_PKTINFO, &v) == 0 && v)
			o->has_pktinfo = o->pktinfo = true;
		if (get_int(sk, SOL_IP, IP_TTL, &v) == 0 && v != default_ttl())
			o->has_ttl = true, o->ttl = (uint32_t)v;
		if (get_int(sk, SOL_IP, IP_TOS, &v) == 0 && v)
			o->has_tos = true, o->tos = (uint32_t)v;
		return;
	}
	if (get_int(sk, SOL_IPV6, IPV6_RECVPKTINFO, &v) == 0 && v)
		o->has_recvpktinfo6 = o->recvpktinfo6 = true;
	if (get_int(sk, SOL_IPV6, IPV6_TCLASS, &v) == 0 && v > 0)
		o->has_tclass = true, o->tclass = (uint32_t)v;
}

static int restore_ip_opts(int sk, const SkOptsEntry *o)
{
	int r = 0;

	if (!o)
		return 0;
	if (o->has_pktinfo && o->pktinfo)
		r = r ?: set_int(sk, SOL_IP, IP_PKTINFO, 1);
	if (o->has_ttl)
		r = r ?: set_int(sk, SOL_IP, IP_TTL, (int)o->ttl);
	if (o->has_tos)
		r = r ?: set_int(sk, SOL_IP, IP_TOS, (int)o->tos);
	if (o->has_recvpktinfo6 && o->recvpktinfo6)
		r = r ?: set_int(sk, SOL_IPV6, IPV6_RECVPKTINFO, 1);
	if (o->has_tclass)
		r = r ?: set_int(sk, SOL_IPV6, IPV6_TCLASS, (int)o->tclass);
	return r;
}

/* Whether ss holds an address other than the wildcard. */
static bool addr_set(const struct sockaddr_storage *ss, int family)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr != htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr, &any6, sizeof(any6)) != 0;
}

/*
 * The peer a raw socket connect()ed to, from the line of inode ino in
 * /proc/PID/net/raw (raw6): 1 and *ret when it is connected (state 1), 0 when
 * not, -errno. Addresses there are the network-order words printed as
 * host numbers.
 */
static int raw_peer(pid_t pid, int family, uint64_t ino, struct sockaddr_storage *ret)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], rem[40];
	unsigned long long li;
	unsigned int st;
	size_t cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/net/raw%s", pid, family == AF_INET6 ? "6" : "");
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		size_t n = family == AF_INET ? 8 : 32;

		if (sscanf(line, " %*d: %*[0-9A-Fa-f]:%*x %39[0-9A-Fa-f]:%*x %x %*s %*s %*s %*u %*u %llu", rem, &st,
			   &li) != 3 || li != ino)
			continue;
		if (strlen(rem) != n)
			return -EPROTO;
		memset(ret, 0, sizeof(*ret));
		ret->ss_family = (sa_family_t)family;
		for (size_t i = 0; i < n / 8; i++) {
			char word[9];
			uint32_t v;

			memcpy(word, rem + i * 8, 8);
			word[8] = 0;
			v = (uint32_t)strtoul(word, NULL, 16);
			if (family == AF_INET)
				memcpy(&((struct sockaddr_in *)ret)->sin_addr, &v, 4);
			else
				memcpy((char *)&((struct sockaddr_in6 *)ret)->sin6_addr + i * 4, &v, 4);
		}
		return st == 1 && addr_set(ret, family) ? 1 : 0;
	}
	return -ENOENT;
}


/*
 * A ping or raw socket: sock_diag is not asked (ping has no handler), so
 * what getsockname and getpeername give is what is kept: a ping socket's
 * identifier (as a port), a raw socket's bound and connected addresses.
 * Echo replies waiting in a ping socket, or a connected one, are refused by
 * name; packets queued in a raw socket (it sees every packet of its
 * protocol) are dropped with a warning, as a UDP socket's are.
 */
static int dump_unlisted(const struct fd_dump_arg *a, InetSkEntry *e, bool raw)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	int q = 0, r;

	if (ioctl(a->local, SIOCINQ, &q) == 0 && q > 0 && !raw)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: not supported yet: a ping socket with %d bytes of replies queued",
				  a->pid, a->fd, q);
	if (q > 0)
		pr_warn("pid %d fd %d: %d bytes of packets queued on a raw socket are not kept\n", a->pid, a->fd, q);
	e->has_dump_state = true;
	e->dump_state = e->state = ST_CLOSE;
	if (raw) { /* getpeername does not show a raw socket's connect(): /proc/PID/net/raw does */
		r = raw_peer(a->pid, (int)e->family, (uint64_t)a->st.st_ino, &ss);
		if (r < 0)
			return pr_err_ret(r, "pid %d fd %d: cannot find raw socket:[%lu] in /proc/%d/net/raw", a->pid, a->fd,
					  a->st.st_ino, a->pid);
		if (r > 0) {
			r = set_addr(&e->dst_addr, &e->has_dst_addr, (int)e->family, &ss);
			if (r < 0)
				return r;
			e->dump_state = e->state = ST_ESTABLISHED;
		}
	} else if (getpeername(a->local, (struct sockaddr *)&ss, &len) == 0) {
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: not supported yet: a connected ping socket", a->pid,
				  a->fd);
	}
	len = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(a->local, (struct sockaddr *)&ss, &len) < 0)
		return pr_perror_ret("pid %d fd %d: getsockname", a->pid, a->fd);
	if (raw ? addr_set(&ss, (int)e->family) : port_of(&ss) != 0) {
		r = set_addr(&e->src_addr, &e->has_src_addr, (int)e->family, &ss);
		if (r < 0)
			return r;
		e->has_src_port = !raw;
		e->src_port = raw ? 0 : port_of(&ss);
	}
	return 0;
}

/* A closed TCP socket whose receiving side is shut: what is left of a connection that ended. */
static bool tcp_ended(int sk)
{
	struct pollfd p = {.fd = sk, .events = POLLRDHUP};

	return poll(&p, 1, 0) == 1 && p.revents & POLLRDHUP;
}

/* A TCP connection kept in repair mode: established or half-closed (sk_tcp_half.c). */
static bool tcp_stream_state(const InetSkEntry *e)
{
	return e->protocol == IPPROTO_TCP && (e->state == ST_ESTABLISHED || tcp_half_state(e->state));
}

/* Which state the socket is dumped in, or a refusal that says what to do. */
static int pick_state(struct sk_net_dump *net, const struct fd_dump_arg *a, InetSkEntry *e,
		      const struct diag_want *w)
{
	const struct files_net_opts *o = &net->o;
	char c[160];

	conn_str(e, c, sizeof(c));
	switch (e->dump_state) {
	case ST_CLOSE:
		e->state = ST_CLOSE;
		return 0;
	case ST_LISTEN:
		if (w->msg.idiag_rqueue && !o->skip_in_flight)
			return pr_err_ret(-EOPNOTSUPP,
					  "pid %d fd %d: listening %s has %u connection(s) not yet accepted "
					  "(--skip-in-flight drops them)",
					  a->pid, a->fd, c, w->msg.idiag_rqueue);
		if (w->msg.idiag_rqueue)
			pr_warn("pid %d fd %d: %u connection(s) not yet accepted are dropped "
				"(--skip-in-flight)\n",
				a->pid, a->fd, w->msg.idiag_rqueue);
		e->state = ST_LISTEN;
		e->has_backlog = true;
		e->backlog = w->msg.idiag_wqueue;
		return 0;
	case ST_ESTABLISHED:
	case TCP_FIN_WAIT1: /* half-closed: sk_tcp_half.c */
	case TCP_FIN_WAIT2:
	case TCP_CLOSE_WAIT:
	case TCP_LAST_ACK:
	case TCP_CLOSING:
		if (e->protocol != IPPROTO_TCP || o->tcp_established) {
			e->state = e->dump_state;
			return 0;
		}
		if (o->tcp_close)
			break;
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: %s %s: dumping it needs --tcp-established "
				  "(or --tcp-close to restore it closed)",
				  a->pid, a->fd,
				  e->dump_state == ST_ESTABLISHED ? "established" : "half-closed", c);
	case ST_SYN_SENT: /* connects again: sk_tcp_closed.c */
		if (o->tcp_established && !o->tcp_close) {
			e->state = ST_SYN_SENT;
			return 0;
		}
		/* fall through */
	case ST_SYN_RECV:
		if (o->skip_in_flight || o->tcp_close)
			break;
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s is still connecting (--tcp-established keeps it connecting, "
			"--skip-in-flight restores it closed)",
			a->pid, a->fd, c);
	default:
		if (o->tcp_close)
			break;
		return pr_err_ret(
			-EOPNOTSUPP,
			"pid %d fd %d: %s in TCP state %u cannot be dumped (--tcp-close restores it closed)",
			a->pid, a->fd, c, e->dump_state);
	}
	e->state = ST_CLOSE; /* closed: no addresses kept */
	return 0;
}

/*
 * The bound address src, and the peer's (SO_PEERNAME: it answers for a
 * closed or connecting TCP socket too).
 */
static int dump_addrs(const struct fd_dump_arg *a, int family, const struct sockaddr_storage *src,
		      InetSkEntry *e)
{
	struct sockaddr_storage dst = {0};
	/* the exact size: SO_PEERNAME refuses a larger buffer */
	socklen_t dlen = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int r;

	if (port_of(src)) {
		r = set_addr(&e->src_addr, &e->has_src_addr, family, src);
		if (r < 0)
			return r;
		e->has_src_port = true;
		e->src_port = port_of(src);
	}
	if (getsockopt(a->local, SOL_SOCKET, SO_PEERNAME, &dst, &dlen) < 0 || !port_of(&dst))
		return 0;
	r = set_addr(&e->dst_addr, &e->has_dst_addr, family, &dst);
	if (r < 0)
		return r;
	e->has_dst_port = true;
	e->dst_port = port_of(&dst);
	return 0;
}

static int inet_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	static const struct files_net_opts no_opts = {.network_lock = NETLOCK_OPT_IPTABLES};
	InetSkEntry *e = calloc(1, sizeof(*e));
	struct sockaddr_storage src = {0};
	socklen_t slen = sizeof(src);
	struct diag_want w;
	int type, proto, family, listed, r;

	if (!e)
		return -ENOMEM;
	inet_sk_entry__init(e);
	fe->inet_sk = e;
	if (!fd->net) { /* a caller without network options: the defaults */
		r = files_dump_set_net(fd, &no_opts);
		if (r < 0)
			return r;
	}
	if (get_int(a->local, SOL_SOCKET, SO_DOMAIN, &family) < 0 ||
	    get_int(a->local, SOL_SOCKET, SO_TYPE, &type) < 0 ||
	    get_int(a->local, SOL_SOCKET, SO_PROTOCOL, &proto) < 0)
		return pr_perror_ret("pid %d fd %d: cannot read the socket's kind", a->pid, a->fd);
	if (!inet_kind_ok(family, type, proto))
		return pr_err_ret(-EOPNOTSUPP,
				  "pid %d fd %d: inet socket of type %d protocol %d is not supported", a->pid,
				  a->fd, type, proto);
	e->ino = (uint64_t)a->st.st_ino;
	e->family = (uint32_t)family;
	e->type = (uint32_t)type;
	e->protocol = (uint32_t)proto;
	r = sk_opts_dump(a, &e->opts);
	if (r < 0)
		return r;
	if (proto == IPPROTO_TCP)
		dump_tcp_opts(a->local, e->opts);
	if (proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE) {
		r = dump_udp_cork(a, e->opts);
		if (r < 0)
			return r;
	}
	if (proto == IPPROTO_UDPLITE) {
		if (get_int(a->local, SOL_UDPLITE, UDPLITE_SEND_CSCOV, &r) == 0 && r)
			e->opts->has_udplite_send_cscov = true, e->opts->udplite_send_cscov = (uint32_t)r;
		if (get_int(a->local, SOL_UDPLITE, UDPLITE_RECV_CSCOV, &r) == 0 && r)
			e->opts->has_udplite_recv_cscov = true, e->opts->udplite_recv_cscov = (uint32_t)r;
	}
	dump_ip_opts(a->local, family, e->opts);
	/* a raw socket has its protocol as its number: the kernel takes no IPV6_V6ONLY for it */
	if (family == AF_INET6 && type != SOCK_RAW && get_int(a->local, SOL_IPV6, IPV6_V6ONLY, &r) == 0) {
		e->opts->has_v6only = true;
		e->opts->v6only = r != 0;
	}
	/* one flag each, at the family's own level (a raw IPv6 socket answers only there) */
	if (get_int(a->local, FB_LEVEL(family), FB_OPT(family), &r) == 0 && r)
		e->opts->has_freebind = e->opts->freebind = true;
	if (get_int(a->local, FB_LEVEL(family), TP_OPT(family), &r) == 0 && r)
		e->opts->has_transparent = e->opts->transparent = true;
	if (is_ping(proto) || type == SOCK_RAW)
		return dump_unlisted(a, e, type == SOCK_RAW);
	if (getsockname(a->local, (struct sockaddr *)&src, &slen) < 0)
		return pr_perror_ret("pid %d fd %d: getsockname", a->pid, a->fd);
	r = inet_diag_find(a->local, family, proto, (uint32_t)a->st.st_ino, &w);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: sock_diag of socket:[%lu]", a->pid, a->fd, a->st.st_ino);
	e->has_dump_state = true;
	e->dump_state = r ? w.msg.idiag_state : ST_CLOSE; /* not listed: never bound */
	if (r && w.shutdown) {
		e->has_shutdown = true;
		e->shutdown = w.shutdown;
	}
	listed = r;
	r = dump_addrs(a, family, &src, e);
	if (r < 0)
		return r;
	/* not listed and its reading side shut: a connection that ended (its socket is unhashed) */
	if (!listed && proto == IPPROTO_TCP && tcp_ended(a->local)) {
		char c[160];

		r = tcp_closed_dump_ended(a, e, conn_str(e, c, sizeof(c)));
		if (r < 0)
			return r;
		e->has_shutdown = true;
		e->shutdown = 3;
	}
	r = pick_state(fd->net, a, e, &w);
	if (r < 0)
		return r;
	if (e->state == ST_SYN_SENT)
		return dump_tcp_syn_sent(fd->net, a, e);
	if (tcp_stream_state(e)) {
		if (!e->has_src_addr || !e->has_dst_addr)
			return pr_err_ret(-EPROTO, "pid %d fd %d: connected TCP without addresses", a->pid,
					  a->fd);
		return dump_tcp_stream(fd->net, a, e);
	}
	if (e->state == ST_ESTABLISHED && w.msg.idiag_rqueue)
		pr_warn("pid %d fd %d: %u bytes of queued UDP datagrams are not kept\n", a->pid, a->fd,
			w.msg.idiag_rqueue);
	return 0;
}

/* ---- restore ---- */

socklen_t sk_inet_make_addr(const InetSkEntry *e, const ProtobufCBinaryData *addr, uint32_t port,
			    struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		memcpy(&s4->sin_addr, addr->data, 4);
		return sizeof(*s4);
	}
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons((uint16_t)port);
	memcpy(&s6->sin6_addr, addr->data, 16);
	return sizeof(*s6);
}

static int check_entry(const FileEntry *fe)
{
	const InetSkEntry *e = fe->inet_sk;
	size_t alen;

	if (!e || (e->family != AF_INET && e->family != AF_INET6) ||
	    !inet_kind_ok((int)e->family, (int)e->type, (int)e->protocol))
		return -EBADMSG;
	alen = e->family == AF_INET ? 4 : 16;
	if ((e->has_src_addr && e->src_addr.len != alen) || (e->has_dst_addr && e->dst_addr.len != alen) ||
	    e->src_port > 65535 || e->dst_port > 65535)
		return -EBADMSG;
	if (tcp_stream_state(e) && (!e->tcp || !e->has_src_addr || !e->has_dst_addr ||
				    (e->tcp->has_unsent && e->tcp->unsent > e->tcp->sendq.len)))
		return -EBADMSG;
	if (e->protocol == IPPROTO_TCP && e->state == ST_SYN_SENT &&
	    (!e->tcp || !e->has_src_addr || !e->has_dst_addr))
		return -EBADMSG;
	return 0;
}

static int set_tcp_opts(int sk, const SkOptsEntry *o)
{
	int r = 0;

	if (!o)
		return 0;
	if (o->has_nodelay && o->nodelay)
		r = r ?: set_int(sk, SOL_TCP, TCP_NODELAY, 1);
	if (o->has_cork && o->cork)
		r = r ?: set_int(sk, SOL_TCP, TCP_CORK, 1);
	if (o->has_keepidle)
		r = r ?: set_int(sk, SOL_TCP, TCP_KEEPIDLE, (int)o->keepidle);
	if (o->has_keepintvl)
		r = r ?: set_int(sk, SOL_TCP, TCP_KEEPINTVL, (int)o->keepintvl);
	if (o->has_keepcnt)
		r = r ?: set_int(sk, SOL_TCP, TCP_KEEPCNT, (int)o->keepcnt);
	return r;
}

/* Writes data into the queue selected with TCP_REPAIR_QUEUE. */
int sk_tcp_fill_queue(int sk, int queue, const uint8_t *data, size_t len)
{
	size_t off = 0;

	if (!len)
		return 0;
	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, queue) < 0)
		return -errno;
	while (off < len) {
		size_t chunk = len - off > 65536 ? 65536 : len - off;
		ssize_t n = send(sk, data + off, chunk, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	return 0;
}

/* In repair mode: the connection as it was, not yet out of repair mode. */
static int restore_tcp_stream(int sk, const InetSkEntry *e)
{
	const TcpStreamEntry *t = e->tcp;
	struct sockaddr_storage ss;
	struct tcp_repair_opt ro[4];
	struct tcp_repair_window win = {t->snd_wl1, t->snd_wnd, t->max_window, t->rcv_wnd, t->rcv_wup};
	size_t nro = 0, sent_len = t->sendq.len - (t->has_unsent ? t->unsent : 0);
	socklen_t len;

	/* without the FINs: they come back later (sk_tcp_half.c) */
	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)tcp_half_snd_una(e)) < 0 ||
	    set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE) < 0 ||
	    set_int(sk, SOL_TCP, TCP_QUEUE_SEQ, (int)(tcp_half_rcv_nxt(e) - (uint32_t)t->recvq.len)) < 0)
		return pr_perror_ret("cannot set the sequence numbers");
	len = sk_inet_make_addr(e, &e->src_addr, e->src_port, &ss);
	if (bind(sk, (struct sockaddr *)&ss, len) < 0)
		return pr_perror_ret("cannot bind");
	len = sk_inet_make_addr(e, &e->dst_addr, e->dst_port, &ss);
	if (connect(sk, (struct sockaddr *)&ss, len) < 0)
		return pr_perror_ret("cannot connect in repair mode");
	ro[nro++] = (struct tcp_repair_opt){TCPOPT_MAXSEG, t->mss};
	if (t->opt_mask & TCPI_OPT_WSCALE)
		ro[nro++] = (struct tcp_repair_opt){TCPOPT_WINDOW, t->snd_wscale | (t->rcv_wscale << 16)};
	if (t->opt_mask & TCPI_OPT_SACK)
		ro[nro++] = (struct tcp_repair_opt){TCPOPT_SACK_PERMITTED, 0};
	if (t->opt_mask & TCPI_OPT_TIMESTAMPS)
		ro[nro++] = (struct tcp_repair_opt){TCPOPT_TIMESTAMP, 0};
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR_OPTIONS, ro, (socklen_t)(nro * sizeof(ro[0]))) < 0)
		return pr_perror_ret("TCP_REPAIR_OPTIONS");
	if (t->has_timestamp && set_int(sk, SOL_TCP, TCP_TIMESTAMP, (int)t->timestamp) < 0)
		return pr_perror_ret("TCP_TIMESTAMP");
	if (sk_tcp_fill_queue(sk, TCP_RECV_QUEUE, t->recvq.data, t->recvq.len) < 0)
		return pr_perror_ret("cannot refill the receive queue (%zu bytes)", t->recvq.len);
	/* sent but unacknowledged: queued as sent, the peer gets it by retransmission */
	if (sk_tcp_fill_queue(sk, TCP_SEND_QUEUE, t->sendq.data, sent_len) < 0)
		return pr_perror_ret("cannot refill the send queue (%zu bytes)", sent_len);
	tcp_half_window(e, &win);
	if (t->has_snd_wnd && setsockopt(sk, SOL_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win)) < 0)
		return pr_perror_ret("TCP_REPAIR_WINDOW");
	if (set_int(sk, SOL_TCP, TCP_REPAIR_QUEUE, TCP_NO_QUEUE) < 0)
		return pr_perror_ret("TCP_REPAIR_QUEUE");
	return tcp_half_repair_fin(sk, e);
}

/*
 * A TCP socket that was connected and comes back closed: TCP_CLOSE with both
 * directions shut, so that a read gives end of file (not ENOTCONN), a write
 * EPIPE and poll POLLHUP, as after a connection's end. shutdown() says
 * ENOTCONN for a closed socket, and sets the shut directions all the same.
 */
/* A TCP socket restored closed that was a connection: --tcp-close, in flight, or ended before the dump. */
static bool tcp_was_connected(const InetSkEntry *e)
{
	if (e->protocol != IPPROTO_TCP || e->state != ST_CLOSE)
		return false;
	return (e->has_dump_state && e->dump_state != ST_CLOSE) ||
	       (e->has_shutdown && (e->shutdown & 3) == 3 && (!e->has_dump_state || e->dump_state == ST_CLOSE));
}

static int tcp_closed(int sk)
{
	int err = 0;
	socklen_t len = sizeof(err);

	/* an error left by the disconnect would be read first: take it */
	if (getsockopt(sk, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (shutdown(sk, SHUT_RDWR) < 0 && errno != ENOTCONN)
		return -errno;
	return 0;
}

static int restore_inet(int sk, const FileEntry *fe)
{
	const InetSkEntry *e = fe->inet_sk;
	bool tcp = e->protocol == IPPROTO_TCP, repair = tcp_stream_state(e);
	struct sockaddr_storage ss;
	socklen_t len;
	int r;

	if (tcp && set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON) < 0)
		return pr_perror_ret(
			"TCP_REPAIR"); /* also for binding beside the other sockets of the port */
	if (e->opts && e->opts->has_v6only && e->family == AF_INET6 &&
	    set_int(sk, SOL_IPV6, IPV6_V6ONLY, e->opts->v6only) < 0)
		return pr_perror_ret("IPV6_V6ONLY");
	r = restore_ip_opts(sk, e->opts);
	if (r < 0)
		return pr_err_ret(r, "cannot set the IP options");
	/* before bind: an address not (yet) on this host's interfaces */
	if (e->opts && e->opts->has_freebind && e->opts->freebind &&
	    set_int(sk, FB_LEVEL(e->family), FB_OPT(e->family), 1) < 0)
		return pr_perror_ret("IP_FREEBIND");
	if (e->opts && e->opts->has_transparent && e->opts->transparent &&
	    set_int(sk, FB_LEVEL(e->family), TP_OPT(e->family), 1) < 0)
		return pr_perror_ret("IP_TRANSPARENT");
	r = sk_opts_restore(sk, e->opts);
	if (r == 0 && !tcp && e->opts && e->opts->reuseaddr)
		r = set_int(sk, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r == 0 && tcp)
		r = set_tcp_opts(sk, e->opts);
	if (r == 0 && !tcp && e->opts && e->opts->has_cork && e->opts->cork)
		r = set_int(sk, SOL_UDP, UDP_CORK, 1);
	if (r == 0 && e->protocol == IPPROTO_UDPLITE && e->opts && e->opts->has_udplite_send_cscov)
		r = set_int(sk, SOL_UDPLITE, UDPLITE_SEND_CSCOV, (int)e->opts->udplite_send_cscov);
	if (r == 0 && e->protocol == IPPROTO_UDPLITE && e->opts && e->opts->has_udplite_recv_cscov)
		r = set_int(sk, SOL_UDPLITE, UDPLITE_RECV_CSCOV, (int)e->opts->udplite_recv_cscov);
	if (r < 0)
		return pr_err_ret(r, "cannot set the socket options");
	if (repair) {
		/*
		 * Room for both queues: the sizes the kernel had tuned (or more);
		 * SO_BUF_LOCK gets its dumped value back in files_restore_net_ready.
		 */
		const SkOptsEntry *o = e->opts;
		size_t snd = o && o->has_sndbuf ? o->sndbuf : 0, rcv = o && o->has_rcvbuf ? o->rcvbuf : 0;

		if (snd < e->tcp->sendq.len * 2)
			snd = e->tcp->sendq.len * 2;
		if (rcv < e->tcp->recvq.len * 2)
			rcv = e->tcp->recvq.len * 2;
		if ((snd && set_int(sk, SOL_SOCKET, SO_SNDBUFFORCE, (int)(snd / 2)) < 0) ||
		    (rcv && set_int(sk, SOL_SOCKET, SO_RCVBUFFORCE, (int)(rcv / 2)) < 0))
			return pr_perror_ret("cannot size the socket buffers");
		return restore_tcp_stream(sk, e);
	}
	if (tcp && e->state == ST_SYN_SENT)
		return tcp_closed_restore_syn_sent(sk, e);
	if (tcp_closed_is_ended(e))
		return tcp_closed_restore_ended(sk, e); /* ended in phase 4: files_restore_net_locked */
	/* a connection restored closed (--tcp-close, in flight) or that had ended keeps no address */
	if (!tcp_was_connected(e) &&
	    (e->state != ST_CLOSE || (e->has_src_addr && (!e->has_dump_state || e->dump_state == ST_CLOSE)))) {
		if (e->has_src_addr) {
			len = sk_inet_make_addr(e, &e->src_addr, e->src_port, &ss);
			r = bind(sk, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
			/* bound under IP_FREEBIND that was then turned off: bound again the same way */
			if (r == -EADDRNOTAVAIL && !(e->opts && e->opts->has_freebind && e->opts->freebind)) {
				r = set_int(sk, FB_LEVEL(e->family), FB_OPT(e->family), 1);
				if (!r)
					r = bind(sk, (struct sockaddr *)&ss, len) < 0 ? -errno : 0;
				if (!r)
					r = set_int(sk, FB_LEVEL(e->family), FB_OPT(e->family), 0);
			}
			if (r < 0) {
				char a[INET6_ADDRSTRLEN] = "?";

				inet_ntop(e->family == AF_INET6 ? AF_INET6 : AF_INET, e->src_addr.data, a, sizeof(a));
				return pr_err_ret(r, "cannot bind to %s port %u", a, e->src_port);
			}
		}
		if (tcp && set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) < 0)
			return pr_perror_ret("TCP_REPAIR off");
		/* listen() checks the port again: SO_REUSEADDR lets it beside accepted connections */
		if (e->state == ST_LISTEN && set_int(sk, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
			return pr_perror_ret("SO_REUSEADDR");
		if (e->state == ST_LISTEN && listen(sk, (int)e->backlog) < 0)
			return pr_perror_ret("cannot listen");
		if (e->state == ST_ESTABLISHED && e->has_dst_addr) { /* UDP */
			len = sk_inet_make_addr(e, &e->dst_addr, e->dst_port, &ss);
			if (connect(sk, (struct sockaddr *)&ss, len) < 0)
				return pr_perror_ret("cannot connect");
		}
	} else if (tcp && set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) < 0) {
		return pr_perror_ret("TCP_REPAIR off");
	}
	/* repair mode reset it; listeners are listening now, so the real value may go in */
	if (e->opts && set_int(sk, SOL_SOCKET, SO_REUSEADDR, e->opts->reuseaddr) < 0)
		return pr_perror_ret("SO_REUSEADDR");
	if (!tcp && e->has_shutdown && e->shutdown)
		shutdown(sk, (e->shutdown & 3) == 3 ? SHUT_RDWR : (e->shutdown & 1) ? SHUT_RD : SHUT_WR);
	/* a connection restored closed (--tcp-close, in flight, ended) reads as one that was closed */
	if (tcp_was_connected(e))
		return tcp_closed(sk);
	return 0;
}

static int inet_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	_cleanup_close_ int sk = -EBADF;
	char c[160];
	int r;

	if (check_entry(fe) < 0)
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": malformed inet socket", fe->id);
	sk = socket((int)fe->inet_sk->family, (int)fe->inet_sk->type | SOCK_CLOEXEC,
		    (int)fe->inet_sk->protocol);
	if (sk < 0 && errno == EACCES && is_ping((int)fe->inet_sk->protocol))
		return pr_perror_ret("file %" PRIu64 ": cannot make a ping socket (criu's group is outside "
				     "net.ipv4.ping_group_range)", fe->id);
	if (sk < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot make a socket", fe->id);
	r = restore_inet(sk, fe);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot restore %s", fe->id,
				  conn_str(fe->inet_sk, c, sizeof(c)));
	r = sk_restore_flags(sk, fe->flags);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": cannot set the file flags", fe->id);
	*ret_fd = TAKE_FD(sk);
	return 0;
}

/* Takes one restored connection out of repair mode, or closes it (--tcp-close). */
static int tcp_ready(int sk, const FileEntry *fe, bool tcp_close)
{
	const InetSkEntry *e = fe->inet_sk;
	const TcpStreamEntry *t = e->tcp;
	struct sockaddr sa = {.sa_family = AF_UNSPEC};
	size_t unsent = t->has_unsent ? t->unsent : 0;
	int r;

	if (tcp_close) {
		/* disconnecting in repair mode sends no reset */
		if (connect(sk, &sa, sizeof(sa)) < 0 ||
		    set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP) < 0)
			return -errno;
		if (set_int(sk, SOL_SOCKET, SO_REUSEADDR, e->opts && e->opts->reuseaddr) < 0)
			return -errno;
		return tcp_closed(sk);
	}
	if (set_int(sk, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF) < 0)
		return -errno;
	if (e->opts && set_int(sk, SOL_SOCKET, SO_REUSEADDR, e->opts->reuseaddr) < 0)
		return -errno;
	/* never sent: an ordinary write now (after TCP_CORK and TCP_NODELAY were set) */
	for (size_t off = t->sendq.len - unsent; off < t->sendq.len;) {
		ssize_t n = send(sk, t->sendq.data + off, t->sendq.len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		off += (size_t)n;
	}
	r = tcp_half_unsent_fin(sk, e);
	if (r == 0)
		r = tcp_half_replay_late(sk, e);
	if (r < 0)
		return r;
	/* shut by the task, not by the peer's FIN (tcp_half_finish brought that back) */
	if (e->has_shutdown && e->shutdown & 1 && !tcp_half_fin_received(e->state))
		shutdown(sk, SHUT_RD);
	/* the sizes the user did not set are the kernel's to tune again */
	if (e->opts && e->opts->has_buf_lock)
		return set_int(sk, SOL_SOCKET, SO_BUF_LOCK, (int)e->opts->buf_lock);
	return 0;
}

bool files_restore_net_replays(const struct files_restore *fr, bool tcp_close)
{
	for (size_t i = 0; fr && i < fr->nr_files; i++) {
		const FileEntry *fe = fr->files[i];

		if (fe->kind == FILE_KIND__FILE_INET_SK && fr->file_fds[i] >= 0 &&
		    (tcp_closed_is_ended(fe->inet_sk) ||
		     (!tcp_close && tcp_stream_state(fe->inet_sk) && tcp_half_state(fe->inet_sk->state))))
			return true;
	}
	return false;
}

int files_restore_net_locked(struct files_restore *fr, bool tcp_close)
{
	char c[160];

	for (size_t i = 0; fr && i < fr->nr_files; i++) {
		const FileEntry *fe = fr->files[i];
		const InetSkEntry *e = fe->inet_sk;
		int r = 0;

		if (fe->kind != FILE_KIND__FILE_INET_SK || fr->file_fds[i] < 0)
			continue;
		if (tcp_closed_is_ended(e))
			r = tcp_closed_replay_end(fr->file_fds[i], e);
		else if (tcp_stream_state(e) && tcp_half_state(e->state) && !tcp_close)
			r = tcp_half_replay(fr->file_fds[i], e);
		if (r < 0)
			return pr_err_ret(r, "file %" PRIu64 ": %s: cannot replay the peer's packets", fe->id,
					  conn_str(e, c, sizeof(c)));
	}
	return 0;
}

int files_restore_net_ready(struct files_restore *fr, bool tcp_close)
{
	char c[160];

	for (size_t i = 0; fr && i < fr->nr_files; i++) {
		const FileEntry *fe = fr->files[i];
		int r;

		if (fe->kind != FILE_KIND__FILE_INET_SK || fr->file_fds[i] < 0)
			continue;
		if (tcp_close && fe->inet_sk->protocol == IPPROTO_TCP && fe->inet_sk->state == ST_SYN_SENT) {
			/* --tcp-close: connecting ones end too (a disconnect in SYN_SENT sends nothing) */
			struct sockaddr sa = {.sa_family = AF_UNSPEC};

			r = connect(fr->file_fds[i], &sa, sizeof(sa)) < 0 ? -errno
									  : tcp_closed(fr->file_fds[i]);
			if (r < 0)
				return pr_err_ret(r, "file %" PRIu64 ": %s: cannot close it (--tcp-close)",
						  fe->id, conn_str(fe->inet_sk, c, sizeof(c)));
			continue;
		}
		if (!tcp_stream_state(fe->inet_sk))
			continue;
		r = tcp_ready(fr->file_fds[i], fe, tcp_close);
		if (r < 0)
			return pr_err_ret(r, "file %" PRIu64 ": %s: cannot leave repair mode", fe->id,
					  conn_str(fe->inet_sk, c, sizeof(c)));
	}
	return 0;
}

const struct fd_ops inet_sk_fd_ops = {
	.name = "inet socket",
	.kind = FILE_KIND__FILE_INET_SK,
	.match_fd = inet_match,
	.dump = inet_dump,
	.open = inet_open,
};
