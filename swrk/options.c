/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The option table and the parser that the CLI and config files share. */
#define LOG_PREFIX "options: "
#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "options.h"

enum opt_type { T_BOOL, T_INT, T_UINT, T_STR, T_LIST, T_FUNC };
enum opt_arg { ARG_NONE, ARG_REQ, ARG_OPT };

typedef int (*opt_parse_fn)(struct cr_opts *o, const char *arg);

struct opt_row {
	const char *name;  /* long option and config-file key */
	const char *alias; /* a second long spelling */
	char short_opt;
	enum opt_type type;
	size_t off;
	opt_parse_fn parse; /* T_FUNC */
	enum opt_arg arg;   /* T_FUNC */
	const char *rpc;    /* criu_opts field fed from this row, if any */
	bool impl;	    /* behaviour implemented; otherwise "not supported yet" */
	bool negatable;	    /* T_FUNC: --no-NAME clears the bool at off */
};

#define OFF(f) offsetof(struct cr_opts, f)
#define BOOL(n, f, rpc, impl) { n, NULL, 0, T_BOOL, OFF(f), NULL, ARG_NONE, rpc, impl, false }
#define BOOLS(n, s, f, rpc, impl) { n, NULL, s, T_BOOL, OFF(f), NULL, ARG_NONE, rpc, impl, false }
#define STR(n, s, f, rpc, impl) { n, NULL, s, T_STR, OFF(f), NULL, ARG_REQ, rpc, impl, false }
#define LIST(n, s, f, rpc, impl) { n, NULL, s, T_LIST, OFF(f), NULL, ARG_REQ, rpc, impl, false }
#define INT(n, s, f, rpc, impl) { n, NULL, s, T_INT, OFF(f), NULL, ARG_REQ, rpc, impl, false }
#define UINT(n, f, rpc, impl) { n, NULL, 0, T_UINT, OFF(f), NULL, ARG_REQ, rpc, impl, false }
#define FUNC(n, s, fn, a, rpc, impl) { n, NULL, s, T_FUNC, 0, fn, a, rpc, impl, false }
#define FUNCB(n, s, fn, a, f, rpc, impl) { n, NULL, s, T_FUNC, OFF(f), fn, a, rpc, impl, true }

/* Errors name where the option came from (a config file line, an RPC field) when known. */
#define opt_err(o, fmt, ...) \
	pr_err("%s%s" fmt, (o)->origin ? (o)->origin : "", (o)->origin ? ": " : "", ##__VA_ARGS__)

static int parse_verbosity(struct cr_opts *o, const char *arg);
static int parse_ghost_limit(struct cr_opts *o, const char *arg);
static int parse_manage_cgroups(struct cr_opts *o, const char *arg);
static int parse_ext_mount_map(struct cr_opts *o, const char *arg);
static int parse_inherit_fd(struct cr_opts *o, const char *arg);
static int parse_join_ns(struct cr_opts *o, const char *arg);
static int parse_empty_ns(struct cr_opts *o, const char *arg);
static int parse_veth_pair(struct cr_opts *o, const char *arg);
static int parse_network_lock(struct cr_opts *o, const char *arg);
static int parse_pre_dump_mode(struct cr_opts *o, const char *arg);
static int parse_image_io_mode(struct cr_opts *o, const char *arg);
static int parse_lsm_profile(struct cr_opts *o, const char *arg);
static int parse_ext_unix_sk(struct cr_opts *o, const char *arg);
static int parse_cpu_cap(struct cr_opts *o, const char *arg);
static int parse_file_validation(struct cr_opts *o, const char *arg);
static int parse_version(struct cr_opts *o, const char *arg);
static int parse_help(struct cr_opts *o, const char *arg);
static int parse_restore_detached(struct cr_opts *o, const char *arg);
static int parse_address_mode(struct cr_opts *o, const char *arg);

/*
 * One row per option. "impl" is true where the behaviour behind the option
 * exists; giving any other option a non-default value fails loudly.
 */
static const struct opt_row table[] = {
	FUNC("verbosity", 'v', parse_verbosity, ARG_OPT, "log_level", true),
	STR("log-file", 'o', log_file, "log_file", true),
	BOOL("log-to-stderr", log_to_stderr, "log_to_stderr", true),
	STR("images-dir", 'D', images_dir, "images_dir", true),
	STR("work-dir", 'W', work_dir, NULL, true),
	STR("prev-images-dir", 0, prev_images_dir, "parent_img", false),
	STR("libdir", 'L', libdir, NULL, true),
	STR("config", 0, config_file, "config_file", true),
	BOOL("no-default-config", no_default_config, NULL, true),
	{ "pidfile", "pid-file", 0, T_STR, OFF(pidfile), NULL, ARG_REQ, NULL, true, false },
	BOOL("display-stats", display_stats, "display_stats", true),
	BOOL("stream", stream, NULL, false),
	LIST("action-script", 0, action_scripts, NULL, true),
	STR("hooks", 0, hooks_file, NULL, true),
	BOOL("unprivileged", unprivileged, "unprivileged", false),
	LIST("close", 0, close_fds, NULL, false),
	FUNC("version", 'V', parse_version, ARG_NONE, NULL, true),
	FUNC("help", 'h', parse_help, ARG_NONE, NULL, true),

	INT("tree", 't', pid, "pid", true),
	STR("root", 'r', root, "root", true),
	BOOLS("leave-running", 'R', leave_running, "leave_running", true),
	BOOLS("leave-stopped", 's', leave_stopped, "leave_stopped", true),
	BOOL("track-mem", track_mem, "track_mem", false),
	/* checked; only a pre-dump (not built yet, refused by itself) would use it: criu takes it on every dump */
	FUNC("pre-dump-mode", 0, parse_pre_dump_mode, ARG_REQ, "pre_dump_mode", true),
	/* RPC criu_opts.ps{address, port} (swrk/rpc.c feeds them by these names) */
	BOOL("page-server", page_server, "ps", false),
	STR("address", 0, address, "ps.address", true),
	INT("port", 0, port, "ps.port", false),
	BOOL("lazy-pages", lazy_pages, "lazy_pages", false),
	BOOL("tcp-established", tcp_established, "tcp_established", true),
	BOOL("tcp-close", tcp_close, "tcp_close", true),
	{ "skip-in-flight", "tcp-skip-in-flight", 0, T_BOOL, OFF(tcp_skip_in_flight), NULL, ARG_NONE,
	  "tcp_skip_in_flight", true, false },
	BOOLS("file-locks", 'l', file_locks, "file_locks", true),
	BOOL("link-remap", link_remap, "link_remap", true),
	FUNC("ghost-limit", 0, parse_ghost_limit, ARG_REQ, "ghost_limit", true),
	BOOL("ghost-fiemap", ghost_fiemap, NULL, true),
	BOOL("force-irmap", force_irmap, "force_irmap", true),
	LIST("irmap-scan-path", 0, irmap_scan_paths, "irmap_scan_paths", true),
	STR("freeze-cgroup", 0, freeze_cgroup, "freeze_cgroup", true),
	FUNC("manage-cgroups", 0, parse_manage_cgroups, ARG_OPT, "manage_cgroups_mode", true),
	LIST("cgroup-root", 0, cgroup_roots, "cg_root", true),
	STR("cgroup-props", 0, cgroup_props, "cgroup_props", true),
	STR("cgroup-props-file", 0, cgroup_props_file, "cgroup_props_file", true),
	LIST("cgroup-dump-controller", 0, cgroup_dump_controllers, "cgroup_dump_controller", false),
	STR("cgroup-yard", 0, cgroup_yard, "cgroup_yard", true),
	FUNC("ext-mount-map", 'M', parse_ext_mount_map, ARG_REQ, "ext_mnt", true),
	BOOL("enable-external-sharing", ext_sharing, "ext_sharing", true),
	BOOL("enable-external-masters", ext_masters, "ext_masters", true),
	/* --external: unix[INO], KIND[INO]:KEY, veth[IN]:OUT (opts_check_supported refuses others) */
	LIST("external", 0, external, "external", true),
	FUNCB("ext-unix-sk", 'x', parse_ext_unix_sk, ARG_OPT, ext_unix_sk, "ext_unix_sk", true),
	FUNC("inherit-fd", 0, parse_inherit_fd, ARG_REQ, "inherit_fd", true),
	FUNC("join-ns", 'J', parse_join_ns, ARG_REQ, "join_ns", true),
	FUNC("empty-ns", 0, parse_empty_ns, ARG_REQ, "empty_ns", true),
	FUNC("veth-pair", 0, parse_veth_pair, ARG_REQ, "veths", true),
	FUNC("restore-detached", 'd', parse_restore_detached, ARG_NONE, NULL, true),
	BOOLS("restore-sibling", 'S', restore_sibling, "rst_sibling", true),
	BOOL("daemon", daemon, NULL, true),
	/* criu service: the socket's mode and the limits on its workers (docs/service.md) */
	FUNC("address-mode", 0, parse_address_mode, ARG_REQ, NULL, true),
	UINT("max-workers", max_workers, NULL, true),
	UINT("max-workers-per-uid", max_workers_per_uid, NULL, true),
	UINT("idle-timeout", idle_timeout, NULL, true),
	/* applied where an LSM is active; where none is, a tree that ran unconfined needs none (task/lsm.c) */
	FUNC("lsm-profile", 0, parse_lsm_profile, ARG_REQ, "lsm_profile", true),
	STR("lsm-mount-context", 0, lsm_mount_context, "lsm_mount_context", true),
	BOOLS("shell-job", 'j', shell_job, "shell_job", true),
	BOOL("evasive-devices", evasive_devices, "evasive_devices", true),
	FUNC("cpu-cap", 0, parse_cpu_cap, ARG_OPT, "cpu_cap", true),
	BOOL("weak-sysctls", weak_sysctls, "weak_sysctls", false),
	/* restore: how files found by path are checked against the dump (engine/files/file_check.h) */
	BOOL("skip-file-rwx-check", skip_file_rwx_check, "skip_file_rwx_check", true),
	FUNC("file-validation", 0, parse_file_validation, ARG_REQ, NULL, true),
	BOOL("allow-uprobes", allow_uprobes, NULL, false),
	FUNC("network-lock", 0, parse_network_lock, ARG_REQ, "network_lock", true),
	UINT("timeout", timeout, "timeout", true),
	BOOL("auto-dedup", auto_dedup, "auto_dedup", false),
	INT("status-fd", 0, status_fd, NULL, true), /* RPC status_fd is the peer's: rpc.c */
	/* criu's switch to its older mount engine; there is one mount engine here, used either way */
	BOOL("mntns-compat-mode", mntns_compat_mode, "mntns_compat_mode", true),
	BOOL("tls", tls, "tls", false),
	STR("tls-cacert", 0, tls_cacert, "tls_cacert", false),
	STR("tls-cacrl", 0, tls_cacrl, "tls_cacrl", false),
	STR("tls-cert", 0, tls_cert, "tls_cert", false),
	STR("tls-key", 0, tls_key, "tls_key", false),
	BOOL("tls-no-cn-verify", tls_no_cn_verify, "tls_no_cn_verify", false),
	LIST("enable-fs", 0, enable_fs, "enable_fs", true),
	LIST("skip-mnt", 0, skip_mnt, "skip_mnt", false),
	FUNC("image-io-mode", 0, parse_image_io_mode, ARG_REQ, "image_io_mode", false),
	LIST("exec-cmd", 0, exec_cmd, "exec_cmd", false),

	BOOL("all", check_all, NULL, true),
	BOOL("extra", check_extra, NULL, true),
	BOOL("experimental", check_experimental, NULL, true),
	LIST("feature", 0, features, NULL, true),
	STR("file", 'f', show_file, NULL, true),
	BOOLS("contents", 'c', show_contents, NULL, true),
};

_Static_assert(ARRAY_SIZE(table) <= sizeof(((struct cr_opts *)0)->given), "grow cr_opts.given");

static const char *const command_names[] = {
	[CMD_CHECK] = "check",	       [CMD_DUMP] = "dump",	      [CMD_PRE_DUMP] = "pre-dump",
	[CMD_RESTORE] = "restore",     [CMD_SHOW] = "show",	      [CMD_EXEC] = "exec",
	[CMD_PAGE_SERVER] = "page-server", [CMD_SERVICE] = "service", [CMD_SWRK] = "swrk",
	[CMD_LAZY_PAGES] = "lazy-pages", [CMD_DEDUP] = "dedup",	      [CMD_CPUINFO] = "cpuinfo",
};

const char *opts_command_name(enum cr_command c)
{
	if (c < ARRAY_SIZE(command_names) && command_names[c])
		return command_names[c];
	return "?";
}

size_t opts_table_size(void)
{
	return ARRAY_SIZE(table);
}

const char *opts_table_name(size_t i)
{
	return i < ARRAY_SIZE(table) ? table[i].name : NULL;
}

const char *opts_table_rpc(size_t i)
{
	return i < ARRAY_SIZE(table) ? table[i].rpc : NULL;
}

bool opts_table_is_switch(size_t i)
{
	return i < ARRAY_SIZE(table) && table[i].type == T_BOOL;
}

int opts_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (!strcmp(table[i].name, name) || (table[i].alias && !strcmp(table[i].alias, name)))
			return (int)i;
	return -1;
}

static int find_short(char c)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].short_opt == c)
			return (int)i;
	return -1;
}

void opts_init(struct cr_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->log_level = DEFAULT_LOGLEVEL;
	o->ghost_limit = 1 << 20;
	o->ghost_fiemap = true;
	o->timeout = 10;
	o->status_fd = -1;
	o->pre_dump_mode = 1;
	o->network_lock = 1;
	o->manage_cgroups_mode = CR_CG_DEFAULT;
	o->rpc_images_dir_fd = -1;
	o->rpc_work_dir_fd = -1;
	o->rpc_status_fd = -1;
	o->rpc_pidfd_store_sk = -1;
	o->rpc_ps_fd = -1;
	o->address_mode = -1;
	o->max_workers = 64;
	o->max_workers_per_uid = 16;
	o->idle_timeout = 30;
	o->cpu_cap = CR_CPU_CAP_DEFAULT;
}

static void strv_free(struct cr_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int strv_add(struct cr_strv *s, const char *val)
{
	char **nv = realloc(s->v, (s->n + 2) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->v[s->n] = strdup(val);
	if (!s->v[s->n])
		return -ENOMEM;
	s->v[++s->n] = NULL;
	return 0;
}

void opts_free(struct cr_opts *o)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		void *p = (char *)o + table[i].off;

		if (table[i].type == T_STR)
			free(*(char **)p);
		else if (table[i].type == T_LIST)
			strv_free(p);
	}
	/* strings that FUNC rows fill */
	free(o->lsm_profile);
	free(o->file_validation);
	strv_free(&o->args);
	strv_free(&o->unix_sk_inodes);
	for (size_t i = 0; i < o->nr_inherit_fds; i++)
		free(o->inherit_fds[i].key);
	free(o->inherit_fds);
	for (size_t i = 0; i < o->nr_join_ns; i++) {
		free(o->join_ns[i].ns);
		free(o->join_ns[i].ns_file);
		free(o->join_ns[i].extra_opt);
	}
	free(o->join_ns);
	opts_init(o);
}

/* Decimal, as criu's atoi()/strtol(.., 10) reads numbers: "010" is ten. */
static int parse_long(struct cr_opts *o, const char *name, const char *arg, long long min, long long max,
		      long long *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || isspace((unsigned char)arg[0]) || v < min || v > max) {
		opt_err(o, "option --%s: '%s' is not a number in [%lld, %lld]\n", name, arg, min, max);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int bad_value(struct cr_opts *o, const char *name, const char *arg, const char *expected)
{
	opt_err(o, "option --%s: bad value '%s', expected %s\n", name, arg, expected);
	return -EINVAL;
}

static int parse_verbosity(struct cr_opts *o, const char *arg)
{
	long long v;

	if (!arg) {
		o->log_level++;
	} else if (arg[0] == 'v' && strspn(arg, "v") == strlen(arg)) {
		o->log_level += (int)strlen(arg) + 1; /* -vvv */
	} else {
		/* "-verbosity=N" is -v with "erbosity=N", as the test suites spell it */
		if (!strncmp(arg, "erbosity", 8))
			arg = arg[8] == '=' ? arg + 9 : "";
		if (!*arg) {
			o->log_level++;
		} else {
			if (parse_long(o, "verbosity", arg, 0, 4, &v) < 0)
				return -EINVAL;
			o->log_level = (int)v;
		}
	}
	if (o->log_level > LOG_DEBUG)
		o->log_level = LOG_DEBUG;
	return 0;
}

static int parse_ghost_limit(struct cr_opts *o, const char *arg)
{
	char *end;
	unsigned long long v;

	unsigned int shift = 0;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || !isdigit((unsigned char)arg[0]))
		return bad_value(o, "ghost-limit", arg, "a size such as 4096, 64K, 1M or 2G");
	switch (toupper((unsigned char)*end)) {
	case 'G':
		shift += 10; /* fall through */
	case 'M':
		shift += 10; /* fall through */
	case 'K':
		shift += 10;
		end++;
		break;
	default:
		break;
	}
	if (*end || v > (UINT64_MAX >> shift))
		return bad_value(o, "ghost-limit", arg, "a size such as 4096, 64K, 1M or 2G");
	v <<= shift;
	o->ghost_limit = v;
	return 0;
}

static int parse_manage_cgroups(struct cr_opts *o, const char *arg)
{
	static const char *const modes[] = { [CR_CG_IGNORE] = "ignore", [CR_CG_NONE] = "none",
					     [CR_CG_PROPS] = "props",	[CR_CG_SOFT] = "soft",
					     [CR_CG_FULL] = "full",	[CR_CG_STRICT] = "strict",
					     [CR_CG_DEFAULT] = "default" };

	o->manage_cgroups = true;
	if (!arg) {
		o->manage_cgroups_mode = CR_CG_SOFT;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(modes); i++)
		if (!strcmp(arg, modes[i])) {
			o->manage_cgroups_mode = (enum cr_cg_mode)i;
			o->manage_cgroups = i != CR_CG_IGNORE;
			return 0;
		}
	return bad_value(o, "manage-cgroups", arg, "none, props, soft, full, strict or ignore");
}

static int add_external(struct cr_opts *o, const char *fmt, const char *a, const char *b)
{
	_cleanup_free_ char *s = NULL;

	if (asprintf(&s, fmt, a, b) < 0)
		return -ENOMEM;
	return strv_add(&o->external, s);
}

static int parse_ext_mount_map(struct cr_opts *o, const char *arg)
{
	_cleanup_free_ char *key = NULL;
	const char *colon;

	if (!strcmp(arg, "auto")) {
		o->auto_ext_mnt = true;
		return 0;
	}
	colon = strchr(arg, ':');
	if (!colon || colon == arg || !colon[1])
		return bad_value(o, "ext-mount-map", arg, "KEY:VALUE or auto");
	key = strndup(arg, (size_t)(colon - arg));
	if (!key)
		return -ENOMEM;
	return add_external(o, "mnt[%s]:%s", key, colon + 1);
}

static int parse_veth_pair(struct cr_opts *o, const char *arg)
{
	_cleanup_free_ char *in = NULL;
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || !eq[1])
		return bad_value(o, "veth-pair", arg, "IN=OUT");
	in = strndup(arg, (size_t)(eq - arg));
	if (!in)
		return -ENOMEM;
	return add_external(o, "veth[%s]:%s", in, eq + 1);
}

int cr_inherit_fd_find(const struct cr_inherit_fd *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].key, key))
			return v[i].fd;
	return -ENOENT;
}

static int parse_inherit_fd(struct cr_opts *o, const char *arg)
{
	struct cr_inherit_fd *nv;
	char *end;
	long fd;

	/* fd[N]:resource */
	if (strncmp(arg, "fd[", 3))
		return bad_value(o, "inherit-fd", arg, "fd[N]:RESOURCE");
	errno = 0;
	fd = strtol(arg + 3, &end, 10);
	if (errno || end == arg + 3 || fd < 0 || fd > 1 << 20 || strncmp(end, "]:", 2) || !end[2])
		return bad_value(o, "inherit-fd", arg, "fd[N]:RESOURCE");
	nv = realloc(o->inherit_fds, (o->nr_inherit_fds + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	o->inherit_fds = nv;
	nv[o->nr_inherit_fds].fd = (int)fd;
	nv[o->nr_inherit_fds].key = strdup(end + 2);
	if (!nv[o->nr_inherit_fds].key)
		return -ENOMEM;
	o->nr_inherit_fds++;
	return 0;
}

static int parse_join_ns(struct cr_opts *o, const char *arg)
{
	static const char *const kinds[] = { "net", "ipc", "uts", "time", "user", "mnt", "pid", "cgroup" };
	struct cr_join_ns *nv, *j;
	const char *colon = strchr(arg, ':'), *comma;
	bool known = false;

	if (!colon || colon == arg || !colon[1])
		return bad_value(o, "join-ns", arg, "NS:PID|PATH[,EXTRA]");
	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
		if (strlen(kinds[i]) == (size_t)(colon - arg) && !strncmp(arg, kinds[i], (size_t)(colon - arg)))
			known = true;
	if (!known)
		return bad_value(o, "join-ns", arg, "one of net, ipc, uts, time, user, mnt, pid, cgroup");
	nv = realloc(o->join_ns, (o->nr_join_ns + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	o->join_ns = nv;
	j = &nv[o->nr_join_ns];
	memset(j, 0, sizeof(*j));
	comma = strchr(colon + 1, ',');
	j->ns = strndup(arg, (size_t)(colon - arg));
	j->ns_file = comma ? strndup(colon + 1, (size_t)(comma - colon - 1)) : strdup(colon + 1);
	j->extra_opt = comma ? strdup(comma + 1) : NULL;
	o->nr_join_ns++;
	if (!j->ns || !j->ns_file || (comma && !j->extra_opt))
		return -ENOMEM;
	return 0;
}

static int parse_empty_ns(struct cr_opts *o, const char *arg)
{
	if (strcmp(arg, "net"))
		return bad_value(o, "empty-ns", arg, "net (the only namespace that can be left empty)");
	o->empty_ns |= CLONE_NEWNET;
	return 0;
}

static int pick(struct cr_opts *o, const char *name, const char *arg, const char *const *words, size_t n,
		int base, int *ret, const char *expected)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(arg, words[i])) {
			*ret = base + (int)i;
			return 0;
		}
	return bad_value(o, name, arg, expected);
}

static int parse_network_lock(struct cr_opts *o, const char *arg)
{
	static const char *const w[] = { "iptables", "nftables", "skip" };

	return pick(o, "network-lock", arg, w, 3, 1, &o->network_lock, "iptables, nftables or skip");
}

static int parse_pre_dump_mode(struct cr_opts *o, const char *arg)
{
	static const char *const w[] = { "splice", "read" };

	return pick(o, "pre-dump-mode", arg, w, 2, 1, &o->pre_dump_mode, "splice or read");
}

static int parse_image_io_mode(struct cr_opts *o, const char *arg)
{
	static const char *const w[] = { "writeback", "direct" };

	return pick(o, "image-io-mode", arg, w, 2, 0, &o->image_io_mode, "writeback or direct");
}

static int replace_str(char **field, const char *arg)
{
	char *s = strdup(arg);

	if (!s)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

static int parse_file_validation(struct cr_opts *o, const char *arg)
{
	if (strcmp(arg, "filesize") && strcmp(arg, "buildid"))
		return bad_value(o, "file-validation", arg, "filesize or buildid");
	return replace_str(&o->file_validation, arg);
}

static int parse_lsm_profile(struct cr_opts *o, const char *arg)
{
	if (strncmp(arg, "apparmor:", 9) && strncmp(arg, "selinux:", 8))
		return bad_value(o, "lsm-profile", arg, "apparmor:NAME or selinux:LABEL");
	return replace_str(&o->lsm_profile, arg);
}

static int parse_ext_unix_sk(struct cr_opts *o, const char *arg)
{
	long long ino;

	o->ext_unix_sk = true;
	if (!arg)
		return 0;
	if (parse_long(o, "ext-unix-sk", arg, 0, UINT32_MAX, &ino) < 0)
		return -EINVAL;
	return strv_add(&o->unix_sk_inodes, arg);
}

/*
 * --cpu-cap, as criu reads it: the words add to what is set (the default
 * fpu,ins), "^word" takes one away, "none" clears them all ("^none" sets
 * them all), and no argument means all. A comma ends a "^".
 */
static int parse_cpu_cap(struct cr_opts *o, const char *arg)
{
	static const struct {
		const char *word;
		uint32_t caps;
	} words[] = {
		{ "fpu", CR_CPU_CAP_FPU }, { "ins", CR_CPU_CAP_INS }, { "cpu", CR_CPU_CAP_CPU },
		{ "all", CR_CPU_CAP_ALL }, { "none", CR_CPU_CAP_NONE },
	};
	bool inverse = false;

	if (!arg) {
		o->cpu_cap |= CR_CPU_CAP_ALL;
		return 0;
	}
	while (*arg) {
		size_t i;

		if (*arg == '^' || *arg == ',') {
			inverse = *arg == '^' ? !inverse : false;
			arg++;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(words); i++)
			if (!strncmp(arg, words[i].word, strlen(words[i].word)))
				break;
		if (i == ARRAY_SIZE(words)) {
			opt_err(o, "--cpu-cap: unknown capability '%s' (fpu, ins, cpu, all, none)\n", arg);
			return -EINVAL;
		}
		if (words[i].caps == CR_CPU_CAP_NONE)
			o->cpu_cap = inverse ? CR_CPU_CAP_ALL : CR_CPU_CAP_NONE;
		else if (inverse)
			o->cpu_cap &= ~words[i].caps;
		else
			o->cpu_cap |= words[i].caps;
		arg += strlen(words[i].word);
	}
	return 0;
}

static int parse_version(struct cr_opts *o, const char *arg)
{
	(void)arg;
	o->command = CMD_CHECK_VERSION;
	return 0;
}

static int parse_help(struct cr_opts *o, const char *arg)
{
	(void)arg;
	o->command = CMD_HELP;
	return 0;
}

static int parse_restore_detached(struct cr_opts *o, const char *arg)
{
	(void)arg;
	/* criu spells both "restore detached" and "daemonize" as -d */
	o->restore_detached = true;
	return 0;
}

/* An octal permission mode for the service socket: 0600, 660, 0666 (no type or special bits). */
static int parse_address_mode(struct cr_opts *o, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 8);
	if (errno || end == arg || *end || !isdigit((unsigned char)arg[0]) || v > 0777)
		return bad_value(o, "address-mode", arg,
				 "an octal mode from 0000 to 0777, such as 0600 or 0660");
	o->address_mode = (int)v;
	return 0;
}

static bool row_takes_arg(const struct opt_row *r, enum opt_arg *ret)
{
	switch (r->type) {
	case T_BOOL:
		*ret = ARG_NONE;
		break;
	case T_FUNC:
		*ret = r->arg;
		break;
	default:
		*ret = ARG_REQ;
	}
	return *ret != ARG_NONE;
}

/* Applies one row with its argument (NULL for none); negate is the --no- form. */
static int apply_row(struct cr_opts *o, size_t i, const char *arg, bool negate)
{
	const struct opt_row *r = &table[i];
	void *p = (char *)o + r->off;
	long long v;
	int err = 0;

	switch (r->type) {
	case T_BOOL:
		*(bool *)p = !negate;
		break;
	case T_INT:
		err = parse_long(o, r->name, arg, INT32_MIN, INT32_MAX, &v);
		if (!err)
			*(int *)p = (int)v;
		break;
	case T_UINT:
		err = parse_long(o, r->name, arg, 0, UINT32_MAX, &v);
		if (!err)
			*(unsigned int *)p = (unsigned int)v;
		break;
	case T_STR:
		err = replace_str(p, arg);
		break;
	case T_LIST:
		err = strv_add(p, arg);
		break;
	case T_FUNC:
		if (negate)
			*(bool *)p = false; /* only negatable rows get here */
		else
			err = r->parse(o, arg);
		break;
	}
	if (err == -ENOMEM)
		opt_err(o, "option --%s: out of memory\n", r->name);
	if (err < 0)
		return err;
	o->given[i] = !negate;
	if (o->input != OPT_BY_OPERATOR)
		o->by_caller[i] = o->input;
	return 0;
}

static bool row_negatable(const struct opt_row *r)
{
	return r->type == T_BOOL || (r->type == T_FUNC && r->negatable);
}

int opts_apply_named(struct cr_opts *o, const char *name, const char *arg, bool negate)
{
	int i = opts_find(name);
	enum opt_arg need;

	if (i < 0) {
		opt_err(o, "unknown option: --%s\n", name);
		return -EINVAL;
	}
	row_takes_arg(&table[i], &need);
	if (negate && !row_negatable(&table[i])) {
		opt_err(o, "option --%s has no --no- form\n", name);
		return -EINVAL;
	}
	if (need == ARG_REQ && !arg && !negate) {
		opt_err(o, "option --%s requires an argument\n", name);
		return -EINVAL;
	}
	if (need == ARG_NONE || negate)
		arg = NULL;
	return apply_row(o, (size_t)i, arg, negate);
}

int opts_find_rpc(const char *rpc_field)
{
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].rpc && !strcmp(table[i].rpc, rpc_field))
			return (int)i;
	return -1;
}

static int parse_one_long(struct cr_opts *o, int argc, char **argv, int *pi)
{
	const char *name = argv[*pi] + 2, *eq = strchr(name, '=');
	_cleanup_free_ char *key = strndup(name, eq ? (size_t)(eq - name) : strlen(name));
	const char *arg = eq ? eq + 1 : NULL;
	bool negate = false;
	enum opt_arg need;
	int i;

	if (!key)
		return -ENOMEM;
	i = opts_find(key);
	if (i < 0 && !strncmp(key, "no-", 3)) {
		i = opts_find(key + 3);
		if (i >= 0 && !row_negatable(&table[i]))
			i = -1;
		negate = true;
	}
	if (i < 0) {
		opt_err(o, "unknown option: --%s\n", key);
		return -EINVAL;
	}
	if (!row_takes_arg(&table[i], &need) || negate) {
		if (arg) {
			opt_err(o, "option --%s takes no argument\n", key);
			return -EINVAL;
		}
		need = ARG_NONE;
	}
	if (need == ARG_REQ && !arg) {
		if (*pi + 1 >= argc) {
			opt_err(o, "option --%s requires an argument\n", key);
			return -EINVAL;
		}
		arg = argv[++*pi];
	}
	return apply_row(o, (size_t)i, arg, negate);
}

static int parse_one_short(struct cr_opts *o, int argc, char **argv, int *pi)
{
	const char *a = argv[*pi];

	for (size_t j = 1; a[j]; j++) {
		int i = find_short(a[j]);
		enum opt_arg need;
		const char *arg = NULL;

		if (i < 0) {
			opt_err(o, "unknown option: -%c\n", a[j]);
			return -EINVAL;
		}
		if (row_takes_arg(&table[i], &need)) {
			if (a[j + 1])
				arg = a + j + 1;
			else if (need == ARG_REQ) {
				if (*pi + 1 >= argc) {
					opt_err(o, "option -%c requires an argument\n", a[j]);
					return -EINVAL;
				}
				arg = argv[++*pi];
			}
			return apply_row(o, (size_t)i, arg, false);
		}
		if (apply_row(o, (size_t)i, NULL, false) < 0)
			return -EINVAL;
	}
	return 0;
}

static enum cr_command command_by_name(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(command_names); i++)
		if (command_names[i] && !strcmp(command_names[i], s))
			return (enum cr_command)i;
	return CMD_NONE;
}

/* A word that is not an option: the command, then its arguments (argv only). */
static int parse_positional(struct cr_opts *o, const char *a, bool in_config)
{
	if (in_config) {
		opt_err(o, "unexpected word '%s'\n", a);
		return -EINVAL;
	}
	if (o->command != CMD_NONE)
		return strv_add(&o->args, a);
	o->command = command_by_name(a);
	if (o->command == CMD_NONE) {
		opt_err(o, "unknown command: %s\n", a);
		return -EINVAL;
	}
	return 0;
}

/* Parses options; positional words go to the command and o->args unless in_config. */
static int parse_words(struct cr_opts *o, int argc, char **argv, bool in_config)
{
	bool end_of_opts = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int err;

		if (end_of_opts || a[0] != '-' || !a[1])
			err = parse_positional(o, a, in_config);
		else if (!strcmp(a, "--"))
			err = 0, end_of_opts = true;
		else if (a[1] == '-')
			err = parse_one_long(o, argc, argv, &i);
		else
			err = parse_one_short(o, argc, argv, &i);
		if (err < 0)
			return err;
	}
	return 0;
}

int opts_parse_argv(struct cr_opts *o, int argc, char **argv)
{
	return parse_words(o, argc, argv, false);
}

void opts_scan_config_args(int argc, char **argv, const char **ret_config, bool *ret_no_default)
{
	*ret_config = NULL;
	*ret_no_default = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--no-default-config"))
			*ret_no_default = true;
		else if (!strncmp(argv[i], "--config=", 9))
			*ret_config = argv[i] + 9;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			*ret_config = argv[++i];
	}
}

/* Splits a config line into words: whitespace separated, quotes group, # starts a comment. */
static int split_line(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	while (*p) {
		char *out;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -E2BIG;
		words[n++] = out = p;
		while (*p && !isspace((unsigned char)*p)) {
			if (*p == '"' || *p == '\'') {
				char q = *p++;

				while (*p && *p != q)
					*out++ = *p++;
				if (*p != q)
					return -EINVAL;
				p++;
			} else {
				*out++ = *p++;
			}
		}
		if (*p)
			p++;
		*out = '\0';
	}
	return n;
}

/* One line of a config file; errors are prefixed with o->origin ("FILE:LINE"). */
static int apply_config_line(struct cr_opts *o, const char *path, char *line)
{
	_cleanup_free_ char *opt = NULL;
	char *words[8], *argv[10];
	int n = split_line(line, words, 8);

	if (n == 0)
		return 0;
	if (n < 0) {
		opt_err(o, "%s\n", n == -E2BIG ? "too many words" : "unterminated quote");
		return -EINVAL;
	}
	if (asprintf(&opt, "--%s", words[0] + strspn(words[0], "-")) < 0)
		return -ENOMEM;
	argv[0] = (char *)path;
	argv[1] = opt;
	for (int k = 1; k < n; k++)
		argv[k + 1] = words[k];
	/* "key value" means --key value; "key=value" works through --key=value */
	return parse_words(o, n + 1, argv, true);
}

int opts_apply_config_file(struct cr_opts *o, const char *path, bool must_exist)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	const char *saved_origin = o->origin;
	size_t cap = 0;
	unsigned int lineno = 0;
	char where[512];
	int err = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		return pr_perror_ret("config file %s: cannot open", path);
	}
	o->origin = where;
	while (err >= 0 && getline(&line, &cap, f) >= 0) {
		snprintf(where, sizeof(where), "%s:%u", path, ++lineno);
		err = apply_config_line(o, path, line);
	}
	o->origin = saved_origin;
	if (err >= 0 && ferror(f)) /* a directory, an I/O error */
		return pr_perror_ret("config file %s: cannot read", path);
	return err;
}

int opts_load_at(struct cr_opts *o, const char *global_conf, int argc, char **argv)
{
	const char *config, *env, *home;
	_cleanup_free_ char *user_conf = NULL;
	bool no_default;
	int err = 0;

	opts_scan_config_args(argc, argv, &config, &no_default);
	if (!no_default) {
		home = getenv("HOME");
		env = getenv("CRIU_CONFIG_FILE");
		if (home && *home && asprintf(&user_conf, "%s/.criu/default.conf", home) < 0)
			return -ENOMEM;
		err = opts_apply_config_file(o, global_conf, false);
		if (err >= 0 && user_conf)
			err = opts_apply_config_file(o, user_conf, false);
		if (err >= 0 && env && *env)
			err = opts_apply_config_file(o, env, false);
	}
	if (err >= 0 && config)
		err = opts_apply_config_file(o, config, true);
	if (err >= 0)
		err = opts_parse_argv(o, argc, argv);
	return err;
}

int opts_load(struct cr_opts *o, int argc, char **argv)
{
	return opts_load_at(o, "/etc/criu/default.conf", argc, argv);
}

/* tty[RDEV:DEV], both hex: what engine/files/files.c takes */
bool cr_external_tty(const char *e, unsigned long long *rdev, unsigned long long *dev)
{
	int end = 0;

	return sscanf(e, "tty[%llx:%llx]%n", rdev, dev, &end) == 2 && end && !e[end];
}

/* KIND[INO]:KEY namespaces are ns/'s (ns_dump); veth[IN]:OUT is ns/net_rtnl.c's (restore) */
static bool external_known(const char *e)
{
	unsigned long long rdev, dev;

	return !strncmp(e, "unix[", 5) || !strncmp(e, "net[", 4) || !strncmp(e, "pid[", 4) ||
	       !strncmp(e, "ipc[", 4) || !strncmp(e, "uts[", 4) || !strncmp(e, "time[", 5) ||
	       !strncmp(e, "user[", 5) || !strncmp(e, "mnt[", 4) || !strncmp(e, "veth[", 5) ||
	       cr_external_tty(e, &rdev, &dev);
}

int opts_check_supported(const struct cr_opts *o)
{
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (o->given[i] && !table[i].impl) {
			pr_err("not supported yet: --%s\n", table[i].name);
			err = -EOPNOTSUPP;
		}
	for (size_t i = 0; i < o->external.n; i++)
		if (!external_known(o->external.v[i]) && !strncmp(o->external.v[i], "tty[", 4)) {
			pr_err("not supported yet: --external %s (tty[RDEV:DEV] in hex is)\n", o->external.v[i]);
			err = -EOPNOTSUPP;
		}
	return err;
}

void opts_log_unused_externals(const struct cr_opts *o)
{
	for (size_t i = 0; i < o->external.n; i++)
		if (!external_known(o->external.v[i]) && strncmp(o->external.v[i], "tty[", 4))
			pr_warn("--external %s: no resource of ours uses this key; kept, as criu does\n",
				o->external.v[i]);
}

void opts_print_help(void)
{
	printf("Usage:\n"
	       "  criu dump|pre-dump -t PID [<options>]\n"
	       "  criu restore [<options>]\n"
	       "  criu check [--all|--extra|--experimental|--feature NAME]\n"
	       "  criu show (-f FILE | -D DIR) [-c]\n"
	       "  criu exec -t PID SYSCALL [ARGS...]\n"
	       "  criu page-server | service | swrk FD | lazy-pages | dedup | cpuinfo dump|check\n"
	       "\nOptions (boolean ones also take a --no- form):\n");
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		const struct opt_row *r = &table[i];
		char shortname[8] = "    ";
		enum opt_arg need;

		row_takes_arg(r, &need);
		if (r->short_opt)
			snprintf(shortname, sizeof(shortname), "-%c, ", r->short_opt);
		printf("  %s--%s%s", shortname, r->name, need == ARG_REQ ? " ARG" : need == ARG_OPT ? "[=ARG]" : "");
		if (r->alias)
			printf("  (also --%s)", r->alias);
		printf("\n");
	}
}
