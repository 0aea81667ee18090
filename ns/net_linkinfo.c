/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The settings of links of a kind (rtnetlink's IFLA_INFO_DATA): bridges,
 * bridge ports and macvlan links of the tree's net namespace.
 *
 * Bridges and their ports: a bridge's settings
 * (IFLA_BR_*: stp, timers, multicast snooping, ...) and each port's
 * (IFLA_BRPORT_*: cost, priority, learning, flooding, ...) are kept as the
 * rtnetlink attributes the kernel reports and are given back the same way,
 * then read again and compared. The kernel's own state (timers, ids, the
 * port's STP state) is not kept: a new bridge makes its own.
 * A bridge's MAC address is set when it is made, as every link's is: one
 * the kernel picked (random, or its lowest port's) comes back as one set by
 * hand, so ports added later do not change it, and the STP bridge id of a
 * portless bridge is that MAC instead of zero.
 * Refused at dump, by name: VLAN filtering (the per-port VLAN tables are not
 * carried), static fdb entries someone added, an attribute criu does not
 * know (a newer kernel's: it could be a setting that would be lost).
 *
 * macvlan links: mode, flags, broadcast queue settings; their lower link
 * is a link of the namespace, or one outside it that --external
 * macvlan[NAME]:OUTSIDE names at restore (the link is made there and moved
 * in). Refused: the source-MAC lists of mode source.
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>

#include "cleanup.h"
#include "compat.h"
#include "log.h"
#include "net_priv.h"

#define ATTR_MAX_LEN 64 /* the longest is IFLA_BR_MULTI_BOOLOPT, 8 bytes */

/* What the kernel takes back (rw) and what it only reports (ro); any other is refused. */
static const uint16_t br_rw[] = {
	IFLA_BR_FORWARD_DELAY,
	IFLA_BR_HELLO_TIME,
	IFLA_BR_MAX_AGE,
	IFLA_BR_AGEING_TIME,
	IFLA_BR_STP_STATE,
	IFLA_BR_PRIORITY,
	IFLA_BR_VLAN_FILTERING,
	IFLA_BR_VLAN_PROTOCOL,
	IFLA_BR_GROUP_FWD_MASK,
	IFLA_BR_GROUP_ADDR,
	IFLA_BR_MCAST_ROUTER,
	IFLA_BR_MCAST_SNOOPING,
	IFLA_BR_MCAST_QUERY_USE_IFADDR,
	IFLA_BR_MCAST_QUERIER,
	IFLA_BR_MCAST_HASH_ELASTICITY,
	IFLA_BR_MCAST_HASH_MAX,
	IFLA_BR_MCAST_LAST_MEMBER_CNT,
	IFLA_BR_MCAST_STARTUP_QUERY_CNT,
	IFLA_BR_MCAST_LAST_MEMBER_INTVL,
	IFLA_BR_MCAST_MEMBERSHIP_INTVL,
	IFLA_BR_MCAST_QUERIER_INTVL,
	IFLA_BR_MCAST_QUERY_INTVL,
	IFLA_BR_MCAST_QUERY_RESPONSE_INTVL,
	IFLA_BR_MCAST_STARTUP_QUERY_INTVL,
	IFLA_BR_NF_CALL_IPTABLES,
	IFLA_BR_NF_CALL_IP6TABLES,
	IFLA_BR_NF_CALL_ARPTABLES,
	IFLA_BR_VLAN_DEFAULT_PVID,
	IFLA_BR_VLAN_STATS_ENABLED,
	IFLA_BR_MCAST_STATS_ENABLED,
	IFLA_BR_MCAST_IGMP_VERSION,
	IFLA_BR_MCAST_MLD_VERSION,
	IFLA_BR_VLAN_STATS_PER_PORT,
	IFLA_BR_MULTI_BOOLOPT,
	CR_IFLA_BR_FDB_MAX_LEARNED,
};
static const uint16_t br_ro[] = {
	IFLA_BR_ROOT_ID,
	IFLA_BR_BRIDGE_ID,
	IFLA_BR_ROOT_PORT,
	IFLA_BR_ROOT_PATH_COST,
	IFLA_BR_TOPOLOGY_CHANGE,
	IFLA_BR_TOPOLOGY_CHANGE_DETECTED,
	IFLA_BR_HELLO_TIMER,
	IFLA_BR_TCN_TIMER,
	IFLA_BR_TOPOLOGY_CHANGE_TIMER,
	IFLA_BR_GC_TIMER,
	IFLA_BR_FDB_FLUSH,
	IFLA_BR_PAD,
	IFLA_BR_MCAST_QUERIER_STATE,
	CR_IFLA_BR_FDB_N_LEARNED,
};
static const uint16_t port_rw[] = {
	IFLA_BRPORT_PRIORITY,
	IFLA_BRPORT_COST,
	IFLA_BRPORT_MODE,
	IFLA_BRPORT_GUARD,
	IFLA_BRPORT_PROTECT,
	IFLA_BRPORT_FAST_LEAVE,
	IFLA_BRPORT_LEARNING,
	IFLA_BRPORT_UNICAST_FLOOD,
	IFLA_BRPORT_PROXYARP,
	IFLA_BRPORT_LEARNING_SYNC,
	IFLA_BRPORT_PROXYARP_WIFI,
	IFLA_BRPORT_MULTICAST_ROUTER,
	IFLA_BRPORT_MCAST_FLOOD,
	IFLA_BRPORT_MCAST_TO_UCAST,
	IFLA_BRPORT_VLAN_TUNNEL,
	IFLA_BRPORT_BCAST_FLOOD,
	IFLA_BRPORT_GROUP_FWD_MASK,
	IFLA_BRPORT_NEIGH_SUPPRESS,
	IFLA_BRPORT_ISOLATED,
	IFLA_BRPORT_BACKUP_PORT,
	IFLA_BRPORT_MCAST_EHT_HOSTS_LIMIT,
	IFLA_BRPORT_LOCKED,
	CR_IFLA_BRPORT_MAB,
	CR_IFLA_BRPORT_MCAST_MAX_GROUPS,
	CR_IFLA_BRPORT_NEIGH_VLAN_SUPPRESS,
	CR_IFLA_BRPORT_BACKUP_NHID,
};
/* IFLA_BRPORT_STATE: the port's STP state, which the bridge sets (forwarding once it is up, without STP) */
static const uint16_t port_ro[] = {
	IFLA_BRPORT_STATE,
	IFLA_BRPORT_ROOT_ID,
	IFLA_BRPORT_BRIDGE_ID,
	IFLA_BRPORT_DESIGNATED_PORT,
	IFLA_BRPORT_DESIGNATED_COST,
	IFLA_BRPORT_ID,
	IFLA_BRPORT_NO,
	IFLA_BRPORT_TOPOLOGY_CHANGE_ACK,
	IFLA_BRPORT_CONFIG_PENDING,
	IFLA_BRPORT_MESSAGE_AGE_TIMER,
	IFLA_BRPORT_FORWARD_DELAY_TIMER,
	IFLA_BRPORT_HOLD_TIMER,
	IFLA_BRPORT_FLUSH,
	IFLA_BRPORT_PAD,
	IFLA_BRPORT_MRP_RING_OPEN,
	IFLA_BRPORT_MRP_IN_OPEN,
	IFLA_BRPORT_MCAST_EHT_HOSTS_CNT,
	CR_IFLA_BRPORT_MCAST_N_GROUPS,
};

static const uint16_t macvlan_rw[] = {
	IFLA_MACVLAN_MODE,
	IFLA_MACVLAN_FLAGS,
	IFLA_MACVLAN_BC_QUEUE_LEN,
	CR_IFLA_MACVLAN_BC_CUTOFF,
};
/* MACADDR_COUNT is checked at dump: a source-MAC list is refused */
static const uint16_t macvlan_ro[] = {
	IFLA_MACVLAN_MACADDR_COUNT,
	IFLA_MACVLAN_BC_QUEUE_LEN_USED,
};

enum info_kind { INFO_BRIDGE, INFO_PORT, INFO_MACVLAN };

static const struct {
	const char *name; /* in the logs */
	const uint16_t *rw, *ro;
	size_t n_rw, n_ro;
} info_kinds[] = {
	[INFO_BRIDGE] = {"bridge", br_rw, br_ro, ARRAY_SIZE(br_rw), ARRAY_SIZE(br_ro)},
	[INFO_PORT] = {"bridge port", port_rw, port_ro, ARRAY_SIZE(port_rw), ARRAY_SIZE(port_ro)},
	[INFO_MACVLAN] = {"macvlan", macvlan_rw, macvlan_ro, ARRAY_SIZE(macvlan_rw), ARRAY_SIZE(macvlan_ro)},
};

static bool listed(const uint16_t *v, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == type)
			return true;
	return false;
}

static bool is_rw(enum info_kind k, uint32_t type)
{
	return listed(info_kinds[k].rw, info_kinds[k].n_rw, type);
}

static bool is_ro(enum info_kind k, uint32_t type)
{
	return listed(info_kinds[k].ro, info_kinds[k].n_ro, type);
}

/* ---- reading a link's attributes ---- */

struct attrs {
	NetLinkAttr **v;
	size_t n;
};

static void attrs_free(struct attrs *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i]->value.data);
		free(a->v[i]);
	}
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int attrs_add(struct attrs *a, const struct nlattr *nla)
{
	NetLinkAttr **nv = realloc(a->v, (a->n + 1) * sizeof(*nv));
	NetLinkAttr *e;

	if (!nv)
		return -ENOMEM;
	a->v = nv;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	net_link_attr__init(e);
	e->type = (uint32_t)nla_type(nla);
	e->value.len = (size_t)nla_len(nla);
	e->value.data = malloc(e->value.len + 1);
	if (!e->value.data) {
		free(e);
		return -ENOMEM;
	}
	memcpy(e->value.data, nla_data(nla), e->value.len);
	a->v[a->n++] = e;
	return 0;
}

/* The kind whose IFLA_INFO_DATA criu keeps, for a link kind; -1 for the others. */
static int data_kind_of(const char *kind)
{
	if (!strcmp(kind, "bridge"))
		return INFO_BRIDGE;
	if (!strcmp(kind, "macvlan"))
		return INFO_MACVLAN;
	return -1;
}

struct link_query {
	int ifindex;
	const char *name;
	bool found;
	uint32_t master, lower;
	bool lower_elsewhere; /* IFLA_LINK_NETNSID: the lower link is in another namespace */
	struct attrs data, port;
	int macaddr_count;
	int err;
};

/* The rw attributes of nest into a; an unknown one is an error naming it. */
static int take_nest(struct link_query *q, struct nlattr *nest, enum info_kind k, struct attrs *a)
{
	struct nlattr *nla;
	int rem, r = 0;

	nla_for_each_nested(nla, nest, rem)
	{
		uint32_t type = (uint32_t)nla_type(nla);

		if (k == INFO_MACVLAN && type == IFLA_MACVLAN_MACADDR_COUNT && nla_len(nla) >= 4)
			q->macaddr_count = (int)nla_get_u32(nla);
		if (is_ro(k, type))
			continue;
		if (!is_rw(k, type))
			return pr_err_ret(
				-EOPNOTSUPP,
				"link %s (ifindex %d): not supported yet: %s attribute %u, not known to criu",
				q->name, q->ifindex, info_kinds[k].name, type);
		if (nla_len(nla) > ATTR_MAX_LEN)
			return pr_err_ret(-EOPNOTSUPP, "link %s: %s attribute %u of %d bytes", q->name,
					  info_kinds[k].name, type, nla_len(nla));
		r = attrs_add(a, nla);
		if (r < 0)
			return r;
	}
	return 0;
}

static void take_linkinfo(struct link_query *q, struct nlattr *linkinfo)
{
	struct nlattr *li[IFLA_INFO_MAX + 1];
	int k;

	if (nla_parse_nested(li, IFLA_INFO_MAX, linkinfo, NULL) < 0)
		return;
	k = li[IFLA_INFO_KIND] ? data_kind_of(nla_get_string(li[IFLA_INFO_KIND])) : -1;
	if (k >= 0 && li[IFLA_INFO_DATA])
		q->err = take_nest(q, li[IFLA_INFO_DATA], (enum info_kind)k, &q->data);
	if (!q->err && li[IFLA_INFO_SLAVE_KIND] && li[IFLA_INFO_SLAVE_DATA] &&
	    !strcmp(nla_get_string(li[IFLA_INFO_SLAVE_KIND]), "bridge"))
		q->err = take_nest(q, li[IFLA_INFO_SLAVE_DATA], INFO_PORT, &q->port);
}

static int link_query_cb(struct nl_msg *msg, void *arg)
{
	struct link_query *q = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ifinfomsg *ifi = nlmsg_data(h);
	struct nlattr *tb[IFLA_MAX + 1];

	if (h->nlmsg_type != RTM_NEWLINK || ifi->ifi_index != q->ifindex || q->found || q->err)
		return NL_OK;
	q->found = true;
	if (nlmsg_parse(h, sizeof(*ifi), tb, IFLA_MAX, NULL) < 0) {
		q->err = -EBADMSG;
		return NL_OK;
	}
	if (tb[IFLA_MASTER])
		q->master = nla_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		q->lower = nla_get_u32(tb[IFLA_LINK]);
	q->lower_elsewhere = tb[IFLA_LINK_NETNSID] != NULL;
	if (tb[IFLA_LINKINFO])
		take_linkinfo(q, tb[IFLA_LINKINFO]);
	return NL_OK;
}

static void link_query_free(struct link_query *q)
{
	attrs_free(&q->data);
	attrs_free(&q->port);
}

/* Link ifindex of criu's current namespace, as rtnetlink shows it now. */
static int link_query(int ifindex, const char *name, struct link_query *q)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	int r;

	memset(q, 0, sizeof(*q));
	q->ifindex = ifindex;
	q->name = name;
	r = net_nl_dump(NETLINK_ROUTE, RTM_GETLINK, &ifi, sizeof(ifi), link_query_cb, q, "links");
	if (r >= 0 && q->err)
		r = q->err;
	if (r >= 0 && !q->found)
		r = pr_err_ret(-ENOENT, "link %s (ifindex %d): gone", name, ifindex);
	if (r < 0) {
		link_query_free(q);
		return r;
	}
	return 0;
}

static const NetLinkAttr *find_attr(NetLinkAttr *const *v, size_t n, uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (v[i]->type == type)
			return v[i];
	return NULL;
}

static bool attr_equal(const NetLinkAttr *a, const NetLinkAttr *b)
{
	return a && b && a->value.len == b->value.len && !memcmp(a->value.data, b->value.data, a->value.len);
}

/* ---- dump ---- */

static int refuse_dumped(const NetLinkEntry *e, const struct link_query *q)
{
	const NetLinkAttr *vf = find_attr(e->info_data, e->n_info_data, IFLA_BR_VLAN_FILTERING);

	if (!strcmp(e->kind, "bridge") && vf && vf->value.len >= 1 && vf->value.data[0])
		return pr_err_ret(
			-EOPNOTSUPP,
			"link %s (ifindex %u): not supported yet: a bridge with VLAN filtering (its ports' "
			"VLAN tables are not carried)",
			e->name, e->ifindex);
	if (!strcmp(e->kind, "macvlan") && q->macaddr_count > 0)
		return pr_err_ret(
			-EOPNOTSUPP,
			"link %s (ifindex %u): not supported yet: a macvlan with %d source MAC addresses",
			e->name, e->ifindex, q->macaddr_count);
	if (!strcmp(e->kind, "macvlan") && !q->lower)
		return pr_err_ret(-EOPNOTSUPP, "link %s (ifindex %u): a macvlan without a lower link",
				  e->name, e->ifindex);
	return 0;
}

int net_linkinfo_dump(NetLinkEntry *e)
{
	struct link_query q;
	int r = link_query((int)e->ifindex, e->name, &q);

	if (r < 0)
		return r;
	if (q.master) {
		e->has_master = true;
		e->master = q.master;
	}
	if (!strcmp(e->kind, "macvlan") && q.lower) {
		e->has_lower = true;
		e->lower = q.lower;
		e->has_lower_outside = true;
		e->lower_outside = q.lower_elsewhere;
	}
	e->info_data = q.data.v;
	e->n_info_data = q.data.n;
	e->port_data = q.port.v;
	e->n_port_data = q.port.n;
	return refuse_dumped(e, &q);
}

void net_linkinfo_free(NetLinkEntry *e)
{
	struct attrs data = {e->info_data, e->n_info_data}, port = {e->port_data, e->n_port_data};

	attrs_free(&data);
	attrs_free(&port);
	e->info_data = e->port_data = NULL;
	e->n_info_data = e->n_port_data = 0;
}

struct fdb_check {
	struct nl_cache *links;
	int err;
};

/* Is mac the address of link ifindex or of its master (the bridge's own "permanent" entries)? */
static bool own_mac(struct nl_cache *links, int ifindex, const uint8_t *mac)
{
	for (int hop = 0; hop < 2 && ifindex > 0; hop++) {
		struct rtnl_link *l = rtnl_link_get(links, ifindex);
		struct nl_addr *a = l ? rtnl_link_get_addr(l) : NULL;
		bool same = a && nl_addr_get_len(a) == 6 && !memcmp(nl_addr_get_binary_addr(a), mac, 6);

		ifindex = l ? rtnl_link_get_master(l) : 0;
		if (l)
			rtnl_link_put(l);
		if (same)
			return true;
	}
	return false;
}

static int fdb_cb(struct nl_msg *msg, void *arg)
{
	struct fdb_check *c = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct ndmsg *nd = nlmsg_data(h);
	struct nlattr *tb[NDA_MAX + 1];
	const uint8_t *mac;
	char name[IF_NAMESIZE] = "?";

	if (c->err || h->nlmsg_type != RTM_NEWNEIGH || nlmsg_parse(h, sizeof(*nd), tb, NDA_MAX, NULL) < 0 ||
	    !tb[NDA_LLADDR] || nla_len(tb[NDA_LLADDR]) != 6)
		return NL_OK;
	/* a device's own address lists (multicast it joined): not the bridge's table */
	if ((nd->ndm_flags & NTF_SELF) && !(nd->ndm_flags & NTF_MASTER))
		return NL_OK;
	mac = nla_data(tb[NDA_LLADDR]);
	if (!(nd->ndm_state & NUD_NOARP) && !(nd->ndm_state & NUD_PERMANENT))
		return NL_OK; /* learned: the bridge learns again */
	if ((nd->ndm_state & NUD_PERMANENT) && own_mac(c->links, nd->ndm_ifindex, mac))
		return NL_OK;
	if_indextoname((unsigned int)nd->ndm_ifindex, name);
	c->err = pr_err_ret(
		-EOPNOTSUPP,
		"link %s (ifindex %d): not supported yet: fdb entry %02x:%02x:%02x:%02x:%02x:%02x added "
		"with bridge fdb (static fdb entries are not carried)",
		name, nd->ndm_ifindex, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return NL_OK;
}

int net_bridge_refuse_fdb(struct nl_cache *links)
{
	struct ndmsg nd = {.ndm_family = AF_BRIDGE};
	struct fdb_check c = {.links = links};
	int r = net_nl_dump(NETLINK_ROUTE, RTM_GETNEIGH, &nd, sizeof(nd), fdb_cb, &c, "bridge fdb entries");

	return r < 0 ? r : c.err;
}

/* ---- restore ---- */

static int check_attrs(const NetLinkEntry *e, NetLinkAttr *const *v, size_t n, enum info_kind k)
{
	for (size_t i = 0; i < n; i++)
		if (!is_rw(k, v[i]->type) || v[i]->value.len > ATTR_MAX_LEN)
			return pr_err_ret(-EBADMSG, "netlinks.img: link %s: %s attribute %u", e->name,
					  info_kinds[k].name, v[i]->type);
	return 0;
}

int net_linkinfo_check(const NetLinkEntry *e)
{
	int k = data_kind_of(e->kind);
	int r;

	if (e->n_info_data && k < 0)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: settings of a %s link", e->name, e->kind);
	r = k < 0 ? 0 : check_attrs(e, e->info_data, e->n_info_data, (enum info_kind)k);
	if (r == 0)
		r = check_attrs(e, e->port_data, e->n_port_data, INFO_PORT);
	if (r == 0 && e->n_port_data && !e->has_master)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: port settings but no bridge", e->name);
	if (r == 0 && !strcmp(e->kind, "macvlan") && !e->has_lower)
		return pr_err_ret(-EBADMSG, "netlinks.img: macvlan %s: no lower link", e->name);
	return r;
}

/*
 * RTM_NEWLINK on link e: its master (master), or n of its settings v of
 * kind k (the kind's own, or a bridge port's).
 */
static int send_change(struct nl_sock *sk, const NetLinkEntry *e, bool master, enum info_kind k,
		       NetLinkAttr *const *v, size_t n)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)e->ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
	struct nlattr *li, *data;
	int r = msg ? nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) : -NLE_NOMEM;

	if (r == 0 && master)
		r = nla_put_u32(msg, IFLA_MASTER, e->master);
	if (r == 0 && !master) {
		li = nla_nest_start(msg, IFLA_LINKINFO);
		r = li ? 0 : -NLE_NOMEM;
		if (r == 0 && k != INFO_PORT)
			r = nla_put_string(msg, IFLA_INFO_KIND, e->kind);
		data = r == 0 ? nla_nest_start(msg, k == INFO_PORT ? IFLA_INFO_SLAVE_DATA : IFLA_INFO_DATA)
			      : NULL;
		for (size_t i = 0; data && r == 0 && i < n; i++)
			r = nla_put(msg, (int)v[i]->type, (int)v[i]->value.len, v[i]->value.data);
		if (r == 0 && data) {
			nla_nest_end(msg, data);
			nla_nest_end(msg, li);
		}
	}
	if (r == 0)
		r = nl_send_auto(sk, msg);
	if (r >= 0)
		r = nl_wait_for_ack(sk);
	nlmsg_free(msg);
	return r < 0 ? r : 0;
}

/*
 * The settings of e that differ from what the new link has now, into ret
 * (borrowed pointers): only those are sent, as a kernel built without a
 * feature refuses even its default (vlan_filtering 0 without VLAN support).
 */
static int differing(const NetLinkEntry *e, enum info_kind k, NetLinkAttr ***ret, size_t *ret_n)
{
	NetLinkAttr *const *v = k == INFO_PORT ? e->port_data : e->info_data;
	size_t n = k == INFO_PORT ? e->n_port_data : e->n_info_data, m = 0;
	NetLinkAttr **d = calloc(n + 1, sizeof(*d));
	struct link_query q;
	int r = d ? link_query((int)e->ifindex, e->name, &q) : -ENOMEM;

	if (r < 0) {
		free(d);
		return r;
	}
	for (size_t i = 0; i < n; i++) {
		const struct attrs *now = k == INFO_PORT ? &q.port : &q.data;

		if (!attr_equal(find_attr(now->v, now->n, v[i]->type), v[i]))
			d[m++] = v[i];
	}
	link_query_free(&q);
	*ret = d;
	*ret_n = m;
	return 0;
}

/* Link e's settings of kind k (its own, or as a bridge port): those that differ, sent. */
static int change_settings(struct nl_sock *sk, const NetLinkEntry *e, enum info_kind k)
{
	_cleanup_free_ NetLinkAttr **v = NULL;
	size_t n = 0;
	int r = differing(e, k, &v, &n);

	if (r < 0 || n == 0)
		return r;
	r = send_change(sk, e, false, k, v, n);
	if (r == 0)
		return 0;
	/* one by one, to name the setting the kernel refused */
	for (size_t i = 0; i < n; i++) {
		int err = send_change(sk, e, false, k, v + i, 1);

		if (err < 0)
			return pr_err_ret(net_nl_errno(err),
					  "link %s (ifindex %u): cannot set %s attribute %u (%s)", e->name,
					  e->ifindex, info_kinds[k].name, v[i]->type, nl_geterror(err));
	}
	return pr_err_ret(net_nl_errno(r), "link %s (ifindex %u): cannot set its %s settings (%s)", e->name,
			  e->ifindex, info_kinds[k].name, nl_geterror(r));
}

/* Reads link e back: its master and every setting given must read as dumped. */
static int verify_link(const NetLinkEntry *e)
{
	struct link_query q;
	int r = link_query((int)e->ifindex, e->name, &q);
	int k = data_kind_of(e->kind);

	if (r < 0)
		return r;
	if (e->has_master && q.master != e->master)
		r = pr_err_ret(-EIO, "link %s: its bridge is ifindex %u, not %u", e->name, q.master,
			       e->master);
	for (int port = 0; r == 0 && port < 2; port++) {
		NetLinkAttr *const *v = port ? e->port_data : e->info_data;
		size_t n = port ? e->n_port_data : e->n_info_data;
		const struct attrs *now = port ? &q.port : &q.data;

		for (size_t i = 0; r == 0 && i < n; i++)
			if (!attr_equal(find_attr(now->v, now->n, v[i]->type), v[i]))
				r = pr_err_ret(-EIO, "link %s: %s attribute %u does not read as dumped",
					       e->name, port ? "bridge port" : info_kinds[k < 0 ? 0 : k].name,
					       v[i]->type);
	}
	link_query_free(&q);
	return r;
}

int net_linkinfo_restore(struct nl_sock *sk, const struct net_images *ni)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < ni->n_links; i++) {
		const NetLinkEntry *e = ni->links[i];
		int k = data_kind_of(e->kind);

		if (k >= 0 && e->n_info_data)
			r = change_settings(sk, e, (enum info_kind)k);
	}
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		if (ni->links[i]->has_master) {
			r = send_change(sk, ni->links[i], true, INFO_PORT, NULL, 0);
			if (r < 0)
				r = pr_err_ret(
					net_nl_errno(r),
					"link %s (ifindex %u): cannot make it a port of ifindex %u (%s)",
					ni->links[i]->name, ni->links[i]->ifindex, ni->links[i]->master,
					nl_geterror(r));
		}
	/* after every master: a port's backup port is another port */
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		if (ni->links[i]->n_port_data)
			r = change_settings(sk, ni->links[i], INFO_PORT);
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		if (ni->links[i]->n_info_data || ni->links[i]->has_master)
			r = verify_link(ni->links[i]);
	return r;
}

/* ---- macvlan ---- */

int net_macvlan_outside_name(const struct cr_opts *o, const char *name, char *ret_out)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < o->external.n; i++) {
		const char *e = o->external.v[i], *out;

		if (strncmp(e, "macvlan[", 8) || strncmp(e + 8, name, nl) || e[8 + nl] != ']' ||
		    e[9 + nl] != ':')
			continue;
		out = e + 10 + nl;
		if (!*out || strlen(out) >= IFNAMSIZ || strchr(out, '/'))
			return pr_err_ret(-EINVAL, "--external %s: a bad name (macvlan[%s]:OUTSIDE)", e,
					  name);
		snprintf(ret_out, IFNAMSIZ, "%s", out);
		return 1;
	}
	return 0;
}

/* The RTM_NEWLINK that makes macvlan e on lower link lower_ifindex (in ns_fd's namespace when >= 0). */
static int macvlan_msg(const NetLinkEntry *e, uint32_t lower_ifindex, int ns_fd, struct nl_msg **ret)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = (int)e->ifindex};
	struct nl_msg *msg =
		nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *li, *data;
	int r = msg ? nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) : -NLE_NOMEM;

	if (r == 0)
		r = nla_put_string(msg, IFLA_IFNAME, e->name);
	if (r == 0)
		r = nla_put_u32(msg, IFLA_MTU, e->mtu);
	if (r == 0)
		r = nla_put_u32(msg, IFLA_LINK, lower_ifindex);
	if (r == 0 && e->has_txqlen)
		r = nla_put_u32(msg, IFLA_TXQLEN, e->txqlen);
	if (r == 0 && e->has_address)
		r = nla_put(msg, IFLA_ADDRESS, (int)e->address.len, e->address.data);
	if (r == 0 && ns_fd >= 0)
		r = nla_put_u32(msg, IFLA_NET_NS_FD, (uint32_t)ns_fd);
	li = r == 0 ? nla_nest_start(msg, IFLA_LINKINFO) : NULL;
	if (r == 0 && !li)
		r = -NLE_NOMEM;
	if (r == 0)
		r = nla_put_string(msg, IFLA_INFO_KIND, "macvlan");
	data = r == 0 ? nla_nest_start(msg, IFLA_INFO_DATA) : NULL;
	for (size_t i = 0; data && r == 0 && i < e->n_info_data; i++)
		r = nla_put(msg, (int)e->info_data[i]->type, (int)e->info_data[i]->value.len,
			    e->info_data[i]->value.data);
	if (r == 0 && data) {
		nla_nest_end(msg, data);
		nla_nest_end(msg, li);
	} else if (r == 0) {
		r = -NLE_NOMEM;
	}
	if (r < 0) {
		nlmsg_free(msg);
		return r;
	}
	*ret = msg;
	return 0;
}

/* The ifindex of link name in osk's namespace. */
static int outside_ifindex(struct nl_sock *osk, const char *name, uint32_t *ret)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(osk, 0, name, &l);

	if (r < 0)
		return r;
	*ret = (uint32_t)rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return 0;
}

int net_macvlan_create(struct nl_sock *sk, const NetLinkEntry *e, const struct cr_opts *o, int outside_fd)
{
	char out[IFNAMSIZ] = "";
	struct nl_sock *osk = NULL, *via = sk;
	_cleanup_close_ int here = -EBADF;
	struct nl_msg *msg = NULL;
	uint32_t lower = e->lower;
	int r = 0;

	if (e->lower_outside) {
		r = net_macvlan_outside_name(o, e->name, out);
		if (r == 0)
			return pr_err_ret(-ENOENT,
					  "macvlan %s: its lower link was outside the namespace: --external "
					  "macvlan[%s]:OUTSIDE_NAME is needed",
					  e->name, e->name);
		if (r < 0)
			return r;
		here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (here < 0)
			return pr_perror_ret("macvlan %s: cannot open the new net namespace", e->name);
		r = net_sock_in(outside_fd, &osk);
		if (r < 0)
			return r;
		via = osk;
		r = outside_ifindex(osk, out, &lower);
		if (r < 0)
			r = pr_err_ret(net_nl_errno(r), "macvlan %s: no link %s outside (%s)", e->name, out,
				       nl_geterror(r));
	}
	if (r == 0)
		r = macvlan_msg(e, lower, here, &msg);
	if (r == 0)
		r = nl_send_auto(via, msg);
	if (r >= 0)
		r = nl_wait_for_ack(via);
	nlmsg_free(msg);
	if (osk)
		nl_socket_free(osk);
	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "macvlan %s (ifindex %u) on %s%s: cannot create it (%s)",
				  e->name, e->ifindex, out[0] ? out : "ifindex ", out[0] ? " outside" : "",
				  nl_geterror(r));
	pr_info("link %s (ifindex %u, macvlan) created on %s%s\n", e->name, e->ifindex,
		out[0] ? out : "its lower link", out[0] ? " outside" : "");
	return 0;
}
