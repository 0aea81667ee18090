/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * macvlan links in the tree's own net namespace on a veth end of that
 * namespace, two with a lower ifindex than it has: one in mode private
 * with its broadcast queue length changed, one in mode bridge with its MAC
 * set, one in mode vepa; one in mode passthru with nopromisc on another
 * veth; addresses on two, up. After restore `ip -d
 * link` and `ip addr` are compared with what they printed before the dump;
 * each line that differs is named. Needs ip (iproute2) and the macvlan
 * driver; skips without them. (A lower link outside the namespace,
 * --external macvlan[NAME]:OUTSIDE, is zdtm's macvlan test.)
 */
#include "feature.h"

#define SNAP_MAX (64 << 10)

static const char *const setup_cmds[] = {
	"ip link set lo up",
	"ip link add vlow0 index 30 type veth peer name vlow1 index 31",
	"ip link add mvc0 index 20 link vlow0 type macvlan mode vepa",
	"ip link add mvd0 index 21 link vlow0 type macvlan mode private bcqueuelen 500",
	"ip link add vlow2 type veth peer name vlow3",
	"ip link add mvp0 link vlow2 type macvlan mode passthru nopromisc",
	"ip link add mve0 link vlow0 address 02:55:00:00:00:02 type macvlan mode bridge",
	"ip addr add 10.45.0.1/24 dev mvd0",
	"ip addr add fd00:45::1/64 dev mve0 nodad",
	"ip link set vlow0 up",
	"ip link set vlow1 up",
	"ip link set mvd0 up",
	"ip link set mve0 up",
};

/* What is compared: the kernel's timers and the ports' STP state come and go by themselves. */
static const char *const snap_cmds[] = {
	"ip -d -o link show | sed -E 's/ (hello_timer|tcn_timer|topology_change_timer|gc_timer) +[0-9.]+//g;"
	" s/ state [A-Z]+//; s/ (mode|group) [A-Za-z]+//g'",
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
	if (system("ip -V >/dev/null 2>&1") != 0)
		feat_skip("ip (iproute2) is not installed");
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	if (system("ip link add vtest type veth peer name vtest1 && "
		   "ip link add mvtest link vtest type macvlan >/dev/null 2>&1") != 0)
		feat_skip("no veth or macvlan driver in this kernel");
	if (system("ip link del mvtest && ip link del vtest") != 0)
		feat_die("ip link del mvtest");
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
