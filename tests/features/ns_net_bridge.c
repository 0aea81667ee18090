/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bridge in the tree's own net namespace, its settings changed (timers,
 * priority, ageing, group forwarding mask, multicast snooping and router,
 * igmp version), with addresses (IPv4, IPv6 nodad), up without carrier
 * (its link-local address stays tentative); one end of a veth pair is its
 * port, that port's settings changed too (cost, priority, hairpin, learning,
 * flooding, isolation); a second, portless bridge with STP on. After restore `ip -d link`,
 * `bridge -d link` and `ip addr` are compared with what they printed before
 * the dump, less the kernel's timers and STP port states; each line that
 * differs is named. Needs ip and bridge (iproute2) and the bridge driver;
 * skips without them.
 */
#include "feature.h"

#define SNAP_MAX (64 << 10)

static const char *const setup_cmds[] = {
	"ip link set lo up",
	"ip link add brx0 type bridge forward_delay 800 hello_time 300 max_age 1500 ageing_time 12345 "
	"priority 4096 group_fwd_mask 0x4000 mcast_snooping 0 mcast_router 2 mcast_igmp_version 3",
	/* its MAC set: one the kernel picked comes back set, with its STP bridge id no longer zero
	   (net_bridge.c) */
	"ip link add brx1 address 02:44:00:00:00:01 type bridge stp_state 1",
	"ip link add bp0 type veth peer name bp1",
	"ip link set bp0 master brx0",
	"bridge link set dev bp0 cost 77 priority 9 hairpin on learning off flood off isolated on",
	"ip addr add 10.44.0.1/24 dev brx0",
	"ip addr add fd00:44::1/64 dev brx0 nodad",
	"ip link set brx0 up",
	"ip link set brx1 up",
	"ip link set bp0 up",
};

/* What is compared: the kernel's timers and the ports' STP state come and go by themselves. */
static const char *const snap_cmds[] = {
	"ip -d -o link show | sed -E 's/ (hello_timer|tcn_timer|topology_change_timer|gc_timer) +[0-9.]+//g;"
	" s/ state [A-Z]+//; s/ (mode|group) [A-Za-z]+//g'",
	"bridge -d -o link show | sed -E 's/ state [a-z]+//'",
	"ip -o addr show",
};

static char before[SNAP_MAX], after[SNAP_MAX];

static void snapshot(char *s)
{
	size_t len = 0;

	s[0] = 0;
	for (size_t i = 0; i < sizeof(snap_cmds) / sizeof(snap_cmds[0]); i++) {
		FILE *f = popen(snap_cmds[i], "r");
		size_t n;

		if (!f)
			feat_die(snap_cmds[i]);
		while (len < SNAP_MAX - 1 && (n = fread(s + len, 1, SNAP_MAX - 1 - len, f)) > 0)
			len += n;
		s[len] = 0;
		pclose(f);
	}
}

/* Every line of a missing from b. */
static void missing(const char *a, const char *b, const char *what)
{
	char line[4096];

	for (const char *p = a; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *q = line;

		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, p, n);
		line[n] = 0;
		p += n + (nl ? 1 : 0);
		if (!n)
			continue;
		for (q = strstr(b, line); q; q = strstr(q + 1, line))
			if ((q == b || q[-1] == '\n') && (q[n] == '\n' || q[n] == 0))
				break;
		if (!q)
			feat_fail("%s: %s", what, line);
	}
}

int main(int argc, char **argv)
{
	feat_init(argc, argv);
	if (system("ip -V >/dev/null 2>&1 && bridge -V >/dev/null 2>&1") != 0)
		feat_skip("ip or bridge (iproute2) is not installed");
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	if (system("ip link add brtest type bridge >/dev/null 2>&1") != 0)
		feat_skip("no bridge driver in this kernel");
	if (system("ip link del brtest") != 0)
		feat_die("ip link del brtest");
	for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++)
		if (system(setup_cmds[i]) != 0)
			feat_die(setup_cmds[i]);
	snapshot(before);
	printf("before the dump:\n%s", before);
	feat_ready();
	feat_wait_go();
	snapshot(after);
	printf("after restore:\n%s", after);
	missing(before, after, "gone or changed");
	missing(after, before, "new or changed");
	return feat_done();
}
