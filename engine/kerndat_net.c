/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel feature probes for sockets and the network: sock_diag dumps that
 * must find a socket we created, TCP repair, socket options, tun, and the
 * tools the network lock runs. The table and the cache are in kerndat.c.
 */
#define LOG_PREFIX "kerndat: "
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/netlink_diag.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/sockios.h>
#include <linux/unix_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "kerndat_probes.h"

#ifndef SIOCUNIXFILE
#define SIOCUNIXFILE (SIOCPROTOPRIVATE + 0)
#endif

/* ---------------------------------------------------------------------- */
/* Sockets                                                                  */
/* ---------------------------------------------------------------------- */

static ino_t kd_sock_ino(int sk)
{
	struct stat st;

	return fstat(sk, &st) < 0 ? 0 : st.st_ino;
}

/*
 * Sends one sock_diag dump request and looks for a socket with inode ino in
 * the answer; ino_of() reads the inode from one answer message.
 * Returns 0 when found, -errno otherwise (filled into w).
 */
static int kd_diag_find(const char *what, void *req, size_t req_len, ino_t ino,
			uint32_t (*ino_of)(const void *msg), struct kd_why *w)
{
	_cleanup_close_ int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct {
		struct nlmsghdr h;
		char body[128];
	} msg;
	_cleanup_free_ char *buf = NULL;
	const size_t buf_len = 32768;
	bool found = false;

	if (nl < 0)
		return kd_errno(w, "socket(NETLINK_SOCK_DIAG)");
	if (req_len > sizeof(msg.body))
		return kd_fail(w, -EINVAL, "%s request too long", what);
	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = NLMSG_LENGTH(req_len);
	msg.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.h.nlmsg_seq = 1;
	memcpy(NLMSG_DATA(&msg.h), req, req_len);
	if (sendto(nl, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return kd_errno(w, "%s: sending the dump request", what);
	buf = malloc(buf_len);
	if (!buf)
		return kd_fail(w, -ENOMEM, "%s", what);
	for (;;) {
		ssize_t n = recv(nl, buf, buf_len, 0);
		struct nlmsghdr *h;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return kd_errno(w, "%s: reading the dump", what);
		if (n == 0)
			return kd_fail(w, -EPROTO, "%s: the dump ended without NLMSG_DONE", what);
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return found ? 0
					     : kd_fail(w, -ENOENT,
						       "%s: our socket (inode %lu) is not in the dump", what,
						       (unsigned long)ino);
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return kd_fail(w, e->error ? e->error : -EPROTO, "%s", what);
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY && ino_of(NLMSG_DATA(h)) == ino)
				found = true;
		}
	}
}

static uint32_t unix_ino_of(const void *m)
{
	return ((const struct unix_diag_msg *)m)->udiag_ino;
}

int kd_probe_unix_diag(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct unix_diag_req req = {
		.sdiag_family = AF_UNIX,
		.udiag_states = ~0U,
		.udiag_show = UDIAG_SHOW_NAME,
	};
	int len;

	if (sk < 0)
		return kd_errno(w, "socket(AF_UNIX)");
	len = snprintf(sa.sun_path + 1, sizeof(sa.sun_path) - 1, "criu-check-%d", getpid());
	if (bind(sk, (struct sockaddr *)&sa, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len)) <
	    0)
		return kd_errno(w, "bind(@%s)", sa.sun_path + 1);
	return kd_diag_find("sock_diag(AF_UNIX)", &req, sizeof(req), kd_sock_ino(sk), unix_ino_of, w);
}

static uint32_t inet_ino_of(const void *m)
{
	return ((const struct inet_diag_msg *)m)->idiag_inode;
}

int kd_probe_inet_diag(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct inet_diag_req_v2 req = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = 1 << TCP_LISTEN,
	};

	if (sk < 0)
		return kd_errno(w, "socket(AF_INET, SOCK_STREAM)");
	if (bind(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(sk, 1) < 0)
		return kd_errno(w, "listening TCP socket on 127.0.0.1");
	return kd_diag_find("sock_diag(AF_INET, TCP)", &req, sizeof(req), kd_sock_ino(sk), inet_ino_of, w);
}

int kd_probe_net_diag_raw(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	struct inet_diag_req_raw req = {
		.sdiag_family = AF_INET,
		.sdiag_protocol = IPPROTO_RAW,
		.sdiag_raw_protocol = IPPROTO_ICMP,
		.idiag_states = ~0U,
	};

	if (sk < 0)
		return kd_errno(w, "socket(AF_INET, SOCK_RAW)");
	return kd_diag_find("sock_diag(AF_INET, RAW)", &req, sizeof(req), kd_sock_ino(sk), inet_ino_of, w);
}

static uint32_t packet_ino_of(const void *m)
{
	return ((const struct packet_diag_msg *)m)->pdiag_ino;
}

int kd_probe_packet_diag(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	struct packet_diag_req req = {.sdiag_family = AF_PACKET, .pdiag_show = PACKET_SHOW_INFO};

	if (sk < 0)
		return kd_errno(w, "socket(AF_PACKET)");
	return kd_diag_find("sock_diag(AF_PACKET)", &req, sizeof(req), kd_sock_ino(sk), packet_ino_of, w);
}

static uint32_t netlink_ino_of(const void *m)
{
	return ((const struct netlink_diag_msg *)m)->ndiag_ino;
}

int kd_probe_netlink_diag(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct netlink_diag_req req = {
		.sdiag_family = AF_NETLINK,
		.sdiag_protocol = NDIAG_PROTO_ALL,
		.ndiag_show = NDIAG_SHOW_MEMINFO,
	};

	if (sk < 0)
		return kd_errno(w, "socket(AF_NETLINK)");
	if (bind(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return kd_errno(w, "bind(AF_NETLINK)");
	return kd_diag_find("sock_diag(AF_NETLINK)", &req, sizeof(req), kd_sock_ino(sk), netlink_ino_of, w);
}

int kd_probe_tcp_repair(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1, q = TCP_SEND_QUEUE, seq = 0x5eed, got = 0;
	socklen_t len = sizeof(got);

	if (sk < 0)
		return kd_errno(w, "socket(AF_INET, SOCK_STREAM)");
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR, &on, sizeof(on)) < 0)
		return kd_errno(w, "setsockopt(TCP_REPAIR)");
	if (setsockopt(sk, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) < 0)
		return kd_errno(w, "setsockopt(TCP_REPAIR_QUEUE)");
	if (setsockopt(sk, SOL_TCP, TCP_QUEUE_SEQ, &seq, sizeof(seq)) < 0)
		return kd_errno(w, "setsockopt(TCP_QUEUE_SEQ) in repair mode");
	if (getsockopt(sk, SOL_TCP, TCP_QUEUE_SEQ, &got, &len) < 0)
		return kd_errno(w, "getsockopt(TCP_QUEUE_SEQ) in repair mode");
	if (got != seq)
		return kd_fail(w, -EPROTO, "TCP_QUEUE_SEQ: %#x read back, %#x set", got, seq);
	return 0;
}

static int kd_tcp_state(int sk)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	return getsockopt(sk, SOL_TCP, TCP_INFO, &ti, &len) < 0 ? -1 : ti.tcpi_state;
}

/* A loopback connection whose client shut its write side: FIN_WAIT2 and CLOSE_WAIT. */
static int kd_half_closed_pair(int *ret_cli, int *ret_srv, struct kd_why *w)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	_cleanup_close_ int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	_cleanup_close_ int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), s = -EBADF;

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&sa, len) < 0 || listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&sa, &len) < 0 || connect(c, (struct sockaddr *)&sa, len) < 0)
		return kd_errno(w, "a TCP connection over 127.0.0.1");
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0 || shutdown(c, SHUT_WR) < 0)
		return kd_errno(w, "accept or shutdown over 127.0.0.1");
	for (int i = 0; i < 200 && (kd_tcp_state(c) != TCP_FIN_WAIT2 || kd_tcp_state(s) != TCP_CLOSE_WAIT);
	     i++)
		usleep(5000);
	if (kd_tcp_state(c) != TCP_FIN_WAIT2 || kd_tcp_state(s) != TCP_CLOSE_WAIT)
		return kd_fail(w, -EPROTO, "shutdown over 127.0.0.1 gave TCP states %d and %d",
			       kd_tcp_state(c), kd_tcp_state(s));
	*ret_cli = TAKE_FD(c);
	*ret_srv = TAKE_FD(s);
	return 0;
}

/* Whether sk can be put in repair mode and its send queue's sequence read. */
static int kd_repair_read(int sk, const char *what, struct kd_why *w)
{
	int on = TCP_REPAIR_ON, q = TCP_SEND_QUEUE, seq;
	socklen_t len = sizeof(seq);

	if (setsockopt(sk, SOL_TCP, TCP_REPAIR, &on, sizeof(on)) < 0 ||
	    setsockopt(sk, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) < 0 ||
	    getsockopt(sk, SOL_TCP, TCP_QUEUE_SEQ, &seq, &len) < 0)
		return kd_errno(w, "TCP_REPAIR, TCP_QUEUE_SEQ on a socket in %s", what);
	return 0;
}

/*
 * What restoring a half-closed connection takes (engine/files/sk_tcp_half.c):
 * sockets in FIN_WAIT2 and CLOSE_WAIT go into repair mode and are read; a
 * socket "connected" in repair mode queues a FIN as sent on shutdown
 * (FIN_WAIT1); a raw IPPROTO_RAW socket replays the peer's FIN.
 */
int kd_probe_tcp_half_closed(struct kd_why *w)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	_cleanup_close_ int c = -EBADF, s = -EBADF, r = -EBADF, raw = -EBADF;
	int on = TCP_REPAIR_ON, q = TCP_SEND_QUEUE, r_err;

	r_err = kd_half_closed_pair(&c, &s, w);
	if (r_err == 0)
		r_err = kd_repair_read(c, "FIN_WAIT2", w);
	if (r_err == 0)
		r_err = kd_repair_read(s, "CLOSE_WAIT", w);
	if (r_err < 0)
		return r_err;
	r = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_port = htons(9); /* repair mode sends no SYN: no one needs to listen */
	if (r < 0 || setsockopt(r, SOL_TCP, TCP_REPAIR, &on, sizeof(on)) < 0 ||
	    connect(r, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    setsockopt(r, SOL_TCP, TCP_REPAIR_QUEUE, &q, sizeof(q)) < 0 || shutdown(r, SHUT_WR) < 0)
		return kd_errno(w, "shutdown of a connection made in repair mode");
	if (kd_tcp_state(r) != TCP_FIN_WAIT1)
		return kd_fail(w, -EPROTO, "shutdown in repair mode gave TCP state %d, not FIN_WAIT1",
			       kd_tcp_state(r));
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (raw < 0)
		return kd_errno(w, "socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
	return 0; /* closed in repair mode: no FIN, no reset */
}

int kd_probe_so_peek_off(struct kd_why *w)
{
	int sk[2], off = 0, r = 0;
	socklen_t len = sizeof(off);
	char buf[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sk) < 0)
		return kd_errno(w, "socketpair(AF_UNIX)");
	if (getsockopt(sk[0], SOL_SOCKET, SO_PEEK_OFF, &off, &len) < 0 || off != -1) {
		r = kd_errno(w, "getsockopt(SO_PEEK_OFF) on a unix socket");
		goto out;
	}
	off = 0;
	if (setsockopt(sk[0], SOL_SOCKET, SO_PEEK_OFF, &off, sizeof(off)) < 0) {
		r = kd_errno(w, "setsockopt(SO_PEEK_OFF) on a unix socket");
		goto out;
	}
	if (write(sk[1], "abcd", 4) != 4 || recv(sk[0], buf, 2, MSG_PEEK) != 2 ||
	    recv(sk[0], buf, 2, MSG_PEEK) != 2) {
		r = kd_errno(w, "peeking a unix socket");
		goto out;
	}
	if (memcmp(buf, "cd", 2))
		r = kd_fail(w, -EPROTO, "SO_PEEK_OFF: the second peek did not continue after the first");
out:
	close(sk[0]);
	close(sk[1]);
	return r;
}

int kd_probe_sockopt_buf_lock(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int v = 1 /* SOCK_SNDBUF_LOCK */, got = 0;
	socklen_t len = sizeof(got);

	if (sk < 0)
		return kd_errno(w, "socket(AF_INET, SOCK_DGRAM)");
	if (setsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &v, sizeof(v)) < 0)
		return kd_errno(w, "setsockopt(SO_BUF_LOCK)");
	if (getsockopt(sk, SOL_SOCKET, SO_BUF_LOCK, &got, &len) < 0)
		return kd_errno(w, "getsockopt(SO_BUF_LOCK)");
	return got == v ? 0 : kd_fail(w, -EPROTO, "SO_BUF_LOCK: %d read back, %d set", got, v);
}

/* IPV6_FREEBIND (Linux 4.15): a socket binds an address no interface has; sk_inet.c keeps the flag */
int kd_probe_ipv6_freebind(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int v = 1, got = 0;
	socklen_t len = sizeof(got);

	if (sk < 0)
		return kd_errno(w, "socket(AF_INET6, SOCK_DGRAM)");
	if (setsockopt(sk, SOL_IPV6, IPV6_FREEBIND, &v, sizeof(v)) < 0)
		return kd_errno(w, "setsockopt(IPV6_FREEBIND)");
	if (getsockopt(sk, SOL_IP, IP_FREEBIND, &got, &len) < 0)
		return kd_errno(w, "getsockopt(IP_FREEBIND)");
	return got ? 0 : kd_fail(w, -EPROTO, "IPV6_FREEBIND set, IP_FREEBIND reads %d", got);
}

int kd_probe_sk_ns(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), ns = -EBADF;
	struct stat a, b;

	if (sk < 0)
		return kd_errno(w, "socket(AF_UNIX)");
	ns = ioctl(sk, SIOCGSKNS);
	if (ns < 0)
		return kd_errno(w, "ioctl(SIOCGSKNS)");
	if (fstat(ns, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return kd_errno(w, "stat of net namespaces");
	return a.st_ino == b.st_ino ? 0 : kd_fail(w, -EPROTO, "SIOCGSKNS returned another net namespace");
}

int kd_probe_sk_unix_file(struct kd_why *w)
{
	char dir[] = "/tmp/.criu-check.XXXXXX";
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int sk = -EBADF, fd = -EBADF;
	struct stat a, b;
	int r = 0;

	if (!mkdtemp(dir))
		return kd_errno(w, "temporary directory %s", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/sk", dir);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || bind(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = kd_errno(w, "unix socket bound to %s", sa.sun_path);
		goto out;
	}
	fd = ioctl(sk, SIOCUNIXFILE);
	if (fd < 0) {
		r = kd_errno(w, "ioctl(%s, SIOCUNIXFILE)", sa.sun_path);
		goto out;
	}
	if (fstat(fd, &a) < 0 || stat(sa.sun_path, &b) < 0 || a.st_ino != b.st_ino)
		r = kd_fail(w, -EPROTO, "SIOCUNIXFILE returned another file than %s", sa.sun_path);
out:
	unlink(sa.sun_path);
	rmdir(dir);
	return r;
}

/* A tun device created in a scratch net namespace must get the ifindex asked for. */
static int tun_in_new_netns(void *arg, struct kd_why *w)
{
	struct ifreq ifr;
	unsigned int want = 4242, got;
	int fd;

	if (unshare(CLONE_NEWNET) < 0)
		return kd_errno(w, "unshare(CLONE_NEWNET)");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kd_errno(w, "/dev/net/tun");
	if (ioctl(fd, TUNSETIFINDEX, &want) < 0)
		return kd_errno(w, "ioctl(/dev/net/tun, TUNSETIFINDEX)");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "criuchk0");
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return kd_errno(w, "ioctl(/dev/net/tun, TUNSETIFF)");
	got = if_nametoindex("criuchk0");
	if (got != want)
		return kd_fail(w, -EPROTO, "tun device criuchk0: ifindex %u, asked for %u", got, want);
	return 0;
}

int kd_probe_tun(struct kd_why *w)
{
	return kd_in_child(tun_in_new_netns, NULL, w);
}

int kd_probe_nsid(struct kd_why *w)
{
	_cleanup_close_ int sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int on = 1;

	if (sk < 0)
		return kd_errno(w, "socket(NETLINK_ROUTE)");
	if (setsockopt(sk, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, sizeof(on)) < 0)
		return kd_errno(w, "setsockopt(NETLINK_LISTEN_ALL_NSID)");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Network lock tools                                                       */
/* ---------------------------------------------------------------------- */

/* Finds an executable on $PATH or in the sbin directories; 0 or -ENOENT. */
static int kd_find_tool(const char *name, char *ret_path, size_t size)
{
	const char *env = getenv("PATH");
	char dirs[4096];
	char *save = NULL;

	snprintf(dirs, sizeof(dirs), "%s:/usr/local/sbin:/usr/sbin:/sbin", env ? env : "/usr/bin:/bin");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(ret_path, size, "%s/%s", d, name);
		if (access(ret_path, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int kd_probe_network_lock_tools(struct kd_why *w)
{
	char path[PATH_MAX];

	if (kd_find_tool("iptables-restore", path, sizeof(path)) == 0 ||
	    kd_find_tool("nft", path, sizeof(path)) == 0)
		return 0;
	return kd_fail(w, -ENOENT, "network lock: neither iptables-restore nor nft on PATH");
}

int kd_probe_nftables(struct kd_why *w)
{
	char path[PATH_MAX];

	return kd_find_tool("nft", path, sizeof(path)) == 0 ? 0 : kd_fail(w, -ENOENT, "nft on PATH");
}

int kd_probe_ipt_legacy(struct kd_why *w)
{
	char path[PATH_MAX];

	if (kd_find_tool("iptables-legacy-restore", path, sizeof(path)) < 0)
		return kd_fail(w, -ENOENT, "iptables-legacy-restore on PATH");
	if (kd_find_tool("ip6tables-legacy-restore", path, sizeof(path)) < 0)
		return kd_fail(w, -ENOENT, "ip6tables-legacy-restore on PATH");
	return 0;
}

/* In a scratch net namespace: nft must accept a set with a concatenated type. */
static int nft_concat_in_new_netns(void *arg, struct kd_why *w)
{
	static const char rules[] = "table inet criu-check {\n"
				    "\tset conn { type ipv4_addr . inet_service; }\n"
				    "}\n";
	const char *nft = arg;
	int p[2], st;
	pid_t pid;

	if (unshare(CLONE_NEWNET) < 0)
		return kd_errno(w, "unshare(CLONE_NEWNET)");
	if (pipe(p) < 0)
		return kd_errno(w, "pipe");
	pid = fork();
	if (pid < 0)
		return kd_errno(w, "fork for %s", nft);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(p[0], 0);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		close(p[1]);
		execl(nft, nft, "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	if (write(p[1], rules, sizeof(rules) - 1) != (ssize_t)sizeof(rules) - 1)
		st = -1;
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return kd_fail(w, -EOPNOTSUPP, "%s -f: a set of type ipv4_addr . inet_service (status %#x)",
			       nft, st);
	return 0;
}

int kd_probe_network_lock_nftables(struct kd_why *w)
{
	char path[PATH_MAX];

	if (kd_find_tool("nft", path, sizeof(path)) < 0)
		return kd_fail(w, -ENOENT, "nft on PATH");
	return kd_in_child(nft_concat_in_new_netns, path, w);
}
