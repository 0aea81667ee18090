/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree with its own net namespace, filled: lo (mtu changed), a veth pair
 * with both ends inside (MAC, mtu, promisc), IPv4 and IPv6 addresses (a
 * labelled secondary one too), routes in main and in table 100 (through a
 * gateway, IPv6 too), policy routing rules, the namespace's sysctls and per-link ones, an iptables
 * and an ip6tables rule, an nft table, and TCP sockets listening on the
 * veth's IPv4 address and on an IPv6 address that went through DAD. After
 * restore every item is compared with a snapshot taken before the dump, and
 * both sockets must accept a connection. (iptables-nft's tables are compared
 * through iptables -S: iptables-restore makes every built-in chain of a
 * table, where iptables -A made only the one it needed.)
 * Needs ip (iproute2), iptables and nft; skips without them.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "feature.h"

#define SNAP_MAX (64 << 10)

static const char *const setup[] = {
	"ip link set lo mtu 65000 up",
	"ip link add va0 address 02:11:22:33:44:55 mtu 1400 type veth peer name vb0 address "
	"02:66:77:88:99:aa",
	"ip link set vb0 promisc on",
	"sysctl -qw net.ipv4.ip_forward=1 net.ipv4.ip_local_port_range='20000 40000'"
	" net.ipv4.ping_group_range='0 100' net.core.somaxconn=1000 net.ipv4.conf.default.rp_filter=2"
	" net.ipv4.conf.va0.forwarding=0 net.ipv6.conf.vb0.disable_ipv6=1 net.ipv4.conf.vb0.proxy_arp=1",
	"ip link set va0 up",
	"ip link set vb0 up",
	"ip addr add 10.55.0.1/24 brd + dev va0",
	"ip addr add 10.55.0.9/24 dev va0 label va0:x",
	"ip addr add 10.66.0.1/24 dev vb0",
	"ip addr add 192.168.77.1 peer 192.168.77.2 dev vb0",
	"ip -6 addr add fd00:55::1/64 dev va0 nodad",
	"ip -6 addr add fd00:56::1/64 dev va0", /* through duplicate address detection */
	"ip route add 10.77.0.0/24 via 10.55.0.2 metric 7",
	"ip route add 10.88.0.0/16 dev vb0 table 100",
	"ip route add default via 10.66.0.2 table 100",
	"ip route add blackhole 10.99.0.0/16 proto static",
	"ip -6 route add fd00:77::/64 via fd00:55::2 dev va0 metric 9",
	"ip rule add from 10.88.0.0/16 table 100 priority 100",
	"ip rule add fwmark 0x7/0xff iif vb0 lookup 100 priority 110",
	"ip -6 rule add to fd00:77::/64 lookup 100 priority 200",
	"iptables -A INPUT -p tcp --dport 4444 -j ACCEPT",
	"ip6tables -A OUTPUT -p udp --dport 53 -j DROP",
	"nft add table inet t1",
	"nft add chain inet t1 c1 '{ type filter hook input priority 10; }'",
	"nft add rule inet t1 c1 tcp dport 5555 counter accept",
};

static const char *const sysctls[] = {
	"net/ipv4/ip_forward",		"net/ipv4/ip_local_port_range",	   "net/ipv4/ping_group_range",
	"net/core/somaxconn",		"net/ipv4/conf/default/rp_filter", "net/ipv4/conf/va0/forwarding",
	"net/ipv4/conf/vb0/forwarding", "net/ipv6/conf/vb0/disable_ipv6",  "net/ipv6/conf/va0/disable_ipv6",
	"net/ipv4/conf/vb0/proxy_arp",
};

/* What is compared, line by line; volatile bits (counters, lifetimes) are not in it. */
static const char *const snap_cmds[] = {
	"ip -o link show | sed 's/ state [A-Z]*//; s/link\\/.*//'",
	"ip rule show",
	"ip -6 rule show",
	"ip route show table all",
	"ip -6 route show table all",
	"iptables -S",
	"ip6tables -S",
	"nft -s list table inet t1",
};

static void add(char *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char *s, const char *fmt, ...)
{
	size_t len = strlen(s);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s + len, SNAP_MAX - len, fmt, ap);
	va_end(ap);
}

static void snap_links(char *s)
{
	struct if_nameindex *ni = if_nameindex(), *p;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	for (p = ni; p && p->if_index; p++) {
		struct ifreq r;
		unsigned char *m;
		int mtu, flags;

		memset(&r, 0, sizeof(r));
		feat_copy(r.ifr_name, IFNAMSIZ, p->if_name);
		mtu = ioctl(fd, SIOCGIFMTU, &r) == 0 ? r.ifr_mtu : -1;
		flags = ioctl(fd, SIOCGIFFLAGS, &r) == 0 ? r.ifr_flags : -1;
		ioctl(fd, SIOCGIFHWADDR, &r);
		m = (unsigned char *)r.ifr_hwaddr.sa_data;
		add(s, "link %s index %u mtu %d mac %02x:%02x:%02x:%02x:%02x:%02x up %d promisc %d\n",
		    p->if_name, p->if_index, mtu, m[0], m[1], m[2], m[3], m[4], m[5], !!(flags & IFF_UP),
		    !!(flags & IFF_PROMISC));
	}
	if_freenameindex(ni);
	close(fd);
}

static int prefix_of(const struct sockaddr *mask)
{
	const unsigned char *b;
	size_t n;
	int bits = 0;

	if (!mask)
		return -1;
	b = mask->sa_family == AF_INET
		    ? (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr
		    : (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
	n = mask->sa_family == AF_INET ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		bits += __builtin_popcount(b[i]);
	return bits;
}

static void snap_addrs(char *s)
{
	struct ifaddrs *ifa, *p;

	if (getifaddrs(&ifa) < 0)
		return;
	for (p = ifa; p; p = p->ifa_next) {
		char a[INET6_ADDRSTRLEN] = "", b[INET6_ADDRSTRLEN] = "";
		int fam = p->ifa_addr ? p->ifa_addr->sa_family : -1;

		if (fam == AF_INET) {
			inet_ntop(fam, &((struct sockaddr_in *)p->ifa_addr)->sin_addr, a, sizeof(a));
			if (p->ifa_broadaddr)
				inet_ntop(fam, &((struct sockaddr_in *)p->ifa_broadaddr)->sin_addr, b,
					  sizeof(b));
		} else if (fam == AF_INET6) {
			inet_ntop(fam, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr, a, sizeof(a));
		} else {
			continue;
		}
		add(s, "addr %s %s/%d brd/peer %s\n", p->ifa_name, a, prefix_of(p->ifa_netmask), b);
	}
	freeifaddrs(ifa);
}

static void snap_cmd(char *s, const char *cmd)
{
	char line[512];
	FILE *f = popen(cmd, "r");

	add(s, "$ %s\n", cmd);
	while (f && fgets(line, sizeof(line), f))
		add(s, "%s", line);
	if (f)
		pclose(f);
}

static void snapshot(char *s)
{
	s[0] = 0;
	snap_links(s);
	snap_addrs(s);
	for (size_t i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		char path[256], val[128] = "";
		FILE *f;

		snprintf(path, sizeof(path), "/proc/sys/%s", sysctls[i]);
		f = fopen(path, "r");
		if (f && fgets(val, sizeof(val), f))
			add(s, "sysctl %s = %s", sysctls[i], val);
		if (f)
			fclose(f);
	}
	for (size_t i = 0; i < sizeof(snap_cmds) / sizeof(snap_cmds[0]); i++)
		snap_cmd(s, snap_cmds[i]);
}

/* Lines of a missing from b, and of b missing from a. */
static void report_diff(const char *a, const char *b)
{
	const char *srcs[2] = {a, b}, *other[2] = {b, a};

	for (int k = 0; k < 2; k++)
		for (const char *p = srcs[k]; *p;) {
			size_t n = strcspn(p, "\n");
			char line[600];
			bool found = false;

			snprintf(line, sizeof(line), "%.*s\n", (int)(n < 590 ? n : 590), p);
			for (const char *q = other[k]; (q = strstr(q, line)); q++)
				if (q == other[k] || q[-1] == '\n') {
					found = true;
					break;
				}
			if (!found)
				feat_fail("%s: %.*s", k ? "new after restore" : "lost at restore",
					  (int)(n < 200 ? n : 200), p);
			p += n + (p[n] == '\n');
		}
}

/*
 * Link state and IPv6 DAD settle asynchronously (va0's link-local address
 * comes once the kernel saw the carrier, and its local route once DAD is
 * done): compare once they have.
 */
static bool settled(const char *s)
{
	return !strstr(s, "linkdown") &&
	       !system("ip -6 route show table local | grep -q fe80::11:22ff:fe33:4455") &&
	       system("ip -6 addr show | grep -q tentative") != 0;
}

/* A TCP listener on ADDR:PORT (IPv4 or IPv6), or -1. */
static int listen_on(const char *addr, int port, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ret;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ret;
	int fd, one = 1;

	memset(ret, 0, sizeof(*ret));
	if (strchr(addr, ':')) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		*ret_len = sizeof(*s6);
	} else {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		*ret_len = sizeof(*s4);
	}
	fd = socket(ret->ss_family, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)ret, *ret_len) < 0 || listen(fd, 8) < 0)
		return -1;
	return fd;
}

static void check_listener(int lfd, const struct sockaddr_storage *sa, socklen_t len, const char *what)
{
	int c = socket(sa->ss_family, SOCK_STREAM, 0), a;

	if (c < 0 || connect(c, (const struct sockaddr *)sa, len) < 0) {
		feat_fail("connect to the restored listener %s: %s", what, strerror(errno));
	} else {
		a = accept(lfd, NULL, NULL);
		FEAT_CHECK(a >= 0, "accept on the restored listener %s: %s", what, strerror(errno));
		if (a >= 0)
			close(a);
	}
	if (c >= 0)
		close(c);
}

int main(int argc, char **argv)
{
	static char before[SNAP_MAX], after[SNAP_MAX];
	struct sockaddr_storage sa4, sa6;
	socklen_t len4, len6;
	int lfd4, lfd6;

	feat_init(argc, argv);
	if (system("ip -V >/dev/null 2>&1 && iptables -V >/dev/null 2>&1 && nft -v >/dev/null 2>&1") != 0)
		feat_skip("ip, iptables or nft is not installed");
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	for (size_t i = 0; i < sizeof(setup) / sizeof(setup[0]); i++)
		if (system(setup[i]) != 0) {
			errno = EINVAL;
			fprintf(stderr, "setup failed: %s\n", setup[i]);
			feat_die(setup[i]);
		}
	for (int i = 0; i < 200; i++) {
		snapshot(before);
		if (settled(before)) {
			snapshot(before); /* settled before it was taken */
			break;
		}
		usleep(50000);
	}
	printf("before:\n%s", before);
	/* the IPv6 one on an address that went through DAD: the restore must not leave it tentative */
	lfd4 = listen_on("10.55.0.1", 4444, &sa4, &len4);
	lfd6 = listen_on("fd00:56::1", 4445, &sa6, &len6);
	if (lfd4 < 0 || lfd6 < 0)
		feat_die("listen on 10.55.0.1:4444 and [fd00:56::1]:4445");
	feat_ready();
	feat_wait_go();

	for (int i = 0; i < 100; i++) {
		snapshot(after);
		if (!strcmp(before, after))
			break;
		usleep(50000);
	}
	printf("after:\n%s", after);
	report_diff(before, after);
	check_listener(lfd4, &sa4, len4, "10.55.0.1:4444");
	check_listener(lfd6, &sa6, len6, "[fd00:56::1]:4445");
	return feat_done();
}
