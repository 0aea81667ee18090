/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Policy routing rules (ip rule) of the tree's own net namespace. A rule is
 * kept as rtnetlink gives it: its fib_rule_hdr and its attributes, each of a
 * type from a known list (an unknown one is refused by number), and sent back
 * as it was. The kernel's own rules (proto kernel: local, main, default) are
 * made again by the new namespace and left out.
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "cleanup.h"
#include "log.h"
#include "net_priv.h"

#define NET_MAX_RULE_ATTR 64

/* The attributes kept; FRA_PAD is alignment only. */
static const uint16_t rule_attrs[] = {
	FRA_DST,
	FRA_SRC,
	FRA_IIFNAME,
	FRA_GOTO,
	FRA_PRIORITY,
	FRA_FWMARK,
	FRA_FLOW,
	FRA_TUN_ID,
	FRA_SUPPRESS_IFGROUP,
	FRA_SUPPRESS_PREFIXLEN,
	FRA_TABLE,
	FRA_FWMASK,
	FRA_OIFNAME,
	FRA_L3MDEV,
	FRA_UID_RANGE,
	FRA_PROTOCOL,
	FRA_IP_PROTO,
	FRA_SPORT_RANGE,
	FRA_DPORT_RANGE,
};

static bool rule_attr_known(unsigned int type)
{
	for (size_t i = 0; i < sizeof(rule_attrs) / sizeof(rule_attrs[0]); i++)
		if (rule_attrs[i] == type)
			return true;
	return false;
}

static bool family_ok(unsigned int family)
{
	return family == AF_INET || family == AF_INET6 || family == RTNL_FAMILY_IPMR ||
	       family == RTNL_FAMILY_IP6MR;
}

struct rule_dump {
	struct img_writer *w;
	int err;
	size_t n;
};

static int dump_rule_cb(struct nl_msg *msg, void *arg)
{
	struct rule_dump *rd = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct fib_rule_hdr *frh = nlmsg_data(h);
	NetFibRuleEntry e = NET_FIB_RULE_ENTRY__INIT;
	NetFibRuleAttr a[NET_MAX_RULE_ATTR], *ap[NET_MAX_RULE_ATTR];
	uint32_t prio = 0;
	struct nlattr *nla;
	int rem;

	if (rd->err < 0 || h->nlmsg_type != RTM_NEWRULE || nlmsg_datalen(h) < (int)sizeof(*frh))
		return NL_SKIP;
	e.family = frh->family;
	e.dst_len = frh->dst_len;
	e.src_len = frh->src_len;
	e.tos = frh->tos;
	e.table = frh->table;
	e.action = frh->action;
	e.flags = frh->flags;
	e.attrs = ap;
	nlmsg_for_each_attr(nla, h, sizeof(*frh), rem)
	{
		unsigned int type = (unsigned int)nla_type(nla);

		if (type == FRA_PROTOCOL && nla_len(nla) >= 1 && nla_get_u8(nla) == RTPROT_KERNEL)
			return NL_SKIP; /* the kernel's own */
		if (type == FRA_PRIORITY && nla_len(nla) >= 4)
			prio = nla_get_u32(nla);
		if (type == FRA_PAD)
			continue;
		if (!rule_attr_known(type) || e.n_attrs == NET_MAX_RULE_ATTR) {
			rd->err = pr_err_ret(-EOPNOTSUPP,
					     "not supported yet: policy routing rule (family %u, priority "
					     "%u) with attribute %u",
					     e.family, prio, type);
			return NL_STOP;
		}
		net_fib_rule_attr__init(&a[e.n_attrs]);
		a[e.n_attrs].type = type;
		a[e.n_attrs].value.data = nla_data(nla);
		a[e.n_attrs].value.len = (size_t)nla_len(nla);
		ap[e.n_attrs] = &a[e.n_attrs];
		e.n_attrs++;
	}
	if (!family_ok(e.family)) {
		rd->err = pr_err_ret(-EOPNOTSUPP, "not supported yet: policy routing rules of family %u",
				     e.family);
		return NL_STOP;
	}
	pr_info("rule: family %u, priority %u, table %u, action %u\n", e.family, prio, e.table, e.action);
	rd->err = img_write_msg(rd->w, &e.base);
	rd->n++;
	return rd->err < 0 ? NL_STOP : NL_OK;
}

int net_rule_dump(struct nl_sock *sk, struct img_dir *d)
{
	struct fib_rule_hdr frh = {.family = AF_UNSPEC};
	struct rule_dump rd = {0};
	int r = img_create(d, IMG_NETFIBRULE, 0, &rd.w);

	if (r < 0)
		return r;
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, dump_rule_cb, &rd);
	if (r == 0)
		r = nl_send_simple(sk, RTM_GETRULE, NLM_F_DUMP, &frh, sizeof(frh));
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_DEFAULT, NULL, NULL);
	if (r < 0 && rd.err == 0)
		rd.err = pr_err_ret(net_nl_errno(r), "cannot list the policy routing rules (%s)", nl_geterror(r));
	if (rd.err == 0)
		pr_info("%zu policy routing rule(s)\n", rd.n);
	return img_finish(rd.w, rd.err);
}

int net_rule_check(const NetFibRuleEntry *e, size_t i)
{
	if (!family_ok(e->family) || e->dst_len > 128 || e->src_len > 128 || e->tos > 255 || e->table > 255 ||
	    e->action > 255 || e->n_attrs > NET_MAX_RULE_ATTR)
		return pr_err_ret(-EBADMSG, "netfibrules.img: rule %zu: bad family, lengths, table or action",
				  i);
	for (size_t k = 0; k < e->n_attrs; k++) {
		const NetFibRuleAttr *a = e->attrs[k];

		if (!rule_attr_known(a->type) || a->value.len > 64 ||
		    ((a->type == FRA_IIFNAME || a->type == FRA_OIFNAME) &&
		     (a->value.len > IFNAMSIZ || !memchr(a->value.data, 0, a->value.len))))
			return pr_err_ret(-EBADMSG, "netfibrules.img: rule %zu: attribute %u (%zu bytes)", i,
					  a->type, a->value.len);
	}
	return 0;
}

int net_rule_restore(struct nl_sock *sk, const NetFibRuleEntry *e, size_t i)
{
	struct fib_rule_hdr frh = {
		.family = (uint8_t)e->family,
		.dst_len = (uint8_t)e->dst_len,
		.src_len = (uint8_t)e->src_len,
		.tos = (uint8_t)e->tos,
		.table = (uint8_t)e->table,
		.action = (uint8_t)e->action,
		.flags = e->flags,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL);
	int r;

	if (!msg)
		return -ENOMEM;
	r = nlmsg_append(msg, &frh, sizeof(frh), NLMSG_ALIGNTO);
	for (size_t k = 0; r == 0 && k < e->n_attrs; k++)
		r = nla_put(msg, (int)e->attrs[k]->type, (int)e->attrs[k]->value.len,
			    e->attrs[k]->value.data);
	if (r == 0)
		r = nl_send_auto(sk, msg);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(msg);
	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "policy routing rule %zu (family %u, table %u): cannot add it (%s)",
				  i, e->family, e->table, nl_geterror(r));
	return 0;
}
