/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Between ns/net.c (the driver, sysctls, firewall) and ns/net_rtnl.c (links, addresses, routes). */
#ifndef CR_NET_PRIV_H
#define CR_NET_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>

#include "image.h"
#include "images/net.pb-c.h"
#include "options.h"

/* The flags a user sets on a link (ip link set ... up/promisc/arp off...). */
#define LINK_USER_FLAGS \
	(IFF_UP | IFF_PROMISC | IFF_ALLMULTI | IFF_NOARP | IFF_MULTICAST | IFF_DEBUG | IFF_DYNAMIC)

/* Every image of a dumped net namespace, read and checked before anything is made. */
struct net_images {
	NetLinkEntry **links;
	size_t n_links;
	NetAddrEntry **addrs;
	size_t n_addrs;
	NetRouteEntry **routes;
	size_t n_routes;
	NetSysctlEntry **sysctls;
	size_t n_sysctls;
	NetRulesEntry **rules;
	size_t n_rules;
	NetFibRuleEntry **fib_rules;
	size_t n_fib_rules;
};

/* ---- sysctls (net_sysctl.c), with criu in the namespace ---- */
/* The namespace's sysctls (links' excepted) into netsysctls.img. */
int net_sysctl_dump(struct img_dir *d);
/* One record of netsysctls.img: a name under net/, not of a link, and a one-line value. */
int net_sysctl_check(const NetSysctlEntry *e);
/* Writes back those of ni that differ from the new namespace's, until all read as dumped. */
int net_sysctl_restore(const struct net_images *ni);
/* A link's sysctls (conf and neigh, ipv4 and ipv6), read into entries named "ipv4/forwarding". */
int net_conf_read(const char *ifname, NetSysctlEntry ***ret, size_t *ret_n);
/* Frees what net_conf_read() made. */
void net_conf_free(NetSysctlEntry **conf, size_t n);
/* Checks a link's entries: their names and values. */
int net_conf_check(const char *ifname, NetSysctlEntry *const *conf, size_t n);
/* Writes the entries of one link back, as net_sysctl_restore() does. */
int net_conf_write(const char *ifname, NetSysctlEntry *const *conf, size_t n);

struct nl_sock;
struct nl_msg;
/* A libnl error code (negative NLE_*) as -errno, for the logs and the callers. */
int net_nl_errno(int nlerr);
/*
 * A netlink dump request of TYPE (header hdr of len bytes) on a new socket of
 * PROTO, in criu's current net namespace; cb(msg, arg) sees each answer.
 * Returns 1 when done, 0 when this kernel has no such protocol or request
 * (logged: there is nothing to list), -errno on failure (logged, naming what).
 */
int net_nl_dump(int proto, int type, const void *hdr, size_t len, int (*cb)(struct nl_msg *, void *),
		void *arg, const char *what);
/* Policy routing rules (net_rule.c), on an rtnetlink socket in the namespace. */
int net_rule_dump(struct nl_sock *sk, struct img_dir *d);
int net_rule_check(const NetFibRuleEntry *e, size_t i);
int net_rule_restore(struct nl_sock *sk, const NetFibRuleEntry *e, size_t i);

/*
 * Called inside the dumped namespace: refuses, by name, state the images do
 * not carry (qdiscs added with tc, xfrm states and policies, nexthop
 * objects). skip_link(ifindex, arg) tells links a plugin took (net_refuse.c).
 */
int net_refuse_unsupported(struct nl_sock *sk, bool (*skip_link)(int ifindex, const void *arg),
			   const void *arg);

/*
 * Called inside the dumped namespace: its links, addresses and routes into
 * d. outside_fd: criu's own net namespace, where the outside ends of veths
 * are looked for.
 */
int net_rtnl_dump(struct img_dir *d, int outside_fd);
/* Checks the links, addresses and routes of ni against each other and the options. */
int net_rtnl_check(const struct net_images *ni, const struct cr_opts *o);
/*
 * Called inside the new namespace: the links (a veth whose peer was outside
 * gets its peer in the namespace of outside_fd), their conf sysctls, flags,
 * then the addresses and routes.
 */
int net_rtnl_restore(const struct net_images *ni, const struct cr_opts *o, int outside_fd);

/*
 * Settings of links of a kind (net_linkinfo.c: bridges, bridge ports,
 * macvlans), with criu in the namespace. At dump: e's master, lower link and
 * settings into e (freed with net_linkinfo_free); what they cannot carry
 * refused by name.
 */
int net_linkinfo_dump(NetLinkEntry *e);
void net_linkinfo_free(NetLinkEntry *e);
struct nl_cache;
/* Refuses static fdb entries someone added (links: the namespace's, for their own MACs). */
int net_bridge_refuse_fdb(struct nl_cache *links);
/* Checks e's settings (kinds and attribute types). */
int net_linkinfo_check(const NetLinkEntry *e);
/* Once every link exists: settings, masters, port settings, then all read back and compared. */
int net_linkinfo_restore(struct nl_sock *sk, const struct net_images *ni);
/* --external macvlan[NAME]:OUT: OUT into ret_out (IFNAMSIZ); 1 given, 0 not, -EINVAL (logged). */
int net_macvlan_outside_name(const struct cr_opts *o, const char *name, char *ret_out);
/* Makes macvlan e on its lower link, inside or (lower_outside) in the namespace of outside_fd, moved in. */
int net_macvlan_create(struct nl_sock *sk, const NetLinkEntry *e, const struct cr_opts *o, int outside_fd);

/*
 * The outside end of a veth whose peer was outside the tree's namespace
 * (net_veth.c). An rtnetlink socket in the net namespace ns_fd, made from
 * inside another one.
 */
int net_sock_in(int ns_fd, struct nl_sock **ret);
struct rtnl_link;
/* Records in e the flags and master of l's peer when it is in osk's namespace. */
int net_veth_dump_peer(struct nl_sock *osk, struct rtnl_link *l, NetLinkEntry *e);
/*
 * --external veth[NAME]:OUT[@BRIDGE] for link NAME: OUT and BRIDGE (empty
 * when none) into ret_out and ret_bridge (IFNAMSIZ each). 1 when given, 0
 * when not, -EINVAL (logged) when a name is bad.
 */
int net_veth_outside_name(const struct cr_opts *o, const char *name, char *ret_out, char *ret_bridge);
/* Gives the outside end out of e its master (bridge, else the recorded one) and flags. */
int net_veth_restore_peer(struct nl_sock *osk, const NetLinkEntry *e, const char *out, const char *bridge);

#endif
