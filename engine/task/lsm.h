/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LSM labels of the tasks. Dump records each thread's label
 * (/proc/PID/task/TID/attr/current) in its creds; restore decides, before
 * anything is created, what to write back: the --lsm-profile given, else
 * each thread's recorded label, into the thread's own attr/current (the
 * kernel lets a task change only its own label). Where no LSM that labels
 * tasks is active, a tree that ran unconfined has nothing to apply, and one
 * that ran under a label is refused by name.
 */
#ifndef CR_TASK_LSM_H
#define CR_TASK_LSM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum lsm_kind { LSM_NONE, LSM_APPARMOR, LSM_SELINUX, LSM_SMACK };

/* What restore writes: kind LSM_NONE: nothing. */
struct lsm_plan {
	enum lsm_kind kind;
	const char *profile; /* --lsm-profile's NAME (points into the option), or NULL: the recorded labels */
};

/* One recorded label, and whose it was. */
struct lsm_label_ref {
	pid_t pid;
	const char *label;
};

/* The LSM of this machine that labels tasks, if any. */
enum lsm_kind lsm_active(void);
const char *lsm_kind_name(enum lsm_kind k);

/* Thread tid's label into *ret_label (malloc'ed), NULL when no LSM labels tasks. 0 or -errno. */
int lsm_read_label(pid_t pid, pid_t tid, char **ret_label);
/* Whether a recorded label confined its task (NULL and "unconfined" did not). */
bool lsm_label_confined(const char *label);

/*
 * The plan of a restore: profile and mount_context are the options (or
 * NULL), labels the recorded ones. Refuses by name what it cannot apply.
 * (The mount context itself is ns/mnt.c's: it replaces the context= option
 * of the mounts that carry one.) 0 or -errno (logged).
 */
int lsm_restore_plan(enum lsm_kind active, const char *profile, const char *mount_context,
		     const struct lsm_label_ref *labels, size_t n, struct lsm_plan *ret);

/*
 * What one thread writes, and where (relative to the thread's /proc): the
 * text into buf; 0 when there is nothing to write for it, its length, or
 * -errno.
 */
int lsm_label_text(const struct lsm_plan *plan, const char *label, char *buf, size_t size,
		   const char **ret_path);

#endif
