/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The net namespace images (ns/net.c, ns/net_rtnl.c) against hostile
 * content: each damaged set is refused with -EBADMSG (or -ENOENT for a
 * missing --external veth) before criu makes a namespace, and criu stays in
 * its own. A sound set (lo only) is restored, in a child, in a new namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "images/inventory.pb-c.h"
#include "images/net.pb-c.h"
#include "net_priv.h"
#include "ns_priv.h"
#include "t.h"

static char base[64];
static int case_no;

static NetLinkEntry lo, va, vb;
static NetAddrEntry addr;
static NetRouteEntry route;
static NetSysctlEntry sysctl, conf;
static NetRulesEntry rules;
static NetFibRuleEntry fib;
static NetFibRuleAttr fib_attr;
static NetFibRuleAttr *fib_attrs[1];
static uint8_t prio[4] = {100};
static uint8_t v4[4] = {10, 1, 2, 3};
static NetSysctlEntry *lo_conf[1];

/* A sound set: lo; veth va/vb; an address, a route, a sysctl, no rules. Cases damage one thing. */
static void sound(void)
{
	net_link_entry__init(&lo);
	lo.ifindex = 1;
	lo.name = "lo";
	lo.kind = "loopback";
	lo.mtu = 65536;
	lo.flags = 1;
	net_link_entry__init(&va);
	va.ifindex = 2;
	va.name = "va";
	va.kind = "veth";
	va.mtu = 1500;
	va.has_peer_ifindex = true;
	va.peer_ifindex = 3;
	net_link_entry__init(&vb);
	vb.ifindex = 3;
	vb.name = "vb";
	vb.kind = "veth";
	vb.mtu = 1500;
	vb.has_peer_ifindex = true;
	vb.peer_ifindex = 2;
	net_addr_entry__init(&addr);
	addr.family = AF_INET;
	addr.ifindex = 2;
	addr.prefixlen = 24;
	addr.local.len = 4;
	addr.local.data = v4;
	net_route_entry__init(&route);
	route.family = AF_INET;
	route.table = 254;
	route.type = 1;
	route.protocol = 4;
	route.dst_len = 8;
	route.has_dst = true;
	route.dst.len = 4;
	route.dst.data = v4;
	net_sysctl_entry__init(&sysctl);
	sysctl.name = "net/core/somaxconn";
	sysctl.value = "4096";
	net_sysctl_entry__init(&conf);
	conf.name = "ipv4/forwarding";
	conf.value = "0";
	lo_conf[0] = &conf;
	lo.conf = lo_conf;
	lo.n_conf = 1;
	net_fib_rule_entry__init(&fib);
	fib.family = AF_INET;
	fib.table = 100;
	fib.action = 1;
	net_fib_rule_attr__init(&fib_attr);
	fib_attr.type = 6; /* FRA_PRIORITY */
	fib_attr.value.len = 4;
	fib_attr.value.data = prio;
	fib_attrs[0] = &fib_attr;
	fib.attrs = fib_attrs;
	fib.n_attrs = 1;
	net_rules_entry__init(&rules);
	rules.tool = "nft";
	rules.text = "";
}

static int write_set(const char *dir, bool with_veth, bool with_rules)
{
	struct img_dir *d = NULL;
	struct img_writer *w = NULL;
	int r = img_dir_open_write(dir, &d);

	if (r < 0)
		return r;
	r = img_create(d, IMG_NETLINK, 0, &w);
	if (r == 0)
		r = img_write_msg(w, &lo.base);
	if (r == 0 && with_veth)
		r = img_write_msg(w, &va.base);
	if (r == 0 && with_veth)
		r = img_write_msg(w, &vb.base);
	if (r == 0)
		r = img_commit(w);
	if (r == 0)
		r = with_veth ? img_write_one(d, IMG_NETADDR, 0, &addr.base)
			      : (img_create(d, IMG_NETADDR, 0, &w) ?: img_commit(w));
	if (r == 0)
		r = with_veth ? img_write_one(d, IMG_NETROUTE, 0, &route.base)
			      : (img_create(d, IMG_NETROUTE, 0, &w) ?: img_commit(w));
	if (r == 0)
		r = img_write_one(d, IMG_NETSYSCTL, 0, &sysctl.base);
	if (r == 0)
		r = with_veth ? img_write_one(d, IMG_NETFIBRULE, 0, &fib.base)
			      : (img_create(d, IMG_NETFIBRULE, 0, &w) ?: img_commit(w));
	if (r == 0)
		r = with_rules ? img_write_one(d, IMG_NETRULES, 0, &rules.base)
			       : (img_create(d, IMG_NETRULES, 0, &w) ?: img_commit(w));
	if (r == 0) {
		InventoryEntry inv = INVENTORY_ENTRY__INIT;

		r = img_write_inventory(d, &inv);
	}
	img_dir_close(d);
	return r;
}

static ino_t my_netns(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* Writes the current set and restores it; returns net_ns_restore's result. */
static int try_restore(bool with_veth, bool with_rules, const struct cr_opts *o)
{
	char dir[128];
	struct img_dir *d = NULL;
	ino_t before = my_netns();
	int r;

	snprintf(dir, sizeof(dir), "%s/case%d", base, case_no++);
	r = write_set(dir, with_veth, with_rules);
	if (r < 0) {
		T_FAILF("cannot write the images: %d", r);
		return r;
	}
	r = img_dir_open_read(dir, &d);
	if (r == 0)
		r = net_ns_restore(d, o);
	img_dir_close(d);
	if (r < 0 && my_netns() != before)
		T_FAILF("a refused restore left criu in another net namespace");
	return r;
}

static struct cr_opts opts;

/* Bridge and macvlan settings, masters and lower links that do not fit. */
static void test_hostile_linkinfo(void)
{
	static uint8_t one[4] = {1};
	NetLinkAttr attr = NET_LINK_ATTR__INIT, *attrs[1] = {&attr};

	attr.type = 1; /* IFLA_BR_FORWARD_DELAY or IFLA_BRPORT_STATE */
	attr.value.len = 4;
	attr.value.data = one;
	sound(), va.info_data = attrs, va.n_info_data = 1; /* bridge settings on a veth */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.port_data = attrs, va.n_port_data = 1; /* port settings without a bridge */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.has_master = true, va.master = 3; /* its master is a veth */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.has_master = true, va.master = 42;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), vb.kind = "bridge", vb.has_peer_ifindex = false, vb.info_data = attrs, vb.n_info_data = 1;
	va.has_master = true, va.master = 3, va.has_peer_ifindex = false, va.kind = "dummy";
	attr.type = 10; /* IFLA_BR_ROOT_ID: the kernel's, never given back */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.kind = "macvlan", va.has_peer_ifindex = false; /* no lower link */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.kind = "macvlan", va.has_peer_ifindex = false, va.has_lower = true,
		 va.lower = 2; /* itself */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.kind = "macvlan", va.has_peer_ifindex = false, va.has_lower = true, va.lower = 1;
	va.has_lower_outside = va.lower_outside = true; /* outside, and no --external macvlan[va]:OUT */
	CHECK_EQ_INT(try_restore(true, false, &opts), -ENOENT);
}

static void test_hostile(void)
{
	uint8_t v6[16] = {0xfd};

	sound(), lo.name = "lo/../x";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), lo.ifindex = 2;
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG); /* no loopback at 1 */
	sound(), va.name = "a-name-longer-than-ifnamsiz";
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.kind = "bond";
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), vb.peer_ifindex = 3; /* points at itself, not back at va */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), va.peer_ifindex = 9;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), vb.ifindex = 2; /* repeated */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound();
	va.has_address = true;
	va.address.len = 40;
	va.address.data = (uint8_t *)base;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), addr.family = 7;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), addr.local.data = v6, addr.local.len = 16; /* AF_INET with 16 bytes */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), addr.prefixlen = 33;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), addr.ifindex = 42;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), route.dst_len = 64;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound();
	route.has_oif = true;
	route.oif = 42;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), route.table = 0;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), sysctl.name = "kernel/core_pattern"; /* only the namespace's own are written */
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), sysctl.value = "1\n2";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), conf.name = "ipv4/../../../kernel/core_pattern";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), sysctl.name = "net/ipv4/conf/va/forwarding"; /* a link's: it goes with the link */
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), sysctl.name = "net/../kernel/core_pattern";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), sysctl.name = "net/core//somaxconn";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), conf.name = "ipv4/neigh/../../x";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	sound(), conf.name = "ipv5/forwarding";
	CHECK_EQ_INT(try_restore(false, false, &opts), -EBADMSG);
	test_hostile_linkinfo();
	sound(), fib_attr.type = 99; /* an attribute criu does not know */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), fib.family = 7;
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), fib_attr.type = 3, fib_attr.value.data = (uint8_t *)"abcd"; /* FRA_IIFNAME without its NUL */
	CHECK_EQ_INT(try_restore(true, false, &opts), -EBADMSG);
	sound(), rules.tool = "sh";
	CHECK_EQ_INT(try_restore(false, true, &opts), -EBADMSG);
	sound(), rules.tool = "iptables-legacy-restore"; /* the tool's name, not the kind of rules */
	CHECK_EQ_INT(try_restore(false, true, &opts), -EBADMSG);
}

static void test_outside_veth_needs_external(void)
{
	sound();
	va.has_peer_ifindex = false;
	va.has_peer_outside = va.peer_outside = true;
	vb.has_peer_ifindex = false;
	vb.has_peer_outside = vb.peer_outside = true;
	CHECK_EQ_INT(try_restore(true, false, &opts), -ENOENT);
}

/* An options set whose --external list is exactly v (not freed: the strings are the test's). */
static struct cr_opts with_external(char **v, size_t n)
{
	struct cr_opts o;

	opts_init(&o);
	o.external.v = v;
	o.external.n = n;
	return o;
}

/* LXC's --external veth[eth0]:OUT@BRIDGE: the outside name and the bridge it goes on. */
static void test_outside_veth_names(void)
{
	char *good[] = {"veth[eth1]:vethZZ", "veth[eth0]:vethstOEba@lxcbr0"};
	char *empty_bridge[] = {"veth[eth0]:vethstOEba@"};
	char *too_long[] = {"veth[eth0]:a-name-longer-than-ifnamsiz@br0"};
	char *two_at[] = {"veth[eth0]:v@b@c"};
	char out[IFNAMSIZ], br[IFNAMSIZ];
	struct cr_opts o = with_external(good, 2);

	CHECK_EQ_INT(net_veth_outside_name(&o, "eth0", out, br), 1);
	CHECK_EQ_STR(out, "vethstOEba");
	CHECK_EQ_STR(br, "lxcbr0");
	CHECK_EQ_INT(net_veth_outside_name(&o, "eth1", out, br), 1);
	CHECK_EQ_STR(out, "vethZZ");
	CHECK_EQ_STR(br, "");
	CHECK_EQ_INT(net_veth_outside_name(&o, "eth", out, br), 0);
	o = with_external(empty_bridge, 1);
	CHECK_EQ_INT(net_veth_outside_name(&o, "eth0", out, br), -EINVAL);
	o = with_external(too_long, 1);
	CHECK_EQ_INT(net_veth_outside_name(&o, "eth0", out, br), -EINVAL);
	o = with_external(two_at, 1);
	CHECK_EQ_INT(net_veth_outside_name(&o, "eth0", out, br), -EINVAL);
}

/* A recorded master of the outside end is a name like any other. */
static void test_outside_veth_master_hostile(void)
{
	char *ext[] = {"veth[va]:vethout@br0", "veth[vb]:vethout2"};
	struct cr_opts o = with_external(ext, 2);

	sound();
	va.has_peer_ifindex = false;
	va.has_peer_outside = va.peer_outside = true;
	va.peer_outside_master = "../../x";
	vb.has_peer_ifindex = false;
	vb.has_peer_outside = vb.peer_outside = true;
	CHECK_EQ_INT(try_restore(true, false, &o), -EBADMSG);
	va.peer_outside_master = NULL;
}

static void test_sound_set_restores(void)
{
	pid_t pid;
	int st;

	sound();
	lo.conf = NULL;
	lo.n_conf = 0;
	pid = fork();
	if (pid == 0)
		_exit(try_restore(false, false, &opts) == 0 ? 0 : 1);
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	snprintf(base, sizeof(base), "/tmp/test_net.XXXXXX");
	if (!mkdtemp(base))
		return 2;
	opts_init(&opts);
	t_run("net_images_hostile", test_hostile);
	t_run("net_outside_veth_needs_external", test_outside_veth_needs_external);
	t_run("net_outside_veth_names", test_outside_veth_names);
	t_run("net_outside_veth_master_hostile", test_outside_veth_master_hostile);
	if (geteuid() == 0)
		t_run("net_sound_set_restores", test_sound_set_restores);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
		if (system(cmd) != 0)
			printf("    cannot remove %s\n", base);
	}
	opts_free(&opts);
	return t_done();
}
