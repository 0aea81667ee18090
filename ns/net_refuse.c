/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * State a net namespace can hold that the images do not carry yet: traffic
 * control qdiscs someone added, xfrm (IPsec) states and policies, and
 * nexthop objects. A namespace that has any is refused by name at dump,
 * so that nothing is silently lost (docs/net.md). Runs inside the dumped
 * namespace, like the rest of the net dump.
 *
 * A qdisc the kernel attaches by itself (noqueue, pfifo_fast, mq, the
 * default_qdisc sysctl's) has handle 0; tc gives every qdisc it adds a
 * handle of its own, so a handle other than 0 marks one a user added.
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <net/if.h>

#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <netlink/netlink.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "log.h"
#include "net_priv.h"

static int count_cb(struct nl_msg *msg, void *arg)
{
	(void)msg;
	(*(int *)arg)++;
	return NL_OK;
}

/* How many objects a netlink dump request of TYPE answers with, in *ret_n (0 if the kernel has none). */
static int dump_count(int proto, int type, const void *hdr, size_t len, const char *what, int *ret_n)
{
	int r;

	*ret_n = 0;
	r = net_nl_dump(proto, type, hdr, len, count_cb, ret_n, what);
	return r < 0 ? r : 0;
}

static int refuse_qdiscs(struct nl_sock *sk, bool (*skip)(int ifindex, const void *arg), const void *arg)
{
	struct nl_cache *cache = NULL;
	int r = rtnl_qdisc_alloc_cache(sk, &cache);

	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "cannot list the qdiscs (%s)", nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = TC_CAST(o);
		int ifindex = rtnl_tc_get_ifindex(tc);
		uint32_t handle = rtnl_tc_get_handle(tc);
		const char *kind = rtnl_tc_get_kind(tc);
		char name[IF_NAMESIZE] = "?";

		if (handle == 0 || (skip && skip(ifindex, arg)))
			continue;
		if_indextoname((unsigned int)ifindex, name);
		r = pr_err_ret(-EOPNOTSUPP,
			       "link %s (ifindex %d): not supported yet: qdisc %s %x: added with tc (the images "
			       "do not carry traffic control)",
			       name, ifindex, kind ? kind : "?", handle >> 16);
		break;
	}
	nl_cache_free(cache);
	return r < 0 ? r : 0;
}

int net_refuse_unsupported(struct nl_sock *sk, bool (*skip_link)(int ifindex, const void *arg),
			   const void *arg)
{
	struct nhmsg nh = { .nh_family = AF_UNSPEC };
	int r, n;

	r = refuse_qdiscs(sk, skip_link, arg);
	if (r < 0)
		return r;
	r = dump_count(NETLINK_XFRM, XFRM_MSG_GETSA, NULL, 0, "xfrm states", &n);
	if (r == 0 && n > 0)
		r = pr_err_ret(-EOPNOTSUPP, "not supported yet: %d xfrm (IPsec) states (ip xfrm state)", n);
	if (r == 0)
		r = dump_count(NETLINK_XFRM, XFRM_MSG_GETPOLICY, NULL, 0, "xfrm policies", &n);
	if (r == 0 && n > 0)
		r = pr_err_ret(-EOPNOTSUPP, "not supported yet: %d xfrm (IPsec) policies (ip xfrm policy)", n);
	if (r == 0)
		r = dump_count(NETLINK_ROUTE, RTM_GETNEXTHOP, &nh, sizeof(nh), "nexthop objects", &n);
	if (r == 0 && n > 0)
		r = pr_err_ret(-EOPNOTSUPP, "not supported yet: %d nexthop objects (ip nexthop)", n);
	return r;
}
