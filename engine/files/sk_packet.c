/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packet sockets (AF_PACKET): type, protocol and the interface bound to,
 * and what sock_diag (PACKET_DIAG) shows of the rest: version, reserve,
 * flags, multicast memberships, RX/TX rings and the fanout group, set again
 * in the order the kernel wants (version and reserve before the rings,
 * fanout once bound). A ring's mapping is mapped again from the socket by
 * the mm restore (VMA_PACKET_RING); the frames in the rings are not kept:
 * packets waiting there are dropped, as a network may drop them. A classic
 * filter is kept with the other socket options (sk_opts.c). An old-style
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
	uint16_t num; /* the protocol, host order */
	PacketSkEntry *e;
	int err;
};

static PacketRing *ring_of(const struct rtattr *a)
{
	const struct packet_diag_ring *r = RTA_DATA(a);
	PacketRing *pr;

	if (RTA_PAYLOAD(a) < sizeof(*r) || !(pr = malloc(sizeof(*pr))))
		return NULL;
	packet_ring__init(pr);
	pr->block_size = r->pdr_block_size;
	pr->block_nr = r->pdr_block_nr;
	pr->frame_size = r->pdr_frame_size;
	pr->frame_nr = r->pdr_frame_nr;
	pr->has_retire_tmo = pr->has_sizeof_priv = pr->has_features = true;
	pr->retire_tmo = r->pdr_retire_tmo;
	pr->sizeof_priv = r->pdr_sizeof_priv;
	pr->features = r->pdr_features;
	return pr;
}

static int add_mclists(PacketSkEntry *e, const struct rtattr *a)
{
	const struct packet_diag_mclist *m = RTA_DATA(a);
	size_t n = RTA_PAYLOAD(a) / sizeof(*m);

	if (!n)
		return 0;
	e->mclist = calloc(n, sizeof(*e->mclist));
	if (!e->mclist)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		PacketMclist *l = malloc(sizeof(*l));

		if (!l || m[i].pdmc_alen > sizeof(m[i].pdmc_addr)) {
			free(l);
			return l ? -EBADMSG : -ENOMEM;
		}
		packet_mclist__init(l);
		l->index = m[i].pdmc_index;
		l->count = m[i].pdmc_count;
		l->type = m[i].pdmc_type;
		l->has_addr = true;
		l->addr.len = m[i].pdmc_alen;
		l->addr.data = malloc(m[i].pdmc_alen + 1);
		if (!l->addr.data) {
			free(l);
			return -ENOMEM;
		}
		memcpy(l->addr.data, m[i].pdmc_addr, m[i].pdmc_alen);
		e->mclist[e->n_mclist++] = l;
	}
	return 0;
}

static void set_info(PacketSkEntry *e, const struct packet_diag_info *i)
{
	e->has_version = e->has_reserve = e->has_copy_thresh = e->has_tstamp = true;
	e->version = i->pdi_version;
	e->reserve = i->pdi_reserve;
	e->copy_thresh = i->pdi_copy_thresh;
	e->tstamp = i->pdi_tstamp;
	e->has_auxdata = e->has_origdev = e->has_vnet_hdr = e->has_loss = true;
	e->auxdata = i->pdi_flags & PDI_AUXDATA;
	e->origdev = i->pdi_flags & PDI_ORIGDEV;
	e->vnet_hdr = i->pdi_flags & PDI_VNETHDR;
	e->loss = i->pdi_flags & PDI_LOSS;
}

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
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len) && !w->err; a = RTA_NEXT(a, len)) {
		if (a->rta_type == PACKET_DIAG_INFO && RTA_PAYLOAD(a) >= sizeof(struct packet_diag_info))
			set_info(w->e, RTA_DATA(a));
		else if (a->rta_type == PACKET_DIAG_RX_RING && !(w->e->rx_ring = ring_of(a)))
			w->err = -ENOMEM;
		else if (a->rta_type == PACKET_DIAG_TX_RING && !(w->e->tx_ring = ring_of(a)))
			w->err = -ENOMEM;
		else if (a->rta_type == PACKET_DIAG_FANOUT && RTA_PAYLOAD(a) >= 4) {
			w->e->has_fanout = true;
			memcpy(&w->e->fanout, RTA_DATA(a), 4);
		} else if (a->rta_type == PACKET_DIAG_MCLIST)
			w->err = add_mclists(w->e, a);
	}
	return 1;
}

static int packet_dump(struct files_dump *fd, const struct fd_dump_arg *a, FileEntry *fe)
{
	PacketSkEntry *e = calloc(1, sizeof(*e));
	struct sockaddr_ll sll = {0};
	socklen_t len = sizeof(sll), ilen = sizeof(int);
	struct pdiag_want w = {.ino = (uint32_t)a->st.st_ino, .e = e};
	struct {
		struct nlmsghdr nlh;
		struct packet_diag_req r;
	} req = {
		.nlh = {.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
		.r = {.sdiag_family = AF_PACKET,
		      .pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MCLIST | PACKET_SHOW_RING_CFG | PACKET_SHOW_FANOUT},
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
	if (r >= 0 && w.err)
		r = w.err;
	if (r < 0)
		return pr_err_ret(r, "pid %d fd %d: sock_diag of packet socket:[%lu]", a->pid, a->fd,
				  a->st.st_ino);
	if (e->rx_ring || e->tx_ring)
		pr_info("pid %d fd %d: packet socket:[%lu] has a ring: the packets in it are not kept\n", a->pid, a->fd,
			a->st.st_ino);
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

static int set_int(int sk, int opt, uint32_t v, const char *what, uint64_t id)
{
	int i = (int)v;

	if (setsockopt(sk, SOL_PACKET, opt, &i, sizeof(i)) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot set %s to %u", id, what, v);
	return 0;
}

/* Before the bind: the version and reserve the rings are made with, and the flags. */
static int set_info_opts(int sk, const PacketSkEntry *e, uint64_t id)
{
	int r = 0;

	if (e->has_version && e->version != TPACKET_V1)
		r = set_int(sk, PACKET_VERSION, e->version, "PACKET_VERSION", id);
	if (r == 0 && e->has_reserve && e->reserve)
		r = set_int(sk, PACKET_RESERVE, e->reserve, "PACKET_RESERVE", id);
	if (r == 0 && e->has_copy_thresh && e->copy_thresh)
		r = set_int(sk, PACKET_COPY_THRESH, e->copy_thresh, "PACKET_COPY_THRESH", id);
	if (r == 0 && e->has_tstamp && e->tstamp)
		r = set_int(sk, PACKET_TIMESTAMP, e->tstamp, "PACKET_TIMESTAMP", id);
	if (r == 0 && e->auxdata)
		r = set_int(sk, PACKET_AUXDATA, 1, "PACKET_AUXDATA", id);
	if (r == 0 && e->origdev)
		r = set_int(sk, PACKET_ORIGDEV, 1, "PACKET_ORIGDEV", id);
	if (r == 0 && e->vnet_hdr)
		r = set_int(sk, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", id);
	if (r == 0 && e->loss)
		r = set_int(sk, PACKET_LOSS, 1, "PACKET_LOSS", id);
	return r;
}

static int set_ring(int sk, int opt, const PacketRing *pr, uint32_t version, uint64_t id)
{
	struct tpacket_req3 req = {.tp_block_size = pr->block_size,
				   .tp_block_nr = pr->block_nr,
				   .tp_frame_size = pr->frame_size,
				   .tp_frame_nr = pr->frame_nr,
				   .tp_retire_blk_tov = pr->retire_tmo,
				   .tp_sizeof_priv = pr->sizeof_priv,
				   .tp_feature_req_word = pr->features};
	socklen_t len = version == TPACKET_V3 ? sizeof(req) : sizeof(struct tpacket_req);

	if (setsockopt(sk, SOL_PACKET, opt, &req, len) < 0)
		return pr_perror_ret("file %" PRIu64 ": cannot make its %s ring (%u blocks of %u, %u frames of %u)", id,
				     opt == PACKET_RX_RING ? "RX" : "TX", pr->block_nr, pr->block_size, pr->frame_nr,
				     pr->frame_size);
	return 0;
}

/* Once bound: memberships, rings, the fanout group. */
static int set_bound_opts(int sk, const PacketSkEntry *e, uint64_t id)
{
	uint32_t version = e->has_version ? e->version : TPACKET_V1;
	int r = 0;

	for (size_t i = 0; r == 0 && i < e->n_mclist; i++) {
		const PacketMclist *l = e->mclist[i];
		struct packet_mreq mr = {.mr_ifindex = (int)l->index, .mr_type = (unsigned short)l->type};

		if (l->has_addr && l->addr.len > sizeof(mr.mr_address))
			return pr_err_ret(-EBADMSG, "files.img: file %" PRIu64 ": membership address too long", id);
		mr.mr_alen = l->has_addr ? (unsigned short)l->addr.len : 0;
		if (mr.mr_alen)
			memcpy(mr.mr_address, l->addr.data, mr.mr_alen);
		for (uint32_t k = 0; r == 0 && k < l->count && k < 1024; k++)
			if (setsockopt(sk, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
				r = pr_perror_ret("file %" PRIu64 ": cannot add membership type %u on ifindex %u", id,
						  l->type, l->index);
	}
	if (r == 0 && e->rx_ring)
		r = set_ring(sk, PACKET_RX_RING, e->rx_ring, version, id);
	if (r == 0 && e->tx_ring)
		r = set_ring(sk, PACKET_TX_RING, e->tx_ring, version, id);
	if (r == 0 && e->has_fanout)
		r = set_int(sk, PACKET_FANOUT, e->fanout, "PACKET_FANOUT", id);
	return r;
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
	r = set_info_opts(sk, e, fe->id);
	if (r < 0)
		return r;
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
	r = set_bound_opts(sk, e, fe->id);
	if (r < 0)
		return r;
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
