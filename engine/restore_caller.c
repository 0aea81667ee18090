/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a non-root RPC caller may restore (see restore_caller.h): its images
 * must give it nothing it could not have made itself, and criu makes its
 * files with its ids.
 */
#define LOG_PREFIX "restore: "
#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "image.h"
#include "log.h"
#include "ns.h"
#include "restore_caller.h"

bool restore_caller_restricted(const struct cr_request *req)
{
	return req->from_rpc && req->peer_uid != 0;
}

static bool caller_has_group(const struct cr_request *req, uint32_t g)
{
	if (g == req->peer_gid)
		return true;
	for (size_t i = 0; i < req->nr_peer_groups; i++)
		if (req->peer_groups[i] == g)
			return true;
	return false;
}

static uint64_t caller_cap_bnd(const struct cr_request *req);

/*
 * One set of credentials (a task's, or a thread's own) of a non-root
 * caller's images: every uid and gid (real, effective, saved, fs) the
 * caller's, supplementary groups among its own, no capability at all.
 */
static int check_caller_creds(const struct cr_request *req, pid_t pid, const char *img, uint32_t tid,
			      const CredsEntry *c)
{
	uint64_t caps = c->cap_prm | c->cap_eff | c->cap_inh | c->cap_amb;

	if (c->uid != req->peer_uid || c->euid != req->peer_uid || c->suid != req->peer_uid ||
	    c->fsuid != req->peer_uid || c->gid != req->peer_gid || c->egid != req->peer_gid ||
	    c->sgid != req->peer_gid || c->fsgid != req->peer_gid)
		return pr_err_ret(
			-EPERM,
			"pid %d (%s): thread %u: its credentials (uid %u/%u/%u/%u, gid %u/%u/%u/%u) "
			"are not the caller's (uid %u, gid %u)",
			pid, img, tid, c->uid, c->euid, c->suid, c->fsuid, c->gid, c->egid, c->sgid, c->fsgid,
			req->peer_uid, req->peer_gid);
	if (caps)
		return pr_err_ret(-EPERM,
				  "pid %d (%s): thread %u holds capabilities (%#" PRIx64
				  "); a non-root caller may not restore it",
				  pid, img, tid, caps);
	for (size_t i = 0; i < c->n_groups; i++)
		if (!caller_has_group(req, c->groups[i]))
			return pr_err_ret(-EPERM,
					  "pid %d (%s): thread %u: supplementary group %u is not one of the "
					  "caller's (uid %u)",
					  pid, img, tid, c->groups[i], req->peer_uid);
	/*
	 * Set while the task is still criu's (root): securebits other than
	 * keep-caps and a narrower bounding set need CAP_SETPCAP, and would
	 * break the privilege drop of a setuid program the task runs later.
	 */
	if (c->securebits & ~(uint32_t)SECBIT_KEEP_CAPS)
		return pr_err_ret(-EPERM,
				  "pid %d (%s): thread %u: securebits %#x: a non-root caller (uid %u) may not set them",
				  pid, img, tid, c->securebits, req->peer_uid);
	if (!c->no_new_privs && (caller_cap_bnd(req) & ~c->cap_bnd))
		return pr_err_ret(-EPERM,
				  "pid %d (%s): thread %u: its bounding set %#" PRIx64
				  " lacks the caller's capabilities %#" PRIx64 " (and no_new_privs is off)",
				  pid, img, tid, c->cap_bnd, caller_cap_bnd(req) & ~c->cap_bnd);
	return 0;
}

/* The caller's capability bounding set (/proc/PID/status CapBnd), or all bits when unreadable. */
static uint64_t caller_cap_bnd(const struct cr_request *req)
{
	char path[64], line[256];
	unsigned long long v = ~0ULL;
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/%d/status", req->peer_pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapBnd: %llx", &v) == 1)
			break;
	return v;
}

/*
 * The caller's hard limits, from /proc/PID/limits (prlimit() on another uid's
 * task needs CAP_SYS_RESOURCE): one line per resource, in RLIMIT_* order,
 * the hard limit in the third column. RLIM_INFINITY for "unlimited".
 */
static int read_caller_hard_limits(pid_t pid, uint64_t hard[RLIM_NLIMITS])
{
	_cleanup_fclose_ FILE *f = NULL;
	char path[64], line[256];
	unsigned int res = 0;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f)) /* the header */
		return -EIO;
	while (res < RLIM_NLIMITS && fgets(line, sizeof(line), f)) {
		char word[32];

		/* "%-25s %-20s %-20s %-10s": the hard limit starts at column 46 */
		if (strlen(line) < 47 || sscanf(line + 46, "%31s", word) != 1)
			return -EIO;
		hard[res++] = strcmp(word, "unlimited") ? strtoull(word, NULL, 10) : (uint64_t)RLIM_INFINITY;
	}
	return res == RLIM_NLIMITS ? 0 : -EIO;
}

/* Hard limits no higher than the caller's own: raising one needs CAP_SYS_RESOURCE. */
static int check_caller_rlimits(const struct cr_request *req, pid_t pid, const char *img,
				const TaskCore *core)
{
	uint64_t hard[RLIM_NLIMITS];
	int r = read_caller_hard_limits(req->peer_pid, hard);

	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read the caller's (pid %d) limits", pid, req->peer_pid);
	uint64_t seen = 0;

	for (size_t i = 0; i < core->n_rlimits; i++) {
		uint32_t res = core->rlimits[i]->resource; /* < RLIM_NLIMITS: check_core() */

		seen |= 1ULL << res;
		if (hard[res] != (uint64_t)RLIM_INFINITY && core->rlimits[i]->max > hard[res])
			return pr_err_ret(-EPERM,
					  "pid %d (%s): rlimit %u: hard limit %" PRIu64
					  " is above the caller's own (%" PRIu64
					  "); a non-root caller may not raise it",
					  pid, img, res, core->rlimits[i]->max, hard[res]);
	}
	/* a limit the image leaves out would stay criu's (root's) */
	if (seen != (1ULL << RLIM_NLIMITS) - 1)
		return pr_err_ret(-EPERM,
				  "pid %d (%s): the image leaves rlimits out (%#" PRIx64
				  " of them given): they would stay criu's",
				  pid, img, seen);
	return 0;
}

int restore_caller_check_task(const struct cr_request *req, pid_t pid, uint32_t vpid, uint64_t id,
			      const TaskCore *core, ThreadCore *const *th, size_t nth)
{
	char img[64]; /* "core-ID.img" (img_file_name) */
	int r;

	if (!restore_caller_restricted(req) || core->state == TASK_STATE__TASK_ZOMBIE)
		return 0;
	img_file_name(img, sizeof(img), IMG_CORE, id);
	r = check_caller_creds(req, pid, img, vpid, core->creds);
	for (size_t i = 0; r == 0 && i < nth; i++)
		if (th[i]->creds)
			r = check_caller_creds(req, pid, img, th[i]->tid, th[i]->creds);
	if (r < 0)
		return r;
	/* filters are installed while the task is root: without no_new_privs they could fake a setuid() */
	if (core->n_seccomp || (core->has_seccomp_mode && core->seccomp_mode))
		for (size_t i = 0; i < nth; i++) {
			const CredsEntry *c = th[i]->creds ? th[i]->creds : core->creds;

			if (!c->no_new_privs)
				return pr_err_ret(-EPERM,
						  "pid %d (%s): seccomp without no_new_privs (thread %u): a non-root "
						  "caller (uid %u) may not restore it",
						  pid, img, th[i]->tid, req->peer_uid);
		}
	if (core->root && strcmp(core->root, "/"))
		return pr_err_ret(-EPERM,
				  "pid %d (%s): its root is %s: a non-root caller (uid %u) may not have criu "
				  "chroot it",
				  pid, img, core->root, req->peer_uid);
	return check_caller_rlimits(req, pid, img, core);
}

/*
 * A non-root RPC caller's images may hold no namespace: creating or joining
 * one needs CAP_SYS_ADMIN. Its tree runs on criu's clocks, not in a time
 * namespace with the offsets of its timens.img.
 */
int restore_caller_check_namespaces(const struct cr_request *req, struct ns_restore *ns)
{
	uint32_t mask = ns_restore_image_mask(ns);

	if (!restore_caller_restricted(req))
		return 0;
	for (uint32_t bit = 1; bit; bit <<= 1)
		if (mask & bit)
			return pr_err_ret(
				-EPERM,
				"ns.img: the tree has its own %s namespace: a non-root caller (uid %u) may "
				"not restore namespaces (CAP_SYS_ADMIN)",
				ns_flag_name(bit), req->peer_uid);
	ns_restore_keep_time_ns(ns);
	return 0;
}

/*
 * Sets this thread's effective capabilities to eff (within its permitted
 * set, so they can be raised again); the old ones in *ret_old. 0 or -errno.
 */
static int set_effective_caps(const uint64_t eff, uint64_t *ret_old)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	if (ret_old)
		*ret_old = data[0].effective | (uint64_t)data[1].effective << 32;
	data[0].effective = (uint32_t)eff;
	data[1].effective = (uint32_t)(eff >> 32);
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}


int restore_caller_take_ids(const struct cr_request *req, struct restore_caller_ids *saved)
{
	int err;

	memset(saved, 0, sizeof(*saved));
	if (!restore_caller_restricted(req))
		return 0;
	saved->taken = true;
	saved->fsuid = (uid_t)setfsuid((uid_t)-1);
	saved->fsgid = (gid_t)setfsgid((gid_t)-1);
	if (setresgid((gid_t)-1, req->peer_gid, (gid_t)-1) < 0 || setresuid((uid_t)-1, req->peer_uid, (uid_t)-1) < 0)
		return pr_perror_ret("cannot take the effective ids of uid %u to open its files", req->peer_uid);
	err = set_effective_caps(0, &saved->caps);
	if (err < 0)
		return pr_err_ret(err, "cannot drop capabilities to open the files of uid %u", req->peer_uid);
	pr_info("files of a non-root caller (uid %u) are opened with its ids, without capabilities\n", req->peer_uid);
	return 0;
}

int restore_caller_give_back_ids(const struct restore_caller_ids *saved)
{
	int r;

	if (!saved->taken)
		return 0;
	/* root again (the saved uid is 0), then the job's fs ids, which an euid change resets */
	if (setresuid((uid_t)-1, 0, (uid_t)-1) < 0 || setresgid((gid_t)-1, 0, (gid_t)-1) < 0)
		return pr_perror_ret("cannot take criu's effective ids back");
	r = saved->caps ? set_effective_caps(saved->caps, NULL) : 0;
	if (r < 0)
		return pr_err_ret(r, "cannot take criu's capabilities back");
	setfsgid(saved->fsgid);
	setfsuid(saved->fsuid);
	return 0;
}
