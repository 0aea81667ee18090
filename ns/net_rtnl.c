/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The links, addresses and routes of the tree's own net namespace, through
 * rtnetlink (libnl-route-3). Dump runs inside the namespace (net.c enters
 * it); restore runs inside the new one, before the tree's sockets are made.
 *
 * Policy routing rules are net_rule.c's.
 *
 * Links: the loopback, veth pairs (both ends inside, or the peer outside,
 * given back with --external veth[NAME]:OUTSIDE), dummy links, bridges
 * with their ports, macvlan links (net_linkinfo.c); any other kind is
 * refused by name. Each keeps its ifindex, name, mtu, MAC address,
 * txqueuelen, user flags (up, promisc, ...) and its conf sysctls.
 * Addresses and routes made by the kernel itself (lo's loopback addresses,
 * EUI-64 link-local ones, proto kernel routes, the local table) come back by
 * themselves and are left out.
 */
#define LOG_PREFIX "net: "
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "cleanup.h"
#include "log.h"
#include "net_priv.h"
#include "plugins.h"

/* Links a plugin took at dump (DUMP_EXT_LINK): left out with their addresses and routes. */
struct ext_links {
	int *ifindex;
	size_t n;
	struct nl_sock *outside; /* in criu's net namespace: the outside ends of veths */
};

static bool is_ext_link(const struct ext_links *x, int ifindex)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->ifindex[i] == ifindex)
			return true;
	return false;
}

#define NET_MAX_LINKS  4096
#define NET_MAX_ADDRS  65536
#define NET_MAX_ROUTES 65536

/* Address flags a restore asks for; the others are the kernel's state (tentative, secondary...). */
#define ADDR_REQ_FLAGS                                                                                       \
	(IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN)

int net_nl_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_EXIST:
		return -EEXIST;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return -ENODEV;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_INVAL:
	case NLE_RANGE:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int rtnl_open(struct nl_sock **ret)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(sk);
		return pr_err_ret(net_nl_errno(r), "cannot open an rtnetlink socket (%s)", nl_geterror(r));
	}
	*ret = sk;
	return 0;
}

/* ---- dump ---- */

static void addr_to_bin(struct nl_addr *a, ProtobufCBinaryData *b, protobuf_c_boolean *has)
{
	if (!a || nl_addr_get_len(a) == 0)
		return;
	b->data = nl_addr_get_binary_addr(a);
	b->len = nl_addr_get_len(a);
	if (has)
		*has = true;
}

static int cmp_ifindex(const void *a, const void *b)
{
	int x = rtnl_link_get_ifindex(*(struct rtnl_link *const *)a);
	int y = rtnl_link_get_ifindex(*(struct rtnl_link *const *)b);

	return (x > y) - (x < y);
}

/* The kind of link l as the image names it; -EOPNOTSUPP (not logged) for a kind criu does not know. */
static int link_kind(struct rtnl_link *l, const char **ret)
{
	const char *type = rtnl_link_get_type(l);

	if (!type && rtnl_link_get_arptype(l) == ARPHRD_LOOPBACK && rtnl_link_get_ifindex(l) == 1) {
		*ret = "loopback";
		return 0;
	}
	if (type && (!strcmp(type, "veth") || !strcmp(type, "dummy") || !strcmp(type, "bridge") ||
		     !strcmp(type, "macvlan"))) {
		*ret = type;
		return 0;
	}
	return -EOPNOTSUPP;
}

/* The refusal of a link nobody takes, naming it. */
static int refuse_link(struct rtnl_link *l)
{
	const char *type = rtnl_link_get_type(l);
	const char *name = rtnl_link_get_name(l);
	int ifindex = rtnl_link_get_ifindex(l);

	if (type && !strcmp(type, "macvtap"))
		return pr_err_ret(
			-EOPNOTSUPP,
			"link %s (ifindex %d): not supported yet: a macvtap link (and its tap device)", name,
			ifindex);
	return pr_err_ret(-EOPNOTSUPP, "link %s (ifindex %d): not supported yet: links of kind %s", name,
			  ifindex, type ? type : "none (a physical or unnamed device)");
}

/*
 * A link of a kind criu does not know is offered to the plugins; the one
 * that takes it owns it (and its addresses and routes): it is left out of
 * the images, and the plugin or the setup-namespaces hook makes it at
 * restore. 1: taken; 0: not; -errno.
 */
static int offer_to_plugins(struct rtnl_link *l, struct ext_links *x)
{
	const char *type = rtnl_link_get_type(l);
	int ifindex = rtnl_link_get_ifindex(l), *nv;
	int r = plugins_dump_ext_link(ifindex, (int)rtnl_link_get_arptype(l), (char *)(type ? type : ""));

	if (r == -ENOTSUP)
		return 0;
	if (r < 0)
		return pr_err_ret(r, "link %s (ifindex %d): plugin %s failed", rtnl_link_get_name(l), ifindex,
				  plugins_last_handler());
	nv = realloc(x->ifindex, (x->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	x->ifindex = nv;
	x->ifindex[x->n++] = ifindex;
	pr_info("link %s (ifindex %d, kind %s): plugin %s takes it; it, its addresses and its routes are left "
		"out of the images\n",
		rtnl_link_get_name(l), ifindex, type ? type : "none", plugins_last_handler());
	return 1;
}

static int dump_one_link(struct rtnl_link *l, struct img_writer *w, struct ext_links *x)
{
	NetLinkEntry e = NET_LINK_ENTRY__INIT;
	const char *kind;
	int32_t nsid;
	int r = link_kind(l, &kind);

	if (r == -EOPNOTSUPP) {
		int t = offer_to_plugins(l, x);

		if (t != 0)
			return t < 0 ? t : 0;
		return refuse_link(l);
	}
	if (r < 0)
		return r;
	e.ifindex = (uint32_t)rtnl_link_get_ifindex(l);
	e.name = (char *)rtnl_link_get_name(l);
	e.kind = (char *)kind;
	e.mtu = rtnl_link_get_mtu(l);
	e.flags = rtnl_link_get_flags(l) & LINK_USER_FLAGS;
	e.has_txqlen = true;
	e.txqlen = rtnl_link_get_txqlen(l);
	if (strcmp(kind, "loopback"))
		addr_to_bin(rtnl_link_get_addr(l), &e.address, &e.has_address);
	if (!strcmp(kind, "veth")) {
		if (rtnl_link_get_link_netnsid(l, &nsid) == 0) {
			e.has_peer_outside = e.peer_outside = true;
			pr_info("link %s: a veth whose peer is in another namespace (netnsid %d)\n", e.name,
				nsid);
			r = net_veth_dump_peer(x->outside, l, &e);
			if (r < 0)
				return r;
		} else if (rtnl_link_get_link(l) > 0) {
			e.has_peer_ifindex = true;
			e.peer_ifindex = (uint32_t)rtnl_link_get_link(l);
		} else {
			return pr_err_ret(-EOPNOTSUPP,
					  "link %s: not supported yet: a veth whose peer is gone", e.name);
		}
	}
	if (!strcmp(kind, "bridge") || !strcmp(kind, "macvlan") || rtnl_link_get_master(l) > 0)
		r = net_linkinfo_dump(&e);
	if (r < 0) {
		net_linkinfo_free(&e);
		free(e.peer_outside_master);
		return r;
	}
	r = net_conf_read(e.name, &e.conf, &e.n_conf);
	if (r < 0) {
		net_linkinfo_free(&e);
		free(e.peer_outside_master);
		return pr_err_ret(r, "link %s: cannot read its sysctls", e.name);
	}
	pr_info("link %s: ifindex %u, %s, mtu %u, flags %#x, master %u\n", e.name, e.ifindex, kind, e.mtu,
		e.flags, e.master);
	r = img_write_msg(w, &e.base);
	net_conf_free(e.conf, e.n_conf);
	net_linkinfo_free(&e);
	free(e.peer_outside_master);
	return r;
}

static int dump_links(struct nl_cache *cache, struct img_dir *d, struct ext_links *x)
{
	struct img_writer *w = NULL;
	_cleanup_free_ struct rtnl_link **v = NULL;
	size_t n = 0;
	int r;

	v = calloc((size_t)nl_cache_nitems(cache) + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
		v[n++] = (struct rtnl_link *)o;
	qsort(v, n, sizeof(*v), cmp_ifindex);
	r = img_create(d, IMG_NETLINK, 0, &w);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = dump_one_link(v[i], w, x);
	return img_finish(w, r);
}

/* The kernel's EUI-64 link-local address of a link with this MAC: fe80::/64 + the MAC with ff:fe inside. */
static bool is_eui64_of(const uint8_t *a, struct rtnl_link *l)
{
	struct nl_addr *mac = l ? rtnl_link_get_addr(l) : NULL;
	const uint8_t *m;

	if (!mac || nl_addr_get_len(mac) != 6)
		return false;
	m = nl_addr_get_binary_addr(mac);
	return a[0] == 0xfe && a[1] == 0x80 && !memcmp(a + 2, "\0\0\0\0\0\0", 6) && a[8] == (m[0] ^ 2) &&
	       a[9] == m[1] && a[10] == m[2] && a[11] == 0xff && a[12] == 0xfe && a[13] == m[3] &&
	       a[14] == m[4] && a[15] == m[5];
}

/* lo's own addresses, which come back with lo: restoring them would duplicate them. */
static bool is_lo_own(int family, const uint8_t *a, unsigned int prefixlen, int ifindex)
{
	static const uint8_t lo6[16] = {[15] = 1};

	if (ifindex == 1 && family == AF_INET && prefixlen == 8 && !memcmp(a, "\x7f\0\0\x01", 4))
		return true;
	return ifindex == 1 && family == AF_INET6 && prefixlen == 128 && !memcmp(a, lo6, 16);
}

static int dump_addrs(struct nl_sock *sk, struct nl_cache *links, struct img_dir *d, const struct ext_links *x)
{
	struct nl_cache *cache = NULL;
	struct img_writer *w = NULL;
	int r = rtnl_addr_alloc_cache(sk, &cache);

	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "cannot list the addresses (%s)", nl_geterror(r));
	r = img_create(d, IMG_NETADDR, 0, &w);
	for (struct nl_object *o = nl_cache_get_first(cache); r >= 0 && o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		NetAddrEntry e = NET_ADDR_ENTRY__INIT;
		int family = rtnl_addr_get_family(a), ifindex = rtnl_addr_get_ifindex(a);
		struct rtnl_link *l;

		if (is_ext_link(x, ifindex))
			continue; /* the plugin's */
		l = rtnl_link_get(links, ifindex);
		char txt[INET6_ADDRSTRLEN] = "?";

		if ((family != AF_INET && family != AF_INET6) || !local ||
		    nl_addr_get_len(local) != (family == AF_INET ? 4u : 16u)) {
			r = pr_err_ret(-EOPNOTSUPP, "ifindex %d: not supported yet: an address of family %d",
				       ifindex, family);
			rtnl_link_put(l);
			break;
		}
		inet_ntop(family, nl_addr_get_binary_addr(local), txt, sizeof(txt));
		e.family = (uint32_t)family;
		e.ifindex = (uint32_t)ifindex;
		e.prefixlen = (uint32_t)rtnl_addr_get_prefixlen(a);
		if (is_lo_own(family, nl_addr_get_binary_addr(local), e.prefixlen, ifindex)) {
			pr_debug("address %s/%u on ifindex %d is lo's own: left out\n", txt, e.prefixlen,
				 ifindex);
			rtnl_link_put(l);
			continue;
		}
		if (family == AF_INET6 && e.prefixlen == 64 && is_eui64_of(nl_addr_get_binary_addr(local), l))
			e.has_kernel_made = e.kernel_made = true;
		rtnl_link_put(l);
		addr_to_bin(local, &e.local, NULL);
		if (rtnl_addr_get_peer(a) && nl_addr_cmp(rtnl_addr_get_peer(a), local))
			addr_to_bin(rtnl_addr_get_peer(a), &e.peer, &e.has_peer);
		addr_to_bin(rtnl_addr_get_broadcast(a), &e.broadcast, &e.has_broadcast);
		e.scope = (uint32_t)rtnl_addr_get_scope(a);
		e.flags = rtnl_addr_get_flags(a);
		e.label = rtnl_addr_get_label(a);
		if (rtnl_addr_get_valid_lifetime(a) != 0xffffffffu) {
			e.has_valid_lft = e.has_preferred_lft = true;
			e.valid_lft = rtnl_addr_get_valid_lifetime(a);
			e.preferred_lft = rtnl_addr_get_preferred_lifetime(a);
		}
		pr_info("address %s/%u on ifindex %d, scope %u, flags %#x\n", txt, e.prefixlen, ifindex,
			e.scope, e.flags);
		r = img_write_msg(w, &e.base);
	}
	nl_cache_free(cache);
	return img_finish(w, r);
}

static int route_to_entry(struct rtnl_route *rt, NetRouteEntry *e, NetRouteMetric *m, NetRouteMetric **mp)
{
	struct rtnl_nexthop *nh;
	uint32_t val;

	e->family = rtnl_route_get_family(rt);
	e->table = rtnl_route_get_table(rt);
	e->type = rtnl_route_get_type(rt);
	e->protocol = rtnl_route_get_protocol(rt);
	e->scope = rtnl_route_get_scope(rt);
	e->tos = rtnl_route_get_tos(rt);
	if (rtnl_route_get_dst(rt)) {
		e->dst_len = (uint32_t)nl_addr_get_prefixlen(rtnl_route_get_dst(rt));
		addr_to_bin(rtnl_route_get_dst(rt), &e->dst, &e->has_dst);
	}
	if (rtnl_route_get_src(rt) && nl_addr_get_len(rtnl_route_get_src(rt))) {
		e->has_src_len = true;
		e->src_len = (uint32_t)nl_addr_get_prefixlen(rtnl_route_get_src(rt));
		addr_to_bin(rtnl_route_get_src(rt), &e->src, &e->has_src);
	}
	addr_to_bin(rtnl_route_get_pref_src(rt), &e->prefsrc, &e->has_prefsrc);
	e->has_priority = true;
	e->priority = rtnl_route_get_priority(rt);
	if (rtnl_route_get_nnexthops(rt) > 1)
		return -EOPNOTSUPP; /* multipath */
	nh = rtnl_route_get_nnexthops(rt) == 1 ? rtnl_route_nexthop_n(rt, 0) : NULL;
	if (nh) {
		if (rtnl_route_nh_get_via(nh) || rtnl_route_nh_get_newdst(nh))
			return -EOPNOTSUPP;
		addr_to_bin(rtnl_route_nh_get_gateway(nh), &e->gateway, &e->has_gateway);
		if (rtnl_route_nh_get_ifindex(nh) > 0) {
			e->has_oif = true;
			e->oif = (uint32_t)rtnl_route_nh_get_ifindex(nh);
		}
		e->has_nh_flags = true;
		e->nh_flags = rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK;
	}
	e->metrics = mp;
	for (int id = 1; id <= RTAX_MAX; id++) {
		if (rtnl_route_get_metric(rt, id, &val) < 0)
			continue;
		net_route_metric__init(&m[e->n_metrics]);
		m[e->n_metrics].id = (uint32_t)id;
		m[e->n_metrics].value = val;
		mp[e->n_metrics] = &m[e->n_metrics];
		e->n_metrics++;
	}
	return 0;
}

static void route_text(struct rtnl_route *rt, char *buf, size_t size)
{
	char dst[64] = "default";

	if (rtnl_route_get_dst(rt))
		nl_addr2str(rtnl_route_get_dst(rt), dst, sizeof(dst));
	snprintf(buf, size, "%s table %u proto %u", dst, rtnl_route_get_table(rt),
		 rtnl_route_get_protocol(rt));
}

static int dump_routes(struct nl_sock *sk, struct img_dir *d, const struct ext_links *x)
{
	struct nl_cache *cache = NULL;
	struct img_writer *w = NULL;
	int r = rtnl_route_alloc_cache(sk, AF_UNSPEC, 0, &cache);

	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "cannot list the routes (%s)", nl_geterror(r));
	r = img_create(d, IMG_NETROUTE, 0, &w);
	for (struct nl_object *o = nl_cache_get_first(cache); r >= 0 && o; o = nl_cache_get_next(o)) {
		struct rtnl_route *rt = (struct rtnl_route *)o;
		NetRouteEntry e = NET_ROUTE_ENTRY__INIT;
		NetRouteMetric m[RTAX_MAX];
		NetRouteMetric *mp[RTAX_MAX];
		char txt[128];

		route_text(rt, txt, sizeof(txt));
		if (rtnl_route_get_flags(rt) & RTM_F_CLONED)
			continue;
		if (rtnl_route_get_family(rt) != AF_INET && rtnl_route_get_family(rt) != AF_INET6) {
			r = pr_err_ret(-EOPNOTSUPP, "route %s: not supported yet: routes of family %u", txt,
				       rtnl_route_get_family(rt));
			break;
		}
		if (rtnl_route_get_nnexthops(rt) == 1 &&
		    is_ext_link(x, rtnl_route_nh_get_ifindex(rtnl_route_nexthop_n(rt, 0)))) {
			pr_debug("route %s is on a plugin's link: left out\n", txt);
			continue;
		}
		if (rtnl_route_get_table(rt) == RT_TABLE_LOCAL ||
		    rtnl_route_get_protocol(rt) == RTPROT_KERNEL) {
			pr_debug("route %s is the kernel's: left out\n", txt);
			continue;
		}
		r = route_to_entry(rt, &e, m, mp);
		if (r < 0) {
			r = pr_err_ret(r, "route %s: not supported yet: multipath or via/encap next hops",
				       txt);
			break;
		}
		pr_info("route %s\n", txt);
		r = img_write_msg(w, &e.base);
	}
	nl_cache_free(cache);
	return img_finish(w, r);
}

/* Permanent neighbours are not dumped: a namespace that has any is refused. */
static int check_neigh(struct nl_sock *sk)
{
	struct nl_cache *cache = NULL;
	int r;

	r = rtnl_neigh_alloc_cache(sk, &cache);
	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "cannot list the neighbours (%s)", nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *ne = (struct rtnl_neigh *)o;
		char dst[64] = "?";

		if (!(rtnl_neigh_get_state(ne) & NUD_PERMANENT))
			continue;
		if (rtnl_neigh_get_dst(ne))
			nl_addr2str(rtnl_neigh_get_dst(ne), dst, sizeof(dst));
		nl_cache_free(cache);
		return pr_err_ret(-EOPNOTSUPP, "not supported yet: permanent neighbour %s on ifindex %d", dst,
				  rtnl_neigh_get_ifindex(ne));
	}
	nl_cache_free(cache);
	return 0;
}

static bool skip_ext_link(int ifindex, const void *arg)
{
	return is_ext_link(arg, ifindex);
}

int net_rtnl_dump(struct img_dir *d, int outside_fd)
{
	struct ext_links x = { 0 };
	struct nl_cache *links = NULL; /* for the links and the addresses (their MACs) */
	struct nl_sock *sk = NULL;
	int r = rtnl_open(&sk);

	if (r < 0)
		return r;
	r = net_sock_in(outside_fd, &x.outside);
	if (r < 0) {
		nl_socket_free(sk);
		return r;
	}
	r = check_neigh(sk);
	if (r == 0) {
		r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &links);
		if (r < 0)
			r = pr_err_ret(net_nl_errno(r), "cannot list the links (%s)", nl_geterror(r));
	}
	if (r == 0)
		r = dump_links(links, d, &x);
	if (r == 0)
		r = net_bridge_refuse_fdb(links);
	/* qdiscs, xfrm, nexthops: refused by name, never lost (net_refuse.c) */
	if (r == 0)
		r = net_refuse_unsupported(sk, skip_ext_link, &x);
	if (r == 0)
		r = dump_addrs(sk, links, d, &x);
	if (r == 0)
		r = dump_routes(sk, d, &x);
	if (r == 0)
		r = net_rule_dump(sk, d);
	if (links)
		nl_cache_free(links);
	nl_socket_free(sk);
	free(x.ifindex);
	nl_socket_free(x.outside);
	return r;
}

/* ---- restore: checks ---- */

static const NetLinkEntry *find_link(const struct net_images *ni, uint32_t ifindex)
{
	for (size_t i = 0; i < ni->n_links; i++)
		if (ni->links[i]->ifindex == ifindex)
			return ni->links[i];
	return NULL;
}

static bool ifname_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < IFNAMSIZ && !strchr(s, '/') && !strchr(s, ':') && strcmp(s, ".") &&
	       strcmp(s, "..");
}

static int check_macvlan(const struct net_images *ni, const NetLinkEntry *e, const struct cr_opts *o)
{
	char out[IFNAMSIZ];
	const NetLinkEntry *lower;
	int r;

	if (e->lower_outside) {
		r = net_macvlan_outside_name(o, e->name, out);
		if (r == 0)
			return pr_err_ret(-ENOENT,
					  "macvlan %s: its lower link was outside the namespace: --external "
					  "macvlan[%s]:OUTSIDE_NAME is needed",
					  e->name, e->name);
		return r < 0 ? r : 0;
	}
	lower = find_link(ni, e->lower);
	if (!lower || lower == e || !strcmp(lower->kind, "macvlan"))
		return pr_err_ret(-EBADMSG,
				  "netlinks.img: macvlan %s: its lower link (ifindex %u) is no dumped link",
				  e->name, e->lower);
	return 0;
}

static int check_link(const struct net_images *ni, const NetLinkEntry *e, const struct cr_opts *o)
{
	const NetLinkEntry *p;

	if (!ifname_ok(e->name) || e->ifindex == 0 || e->ifindex > INT32_MAX)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %.32s: a bad name or ifindex (%u)", e->name,
				  e->ifindex);
	if (e->has_address && e->address.len > 32)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: a %zu-byte address", e->name,
				  e->address.len);
	if (find_link(ni, e->ifindex) != e)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: ifindex %u repeated", e->name,
				  e->ifindex);
	if (e->has_master && (!find_link(ni, e->master) || strcmp(find_link(ni, e->master)->kind, "bridge")))
		return pr_err_ret(-EBADMSG,
				  "netlinks.img: link %s: its master (ifindex %u) is no dumped bridge",
				  e->name, e->master);
	if (net_linkinfo_check(e) < 0)
		return -EBADMSG;
	if (!strcmp(e->kind, "loopback")) {
		if (e->ifindex != 1 || strcmp(e->name, "lo"))
			return pr_err_ret(-EBADMSG, "netlinks.img: a loopback link %s with ifindex %u",
					  e->name, e->ifindex);
		return 0;
	}
	if (!strcmp(e->kind, "dummy") || !strcmp(e->kind, "bridge"))
		return 0;
	if (!strcmp(e->kind, "macvlan"))
		return check_macvlan(ni, e, o);
	if (strcmp(e->kind, "veth"))
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: unknown kind %s", e->name, e->kind);
	if (e->has_peer_outside && e->peer_outside) {
		char out[IFNAMSIZ], bridge[IFNAMSIZ];
		int r = net_veth_outside_name(o, e->name, out, bridge);

		if (r == 0)
			return pr_err_ret(-ENOENT,
					  "link %s: its veth peer was outside the namespace: --external "
					  "veth[%s]:OUTSIDE_NAME is needed",
					  e->name, e->name);
		if (r < 0)
			return r;
		if (e->peer_outside_master && !ifname_ok(e->peer_outside_master))
			return pr_err_ret(-EBADMSG, "netlinks.img: link %s: a bad master name", e->name);
		return 0;
	}
	p = e->has_peer_ifindex ? find_link(ni, e->peer_ifindex) : NULL;
	if (!p || p == e || strcmp(p->kind, "veth") || !p->has_peer_ifindex || p->peer_ifindex != e->ifindex)
		return pr_err_ret(-EBADMSG,
				  "netlinks.img: veth %s: its peer (ifindex %u) is not a veth pointing back",
				  e->name, e->peer_ifindex);
	return 0;
}

static int addr_len_of(uint32_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
}

static int check_addr(const struct net_images *ni, const NetAddrEntry *e, size_t i)
{
	int len = addr_len_of(e->family);

	if (len < 0 || e->local.len != (size_t)len || e->prefixlen > (uint32_t)len * 8 || e->scope > 255 ||
	    (e->has_peer && e->peer.len != (size_t)len) ||
	    (e->has_broadcast && e->broadcast.len != (size_t)len) ||
	    (e->label && strlen(e->label) >= IFNAMSIZ))
		return pr_err_ret(-EBADMSG, "netaddrs.img: address %zu: bad family, length, prefix or label",
				  i);
	if (!find_link(ni, e->ifindex))
		return pr_err_ret(-EBADMSG, "netaddrs.img: address %zu: ifindex %u is no dumped link", i,
				  e->ifindex);
	return 0;
}

static int check_route(const struct net_images *ni, const NetRouteEntry *e, size_t i)
{
	int len = addr_len_of(e->family);

	if (len < 0 || e->table == 0 || e->type > RTN_MAX || e->protocol > 255 || e->scope > 255 ||
	    e->tos > 255 || e->dst_len > (uint32_t)len * 8 || (e->has_dst && e->dst.len != (size_t)len) ||
	    (e->has_src &&
	     (e->src.len != (size_t)len || !e->has_src_len || e->src_len > (uint32_t)len * 8)) ||
	    (e->has_prefsrc && e->prefsrc.len != (size_t)len) ||
	    (e->has_gateway && e->gateway.len != (size_t)len))
		return pr_err_ret(-EBADMSG, "netroutes.img: route %zu: bad family, length, table or type", i);
	if (e->has_oif && !find_link(ni, e->oif))
		return pr_err_ret(-EBADMSG, "netroutes.img: route %zu: oif %u is no dumped link", i, e->oif);
	for (size_t k = 0; k < e->n_metrics; k++)
		if (e->metrics[k]->id == 0 || e->metrics[k]->id > RTAX_MAX)
			return pr_err_ret(-EBADMSG, "netroutes.img: route %zu: metric %u", i,
					  e->metrics[k]->id);
	return 0;
}

int net_rtnl_check(const struct net_images *ni, const struct cr_opts *o)
{
	int r = 0;

	if (ni->n_links > NET_MAX_LINKS || ni->n_addrs > NET_MAX_ADDRS || ni->n_routes > NET_MAX_ROUTES)
		return pr_err_ret(-EBADMSG, "net images: %zu links, %zu addresses, %zu routes: too many",
				  ni->n_links, ni->n_addrs, ni->n_routes);
	if (!find_link(ni, 1))
		return pr_err_ret(-EBADMSG, "netlinks.img: no loopback (ifindex 1)");
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		r = check_link(ni, ni->links[i], o);
	for (size_t i = 0; r == 0 && i < ni->n_addrs; i++)
		r = check_addr(ni, ni->addrs[i], i);
	for (size_t i = 0; r == 0 && i < ni->n_routes; i++)
		r = check_route(ni, ni->routes[i], i);
	for (size_t i = 0; r == 0 && i < ni->n_fib_rules; i++)
		r = net_rule_check(ni->fib_rules[i], i);
	return r;
}

/* ---- restore: make ---- */

/* Name, ifindex, mtu, MAC and txqueuelen of e on l; created down, flags come later. */
static int link_fill(struct rtnl_link *l, const NetLinkEntry *e)
{
	rtnl_link_set_name(l, e->name);
	rtnl_link_set_ifindex(l, (int)e->ifindex);
	rtnl_link_set_mtu(l, e->mtu);
	if (e->has_txqlen)
		rtnl_link_set_txqlen(l, e->txqlen);
	if (e->has_address) {
		struct nl_addr *a = nl_addr_build(AF_LLC, e->address.data, e->address.len);

		if (!a)
			return -ENOMEM;
		rtnl_link_set_addr(l, a);
		nl_addr_put(a);
	}
	return 0;
}

static int create_link(struct nl_sock *sk, const struct net_images *ni, const NetLinkEntry *e,
		       const struct cr_opts *o, int outside_fd)
{
	const NetLinkEntry *pe = NULL;
	const char *out = NULL;
	char out_name[IFNAMSIZ], bridge[IFNAMSIZ];
	struct rtnl_link *l, *peer = NULL;
	int r;

	if (!strcmp(e->kind, "veth")) {
		if (e->has_peer_outside && e->peer_outside) {
			r = net_veth_outside_name(o, e->name, out_name, bridge);
			if (r <= 0)
				return r < 0 ? r : -ENOENT; /* net_rtnl_check() saw it */
			out = out_name;
		} else {
			pe = find_link(ni, e->peer_ifindex);
			if (pe->ifindex < e->ifindex)
				return 0; /* made with its peer */
		}
		l = rtnl_link_veth_alloc();
		if (!l)
			return -ENOMEM;
		peer = rtnl_link_veth_get_peer(l);
		if (pe) {
			r = link_fill(peer, pe);
		} else {
			rtnl_link_set_name(peer, out);
			rtnl_link_set_ns_fd(peer, outside_fd);
			r = 0;
		}
	} else {
		l = rtnl_link_alloc();
		if (!l)
			return -ENOMEM;
		r = rtnl_link_set_type(l, e->kind);
	}
	if (r == 0)
		r = link_fill(l, e);
	if (r == 0) {
		r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
		if (r < 0)
			r = pr_err_ret(net_nl_errno(r), "link %s (ifindex %u, %s%s%s): cannot create it (%s)",
				       e->name, e->ifindex, e->kind,
				       pe    ? ", peer "
				       : out ? ", outside peer "
					     : "",
				       pe    ? pe->name
				       : out ? out
					     : "",
				       nl_geterror(r));
		else
			pr_info("link %s (ifindex %u, %s) created%s%s\n", e->name, e->ifindex, e->kind,
				pe || out ? " with its peer " : "",
				pe    ? pe->name
				: out ? out
				      : "");
	}
	if (peer)
		rtnl_link_put(peer);
	if (!strcmp(e->kind, "veth"))
		rtnl_link_veth_release(l);
	else
		rtnl_link_put(l);
	return r;
}

/* Sets the user flags of e (up, promisc...) and, on the loopback, its mtu. */
static int link_set_flags(struct nl_sock *sk, const NetLinkEntry *e)
{
	struct rtnl_link *cur = NULL, *chg;
	int r = rtnl_link_get_kernel(sk, (int)e->ifindex, NULL, &cur);

	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "link %s (ifindex %u): not found after it was made (%s)",
				  e->name, e->ifindex, nl_geterror(r));
	chg = rtnl_link_alloc();
	if (!chg) {
		rtnl_link_put(cur);
		return -ENOMEM;
	}
	rtnl_link_set_flags(chg, e->flags & LINK_USER_FLAGS);
	rtnl_link_unset_flags(chg, ~e->flags & LINK_USER_FLAGS);
	if (!strcmp(e->kind, "loopback"))
		rtnl_link_set_mtu(chg, e->mtu);
	r = rtnl_link_change(sk, cur, chg, 0);
	if (r < 0)
		r = pr_err_ret(net_nl_errno(r), "link %s (ifindex %u): cannot set flags %#x, mtu %u (%s)",
			       e->name, e->ifindex, e->flags, e->mtu, nl_geterror(r));
	rtnl_link_put(chg);
	rtnl_link_put(cur);
	return r;
}

static int restore_addr(struct nl_sock *sk, const struct net_images *ni, const NetAddrEntry *e)
{
	const NetLinkEntry *l = find_link(ni, e->ifindex);
	struct nl_addr *local = nl_addr_build((int)e->family, e->local.data, e->local.len);
	struct rtnl_addr *a = rtnl_addr_alloc();
	char txt[INET6_ADDRSTRLEN] = "?";
	unsigned int flags = e->flags & ADDR_REQ_FLAGS;
	int r = -ENOMEM;

	inet_ntop((int)e->family, e->local.data, txt, sizeof(txt));
	/*
	 * it had passed duplicate address detection already; a tentative one would fail the sockets bound to
	 * it. The kernel's link-local one, made on a link without carrier, goes through it as the kernel's
	 * did (and stays tentative as it was).
	 */
	if (e->family == AF_INET6 && !(e->kernel_made && (e->flags & IFA_F_TENTATIVE)))
		flags |= IFA_F_NODAD;
	if (!local || !a)
		goto out;
	nl_addr_set_prefixlen(local, (int)e->prefixlen);
	rtnl_addr_set_ifindex(a, (int)e->ifindex);
	rtnl_addr_set_family(a, (int)e->family);
	r = rtnl_addr_set_local(a, local);
	rtnl_addr_set_prefixlen(a, (int)e->prefixlen);
	rtnl_addr_set_scope(a, (int)e->scope);
	rtnl_addr_set_flags(a, flags);
	if (r == 0 && e->label && e->family == AF_INET)
		r = rtnl_addr_set_label(a, e->label);
	if (r == 0 && e->has_peer) {
		struct nl_addr *p = nl_addr_build((int)e->family, e->peer.data, e->peer.len);

		r = p ? rtnl_addr_set_peer(a, p) : -NLE_NOMEM;
		nl_addr_put(p);
	}
	if (r == 0 && e->has_broadcast) {
		struct nl_addr *b = nl_addr_build((int)e->family, e->broadcast.data, e->broadcast.len);

		r = b ? rtnl_addr_set_broadcast(a, b) : -NLE_NOMEM;
		nl_addr_put(b);
	}
	if (r == 0 && e->has_valid_lft) {
		rtnl_addr_set_valid_lifetime(a, e->valid_lft);
		rtnl_addr_set_preferred_lifetime(a, e->has_preferred_lft ? e->preferred_lft : e->valid_lft);
	}
	if (r == 0)
		r = rtnl_addr_add(sk, a, NLM_F_EXCL);
	if (r == -NLE_EXIST &&
	    (e->kernel_made || is_lo_own((int)e->family, e->local.data, e->prefixlen, (int)e->ifindex)))
		r = 0; /* the kernel's own: it came back by itself */
	if (r < 0)
		r = pr_err_ret(net_nl_errno(r), "address %s/%u on %s: cannot add it (%s)", txt, e->prefixlen,
			       l->name, nl_geterror(r));
	else
		pr_info("address %s/%u on %s\n", txt, e->prefixlen, l->name);
out:
	nl_addr_put(local);
	rtnl_addr_put(a);
	return r;
}

/*
 * The kernel's link-local address of a link: it makes it again by itself
 * once the link is up with carrier; a link without carrier (a bridge
 * without ports) gets it back here, if the kernel has not made it.
 */
static int restore_kernel_ll(struct nl_sock *sk, const struct net_images *ni, const NetAddrEntry *e)
{
	struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, (int)e->ifindex, NULL, &l);
	unsigned int flags;

	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "ifindex %u: not found (%s)", e->ifindex, nl_geterror(r));
	flags = rtnl_link_get_flags(l);
	rtnl_link_put(l);
	if (!(flags & IFF_UP) || (flags & IFF_LOWER_UP))
		return 0;
	return restore_addr(sk, ni, e);
}

static int set_route_addr(struct rtnl_route *rt, int (*set)(struct rtnl_route *, struct nl_addr *),
			  uint32_t family, const ProtobufCBinaryData *b, int prefixlen)
{
	struct nl_addr *a = nl_addr_build((int)family, b->data, b->len);
	int r;

	if (!a)
		return -NLE_NOMEM;
	nl_addr_set_prefixlen(a, prefixlen);
	r = set(rt, a);
	nl_addr_put(a);
	return r;
}

static int build_route(const NetRouteEntry *e, struct rtnl_route **ret)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct rtnl_nexthop *nh;
	int r = 0;

	if (!rt)
		return -NLE_NOMEM;
	rtnl_route_set_family(rt, (uint8_t)e->family);
	rtnl_route_set_table(rt, e->table);
	rtnl_route_set_type(rt, (uint8_t)e->type);
	rtnl_route_set_protocol(rt, (uint8_t)e->protocol);
	rtnl_route_set_scope(rt, (uint8_t)e->scope);
	rtnl_route_set_tos(rt, (uint8_t)e->tos);
	if (e->has_priority)
		rtnl_route_set_priority(rt, e->priority);
	if (e->has_dst) {
		r = set_route_addr(rt, rtnl_route_set_dst, e->family, &e->dst, (int)e->dst_len);
	} else {
		/* the default route: an all-zero destination of length 0 */
		static const uint8_t zero[16];
		ProtobufCBinaryData z = {.len = e->family == AF_INET ? 4 : 16, .data = (uint8_t *)zero};

		r = set_route_addr(rt, rtnl_route_set_dst, e->family, &z, 0);
	}
	if (r == 0 && e->has_src)
		r = set_route_addr(rt, rtnl_route_set_src, e->family, &e->src, (int)e->src_len);
	if (r == 0 && e->has_prefsrc)
		r = set_route_addr(rt, rtnl_route_set_pref_src, e->family, &e->prefsrc,
				   (int)e->prefsrc.len * 8);
	for (size_t k = 0; r == 0 && k < e->n_metrics; k++)
		r = rtnl_route_set_metric(rt, (int)e->metrics[k]->id, e->metrics[k]->value);
	if (r == 0 && (e->has_gateway || e->has_oif)) {
		nh = rtnl_route_nh_alloc();
		if (!nh) {
			r = -NLE_NOMEM;
		} else {
			if (e->has_oif)
				rtnl_route_nh_set_ifindex(nh, (int)e->oif);
			if (e->has_nh_flags && (e->nh_flags & RTNH_F_ONLINK))
				rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
			if (e->has_gateway) {
				struct nl_addr *g =
					nl_addr_build((int)e->family, e->gateway.data, e->gateway.len);

				if (g)
					rtnl_route_nh_set_gateway(nh, g);
				else
					r = -NLE_NOMEM;
				nl_addr_put(g);
			}
			rtnl_route_add_nexthop(rt, nh);
		}
	}
	if (r < 0) {
		rtnl_route_put(rt);
		return r;
	}
	*ret = rt;
	return 0;
}

/*
 * A route through a gateway needs the route to that gateway first, which
 * may be another of ours later in the list: passes go on while one helps.
 */
static int restore_routes(struct nl_sock *sk, const struct net_images *ni)
{
	_cleanup_free_ bool *done = calloc(ni->n_routes + 1, sizeof(bool));
	size_t left = ni->n_routes;
	bool progress = true;
	int r = 0, last = 0;

	if (!done)
		return -ENOMEM;
	while (left && progress) {
		progress = false;
		for (size_t i = 0; i < ni->n_routes; i++) {
			struct rtnl_route *rt = NULL;

			if (done[i])
				continue;
			r = build_route(ni->routes[i], &rt);
			if (r == 0) {
				r = rtnl_route_add(sk, rt, NLM_F_EXCL);
				rtnl_route_put(rt);
			}
			if (r == 0) {
				done[i] = progress = true;
				left--;
			} else {
				last = r;
			}
		}
	}
	for (size_t i = 0; i < ni->n_routes; i++) {
		struct rtnl_route *rt = NULL;
		char txt[128] = "?";

		if (done[i])
			continue;
		if (build_route(ni->routes[i], &rt) == 0) {
			route_text(rt, txt, sizeof(txt));
			rtnl_route_put(rt);
		}
		return pr_err_ret(net_nl_errno(last), "route %s (netroutes.img entry %zu): cannot add it (%s)",
				  txt, i, nl_geterror(last));
	}
	pr_info("%zu route(s) restored\n", ni->n_routes);
	return 0;
}

/* The outside ends of veths: their master and flags, in criu's namespace. */
static int restore_outside_peers(const struct net_images *ni, const struct cr_opts *o, int outside_fd)
{
	struct nl_sock *osk = NULL;
	int r = 0;

	for (size_t i = 0; r == 0 && i < ni->n_links; i++) {
		const NetLinkEntry *e = ni->links[i];
		char out[IFNAMSIZ], bridge[IFNAMSIZ];

		if (!e->has_peer_outside || !e->peer_outside)
			continue;
		if (!osk)
			r = net_sock_in(outside_fd, &osk);
		if (r == 0 && net_veth_outside_name(o, e->name, out, bridge) == 1)
			r = net_veth_restore_peer(osk, e, out, bridge);
	}
	if (osk)
		nl_socket_free(osk);
	return r;
}

int net_rtnl_restore(const struct net_images *ni, const struct cr_opts *o, int outside_fd)
{
	struct nl_sock *sk = NULL;
	int r = rtnl_open(&sk);

	for (size_t i = 0; r == 0 && i < ni->n_links; i++) {
		const NetLinkEntry *e = ni->links[i];

		if (strcmp(e->kind, "loopback") && strcmp(e->kind, "macvlan"))
			r = create_link(sk, ni, e, o, outside_fd);
	}
	/* after the others: a macvlan's lower link may have a higher ifindex */
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		if (!strcmp(ni->links[i]->kind, "macvlan"))
			r = net_macvlan_create(sk, ni->links[i], o, outside_fd);
	if (r == 0)
		r = net_linkinfo_restore(sk, ni);
	/*
	 * The sysctls before the link goes up (addr_gen_mode, disable_ipv6 decide
	 * the addresses it gets then) and again after: going up resets ipv6 mtu.
	 */
	for (size_t i = 0; r == 0 && i < ni->n_links; i++) {
		r = net_conf_write(ni->links[i]->name, ni->links[i]->conf, ni->links[i]->n_conf);
		if (r == 0)
			r = link_set_flags(sk, ni->links[i]);
		if (r == 0)
			r = net_conf_write(ni->links[i]->name, ni->links[i]->conf, ni->links[i]->n_conf);
	}
	if (r == 0)
		r = restore_outside_peers(ni, o, outside_fd);
	for (size_t i = 0; r == 0 && i < ni->n_addrs; i++)
		if (!ni->addrs[i]->kernel_made)
			r = restore_addr(sk, ni, ni->addrs[i]);
	for (size_t i = 0; r == 0 && i < ni->n_addrs; i++)
		if (ni->addrs[i]->kernel_made)
			r = restore_kernel_ll(sk, ni, ni->addrs[i]);
	if (r == 0)
		r = restore_routes(sk, ni);
	for (size_t i = 0; r == 0 && i < ni->n_fib_rules; i++)
		r = net_rule_restore(sk, ni->fib_rules[i], i);
	if (sk)
		nl_socket_free(sk);
	return r;
}
