/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The sysctls of a net namespace: every file under /proc/sys/net that the
 * namespace shows as readable and writable (read-only ones are the kernel's
 * to set, write-only ones are actions such as route/flush). Those of a link
 * (conf/IFNAME and neigh/IFNAME of ipv4 and ipv6) go with the link in
 * netlinks.img; all the others, conf/all, conf/default and neigh/default
 * among them, into netsysctls.img.
 * /proc/sys/net is the namespace of the task that reads it: dump and restore
 * run with criu inside the namespace.
 * Restore writes only what differs from the new namespace's value, in the
 * dumped order (the namespace's, then conf/all, conf/default: writing
 * all/forwarding resets default and every link), and goes round again while
 * values still differ: some are bounded by others (ipfrag_low_thresh by
 * ipfrag_high_thresh) or are two views of one setting (base_reachable_time
 * and base_reachable_time_ms), so one order cannot fit all.
 */
#define LOG_PREFIX "net: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "net_priv.h"

#define SYSCTL_MAX  4096
#define SYSCTL_PATH 256
/* A link's sysctls: ipv4 conf has about 40, ipv6 conf 70, each neigh 20. */
#define MAX_LINK_SYSCTLS 512
#define MAX_PASSES	 4

static const char *const families[] = {"ipv4", "ipv6"};

/* /proc/sys/<name> (trailing newline dropped): 0, -ENOENT when the kernel has none, -errno. */
static int net_sysctl_read(const char *name, char *buf, size_t size)
{
	char path[SYSCTL_PATH + 16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	if (n >= 0 && (size_t)n == size)
		n = -1, errno = EFBIG; /* never truncate a value */
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

/* Quiet: -errno of the open or the write. */
static int sysctl_write(const char *name, const char *value)
{
	char path[SYSCTL_PATH + 16];
	ssize_t n;
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

static bool value_ok(const char *v)
{
	return strlen(v) < SYSCTL_MAX && !strchr(v, '\n');
}

/* A name the kernel gives a sysctl or a directory of them: no path tricks. */
static bool word_ok(const char *s, size_t len)
{
	if (len == 0 || len >= IFNAMSIZ * 4)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 'a' && s[i] <= 'z') && !(s[i] >= 'A' && s[i] <= 'Z') &&
		    !(s[i] >= '0' && s[i] <= '9') && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* ---- walking /proc/sys/net ---- */

typedef int (*sysctl_fn)(const char *name, const char *value, void *arg);

/* "net/ipv4/conf/eth0" or "net/ipv6/neigh/eth0", a link's own, not all or default. */
static bool is_link_dir(const char *rel)
{
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		char conf[32], neigh[32];
		const char *tail = NULL;

		snprintf(conf, sizeof(conf), "net/%s/conf/", families[f]);
		snprintf(neigh, sizeof(neigh), "net/%s/neigh/", families[f]);
		if (!strncmp(rel, conf, strlen(conf)))
			tail = rel + strlen(conf);
		else if (!strncmp(rel, neigh, strlen(neigh)))
			tail = rel + strlen(neigh);
		if (tail)
			return strcmp(tail, "all") && strcmp(tail, "default");
	}
	return false;
}

/* The directories written after all the others, in this order. */
static const char *const late_dirs[] = {
	"net/ipv4/conf/all",	 "net/ipv6/conf/all",	   "net/ipv4/conf/default",
	"net/ipv6/conf/default", "net/ipv4/neigh/default", "net/ipv6/neigh/default",
};

static bool is_late_dir(const char *rel)
{
	for (size_t i = 0; i < ARRAY_SIZE(late_dirs); i++)
		if (!strcmp(rel, late_dirs[i]))
			return true;
	return false;
}

/*
 * One file: fn(name, value) when the namespace lets it be read and written.
 * A value the kernel declines to show (EIO: ipv6 stable_secret never set) is
 * one a new namespace has too.
 */
static int visit_file(const char *rel, sysctl_fn fn, void *arg)
{
	_cleanup_free_ char *val = malloc(SYSCTL_MAX);
	char path[SYSCTL_PATH + 16];
	struct stat st;
	int r;

	if (!val)
		return -ENOMEM;
	snprintf(path, sizeof(path), "/proc/sys/%s", rel);
	if (stat(path, &st) < 0)
		return pr_perror_ret("sysctl %s: cannot stat %s", rel, path);
	if (!(st.st_mode & S_IRUSR) || !(st.st_mode & S_IWUSR))
		return 0;
	r = net_sysctl_read(rel, val, SYSCTL_MAX);
	if (r == -EIO || r == -ENOENT)
		return 0;
	if (r < 0)
		return pr_err_ret(r, "sysctl %s: cannot read it", rel);
	if (!value_ok(val))
		return pr_err_ret(-EOPNOTSUPP, "sysctl %s: not supported yet: a value of several lines", rel);
	return fn(rel, val, arg);
}

static int visit_dir(const char *rel, bool whole, sysctl_fn fn, void *arg);

/* One entry of directory rel. */
static int visit_entry(const char *rel, const struct dirent *de, bool whole, sysctl_fn fn, void *arg)
{
	char sub[SYSCTL_PATH];

	if (!word_ok(de->d_name, strlen(de->d_name)) && de->d_type != DT_DIR)
		return pr_err_ret(-EOPNOTSUPP, "sysctl %s/%s: not supported yet: an unusual name", rel,
				  de->d_name);
	if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= sizeof(sub))
		return pr_err_ret(-ENAMETOOLONG, "sysctl %s/%s: a name too long", rel, de->d_name);
	if (de->d_type == DT_DIR) {
		if (!whole || is_link_dir(sub) || is_late_dir(sub))
			return 0;
		return visit_dir(sub, true, fn, arg);
	}
	return visit_file(sub, fn, arg);
}

/* The files of rel, by name; with whole, its subdirectories too (but links' and the late ones). */
static int visit_dir(const char *rel, bool whole, sysctl_fn fn, void *arg)
{
	char path[SYSCTL_PATH + 16];
	struct dirent **v = NULL;
	int n, r = 0;

	snprintf(path, sizeof(path), "/proc/sys/%s", rel);
	n = scandir(path, &v, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : pr_perror_ret("sysctl directory %s: cannot list it", rel);
	for (int i = 0; i < n; i++) {
		if (r == 0 && strcmp(v[i]->d_name, ".") && strcmp(v[i]->d_name, ".."))
			r = visit_entry(rel, v[i], whole, fn, arg);
		free(v[i]);
	}
	free(v);
	return r;
}

/* The namespace's sysctls, in the order restore writes them. */
static int for_each_ns_sysctl(sysctl_fn fn, void *arg)
{
	int r = visit_dir("net", true, fn, arg);

	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(late_dirs); i++)
		r = visit_dir(late_dirs[i], false, fn, arg);
	return r;
}

/* ---- the namespace's, netsysctls.img ---- */

static int dump_one(const char *name, const char *value, void *arg)
{
	NetSysctlEntry e = NET_SYSCTL_ENTRY__INIT;

	e.name = (char *)name;
	e.value = (char *)value;
	return img_write_msg(arg, &e.base);
}

int net_sysctl_dump(struct img_dir *d)
{
	struct img_writer *w = NULL;
	int r = img_create(d, IMG_NETSYSCTL, 0, &w);

	if (r == 0)
		r = for_each_ns_sysctl(dump_one, w);
	return img_finish(w, r);
}

/* "net/A/B/C": words joined by single slashes, not in a link's directory. */
static bool ns_name_ok(const char *name)
{
	const char *p = name;

	if (strncmp(name, "net/", 4) || strlen(name) >= SYSCTL_PATH)
		return false;
	while (*p) {
		size_t len = strcspn(p, "/");

		if (!word_ok(p, len))
			return false;
		p += len;
		if (*p == '/')
			p++;
		else
			break;
	}
	for (size_t f = 0; f < ARRAY_SIZE(families); f++) {
		char conf[32], neigh[32];

		snprintf(conf, sizeof(conf), "net/%s/conf/", families[f]);
		snprintf(neigh, sizeof(neigh), "net/%s/neigh/", families[f]);
		if ((!strncmp(name, conf, strlen(conf)) || !strncmp(name, neigh, strlen(neigh))) &&
		    !strstr(name, "/all/") && !strstr(name, "/default/"))
			return false;
	}
	return name[strlen(name) - 1] != '/';
}

int net_sysctl_check(const NetSysctlEntry *e)
{
	if (!ns_name_ok(e->name) || !value_ok(e->value))
		return pr_err_ret(-EBADMSG, "netsysctls.img: sysctl %.64s: a bad name or value", e->name);
	return 0;
}

/* ---- writing back ---- */

struct sysctl_item {
	char name[SYSCTL_PATH];
	const char *value;
	int err; /* of the last write */
};

/* One round: writes every item whose value differs. The number that differed, or -errno. */
static int write_round(struct sysctl_item *v, size_t n, char *buf, size_t *written)
{
	int differ = 0;

	for (size_t i = 0; i < n; i++) {
		int r = net_sysctl_read(v[i].name, buf, SYSCTL_MAX);

		if (r == -EIO) /* not set yet (ipv6 stable_secret) */
			buf[0] = 0, r = 0;
		if (r < 0)
			return pr_err_ret(r, "sysctl %s: cannot read it in the new namespace", v[i].name);
		if (!strcmp(buf, v[i].value))
			continue;
		differ++;
		v[i].err = sysctl_write(v[i].name, v[i].value);
		*written += v[i].err == 0;
		if (v[i].err == 0)
			pr_debug("sysctl %s = %s (was %s)\n", v[i].name, v[i].value, buf);
	}
	return differ;
}

/*
 * Writes the items back until every one reads as dumped; names the first
 * that will not. The number of writes, or -errno.
 */
static int write_items(struct sysctl_item *v, size_t n)
{
	_cleanup_free_ char *buf = malloc(SYSCTL_MAX);
	size_t written = 0;
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (int pass = 0; pass <= MAX_PASSES; pass++) {
		r = write_round(v, n, buf, &written);
		if (r <= 0)
			return r < 0 ? r : (int)written;
	}
	for (size_t i = 0; i < n; i++) {
		if (net_sysctl_read(v[i].name, buf, SYSCTL_MAX) == 0 && !strcmp(buf, v[i].value))
			continue;
		if (v[i].err < 0)
			return pr_err_ret(v[i].err, "sysctl %s: cannot write %s", v[i].name, v[i].value);
		return pr_err_ret(-EIO, "sysctl %s: written %s, but reads %s", v[i].name, v[i].value, buf);
	}
	return 0;
}

int net_sysctl_restore(const struct net_images *ni)
{
	_cleanup_free_ struct sysctl_item *v = calloc(ni->n_sysctls + 1, sizeof(*v));
	int r;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < ni->n_sysctls; i++) {
		snprintf(v[i].name, sizeof(v[i].name), "%s", ni->sysctls[i]->name);
		v[i].value = ni->sysctls[i]->value;
	}
	r = write_items(v, ni->n_sysctls);
	if (r >= 0)
		pr_info("%zu sysctls of the namespace restored, %d of them written\n", ni->n_sysctls, r);
	return r < 0 ? r : 0;
}

/* ---- a link's: conf/IFNAME and neigh/IFNAME ---- */

/*
 * Key "ipv4/forwarding" is net/ipv4/conf/IFNAME/forwarding and
 * "ipv6/neigh/retrans_time_ms" net/ipv6/neigh/IFNAME/retrans_time_ms.
 * 0, or -EINVAL for a key that is neither.
 */
static int link_key_path(char *buf, size_t size, const char *ifname, const char *key)
{
	const char *slash = strchr(key, '/');
	const char *dir = "conf", *leaf;
	size_t flen;

	if (!slash)
		return -EINVAL;
	flen = (size_t)(slash - key);
	if ((flen != 4 || (strncmp(key, "ipv4", 4) && strncmp(key, "ipv6", 4))))
		return -EINVAL;
	leaf = slash + 1;
	if (!strncmp(leaf, "neigh/", 6)) {
		dir = "neigh";
		leaf += 6;
	}
	if (!word_ok(leaf, strlen(leaf)))
		return -EINVAL;
	if ((size_t)snprintf(buf, size, "net/%.4s/%s/%s/%s", key, dir, ifname, leaf) >= size)
		return -ENAMETOOLONG;
	return 0;
}

struct link_read {
	NetSysctlEntry **v;
	size_t n;
	const char *key_prefix; /* "ipv4/" or "ipv4/neigh/" */
};

static int add_link_sysctl(const char *name, const char *value, void *arg)
{
	struct link_read *lr = arg;
	const char *leaf = strrchr(name, '/') + 1;
	NetSysctlEntry *e;

	if (lr->n == MAX_LINK_SYSCTLS)
		return pr_err_ret(-E2BIG, "sysctl %s: a link with more than %d sysctls", name,
				  MAX_LINK_SYSCTLS);
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	net_sysctl_entry__init(e);
	e->value = strdup(value);
	if (asprintf(&e->name, "%s%s", lr->key_prefix, leaf) < 0)
		e->name = NULL;
	lr->v[lr->n++] = e;
	return e->name && e->value ? 0 : -ENOMEM;
}

int net_conf_read(const char *ifname, NetSysctlEntry ***ret, size_t *ret_n)
{
	struct link_read lr = {.v = calloc(MAX_LINK_SYSCTLS, sizeof(NetSysctlEntry *))};
	int r = 0;

	if (!lr.v)
		return -ENOMEM;
	for (size_t f = 0; r == 0 && f < ARRAY_SIZE(families); f++)
		for (int neigh = 0; r == 0 && neigh < 2; neigh++) {
			char dir[SYSCTL_PATH], prefix[16];

			snprintf(dir, sizeof(dir), "net/%s/%s/%s", families[f], neigh ? "neigh" : "conf",
				 ifname);
			snprintf(prefix, sizeof(prefix), "%s/%s", families[f], neigh ? "neigh/" : "");
			lr.key_prefix = prefix;
			r = visit_dir(dir, false, add_link_sysctl, &lr);
		}
	if (r < 0) {
		net_conf_free(lr.v, lr.n);
		return r;
	}
	*ret = lr.v;
	*ret_n = lr.n;
	return 0;
}

void net_conf_free(NetSysctlEntry **conf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(conf[i]->name);
		free(conf[i]->value);
		free(conf[i]);
	}
	free(conf);
}

int net_conf_check(const char *ifname, NetSysctlEntry *const *conf, size_t n)
{
	char path[SYSCTL_PATH];

	if (n > MAX_LINK_SYSCTLS)
		return pr_err_ret(-EBADMSG, "netlinks.img: link %s: %zu sysctls", ifname, n);
	for (size_t i = 0; i < n; i++)
		if (link_key_path(path, sizeof(path), ifname, conf[i]->name) < 0 || !value_ok(conf[i]->value))
			return pr_err_ret(-EBADMSG,
					  "netlinks.img: link %s: sysctl %.64s: a bad name or value", ifname,
					  conf[i]->name);
	return 0;
}

int net_conf_write(const char *ifname, NetSysctlEntry *const *conf, size_t n)
{
	_cleanup_free_ struct sysctl_item *v = calloc(n + 1, sizeof(*v));
	int r = net_conf_check(ifname, conf, n);

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = link_key_path(v[i].name, sizeof(v[i].name), ifname, conf[i]->name);
		v[i].value = conf[i]->value;
	}
	if (r == 0)
		r = write_items(v, n);
	if (r < 0)
		return pr_err_ret(r, "link %s: cannot restore its sysctls", ifname);
	if (r > 0)
		pr_info("link %s: %d sysctls written\n", ifname, r);
	return 0;
}
