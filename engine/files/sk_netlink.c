/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Netlink sockets: protocol, bound port id, multicast groups and the
 * connected peer. Messages still queued at dump are not kept (a warning
 * says how many bytes): the kernel answers requests again, and events are
 * best effort anyway.
 */
#define LOG_PREFIX "files: "
#include <inttypes.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sk_net.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static bool netlink_match(int local, const struct stat *st, const char *link)
{
	int dom = 0;
	socklen_t len = sizeof(dom);

	return S_ISSOCK(st->st_mode) && getsockopt(local, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
	       dom == AF_NETLINK;
}

static int netlink_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	NetlinkSkEntry *e = calloc(1, sizeof(*e));
	struct sockaddr_nl sa = {0}, peer = {0};
	socklen_t len = sizeof(sa), plen = sizeof(peer);
	uint32_t groups[64];
	int type = 0, proto = 0, r;
	socklen_t glen = sizeof(groups), ilen = sizeof(int);

	if (!e)
		return -ENOMEM;
	netlink_sk_entry__init(e);
	fe->netlink_sk = e;
	if (getsockopt(a->local, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0 ||
	    getsockopt(a->local, SOL_SOCKET, SO_PROTOCOL, &proto, &ilen) < 0 ||
	    getsockname(a->local, (struct sockaddr *)&sa, &len) < 0)
		return pr_perror_ret("pid %d fd %d: cannot read the netlink socket", a->pid, a->fd);
	e->ino = (uint64_t)a->st.st_ino;
	e->type = (uint32_t)type;
	e->protocol = (uint32_t)proto;
	if (sa.nl_pid) {
		e->has_portid = true;
		e->portid = sa.nl_pid;
	}
	memset(groups, 0, sizeof(groups));
	if (getsockopt(a->local, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &glen) < 0)
		return pr_perror_ret("pid %d fd %d: NETLINK_LIST_MEMBERSHIPS", a->pid, a->fd);
	if (glen > sizeof(groups))
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: netlink socket in more than %zu groups", a->pid,
				  a->fd, sizeof(groups) * 8);
	/* the bitmap up to its last group joined */
	for (size_t n = glen / 4; n > 0; n--)
		if (groups[n - 1]) {
			e->groups = malloc(n * sizeof(uint32_t));
			if (!e->groups)
				return -ENOMEM;
			memcpy(e->groups, groups, n * sizeof(uint32_t));
			e->n_groups = n;
			break;
		}
	if (getpeername(a->local, (struct sockaddr *)&peer, &plen) == 0 && (peer.nl_pid || peer.nl_groups)) {
		e->has_dst_portid = e->has_dst_group = true;
		e->dst_portid = peer.nl_pid;
		e->dst_group = peer.nl_groups;
	}
	r = sk_opts_dump(a, &e->opts);
	if (r < 0)
		return r;
	if (ioctl(a->local, FIONREAD, &r) == 0 && r > 0)
		pr_warn("pid %d fd %d: %d bytes queued on a netlink socket are not kept\n", a->pid, a->fd, r);
	return 0;
}

static int netlink_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const NetlinkSkEntry *e = fe->netlink_sk;
	_cleanup_close_ int sk = -EBADF;
	int r;

	if (!e)
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": netlink socket without its state",
				  fe->id);
	sk = socket(AF_NETLINK, (int)e->type | SOCK_CLOEXEC, (int)e->protocol);
	if (sk < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot make a netlink socket (protocol %u)", fe->id,
				     e->protocol);
	r = sk_opts_restore(sk, e->opts);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": netlink socket options", fe->id);
	if (e->has_portid) {
		struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = e->portid};

		if (bind(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return pr_perror_ret("file %" PRIu64 ": cannot bind the netlink socket to port id %u",
					     fe->id, e->portid);
	}
	for (size_t w = 0; w < e->n_groups; w++)
		for (unsigned int b = 0; b < 32; b++) {
			int g = (int)(w * 32 + b + 1);

			if (!(e->groups[w] & (1u << b)))
				continue;
			if (setsockopt(sk, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
				return pr_perror_ret("file %" PRIu64 ": cannot join netlink group %d", fe->id,
						     g);
		}
	if (e->has_dst_portid && (e->dst_portid || e->dst_group)) {
		struct sockaddr_nl sa = {
			.nl_family = AF_NETLINK, .nl_pid = e->dst_portid, .nl_groups = e->dst_group};

		if (connect(sk, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			return pr_perror_ret("file %" PRIu64 ": cannot connect the netlink socket", fe->id);
	}
	r = sk_restore_flags(sk, fe->flags);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": file flags", fe->id);
	*ret_fd = TAKE_FD(sk);
	return 0;
}

const struct fd_ops netlink_sk_fd_ops = {
	.name = "netlink socket",
	.kind = FILE_KIND__FILE_NETLINK_SK,
	.match_fd = netlink_match,
	.dump = netlink_dump,
	.open = netlink_open,
};
