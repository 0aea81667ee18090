/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The non-root caller's rules: one verdict per option (see caller_policy.h). */
#define LOG_PREFIX "rpc: "
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caller_policy.h"
#include "cleanup.h"
#include "log.h"

#define RUNS	"name programs criu runs"
#define CGROUPS "have criu write cgroups on its behalf"
#define SERVICE "change the settings of the service (the operator's)"

/* A value check: the refusal for this value, or NULL when it is harmless. */
typedef const char *(*value_check_fn)(const struct cr_opts *o);

struct rule {
	const char *name;     /* the option-table row */
	const char *why;      /* NULL: allowed; else the end of "may not ..." */
	value_check_fn check; /* when set, decides instead of why */
};

static const char *when_true(bool v, const char *why)
{
	return v ? why : NULL;
}

static const char *check_manage_cgroups(const struct cr_opts *o)
{
	/* --manage-cgroups=ignore clears it: the tasks stay where criu is */
	return when_true(o->manage_cgroups, CGROUPS " (--manage-cgroups other than ignore)");
}

static const char *check_tcp_established(const struct cr_opts *o)
{
	return when_true(o->tcp_established, "restore TCP connections in repair mode (CAP_NET_ADMIN)");
}

static const char *check_ext_sharing(const struct cr_opts *o)
{
	return when_true(o->ext_sharing, "name external mounts");
}

static const char *check_ext_masters(const struct cr_opts *o)
{
	return when_true(o->ext_masters, "name external mounts");
}

static const char *check_shell_job(const struct cr_opts *o)
{
	return when_true(o->shell_job, "put its tasks in criu's session and terminal (shell job)");
}

static const char *check_external(const struct cr_opts *o)
{
	/* its own unix sockets and terminals: nothing criu lends it. Mounts, veths, namespaces: root's. */
	for (size_t i = 0; i < o->external.n; i++)
		if (strncmp(o->external.v[i], "unix[", 5) && strncmp(o->external.v[i], "tty[", 4))
			return "name external mounts, network devices or namespaces (--external other than "
			       "unix[] "
			       "and tty[])";
	return NULL;
}

static const struct rule rules[] = {
	/* common */
	{"verbosity", NULL, NULL},
	{"log-file", NULL, NULL}, /* a plain name in the work dir, opened as the caller */
	{"log-to-stderr", NULL, NULL},
	{"images-dir", NULL, NULL}, /* opened with the caller's fs ids */
	{"work-dir", NULL, NULL},
	{"prev-images-dir", NULL, NULL},
	{"libdir", "load plugins (" RUNS ")", NULL},
	{"config", NULL, NULL},		   /* read as the caller; each line is judged here */
	{"no-default-config", NULL, NULL}, /* the operator's files are read already */
	{"pidfile", NULL, NULL},
	{"display-stats", NULL, NULL},
	{"stream", NULL, NULL},
	{"action-script", RUNS, NULL},
	{"hooks", RUNS " (hooks)", NULL},
	{"unprivileged", NULL, NULL},
	{"close", NULL, NULL},
	{"version", NULL, NULL},
	{"help", NULL, NULL},
	/* dump / restore */
	{"tree", NULL, NULL}, /* the tree must be the caller's own (swrk/server.c, engine/dump.c) */
	{"root", "choose the root (chroot) of the restored tree", NULL},
	{"leave-running", NULL, NULL},
	{"leave-stopped", NULL, NULL},
	{"track-mem", NULL, NULL},
	{"pre-dump-mode", NULL, NULL},
	{"page-server", NULL, NULL},
	{"address", NULL, NULL},
	{"port", NULL, NULL},
	{"lazy-pages", NULL, NULL},
	{"tcp-established", NULL, check_tcp_established},
	{"tcp-close", NULL, NULL},
	{"skip-in-flight", NULL, NULL},
	{"file-locks", NULL, NULL},
	{"link-remap", NULL, NULL}, /* links made with the caller's fs ids */
	{"ghost-limit", NULL, NULL},
	{"ghost-fiemap", NULL, NULL},
	{"force-irmap", NULL, NULL},
	{"irmap-scan-path", NULL, NULL},
	{"freeze-cgroup", "have criu freeze a cgroup of its choosing", NULL},
	{"manage-cgroups", NULL, check_manage_cgroups},
	{"cgroup-root", CGROUPS, NULL},
	{"cgroup-props", CGROUPS, NULL},
	{"cgroup-props-file", CGROUPS, NULL},
	{"cgroup-dump-controller", CGROUPS, NULL},
	{"cgroup-yard", CGROUPS, NULL},
	{"ext-mount-map", "name external mounts", NULL},
	{"enable-external-sharing", NULL, check_ext_sharing},
	{"enable-external-masters", NULL, check_ext_masters},
	{"external", NULL, check_external},
	{"ext-unix-sk", NULL, NULL},
	{"inherit-fd", NULL, NULL}, /* its own fds (criu service refuses it for everyone) */
	{"join-ns", "join namespaces of its choosing", NULL},
	{"empty-ns", NULL, NULL},
	{"veth-pair", "create network devices in criu's network namespace", NULL},
	{"restore-detached", NULL, NULL},
	{"restore-sibling", NULL, NULL},
	{"daemon", NULL, NULL},
	{"address-mode", SERVICE, NULL},
	{"max-workers", SERVICE, NULL},
	{"max-workers-per-uid", SERVICE, NULL},
	{"idle-timeout", SERVICE, NULL},
	{"lsm-profile", "choose an LSM profile", NULL},
	{"lsm-mount-context", "choose an LSM mount context", NULL},
	{"shell-job", NULL, check_shell_job},
	{"evasive-devices", NULL, NULL},
	{"cpu-cap", NULL, NULL},
	{"weak-sysctls", NULL, NULL},
	{"skip-file-rwx-check", NULL, NULL}, /* files are still opened as the caller */
	{"file-validation", NULL, NULL},
	{"allow-uprobes", NULL, NULL},
	{"network-lock", NULL, NULL},
	{"timeout", NULL, NULL},
	{"auto-dedup", NULL, NULL},
	{"status-fd", "name a file descriptor of criu's own (--status-fd)", NULL},
	{"mntns-compat-mode", NULL, NULL},
	{"tls", NULL, NULL},
	{"tls-cacert", NULL, NULL},
	{"tls-cacrl", NULL, NULL},
	{"tls-cert", NULL, NULL},
	{"tls-key", NULL, NULL},
	{"tls-no-cn-verify", NULL, NULL},
	{"enable-fs", NULL, NULL},
	{"skip-mnt", NULL, NULL},
	{"image-io-mode", NULL, NULL},
	{"exec-cmd", RUNS " (exec-cmd)", NULL},
	/* check, show */
	{"all", NULL, NULL},
	{"extra", NULL, NULL},
	{"experimental", NULL, NULL},
	{"feature", NULL, NULL},
	{"file", NULL, NULL},
	{"contents", NULL, NULL},
};

static const struct rule *find_rule(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (!strcmp(rules[i].name, name))
			return &rules[i];
	return NULL;
}

bool policy_caller_restricted(uid_t peer_uid, uid_t our_euid, bool we_hold_caps)
{
	return peer_uid != 0 && (peer_uid != our_euid || we_hold_caps);
}

bool policy_self_holds_caps(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {0};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return true; /* unknown: assume the worst */
	return data[0].permitted || data[1].permitted || data[0].effective || data[1].effective;
}

bool policy_row_classified(const char *name)
{
	return find_rule(name) != NULL;
}

const char *policy_row_refusal(const struct cr_opts *o, size_t row)
{
	const char *name = opts_table_name(row);
	const struct rule *r = name ? find_rule(name) : NULL;

	if (!r)
		return "set an option the service has no rule for (refused until it has one)";
	return r->check ? r->check(o) : r->why;
}

int policy_check_caller_opts(const struct cr_opts *o, uid_t uid, const char *config_file)
{
	for (size_t i = 0; i < opts_table_size() && i < sizeof(o->by_caller); i++) {
		const char *why, *field;

		if (o->by_caller[i] == OPT_BY_OPERATOR)
			continue;
		why = policy_row_refusal(o, i);
		if (!why)
			continue;
		if (o->by_caller[i] == OPT_BY_RPC_CONFIG)
			return pr_err_ret(-EPERM,
					  "config_file %s sets %s: a non-root caller (uid %u) may not %s",
					  config_file ? config_file : "?", opts_table_name(i), uid, why);
		field = opts_table_rpc(i);
		if (field)
			return pr_err_ret(-EPERM, "criu_opts.%s: a non-root caller (uid %u) may not %s",
					  field, uid, why);
		return pr_err_ret(-EPERM, "--%s: a non-root caller (uid %u) may not %s", opts_table_name(i),
				  uid, why);
	}
	return 0;
}
