/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysctls of a net namespace of the tree's own: namespace-wide ones
 * (net/unix, net/core, ipv4 and ipv6), conf/all, conf/default and per-link
 * conf and neigh ones of lo and of a veth pair, ipv4 and ipv6, set away from
 * their defaults. Some can only be written back in one order: conf/all/
 * forwarding resets conf/default and every link's, ipfrag_low_thresh is
 * bounded by ipfrag_high_thresh, ipv6 mtu by the link's mtu and reset when
 * the link goes up. After restore, every sysctl under /proc/sys/net that is
 * readable and writable is compared with a snapshot taken before the dump;
 * each one that differs is named with both values.
 * Needs ip (iproute2); skips without it.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "feature.h"

#define MAX_SYSCTLS 4096
#define VAL_MAX	    512

static const char *const setup_cmds[] = {
	"ip link set lo up",
	"ip link add sa0 mtu 1400 type veth peer name sb0",
	"ip link set sa0 up",
};

/* name, value; written in this order (and so a restore in another order would show) */
static const char *const settings[][2] = {
	{"net/unix/max_dgram_qlen", "505"},
	{"net/core/somaxconn", "777"},
	{"net/ipv4/ip_default_ttl", "77"},
	{"net/ipv4/tcp_syn_retries", "3"},
	{"net/ipv4/tcp_keepalive_time", "1234"},
	{"net/ipv4/ping_group_range", "40000\t50000"},
	{"net/ipv4/ip_unprivileged_port_start", "500"},
	{"net/ipv4/ipfrag_high_thresh", "8388608"},
	{"net/ipv4/ipfrag_low_thresh", "7340032"},
	{"net/ipv6/icmp/ratelimit", "336"},
	{"net/ipv4/conf/all/forwarding", "1"},
	{"net/ipv4/conf/default/forwarding", "0"},
	{"net/ipv4/conf/all/arp_announce", "2"},
	{"net/ipv4/conf/all/accept_source_route", "1"},
	{"net/ipv4/conf/all/log_martians", "1"},
	{"net/ipv4/conf/default/arp_ignore", "2"},
	{"net/ipv4/conf/default/tag", "77"},
	{"net/ipv4/conf/default/send_redirects", "0"},
	{"net/ipv4/conf/lo/medium_id", "5"},
	{"net/ipv4/conf/lo/tag", "-3"},
	{"net/ipv4/conf/sa0/arp_announce", "1"},
	{"net/ipv4/conf/sb0/proxy_arp", "1"},
	{"net/ipv6/conf/all/forwarding", "1"},
	{"net/ipv6/conf/default/forwarding", "0"},
	{"net/ipv6/conf/all/hop_limit", "33"},
	{"net/ipv6/conf/default/hop_limit", "44"},
	{"net/ipv6/conf/default/dad_transmits", "3"},
	{"net/ipv6/conf/default/use_tempaddr", "2"},
	{"net/ipv6/conf/default/router_solicitations", "7"},
	{"net/ipv6/conf/lo/mtu", "1280"},
	{"net/ipv6/conf/sa0/mtu", "1300"},
	{"net/ipv6/conf/sb0/hop_limit", "99"},
	{"net/ipv6/conf/sa0/stable_secret", "2607:f0d0:1002:0051:0000:0000:0000:0004"},
	{"net/ipv4/neigh/default/gc_stale_time", "61"},
	{"net/ipv4/neigh/lo/base_reachable_time_ms", "12348"},
	{"net/ipv6/neigh/sa0/retrans_time_ms", "2000"},
	{"net/ipv6/neigh/default/mcast_solicit", "5"},
};

struct sysctl_snap {
	char name[300];
	char value[VAL_MAX];
};

static struct sysctl_snap before[MAX_SYSCTLS];
static size_t n_before;

static int read_value(const char *name, char *buf, size_t size)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

static int write_value(const char *name, const char *value)
{
	char path[600];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* Every readable and writable sysctl under rel, with its value (an unset one reads EIO: "<unset>"). */
static void walk(const char *rel, void (*fn)(const char *name, const char *value))
{
	char path[600], sub[300], val[VAL_MAX];
	struct dirent **v = NULL;
	int n;

	snprintf(path, sizeof(path), "/proc/sys/%s", rel);
	n = scandir(path, &v, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		struct stat st;
		int r;

		snprintf(sub, sizeof(sub), "%s/%s", rel, v[i]->d_name);
		snprintf(path, sizeof(path), "/proc/sys/%s", sub);
		if (v[i]->d_name[0] == '.' || stat(path, &st) < 0) {
			free(v[i]);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk(sub, fn);
		} else if ((st.st_mode & S_IRUSR) && (st.st_mode & S_IWUSR)) {
			r = read_value(sub, val, sizeof(val));
			if (r == -EIO)
				snprintf(val, sizeof(val), "<unset>");
			else if (r < 0)
				snprintf(val, sizeof(val), "<error %d>", r);
			fn(sub, val);
		}
		free(v[i]);
	}
	free(v);
}

static void snap_one(const char *name, const char *value)
{
	if (n_before == MAX_SYSCTLS)
		feat_die("more sysctls than the snapshot holds");
	feat_copy(before[n_before].name, sizeof(before[n_before].name), name);
	feat_copy(before[n_before].value, sizeof(before[n_before].value), value);
	n_before++;
}

static size_t n_after;

static void compare_one(const char *name, const char *value)
{
	n_after++;
	for (size_t i = 0; i < n_before; i++) {
		if (strcmp(before[i].name, name))
			continue;
		FEAT_CHECK(!strcmp(before[i].value, value), "%s: was '%s', is '%s'", name, before[i].value,
			   value);
		return;
	}
	feat_fail("%s: a sysctl that was not there before (value '%s')", name, value);
}

/* The settings must read back as written before the dump (else the program, not criu, is wrong). */
static void check_settings(const char *when)
{
	char val[VAL_MAX];

	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		int r = read_value(settings[i][0], val, sizeof(val));

		if (r == -ENOENT)
			continue;
		FEAT_CHECK(r == 0 && !strcmp(val, settings[i][1]), "%s: %s reads '%s' (%d), set to '%s'",
			   when, settings[i][0], r == 0 ? val : "", r, settings[i][1]);
	}
}

int main(int argc, char **argv)
{
	feat_init(argc, argv);
	if (system("ip -V >/dev/null 2>&1") != 0)
		feat_skip("ip (iproute2) is not installed");
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++)
		if (system(setup_cmds[i]) != 0)
			feat_die(setup_cmds[i]);
	for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
		int r = write_value(settings[i][0], settings[i][1]);

		if (r == -ENOENT) /* a kernel without it */
			continue;
		errno = -r;
		if (r < 0)
			feat_die(settings[i][0]);
	}
	check_settings("before the dump");
	if (feat_diffs[0]) {
		printf("%s\n", feat_diffs);
		feat_die("the settings did not stick (out.log)");
	}
	walk("net", snap_one);
	printf("%zu sysctls in the snapshot\n", n_before);
	feat_ready();
	feat_wait_go();
	check_settings("after restore");
	walk("net", compare_one);
	FEAT_CHECK(n_after == n_before, "%zu sysctls before the dump, %zu after restore", n_before, n_after);
	return feat_done();
}
