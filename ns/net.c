/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * net namespace. Three ways: --empty-ns net (a new namespace with nothing but
 * the loopback, up: the runtime sets up the rest), --external net[INO]:KEY
 * (ns.c), or its contents dumped and made again here:
 *   links, addresses and routes (net_rtnl.c, libnl-3), policy routing
 *   rules (net_rule.c),
 *   the namespace's sysctls and each link's conf and neigh ones (net_sysctl.c),
 *   its firewall: the text of iptables-save, ip6tables-save and
 *   nft list ruleset, read back by iptables-restore and nft -f; tables of
 *   iptables-legacy by ip{,6}tables-legacy-save and -restore.
 * Dump enters the tree's namespace with setns() and comes back; restore runs
 * in criu after it made the new namespace (ns_restore_enter), before the
 * tree's sockets are opened, so that they find their addresses.
 */
#define LOG_PREFIX "net: "
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "cleanup.h"
#include "guard.h"
#include "log.h"
#include "net_priv.h"
#include "ns_priv.h"

/* ---- the firewall ---- */

static const char *const tool_dirs[] = {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/", "/usr/local/sbin/"};

static char *read_all_fd(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) < 0 || st.st_size > (64 << 20))
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return NULL;
	n = pread(fd, buf, (size_t)st.st_size, 0);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

/*
 * Runs a tool in criu's current net namespace with input on its stdin;
 * stdout and stderr go to memory files (no pipe to deadlock on). Returns its
 * exit status (0 success, -ENOENT when it is not installed) or -errno.
 */
static int run_tool(char *const argv[], const char *input, char **ret_out, char **ret_err)
{
	_cleanup_close_ int in = memfd_create("net-in", MFD_CLOEXEC);
	_cleanup_close_ int out = memfd_create("net-out", MFD_CLOEXEC);
	_cleanup_close_ int err = memfd_create("net-err", MFD_CLOEXEC);
	pid_t parent = getpid(), pid;
	int st;

	if (in < 0 || out < 0 || err < 0)
		return -errno;
	if (input && write(in, input, strlen(input)) != (ssize_t)strlen(input))
		return -EIO;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char path[128];

		guard_die_with(parent);
		signal(SIGPIPE, SIG_DFL);
		lseek(in, 0, SEEK_SET);
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(126);
		for (size_t i = 0; i < ARRAY_SIZE(tool_dirs); i++) {
			snprintf(path, sizeof(path), "%s%s", tool_dirs[i], argv[0]);
			execv(path, argv);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(st))
		return -EINTR;
	if (WEXITSTATUS(st) == 127)
		return -ENOENT;
	*ret_out = read_all_fd(out);
	*ret_err = read_all_fd(err);
	if (!*ret_out || !*ret_err) {
		free(*ret_out);
		free(*ret_err);
		return -ENOMEM;
	}
	return WEXITSTATUS(st);
}

int net_nl_dump(int proto, int type, const void *hdr, size_t len, int (*cb)(struct nl_msg *, void *),
		void *arg, const char *what)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return -ENOMEM;
	r = nl_connect(sk, proto);
	if (r < 0) {
		nl_socket_free(sk);
		pr_info("no netlink protocol %d in this kernel (%s): no %s\n", proto, nl_geterror(r), what);
		return 0;
	}
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	if (r == 0)
		r = nl_send_simple(sk, type, NLM_F_DUMP, (void *)hdr, len);
	if (r >= 0)
		r = nl_recvmsgs_default(sk);
	nl_socket_free(sk);
	if (r == -NLE_OPNOTSUPP || r == -NLE_INVAL || r == -NLE_OBJ_NOTFOUND) {
		pr_info("netlink request %d not known to this kernel (%s): no %s\n", type, nl_geterror(r), what);
		return 0;
	}
	if (r < 0)
		return pr_err_ret(net_nl_errno(r), "cannot list the %s (%s)", what, nl_geterror(r));
	return 1;
}

/* The nftables tables of the namespace, "FAMILY NAME\n" each, through nfnetlink: no tool needed. */
struct nft_tables {
	char *text;
	size_t len;
	int n;
	int err; /* -ENOMEM: the list is short */
};

static int nft_table_cb(struct nl_msg *msg, void *arg)
{
	struct nft_tables *t = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	struct nfgenmsg *g = nlmsg_data(h);
	struct nlattr *tb[NFTA_TABLE_MAX + 1];
	char line[128];
	char *nt;
	int n;

	if (nlmsg_parse(h, sizeof(*g), tb, NFTA_TABLE_MAX, NULL) < 0 || !tb[NFTA_TABLE_NAME])
		return NL_SKIP;
	n = snprintf(line, sizeof(line), "%u %.64s\n", g->nfgen_family, nla_get_string(tb[NFTA_TABLE_NAME]));
	nt = realloc(t->text, t->len + (size_t)n + 1);
	if (!nt) {
		t->err = -ENOMEM;
		return NL_STOP;
	}
	memcpy(nt + t->len, line, (size_t)n + 1);
	t->text = nt;
	t->len += (size_t)n;
	t->n++;
	return NL_OK;
}

static int nft_list_tables(struct nft_tables *t)
{
	struct nfgenmsg g = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0};
	int r = net_nl_dump(NETLINK_NETFILTER, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE, &g, sizeof(g),
			    nft_table_cb, t, "nftables tables");

	return r < 0 ? r : t->err;
}

/* Whether "FAMILY NAME" (AF number) is among the tables; iptables-nft's are ip/ip6 filter, nat, ... */
static bool has_table(const char *tables, int family, const char *name)
{
	char want[96];

	snprintf(want, sizeof(want), "%d %s\n", family, name);
	for (const char *p = tables; p && (p = strstr(p, want)); p++)
		if (p == tables || p[-1] == '\n')
			return true;
	return false;
}

static int write_rules(struct img_writer *w, const char *tool, const char *text)
{
	NetRulesEntry e = NET_RULES_ENTRY__INIT;

	e.tool = (char *)tool;
	e.text = (char *)text;
	return img_write_msg(w, &e.base);
}

/* "*filter" lines of iptables-save output: the tables it covers, marked in covered ("ip filter\n"...). */
static void note_ipt_tables(const char *text, const char *family, char **covered)
{
	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		size_t n = strcspn(p, "\n");
		size_t old = *covered ? strlen(*covered) : 0;
		char *c;

		if (*p != '*' || n < 2 || n > 64)
			continue;
		c = realloc(*covered, old + strlen(family) + n + 2);
		if (!c)
			return;
		sprintf(c + old, "%s %.*s\n", family, (int)(n - 1), p + 1);
		*covered = c;
	}
}

/*
 * nft list ruleset output without the tables iptables-save covers (those are
 * restored by iptables-restore: nft could not read back every xt match they hold).
 * A table is "table FAMILY NAME {" up to a "}" line.
 */
static char *nft_without(const char *ruleset, const char *covered)
{
	char *out = malloc(strlen(ruleset) + 1);
	bool skip = false;
	size_t o = 0;

	if (!out)
		return NULL;
	for (const char *p = ruleset; *p;) {
		size_t n = strcspn(p, "\n") + (p[strcspn(p, "\n")] == '\n');

		if (!strncmp(p, "table ", 6)) {
			char fam[16], name[128], key[160];

			skip = false;
			if (sscanf(p + 6, "%15s %127s", fam, name) == 2 && covered) {
				snprintf(key, sizeof(key), "%s %s\n", fam, name);
				skip = strstr(covered, key) != NULL;
			}
		}
		if (!skip) {
			memcpy(out + o, p, n);
			o += n;
		}
		if (skip && p[0] == '}')
			skip = false;
		p += n;
	}
	out[o] = 0;
	return out;
}

static int save_tool(char *const argv[], const char *what, char **ret)
{
	_cleanup_free_ char *err = NULL;
	char *out = NULL;
	int r = run_tool(argv, NULL, &out, &err);

	if (r == -ENOENT)
		return pr_err_ret(-ENOENT,
				  "the namespace has %s, but %s is not installed: they would be lost", what,
				  argv[0]);
	if (r < 0)
		return pr_err_ret(r, "cannot run %s", argv[0]);
	if (r > 0) {
		pr_err("%s failed (status %d): %s\n", argv[0], r, err);
		free(out);
		return -EIO;
	}
	*ret = out;
	return 0;
}

static int dump_iptables(struct img_writer *w, const char *tables, bool v6, char **covered)
{
	static const char *const names[] = {"filter", "nat", "mangle", "raw", "security"};
	char *argv[] = {v6 ? "ip6tables-save" : "iptables-save", NULL};
	_cleanup_free_ char *text = NULL;
	bool any = false;
	int r;

	for (size_t i = 0; i < 5; i++)
		any |= has_table(tables, v6 ? AF_INET6 : AF_INET, names[i]);
	if (!any)
		return 0;
	r = save_tool(argv, v6 ? "ip6tables rules" : "iptables rules", &text);
	if (r < 0)
		return r;
	note_ipt_tables(text, v6 ? "ip6" : "ip", covered);
	pr_info("%s: %zu bytes of rules\n", argv[0], strlen(text));
	return write_rules(w, v6 ? "ip6tables" : "iptables", text);
}

/*
 * iptables-legacy's tables (x_tables, not nftables): the kernel lists the
 * ones in use in /proc/self/net/ip{,6}_tables_names. They are saved by
 * ip{,6}tables-legacy-save and read back by ip{,6}tables-legacy-restore.
 */
static int dump_legacy_tables(struct img_writer *w, bool v6)
{
	char *argv[] = {v6 ? "ip6tables-legacy-save" : "iptables-legacy-save", NULL};
	const char *names = v6 ? "/proc/self/net/ip6_tables_names" : "/proc/self/net/ip_tables_names";
	_cleanup_free_ char *text = NULL;
	char buf[64] = "";
	int fd = open(names, O_RDONLY | O_CLOEXEC), r;
	ssize_t n = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	r = save_tool(argv, v6 ? "ip6tables-legacy rules" : "iptables-legacy rules", &text);
	if (r < 0)
		return r;
	pr_info("%s: %zu bytes of rules\n", argv[0], strlen(text));
	return write_rules(w, v6 ? "ip6tables-legacy" : "iptables-legacy", text);
}

static int dump_firewall(struct img_dir *d)
{
	struct nft_tables t = {0};
	struct img_writer *w = NULL;
	_cleanup_free_ char *covered = NULL;
	int r = nft_list_tables(&t);

	if (r == 0)
		r = img_create(d, IMG_NETRULES, 0, &w);
	if (r == 0)
		r = dump_legacy_tables(w, false);
	if (r == 0)
		r = dump_legacy_tables(w, true);
	if (r == 0 && t.n) {
		r = dump_iptables(w, t.text, false, &covered);
		if (r == 0)
			r = dump_iptables(w, t.text, true, &covered);
	}
	/* the tables iptables-save did not cover: nft's */
	if (r == 0 && t.n > 0) {
		char *argv[] = {"nft", "list", "ruleset", NULL};
		_cleanup_free_ char *all = NULL, *rest = NULL;
		int covered_n = 0;

		for (const char *p = covered; p && (p = strchr(p, '\n')); p++)
			covered_n++;
		if (t.n > covered_n) {
			r = save_tool(argv, "nftables tables", &all);
			rest = r == 0 ? nft_without(all, covered) : NULL;
			if (r == 0 && !rest)
				r = -ENOMEM;
			if (r == 0 && rest[strspn(rest, " \t\n")]) {
				pr_info("nft: %zu bytes of ruleset\n", strlen(rest));
				r = write_rules(w, "nft", rest);
			}
		}
	}
	free(t.text);
	return img_finish(w, r);
}

static int restore_firewall(const struct net_images *ni)
{
	/* nft's tables first: iptables-restore then adds its own; the legacy tables are apart */
	static const char *const order[] = {"nft", "iptables", "ip6tables", "iptables-legacy",
					    "ip6tables-legacy"};
	static const char *const restorer[] = {"nft", "iptables-restore", "ip6tables-restore",
					       "iptables-legacy-restore", "ip6tables-legacy-restore"};

	for (size_t k = 0; k < 5; k++)
		for (size_t i = 0; i < ni->n_rules; i++) {
			const NetRulesEntry *e = ni->rules[i];
			char *ipt[] = {(char *)restorer[k], "-w", NULL};
			char *nft[] = {"nft", "-f", "-", NULL};
			_cleanup_free_ char *out = NULL, *err = NULL;
			int r;

			if (strcmp(e->tool, order[k]))
				continue;
			r = run_tool(k == 0 ? nft : ipt, e->text, &out, &err);
			if (r == -ENOENT)
				return pr_err_ret(
					r, "netrules.img: %s rules to restore, but %s is not installed",
					e->tool, restorer[k]);
			if (r != 0)
				return pr_err_ret(r < 0 ? r : -EIO, "netrules.img: %s failed (status %d): %s",
						  restorer[k], r, err ? err : "");
			pr_info("%s rules restored\n", e->tool);
		}
	return 0;
}

static int check_rules(const struct net_images *ni)
{
	for (size_t i = 0; i < ni->n_rules; i++)
		if (strcmp(ni->rules[i]->tool, "nft") && strcmp(ni->rules[i]->tool, "iptables") &&
		    strcmp(ni->rules[i]->tool, "ip6tables") &&
		    strcmp(ni->rules[i]->tool, "iptables-legacy") &&
		    strcmp(ni->rules[i]->tool, "ip6tables-legacy"))
			return pr_err_ret(-EBADMSG, "netrules.img: rules of an unknown tool %.32s",
					  ni->rules[i]->tool);
	return 0;
}

/* ---- dump ---- */

int net_ns_dump(pid_t pid, struct img_dir *d)
{
	char path[64];
	_cleanup_close_ int own = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = -EBADF;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	target = open(path, O_RDONLY | O_CLOEXEC);
	if (own < 0 || target < 0)
		return pr_perror_ret("pid %d: cannot open its net namespace or criu's", pid);
	if (setns(target, CLONE_NEWNET) < 0)
		return pr_perror_ret("pid %d: cannot enter its net namespace", pid);
	r = net_rtnl_dump(d, own);
	if (r == 0)
		r = net_sysctl_dump(d);
	if (r == 0)
		r = dump_firewall(d);
	if (setns(own, CLONE_NEWNET) < 0) {
		/* criu must not go on in the tree's namespace */
		pr_perror("pid %d: cannot come back to criu's net namespace", pid);
		abort();
	}
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot dump its net namespace", pid);
	pr_info("pid %d: net namespace dumped\n", pid);
	return 0;
}

/* ---- restore ---- */

#define MAX_RECORDS 65536

static int load_all(struct img_dir *d, enum img_kind kind, const ProtobufCMessageDescriptor *desc,
		    void ***ret, size_t *ret_n)
{
	struct img_reader *rd = NULL;
	ProtobufCMessage *m;
	void **v = NULL;
	size_t n = 0;
	int r = img_open(d, kind, 0, &rd);

	if (r == -ENOENT) {
		char name[64];

		return pr_err_ret(-EBADMSG, "the tree had its own net namespace, but %s is missing",
				  img_file_name(name, sizeof(name), kind, 0));
	}
	if (r < 0)
		return r;
	if (img_reader_count(rd) > MAX_RECORDS) {
		r = pr_err_ret(-EBADMSG, "%s: %zu records, more than %d", img_reader_name(rd),
			       img_reader_count(rd), MAX_RECORDS);
		img_close(rd);
		return r;
	}
	v = calloc(img_reader_count(rd) + 1, sizeof(*v));
	if (!v) {
		img_close(rd);
		return -ENOMEM;
	}
	while (n < img_reader_count(rd) && (r = img_read_msg(rd, desc, &m)) > 0)
		v[n++] = m;
	img_close(rd);
	*ret = v;
	*ret_n = n;
	return r < 0 ? r : 0;
}

static void free_all(void **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		protobuf_c_message_free_unpacked(v[i], NULL);
	free(v);
}

static void net_images_free(struct net_images *ni)
{
	free_all((void **)ni->links, ni->n_links);
	free_all((void **)ni->addrs, ni->n_addrs);
	free_all((void **)ni->routes, ni->n_routes);
	free_all((void **)ni->sysctls, ni->n_sysctls);
	free_all((void **)ni->rules, ni->n_rules);
	free_all((void **)ni->fib_rules, ni->n_fib_rules);
}

static int net_images_load(struct img_dir *d, const struct cr_opts *o, struct net_images *ni)
{
	int r = load_all(d, IMG_NETLINK, &net_link_entry__descriptor, (void ***)&ni->links, &ni->n_links);

	if (r == 0)
		r = load_all(d, IMG_NETADDR, &net_addr_entry__descriptor, (void ***)&ni->addrs, &ni->n_addrs);
	if (r == 0)
		r = load_all(d, IMG_NETROUTE, &net_route_entry__descriptor, (void ***)&ni->routes,
			     &ni->n_routes);
	if (r == 0)
		r = load_all(d, IMG_NETSYSCTL, &net_sysctl_entry__descriptor, (void ***)&ni->sysctls,
			     &ni->n_sysctls);
	if (r == 0)
		r = load_all(d, IMG_NETRULES, &net_rules_entry__descriptor, (void ***)&ni->rules,
			     &ni->n_rules);
	if (r == 0)
		r = load_all(d, IMG_NETFIBRULE, &net_fib_rule_entry__descriptor, (void ***)&ni->fib_rules,
			     &ni->n_fib_rules);
	if (r == 0)
		r = net_rtnl_check(ni, o);
	if (r == 0)
		r = check_rules(ni);
	for (size_t i = 0; r == 0 && i < ni->n_sysctls; i++)
		r = net_sysctl_check(ni->sysctls[i]);
	for (size_t i = 0; r == 0 && i < ni->n_links; i++)
		r = net_conf_check(ni->links[i]->name, ni->links[i]->conf, ni->links[i]->n_conf);
	return r;
}

bool net_ns_has_images(const struct img_dir *d)
{
	return img_dir_has(d, IMG_NETLINK, 0);
}

int net_ns_restore(struct img_dir *d, const struct cr_opts *o)
{
	struct net_images ni = {0};
	_cleanup_close_ int outside = -EBADF;
	int r = net_images_load(d, o, &ni);

	if (r < 0) {
		net_images_free(&ni);
		return r;
	}
	outside = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (outside < 0)
		r = pr_perror_ret("cannot open criu's net namespace");
	else if (unshare(CLONE_NEWNET) < 0)
		r = pr_perror_ret("cannot create a net namespace");
	/* the namespace's sysctls first: links made next inherit conf/default */
	if (r == 0)
		r = net_sysctl_restore(&ni);
	if (r == 0)
		r = net_rtnl_restore(&ni, o, outside);
	if (r == 0)
		r = restore_firewall(&ni);
	if (r == 0)
		pr_info("net namespace restored: %zu links, %zu addresses, %zu routes, %zu policy routing "
			"rules, "
			"%zu firewall rule sets\n",
			ni.n_links, ni.n_addrs, ni.n_routes, ni.n_fib_rules, ni.n_rules);
	net_images_free(&ni);
	return r;
}

int net_ns_restore_empty(void)
{
	struct ifreq ifr;
	int fd, r = 0;

	if (unshare(CLONE_NEWNET) < 0)
		return pr_perror_ret("cannot create a net namespace");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return pr_perror_ret("new net namespace: socket");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = pr_perror_ret("new net namespace: lo flags");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = pr_perror_ret("new net namespace: cannot bring lo up");
	close(fd);
	if (r == 0)
		pr_info("new empty net namespace, lo up\n");
	return r;
}
