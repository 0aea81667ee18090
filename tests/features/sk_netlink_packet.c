/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A NETLINK_ROUTE socket bound to a port id with multicast groups, an
 * unbound NETLINK_GENERIC one, and AF_PACKET sockets (SOCK_DGRAM bound to
 * lo, SOCK_RAW unbound, old-style SOCK_PACKET bound to lo by name and one
 * unbound): after restore the same protocol, port id, groups, type,
 * protocol and interface, and the route socket still answers.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "feature.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int geti(int sk, int lvl, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(sk, lvl, opt, &v, &l);
	return v;
}

/* The protocol of packet socket sk in /proc/net/packet (SO_PROTOCOL says 0 for SOCK_PACKET). */
static int packet_proto(int sk)
{
	unsigned long ino, want;
	unsigned int proto;
	struct stat st;
	char line[256];
	int found = -1;
	FILE *f;

	if (fstat(sk, &st) || !(f = fopen("/proc/net/packet", "r")))
		return -1;
	want = st.st_ino;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*x %*d %*d %x %*d %*d %*d %*d %lu", &proto, &ino) == 2 && ino == want)
			found = (int)proto;
	fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = 0x4c0ffee, .nl_groups = RTMGRP_LINK};
	struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP)};
	socklen_t l;
	struct sockaddr sp;
	int nl, ng, pk, praw, spkt, spkt2, g = RTNLGRP_IPV6_ROUTE, lo;
	uint32_t groups[4];

	feat_init(argc, argv);
	nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (nl < 0 || bind(nl, (struct sockaddr *)&sa, sizeof(sa)) ||
	    setsockopt(nl, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)))
		feat_die("netlink");
	ng = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_GENERIC);
	lo = (int)if_nametoindex("lo");
	ll.sll_ifindex = lo;
	pk = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (ng < 0 || pk < 0 || bind(pk, (struct sockaddr *)&ll, sizeof(ll)))
		feat_die("packet");
	praw = socket(AF_PACKET, SOCK_RAW, 0);
	if (praw < 0)
		feat_die("packet raw");
	spkt = socket(AF_PACKET, SOCK_PACKET, htons(ETH_P_ARP));
	spkt2 = socket(AF_PACKET, SOCK_PACKET, htons(ETH_P_ALL));
	memset(&sp, 0, sizeof(sp));
	sp.sa_family = AF_PACKET;
	strcpy(sp.sa_data, "lo");
	if (spkt < 0 || spkt2 < 0 || bind(spkt, &sp, sizeof(sp)))
		feat_die("SOCK_PACKET");
	feat_ready();
	feat_wait_go();

	memset(&sa, 0, sizeof(sa));
	l = sizeof(sa);
	FEAT_CHECK(getsockname(nl, (struct sockaddr *)&sa, &l) == 0 && sa.nl_pid == 0x4c0ffee,
		   "netlink port id %#x", sa.nl_pid);
	FEAT_CHECK(geti(nl, SOL_SOCKET, SO_PROTOCOL) == NETLINK_ROUTE, "netlink protocol");
	memset(groups, 0, sizeof(groups));
	l = sizeof(groups);
	getsockopt(nl, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups, &l);
	FEAT_CHECK(groups[0] == (RTMGRP_LINK | (1u << (RTNLGRP_IPV6_ROUTE - 1))), "netlink groups %#x",
		   groups[0]);
	{
		struct {
			struct nlmsghdr h;
			struct rtgenmsg g;
		} req = {{sizeof(req), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_UNSPEC}};
		char buf[8192];

		FEAT_CHECK(send(nl, &req, sizeof(req), 0) == sizeof(req), "netlink send: %s",
			   strerror(errno));
		FEAT_CHECK(recv(nl, buf, sizeof(buf), 0) > 0, "netlink: no answer");
	}
	FEAT_CHECK(geti(ng, SOL_SOCKET, SO_PROTOCOL) == NETLINK_GENERIC &&
			   geti(ng, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM,
		   "generic netlink socket");
	memset(&ll, 0, sizeof(ll));
	l = sizeof(ll);
	FEAT_CHECK(getsockname(pk, (struct sockaddr *)&ll, &l) == 0 && ll.sll_ifindex == lo &&
			   ll.sll_protocol == htons(ETH_P_IP),
		   "packet socket: ifindex %d protocol %#x", ll.sll_ifindex, ntohs(ll.sll_protocol));
	FEAT_CHECK(geti(pk, SOL_SOCKET, SO_TYPE) == SOCK_DGRAM, "packet socket type");
	FEAT_CHECK(geti(praw, SOL_SOCKET, SO_TYPE) == SOCK_RAW &&
			   geti(praw, SOL_SOCKET, SO_DOMAIN) == AF_PACKET,
		   "raw packet socket");
	memset(&sp, 0, sizeof(sp));
	l = sizeof(sp);
	FEAT_CHECK(getsockname(spkt, &sp, &l) == 0 && sp.sa_family == AF_PACKET && !strcmp(sp.sa_data, "lo"),
		   "SOCK_PACKET socket bound to '%.14s', not lo", sp.sa_data);
	FEAT_CHECK(packet_proto(spkt) == ETH_P_ARP, "SOCK_PACKET protocol %#x in /proc/net/packet, not %#x",
		   packet_proto(spkt), ETH_P_ARP);
	memset(&sp, 0, sizeof(sp));
	l = sizeof(sp);
	FEAT_CHECK(getsockname(spkt2, &sp, &l) == 0 && sp.sa_data[0] == 0, "unbound SOCK_PACKET bound to '%.14s'",
		   sp.sa_data);
	FEAT_CHECK(geti(spkt2, SOL_SOCKET, SO_TYPE) == SOCK_PACKET, "unbound SOCK_PACKET socket type");
	return feat_done();
}
