/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The network lock (netlock.h): iptables-restore or nft, run as child processes. */
#define LOG_PREFIX "netlock: "
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "hooks.h"
#include "images/sk-inet.pb-c.h"
#include "log.h"
#include "netlock.h"

struct netlock {
	int method; /* NETLOCK_OPT_* */
	pid_t root;
	bool own_netns;
	char name[32];
	bool chain[2]; /* iptables: the chain exists for IPv4, IPv6; nftables: [0] the table */
	bool unlocked;
};

static const char *const tool_dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/", "/usr/local/sbin/"};

/*
 * Runs tool with argv, input on its stdin, in the net ns of pid netns_pid
 * (0: ours). Returns its exit status (0 success), or -errno; its stderr goes
 * to err.
 */
static int run_tool(const char *tool, char *const argv[], const char *input, pid_t netns_pid, char *err,
		    size_t errlen)
{
	int in[2], out[2], st;
	size_t got = 0;
	pid_t pid;

	err[0] = '\0';
	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		int e = -errno;

		close(in[0]), close(in[1]), close(out[0]), close(out[1]);
		return e;
	}
	if (pid == 0) {
		char path[64];

		signal(SIGPIPE, SIG_DFL);
		if (netns_pid > 0) {
			snprintf(path, sizeof(path), "/proc/%d/ns/net", netns_pid);
			int ns = open(path, O_RDONLY | O_CLOEXEC);

			if (ns < 0 || setns(ns, CLONE_NEWNET) < 0)
				_exit(126);
		}
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		for (size_t i = 0; i < sizeof(tool_dirs) / sizeof(tool_dirs[0]); i++) {
			snprintf(path, sizeof(path), "%s%s", tool_dirs[i], tool);
			execv(path, argv);
		}
		execvp(tool, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	if (input) {
		size_t len = strlen(input), off = 0;

		while (off < len) {
			ssize_t n = write(in[1], input + off, len - off);

			if (n <= 0)
				break;
			off += (size_t)n;
		}
	}
	close(in[1]);
	for (;;) {
		char buf[512];
		ssize_t n = read(out[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && got + 1 < errlen; i++)
			err[got++] = buf[i] == '\n' ? ' ' : buf[i];
	}
	err[got] = '\0';
	close(out[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(st))
		return WEXITSTATUS(st) == 127 ? -ENOENT : WEXITSTATUS(st);
	return -EINTR;
}

static pid_t ns_pid(const struct netlock *nl)
{
	return nl->own_netns ? nl->root : 0;
}

static int ipt_restore(const struct netlock *nl, bool v6, const char *rules)
{
	char *argv[] = {v6 ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush", NULL};
	char err[512];
	int r = run_tool(argv[0], argv, rules, ns_pid(nl), err, sizeof(err));

	if (r == 0)
		return 0;
	return pr_err_ret(r < 0 ? r : -EIO, "%s failed (status %d): %s; rules: %s", argv[0], r, err, rules);
}

static int nft_run(const struct netlock *nl, const char *rules)
{
	char *argv[] = {"nft", "-f", "-", NULL};
	char err[512];
	int r = run_tool("nft", argv, rules, ns_pid(nl), err, sizeof(err));

	if (r == 0)
		return 0;
	return pr_err_ret(r < 0 ? r : -EIO, "nft failed (status %d): %s; rules: %s", r, err, rules);
}

static bool own_netns(pid_t pid)
{
	struct stat a, b;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	if (stat(path, &a) < 0 || stat("/proc/self/ns/net", &b) < 0)
		return false;
	return a.st_ino != b.st_ino || a.st_dev != b.st_dev;
}

/*
 * A tree in a net namespace of its own dumped with --tcp-established: the
 * whole namespace is locked, in and out, but for packets marked
 * CR_NETLOCK_MARK (netlock.h). New connections into it time out rather
 * than being refused, so that no peer sees a reset, and none can change
 * what the dump keeps.
 * Without --tcp-established no connection is kept, and a criu killed in the
 * middle would leave the namespace cut off for nothing: not locked.
 */
static int remove_lock(const struct netlock *nl);

static int lock_netns(struct netlock *nl)
{
	char rules[1024];
	int r;

	if (nl->method == NETLOCK_OPT_NFTABLES) {
		snprintf(rules, sizeof(rules),
			 "table inet %s {\n"
			 "\tchain input { type filter hook input priority -300; policy drop; meta mark %#x accept; }\n"
			 "\tchain output { type filter hook output priority -300; policy drop; meta mark %#x accept; }\n"
			 "}\n",
			 nl->name, CR_NETLOCK_MARK, CR_NETLOCK_MARK);
		r = nft_run(nl, rules);
		if (r == 0)
			nl->chain[0] = true;
		return r;
	}
	for (int v6 = 0; v6 < 2; v6++) {
		snprintf(rules, sizeof(rules),
			 "*filter\n:%s - [0:0]\n-I INPUT 1 -j %s\n-I OUTPUT 1 -j %s\n"
			 "-A %s -m mark --mark %#x -j ACCEPT\n-A %s -j DROP\nCOMMIT\n",
			 nl->name, nl->name, nl->name, nl->name, CR_NETLOCK_MARK, nl->name);
		r = ipt_restore(nl, v6, rules);
		if (r < 0)
			return r;
		nl->chain[v6] = true;
	}
	return 0;
}

int netlock_dump_init(int method, pid_t root, bool whole_ns, struct netlock **ret)
{
	struct netlock *nl = calloc(1, sizeof(*nl));
	struct timespec ts;

	if (!nl)
		return -ENOMEM;
	nl->method = method ? method : NETLOCK_OPT_IPTABLES;
	nl->root = root;
	nl->own_netns = own_netns(root);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* unique per dump; fits iptables' 28 characters, a valid nft identifier */
	snprintf(nl->name, sizeof(nl->name), "criu_lock_%d_%x", (int)root,
		 (unsigned int)(ts.tv_nsec ^ (ts.tv_sec << 20)) & 0xfffffffu);
	if (nl->own_netns && hooks_fire("network-lock", root) < 0) {
		free(nl);
		return pr_err_ret(-ECANCELED, "the network-lock hook failed for pid %d", root);
	}
	if (nl->own_netns && whole_ns && nl->method != NETLOCK_OPT_SKIP) {
		int r = lock_netns(nl);

		if (r < 0) {
			remove_lock(nl);
			free(nl);
			return pr_err_ret(r, "pid %d: cannot lock its network namespace", root);
		}
		pr_info("network namespace of pid %d locked (%s)\n", root, nl->name);
	}
	*ret = nl;
	return 0;
}

/* A v4-mapped IPv6 address travels as IPv4. */
static bool v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a, pfx, sizeof(pfx));
}

int netlock_add_conn(struct netlock *nl, int family, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		     uint16_t dport)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], rules[2048];
	bool v6 = family == AF_INET6;
	int r, len = 0;

	if (nl->method == NETLOCK_OPT_SKIP)
		return 0;
	if (v6 && v4_mapped(src) && v4_mapped(dst)) {
		src += 12, dst += 12;
		v6 = false;
	}
	inet_ntop(v6 ? AF_INET6 : AF_INET, src, s, sizeof(s));
	inet_ntop(v6 ? AF_INET6 : AF_INET, dst, d, sizeof(d));
	if (nl->method == NETLOCK_OPT_NFTABLES) {
		const char *ip = v6 ? "ip6" : "ip";

		if (!nl->chain[0])
			len += snprintf(
				rules + len, sizeof(rules) - len,
				"table inet %s {\n"
				"\tchain input { type filter hook input priority -300; policy accept; "
				"meta mark %#x accept; }\n"
				"\tchain output { type filter hook output priority -300; policy accept; "
				"meta mark %#x accept; }\n"
				"}\n",
				nl->name, CR_NETLOCK_MARK, CR_NETLOCK_MARK);
		for (int dir = 0; dir < 2; dir++)
			len += snprintf(
				rules + len, sizeof(rules) - len,
				"add rule inet %s %s %s saddr %s tcp sport %u %s daddr %s tcp dport %u drop\n"
				"add rule inet %s %s %s saddr %s tcp sport %u %s daddr %s tcp dport %u "
				"drop\n",
				nl->name, dir ? "output" : "input", ip, d, dport, ip, s, sport, nl->name,
				dir ? "output" : "input", ip, s, sport, ip, d, dport);
		r = nft_run(nl, rules);
		if (r == 0)
			nl->chain[0] = true;
		return r;
	}
	len += snprintf(rules + len, sizeof(rules) - len, "*filter\n");
	if (!nl->chain[v6])
		len += snprintf(rules + len, sizeof(rules) - len,
				":%s - [0:0]\n-I INPUT 1 -j %s\n-I OUTPUT 1 -j %s\n-A %s -m mark --mark %#x "
				"-j ACCEPT\n",
				nl->name, nl->name, nl->name, nl->name, CR_NETLOCK_MARK);
	len += snprintf(rules + len, sizeof(rules) - len,
			"-A %s -p tcp -s %s --sport %u -d %s --dport %u -j DROP\n"
			"-A %s -p tcp -s %s --sport %u -d %s --dport %u -j DROP\nCOMMIT\n",
			nl->name, d, dport, s, sport, nl->name, s, sport, d, dport);
	r = ipt_restore(nl, v6, rules);
	if (r == 0)
		nl->chain[v6] = true;
	return r;
}

int netlock_dump_write(struct netlock *nl, struct img_dir *d)
{
	NetlockEntry e = NETLOCK_ENTRY__INIT;

	if (!nl || (!nl->chain[0] && !nl->chain[1] && !nl->own_netns))
		return 0;
	e.method = nl->method == NETLOCK_OPT_NFTABLES ? NETLOCK_METHOD__NETLOCK_NFTABLES
						      : NETLOCK_METHOD__NETLOCK_IPTABLES;
	e.name = nl->name;
	e.has_ipv4 = e.has_ipv6 = e.has_own_netns = true;
	e.ipv4 = nl->chain[0];
	e.ipv6 = nl->chain[1];
	e.own_netns = nl->own_netns;
	return img_write_one(d, IMG_NETLOCK, 0, &e.base);
}

/* Removes the chain or table if it is there. */
static int remove_lock(const struct netlock *nl)
{
	char err[512], rules[512];
	int r = 0;

	if (nl->method == NETLOCK_OPT_NFTABLES) {
		char *list[] = {"nft", "list", "table", "inet", (char *)nl->name, NULL};

		if (run_tool("nft", list, NULL, ns_pid(nl), err, sizeof(err)) != 0)
			return 0; /* gone already */
		snprintf(rules, sizeof(rules), "delete table inet %s\n", nl->name);
		return nft_run(nl, rules);
	}
	for (int v6 = 0; v6 < 2; v6++) {
		char *list[] = {v6 ? "ip6tables" : "iptables", "-w", "-n", "-L", (char *)nl->name, NULL};
		int e;

		if (run_tool(list[0], list, NULL, ns_pid(nl), err, sizeof(err)) != 0)
			continue;
		snprintf(rules, sizeof(rules),
			 "*filter\n-D INPUT -j %s\n-D OUTPUT -j %s\n-F %s\n-X %s\nCOMMIT\n", nl->name,
			 nl->name, nl->name, nl->name);
		e = ipt_restore(nl, v6, rules);
		if (e < 0 && r == 0)
			r = e;
	}
	return r;
}

static int unlock(struct netlock *nl)
{
	int r = 0;

	if (nl->unlocked)
		return 0;
	if (nl->method != NETLOCK_OPT_SKIP)
		r = remove_lock(nl);
	if (nl->own_netns && hooks_fire("network-unlock", nl->root) < 0)
		pr_warn("the network-unlock hook failed (ignored)\n");
	nl->unlocked = true;
	if (r == 0)
		pr_info("network lock %s lifted\n", nl->name);
	return r;
}

int netlock_dump_unlock(struct netlock *nl)
{
	return nl ? unlock(nl) : 0;
}

void netlock_free(struct netlock *nl)
{
	free(nl);
}

int netlock_restore_unlock(struct img_dir *d, pid_t root)
{
	struct img_reader *rd = NULL;
	NetlockEntry *e = NULL;
	struct netlock nl = {0};
	int r;

	if (!d || !img_dir_has(d, IMG_NETLOCK, 0))
		return 0;
	r = img_open(d, IMG_NETLOCK, 0, &rd);
	if (r < 0)
		return r;
	r = img_read_one(rd, &netlock_entry__descriptor, (ProtobufCMessage **)&e);
	img_close(rd);
	if (r < 0)
		return r;
	if (strlen(e->name) >= sizeof(nl.name) ||
	    strspn(e->name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(e->name)) {
		netlock_entry__free_unpacked(e, NULL);
		return pr_err_ret(-EBADMSG, "netlock.img: bad lock name");
	}
	nl.method =
		e->method == NETLOCK_METHOD__NETLOCK_NFTABLES ? NETLOCK_OPT_NFTABLES : NETLOCK_OPT_IPTABLES;
	snprintf(nl.name, sizeof(nl.name), "%s", e->name);
	nl.own_netns = e->own_netns && root > 0;
	nl.root = root;
	netlock_entry__free_unpacked(e, NULL);
	return unlock(&nl);
}

/*
 * A chain first in INPUT and OUTPUT (IPv4 and IPv6) that accepts marked
 * packets, and nothing else: iptables' ACCEPT there ends the filter table's
 * walk, so the tree's own rules further on do not see them.
 */
/*
 * Whether the namespace has iptables' filter table (ip or ip6): without it
 * no iptables rule can drop the packets, and making the chain would make
 * the table where the tree had none. iptables-save lists only the tables
 * there are (-t filter would print an empty one anyway).
 */
static bool has_filter_table(const struct netlock *nl, bool v6)
{
	char *argv[] = {v6 ? "ip6tables-save" : "iptables-save", NULL};
	size_t size = 256 << 10;
	_cleanup_free_ char *out = malloc(size);

	if (!out || run_tool(argv[0], argv, NULL, ns_pid(nl), out, size) != 0)
		return false;
	return !strncmp(out, "*filter", 7) || strstr(out, " *filter ");
}

int netlock_pass_begin(pid_t root, struct netlock **ret)
{
	struct netlock *nl = calloc(1, sizeof(*nl));
	char rules[512];
	int r = 0;

	*ret = NULL;
	if (!nl)
		return -ENOMEM;
	nl->method = NETLOCK_OPT_IPTABLES;
	nl->root = root;
	nl->own_netns = root > 0 && own_netns(root);
	snprintf(nl->name, sizeof(nl->name), "criu_pass_%d", (int)getpid());
	for (int v6 = 0; v6 < 2 && r == 0; v6++) {
		char *argv[] = {v6 ? "ip6tables-restore" : "iptables-restore", "-w", "--noflush", NULL};
		char err[512];

		if (!has_filter_table(nl, v6))
			continue;
		snprintf(rules, sizeof(rules),
			 "*filter\n:%s - [0:0]\n-I INPUT 1 -j %s\n-I OUTPUT 1 -j %s\n"
			 "-A %s -m mark --mark %#x -j ACCEPT\nCOMMIT\n",
			 nl->name, nl->name, nl->name, nl->name, CR_NETLOCK_MARK);
		/* no iptables is no error here: only the tree's own iptables rules would need it */
		r = run_tool(argv[0], argv, rules, ns_pid(nl), err, sizeof(err));
		if (r == 0)
			nl->chain[v6] = true;
		else
			pr_warn("%s: the chain %s was not made (status %d): %s\n", argv[0], nl->name, r, err);
		r = r > 0 ? -EIO : r;
	}
	if (r < 0)
		remove_lock(nl);
	if (r < 0 || (!nl->chain[0] && !nl->chain[1])) {
		free(nl);
		return r;
	}
	pr_info("chain %s lets marked packets by the filter rules (%s%s)\n", nl->name,
		nl->chain[0] ? "IPv4 " : "", nl->chain[1] ? "IPv6" : "");
	*ret = nl;
	return 0;
}

void netlock_pass_end(struct netlock *nl)
{
	if (nl && remove_lock(nl) < 0)
		pr_err("the chain %s could not be removed: remove it by hand (iptables -D INPUT -j %s, "
		       "-D OUTPUT, -F, -X)\n",
		       nl->name, nl->name);
	free(nl);
}
