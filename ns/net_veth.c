// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The outside end of a veth whose peer the tree's namespace had elsewhere
 * (a container's eth0, whose host end is on a bridge). Dump records the
 * host end's user flags (up...) and its master when it lies in criu's own
 * namespace: the peer's ifindex (IFLA_LINK) names a veth there whose own
 * peer is our link and lies in another namespace. Restore names the new
 * host end after --external veth[NAME]:OUT[@BRIDGE] (LXC's form), attaches
 * it to BRIDGE, or else to the recorded master, and gives it its recorded
 * flags; with a bridge it is always brought up (as criu does).
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>

#include "cleanup.h"
#include "log.h"
#include "net_priv.h"

int net_sock_in(int ns_fd, struct nl_sock **ret)
{
	_cleanup_close_ int here = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct nl_sock *sk;
	int r;

	if (here < 0)
		return pr_perror_ret("cannot open the current net namespace");
	sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		nl_socket_free(sk);
		return pr_perror_ret("cannot enter criu's net namespace");
	}
	r = nl_connect(sk, NETLINK_ROUTE);
	if (setns(here, CLONE_NEWNET) < 0) {
		/* criu must not go on in the wrong namespace */
		pr_perror("cannot come back to the tree's net namespace");
		abort();
	}
	if (r < 0) {
		nl_socket_free(sk);
		return pr_err_ret(net_nl_errno(r), "cannot open an rtnetlink socket (%s)", nl_geterror(r));
	}
	*ret = sk;
	return 0;
}

/* The name of link ifindex in sk's namespace, malloc'ed, or NULL. */
static char *link_name(struct nl_sock *sk, int ifindex)
{
	struct rtnl_link *l = NULL;
	char *s = NULL;

	if (rtnl_link_get_kernel(sk, ifindex, NULL, &l) == 0) {
		s = strdup(rtnl_link_get_name(l));
		rtnl_link_put(l);
	}
	return s;
}

int net_veth_dump_peer(struct nl_sock *osk, struct rtnl_link *l, NetLinkEntry *e)
{
	int peer = rtnl_link_get_link(l), nsid, master;
	struct rtnl_link *pl = NULL;

	if (!osk || peer <= 0)
		return 0;
	if (rtnl_link_get_kernel(osk, peer, NULL, &pl) < 0 || !rtnl_link_is_veth(pl) ||
	    rtnl_link_get_link(pl) != (int)e->ifindex || rtnl_link_get_link_netnsid(pl, &nsid) < 0) {
		pr_info("link %s: its peer (ifindex %d) is not in criu's net namespace: its state is not "
			"recorded\n",
			e->name, peer);
		if (pl)
			rtnl_link_put(pl);
		return 0;
	}
	e->has_peer_outside_flags = true;
	e->peer_outside_flags = rtnl_link_get_flags(pl) & LINK_USER_FLAGS;
	master = rtnl_link_get_master(pl);
	if (master > 0) {
		e->peer_outside_master = link_name(osk, master);
		if (!e->peer_outside_master) {
			rtnl_link_put(pl);
			return pr_err_ret(-ENOENT, "link %s: the master (ifindex %d) of its peer %s is gone",
					  e->name, master, rtnl_link_get_name(pl));
		}
	}
	pr_info("link %s: its peer %s in criu's namespace: flags %#x%s%s\n", e->name, rtnl_link_get_name(pl),
		e->peer_outside_flags, master > 0 ? ", master " : "",
		master > 0 ? e->peer_outside_master : "");
	rtnl_link_put(pl);
	return 0;
}

static bool ifname_ok(const char *s, size_t n)
{
	return n > 0 && n < IFNAMSIZ && !memchr(s, '/', n) && !memchr(s, ':', n) && !memchr(s, '@', n) &&
	       !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

int net_veth_outside_name(const struct cr_opts *o, const char *name, char *ret_out, char *ret_bridge)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < o->external.n; i++) {
		const char *e = o->external.v[i], *out, *at;
		size_t on, bn;

		if (strncmp(e, "veth[", 5) || strncmp(e + 5, name, nl) || e[5 + nl] != ']' ||
		    e[6 + nl] != ':')
			continue;
		out = e + 7 + nl;
		at = strchr(out, '@');
		on = at ? (size_t)(at - out) : strlen(out);
		bn = at ? strlen(at + 1) : 0;
		if (!ifname_ok(out, on) || (at && !ifname_ok(at + 1, bn)))
			return pr_err_ret(-EINVAL, "--external %s: a bad name (veth[%s]:OUTSIDE[@BRIDGE])", e,
					  name);
		memcpy(ret_out, out, on);
		ret_out[on] = '\0';
		memcpy(ret_bridge, at ? at + 1 : "", bn + 1);
		return 1;
	}
	return 0;
}

int net_veth_restore_peer(struct nl_sock *osk, const NetLinkEntry *e, const char *out, const char *bridge)
{
	const char *master = bridge[0] ? bridge : e->peer_outside_master;
	uint32_t flags = e->has_peer_outside_flags ? e->peer_outside_flags : 0;
	struct rtnl_link *cur = NULL, *m = NULL, *chg = NULL;
	int r;

	if (bridge[0])
		flags |= IFF_UP;
	if (!master && !e->has_peer_outside_flags) {
		pr_info("link %s: the state of its peer %s was not recorded: it stays down\n", e->name, out);
		return 0;
	}
	r = rtnl_link_get_kernel(osk, 0, out, &cur);
	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "link %s: its peer %s is not in criu's namespace (%s)",
				  e->name, out, nl_geterror(r));
	if (master) {
		r = rtnl_link_get_kernel(osk, 0, master, &m);
		if (r < 0) {
			r = pr_err_ret(net_nl_errno(r),
				       "link %s: no link %s here to attach its peer %s to (%s)", e->name,
				       master, out, nl_geterror(r));
			goto out;
		}
	}
	chg = rtnl_link_alloc();
	if (!chg) {
		r = -ENOMEM;
		goto out;
	}
	if (m)
		rtnl_link_set_master(chg, rtnl_link_get_ifindex(m));
	rtnl_link_set_flags(chg, flags & LINK_USER_FLAGS);
	rtnl_link_unset_flags(chg, ~flags & LINK_USER_FLAGS);
	r = rtnl_link_change(osk, cur, chg, 0);
	if (r < 0)
		r = pr_err_ret(net_nl_errno(r), "link %s: cannot give its peer %s%s%s flags %#x (%s)",
			       e->name, out, m ? " the master " : "", m ? master : "", flags, nl_geterror(r));
	else
		pr_info("link %s: its peer %s%s%s, flags %#x\n", e->name, out, m ? " is on " : "",
			m ? master : "", flags);
out:
	if (chg)
		rtnl_link_put(chg);
	if (m)
		rtnl_link_put(m);
	rtnl_link_put(cur);
	return r;
}
