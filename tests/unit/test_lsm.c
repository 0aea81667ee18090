/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The LSM plan of a restore (engine/task/lsm.c): what is applied, what is refused, and the text written. */
#include <errno.h>
#include <unistd.h>

#include "log.h"
#include "lsm.h"
#include "t.h"

#define CHECK_ERR_MENTIONS(want)                                                                             \
	do {                                                                                                 \
		const char *_e = log_first_error();                                                          \
		if (!_e || !strstr(_e, want))                                                                \
			T_FAILF("error \"%s\" does not mention \"%s\"", _e ? _e : "(none)", want);           \
	} while (0)

static const struct lsm_label_ref unconfined[] = {{1, NULL}, {2, "unconfined"}, {3, ""}};
static const struct lsm_label_ref confined[] = {{1, NULL}, {7, "lxc-c1_</var/lib/lxc> (enforce)"}};

/* No LSM here (these machines): a tree that ran unconfined goes on; a confined one is refused by pid. */
static void test_no_lsm(void)
{
	struct lsm_plan p = {LSM_APPARMOR, "x"};

	CHECK_EQ_INT(lsm_restore_plan(LSM_NONE, "apparmor:generated", NULL, unconfined, 3, &p), 0);
	CHECK_EQ_INT(p.kind, LSM_NONE);
	CHECK_EQ_INT(
		lsm_restore_plan(LSM_NONE, NULL, "system_u:object_r:container_file_t:s0", unconfined, 3, &p),
		0);
	CHECK_EQ_INT(lsm_restore_plan(LSM_NONE, NULL, NULL, NULL, 0, &p), 0);
	log_reset_first_error();
	CHECK_EQ_INT(lsm_restore_plan(LSM_NONE, "apparmor:generated", NULL, confined, 2, &p), -EOPNOTSUPP);
	CHECK_ERR_MENTIONS("pid 7: it ran under the LSM label \"lxc-c1_</var/lib/lxc> (enforce)\"");
	log_reset_first_error();
	CHECK_EQ_INT(lsm_restore_plan(LSM_NONE, "smack:x", NULL, unconfined, 3, &p), -EINVAL);
}

static void test_active_lsm(void)
{
	struct lsm_plan p;
	const char *path = NULL;
	char buf[256];

	CHECK_EQ_INT(lsm_restore_plan(LSM_APPARMOR, "apparmor:lxc-default", NULL, unconfined, 3, &p), 0);
	CHECK_EQ_INT(p.kind, LSM_APPARMOR);
	CHECK_EQ_STR(p.profile, "lxc-default");
	CHECK_EQ_INT(lsm_label_text(&p, NULL, buf, sizeof(buf), &path),
		     (int)strlen("changeprofile lxc-default"));
	CHECK_EQ_STR(buf, "changeprofile lxc-default");
	CHECK_EQ_STR(path, "/proc/thread-self/attr/current");
	/* the recorded labels: "NAME (MODE)" becomes NAME; unconfined tasks get nothing */
	CHECK_EQ_INT(lsm_restore_plan(LSM_APPARMOR, NULL, NULL, confined, 2, &p), 0);
	CHECK(p.profile == NULL);
	CHECK_EQ_INT(lsm_label_text(&p, confined[1].label, buf, sizeof(buf), &path) > 0, 1);
	CHECK_EQ_STR(buf, "changeprofile lxc-c1_</var/lib/lxc>");
	CHECK_EQ_INT(lsm_label_text(&p, "unconfined", buf, sizeof(buf), &path), 0);
	CHECK_EQ_INT(lsm_label_text(&p, NULL, buf, sizeof(buf), &path), 0);
	/* SELinux: the label as it is */
	CHECK_EQ_INT(
		lsm_restore_plan(LSM_SELINUX, "selinux:system_u:system_r:container_t:s0", NULL, NULL, 0, &p),
		0);
	CHECK_EQ_INT(lsm_label_text(&p, NULL, buf, sizeof(buf), &path) > 0, 1);
	CHECK_EQ_STR(buf, "system_u:system_r:container_t:s0");
	CHECK_EQ_INT(lsm_label_text(&p, NULL, buf, 8, &path), -E2BIG);
	/* a profile of another LSM than the active one is refused by name; a mount context is taken */
	log_reset_first_error();
	CHECK_EQ_INT(lsm_restore_plan(LSM_SELINUX, "apparmor:generated", NULL, NULL, 0, &p), -EOPNOTSUPP);
	CHECK_ERR_MENTIONS("the active LSM is selinux");
	CHECK_EQ_INT(lsm_restore_plan(LSM_SELINUX, NULL, "system_u:object_r:x:s0", NULL, 0, &p), 0);
	CHECK_EQ_INT(p.kind, LSM_SELINUX);
}

/* This machine's answer, and a label read from our own task, agree. */
static void test_this_machine(void)
{
	char *label = NULL;
	enum lsm_kind k = lsm_active();

	CHECK_EQ_INT(lsm_read_label(getpid(), getpid(), &label), 0);
	if (k == LSM_NONE)
		CHECK(label == NULL);
	printf("    LSM here: %s, our label: %s\n", lsm_kind_name(k), label ? label : "(none)");
	free(label);
}

int main(void)
{
	t_run("lsm_no_lsm", test_no_lsm);
	t_run("lsm_active_lsm", test_active_lsm);
	t_run("lsm_this_machine", test_this_machine);
	return t_done();
}
