/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packet sockets (AF_PACKET): type, protocol and the interface bound to.
 * Rings (PACKET_RX_RING/TX_RING), fanout groups and multicast memberships
 * are refused by name: sock_diag (PACKET_DIAG) shows them. A classic filter
 * is kept with the other socket options (sk_opts.c). An old-style
 * SOCK_PACKET socket is bound by device name (struct sockaddr_pkt), and its
 * protocol comes from sock_diag, as getsockname does not give it.
 */
#define LOG_PREFIX "files: "
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/if_packet.h>
#include <linux/packet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "sk_net.h"

static bool packet_match(int local, const struct stat *st, const char *link)
{
	int dom = 0;
	socklen_t len = sizeof(dom);

	return S_ISSOCK(st->st_mode) && getsockopt(local, SOL_SOCKET, SO_DOMAIN, &dom, &len) == 0 &&
	       dom == AF_PACKET;
}

struct pdiag_want {
	uint32_t ino;
	uint16_t num;	     /* the protocol, host order */
	const char *refused; /* what the socket has that we cannot restore */
};

static int packet_diag_cb(const struct nlmsghdr *h, void *arg)
{
	struct pdiag_want *w = arg;
	const struct packet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)) ||
	    m->pdiag_ino != w->ino)
		return 0;
	w->num = m->pdiag_num;
	len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*m)));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == PACKET_DIAG_RX_RING || a->rta_type == PACKET_DIAG_TX_RING)
			w->refused = "a mapped ring (PACKET_RX_RING/PACKET_TX_RING)";
		else if (a->rta_type == PACKET_DIAG_FANOUT)
			w->refused = "a fanout group (PACKET_FANOUT)";
		else if (a->rta_type == PACKET_DIAG_MCLIST && RTA_PAYLOAD(a) > 0)
			w->refused = "multicast memberships (PACKET_ADD_MEMBERSHIP)";
	}
	return 1;
}

static int packet_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	PacketSkEntry *e = calloc(1, sizeof(*e));
	struct sockaddr_ll sll = {0};
	socklen_t len = sizeof(sll), ilen = sizeof(int);
	struct pdiag_want w = {.ino = (uint32_t)a->st.st_ino};
	struct {
		struct nlmsghdr nlh;
		struct packet_diag_req r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.r = {.sdiag_family = AF_PACKET,
		      .pdiag_show = PACKET_SHOW_MCLIST | PACKET_SHOW_RING_CFG | PACKET_SHOW_FANOUT},
	};
	int type = 0, r;

	if (!e)
		return -ENOMEM;
	packet_sk_entry__init(e);
	fe->packet_sk = e;
	if (getsockopt(a->local, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0 ||
	    getsockname(a->local, (struct sockaddr *)&sll, &len) < 0)
		return pr_perror_ret("pid %d fd %d: cannot read the packet socket", a->pid, a->fd);
	r = sk_diag_query(a->local, &req, sizeof(req), packet_diag_cb, &w);
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: sock_diag of packet socket:[%lu]", a->pid, a->fd,
				  a->st.st_ino);
	if (w.refused)
		return pr_err_ret(-EOPNOTSUPP, "pid %d fd %d: packet socket with %s cannot be dumped", a->pid,
				  a->fd, w.refused);
	e->ino = (uint64_t)a->st.st_ino;
	e->type = (uint32_t)type;
	e->protocol = sll.sll_protocol; /* network order, as socket(2) and bind take it */
	if (type == SOCK_PACKET) {
		/* getsockname gave a struct sockaddr: the device's name in sa_data */
		const struct sockaddr *sa = (const struct sockaddr *)&sll;

		e->protocol = htons(w.num);
		if (sa->sa_data[0]) {
			e->spkt_device = strndup(sa->sa_data, sizeof(sa->sa_data));
			if (!e->spkt_device)
				return -ENOMEM;
		}
		return sk_opts_dump(a, &e->opts);
	}
	if (sll.sll_ifindex) {
		e->has_ifindex = true;
		e->ifindex = (uint32_t)sll.sll_ifindex;
	}
	return sk_opts_dump(a, &e->opts);
}

static int packet_open(struct files_restore *fr, const FileEntry *fe, int *ret_fd)
{
	const PacketSkEntry *e = fe->packet_sk;
	_cleanup_close_ int sk = -EBADF;
	int r;

	if (!e || e->protocol > 0xffff)
		return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": malformed packet socket", fe->id);
	sk = socket(AF_PACKET, (int)e->type | SOCK_CLOEXEC, (int)e->protocol);
	if (sk < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot make a packet socket", fe->id);
	r = sk_opts_restore(sk, e->opts);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": packet socket options", fe->id);
	if (e->spkt_device) {
		struct sockaddr spkt = {.sa_family = AF_PACKET};

		if (e->type != SOCK_PACKET || strlen(e->spkt_device) >= sizeof(spkt.sa_data))
			return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": malformed SOCK_PACKET device", fe->id);
		memcpy(spkt.sa_data, e->spkt_device, strlen(e->spkt_device));
		if (bind(sk, &spkt, sizeof(spkt)) < 0)
			return pr_perror_ret("file %" PRIu64 ": cannot bind the SOCK_PACKET socket to %s", fe->id,
					     e->spkt_device);
	} else if (e->has_ifindex && e->ifindex) {
		struct sockaddr_ll sll = {.sll_family = AF_PACKET,
					  .sll_protocol = (uint16_t)e->protocol,
					  .sll_ifindex = (int)e->ifindex};

		if (bind(sk, (struct sockaddr *)&sll, sizeof(sll)) < 0)
			return pr_perror_ret("file %" PRIu64 ": cannot bind the packet socket to ifindex %u",
					     fe->id, e->ifindex);
	}
	r = sk_restore_flags(sk, fe->flags);
	if (r < 0)
		return pr_err_ret(r, "file %" PRIu64 ": file flags", fe->id);
	*ret_fd = TAKE_FD(sk);
	return 0;
}

const struct fd_ops packet_sk_fd_ops = {
	.name = "packet socket",
	.kind = FILE_KIND__FILE_PACKET_SK,
	.match_fd = packet_match,
	.dump = packet_dump,
	.open = packet_open,
};
