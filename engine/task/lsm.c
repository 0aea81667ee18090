// SPDX-License-Identifier: LGPL-2.1-or-later
#define LOG_PREFIX "lsm: "
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "lsm.h"

/* The text of a small file, its trailing newlines and NULs cut. Its length or -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
	return (int)n;
}

const char *lsm_kind_name(enum lsm_kind k)
{
	switch (k) {
	case LSM_APPARMOR:
		return "apparmor";
	case LSM_SELINUX:
		return "selinux";
	case LSM_SMACK:
		return "smack";
	default:
		return "none";
	}
}

/* The first LSM of a list ("lockdown,capability,apparmor") that labels tasks. */
static enum lsm_kind kind_of_list(char *list)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save))
		for (enum lsm_kind k = LSM_APPARMOR; k <= LSM_SMACK; k++)
			if (!strcmp(t, lsm_kind_name(k)))
				return k;
	return LSM_NONE;
}

enum lsm_kind lsm_active(void)
{
	char buf[512];

	if (read_small("/sys/kernel/security/lsm", buf, sizeof(buf)) >= 0)
		return kind_of_list(buf);
	/* securityfs is not mounted: an LSM's attr files answer only when it is active */
	if (read_small("/sys/module/apparmor/parameters/enabled", buf, sizeof(buf)) >= 0 && buf[0] == 'Y')
		return LSM_APPARMOR;
	if (read_small("/proc/self/attr/apparmor/current", buf, sizeof(buf)) >= 0)
		return LSM_APPARMOR;
	if (read_small("/proc/self/attr/smack/current", buf, sizeof(buf)) >= 0)
		return LSM_SMACK;
	if (read_small("/proc/self/attr/current", buf, sizeof(buf)) >= 0)
		return LSM_SELINUX;
	return LSM_NONE;
}

int lsm_read_label(pid_t pid, pid_t tid, char **ret_label)
{
	char path[96], buf[4096];
	int n;

	/* AppArmor's own file first: with stacked LSMs attr/current may be another's */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/attr/apparmor/current", pid, tid);
	n = read_small(path, buf, sizeof(buf));
	if (n < 0) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/attr/current", pid, tid);
		n = read_small(path, buf, sizeof(buf));
	}
	/* EINVAL: no LSM labels tasks here */
	if (n == -EINVAL || n == -ENOENT || n == 0) {
		*ret_label = NULL;
		return 0;
	}
	if (n < 0)
		return n;
	*ret_label = strdup(buf);
	return *ret_label ? 0 : -ENOMEM;
}

bool lsm_label_confined(const char *label)
{
	return label && *label && strcmp(label, "unconfined");
}

/* Where no LSM is active: nothing to apply, unless a task ran confined. */
static int plan_without_lsm(const char *profile, const char *mount_context,
			    const struct lsm_label_ref *labels, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lsm_label_confined(labels[i].label))
			return pr_err_ret(
				-EOPNOTSUPP,
				"pid %d: it ran under the LSM label \"%s\" at dump, but no LSM that labels "
				"tasks is active here: it cannot be applied",
				labels[i].pid, labels[i].label);
	if (profile)
		pr_info("--lsm-profile %s: no LSM here, the tree ran unconfined: nothing to apply\n", profile);
	if (mount_context)
		pr_info("--lsm-mount-context %s: no LSM here, the tree ran unconfined: nothing to apply\n",
			mount_context);
	return 0;
}

int lsm_restore_plan(enum lsm_kind active, const char *profile, const char *mount_context,
		     const struct lsm_label_ref *labels, size_t n, struct lsm_plan *ret)
{
	enum lsm_kind want = LSM_NONE;
	const char *name = NULL;
	int r;

	if (profile) {
		if (!strncmp(profile, "apparmor:", 9))
			want = LSM_APPARMOR, name = profile + 9;
		else if (!strncmp(profile, "selinux:", 8))
			want = LSM_SELINUX, name = profile + 8;
		else
			return pr_err_ret(-EINVAL,
					  "--lsm-profile %s: apparmor:NAME or selinux:LABEL is expected",
					  profile);
	}
	if (active == LSM_NONE) {
		r = plan_without_lsm(profile, mount_context, labels, n);
		if (r == 0)
			*ret = (struct lsm_plan){LSM_NONE, NULL};
		return r;
	}
	if (mount_context)
		pr_info("--lsm-mount-context %s: for the mounts whose options carry context= (ns/mnt.c)\n",
			mount_context);
	if (profile && want != active)
		return pr_err_ret(-EOPNOTSUPP, "--lsm-profile %s: the active LSM is %s", profile,
				  lsm_kind_name(active));
	pr_info("LSM %s: %s%s\n", lsm_kind_name(active), name ? "every task gets " : "the recorded labels",
		name ? name : "");
	*ret = (struct lsm_plan){active, name};
	return 0;
}

int lsm_label_text(const struct lsm_plan *plan, const char *label, char *buf, size_t size,
		   const char **ret_path)
{
	const char *name = plan->profile;
	size_t len;
	int n;

	if (plan->kind == LSM_NONE)
		return 0;
	if (!name) {
		if (!lsm_label_confined(label))
			return 0;
		name = label;
	}
	len = strlen(name);
	*ret_path = "/proc/thread-self/attr/current";
	if (plan->kind == LSM_APPARMOR) {
		/* attr/current shows "NAME (MODE)"; change_profile takes NAME */
		const char *sp = strrchr(name, ' ');

		if (!plan->profile && sp && sp[1] == '(' && name[len - 1] == ')')
			len = (size_t)(sp - name);
		n = snprintf(buf, size, "changeprofile %.*s", (int)len, name);
	} else {
		n = snprintf(buf, size, "%s", name);
	}
	if (n < 0 || (size_t)n >= size)
		return -E2BIG;
	return n;
}
