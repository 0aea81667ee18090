/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Credentials (run as root): supplementary groups {4,27,100},
 * gids 1000/1001/1002, uids 1000/1001/1002 (fsuid follows euid), keeping a
 * reduced capability set through PR_SET_KEEPCAPS, one ambient capability,
 * CAP_SYS_BOOT dropped from the bounding set.
 */
#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <grp.h>

#include "feature.h"

#define BIT(c) (1u << (c))

static int capget2(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capget, &h, d);
}

static int capset2(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };

	return syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv)
{
	const gid_t groups[3] = { 4, 27, 100 };
	const unsigned eff = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_KILL);
	const unsigned perm = eff | BIT(CAP_FOWNER) | BIT(CAP_NET_BIND_SERVICE);
	const unsigned inh = BIT(CAP_KILL) | BIT(CAP_FOWNER);
	struct __user_cap_data_struct d[2];
	uid_t r, e, s;
	gid_t rg, eg, sg, gl[64];
	int n, dumpable_before;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("needs root");
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0))
		feat_die("PR_CAPBSET_DROP");
	if (setgroups(3, groups))
		feat_die("setgroups");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		feat_die("PR_SET_KEEPCAPS");
	if (setresgid(1000, 1001, 1002))
		feat_die("setresgid");
	if (setresuid(1000, 1001, 1002))
		feat_die("setresuid");
	memset(d, 0, sizeof(d));
	d[0].effective = eff;
	d[0].permitted = perm;
	d[0].inheritable = inh;
	if (capset2(d))
		feat_die("capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0))
		feat_die("PR_CAP_AMBIENT_RAISE");
	dumpable_before = prctl(PR_GET_DUMPABLE);

	feat_ready();
	feat_wait_go();

	getresuid(&r, &e, &s);
	FEAT_CHECK(r == 1000 && e == 1001 && s == 1002, "uids %u/%u/%u, expected 1000/1001/1002", r, e, s);
	FEAT_CHECK((uid_t)setfsuid(-1) == 1001, "fsuid %d, expected 1001", setfsuid(-1));
	getresgid(&rg, &eg, &sg);
	FEAT_CHECK(rg == 1000 && eg == 1001 && sg == 1002, "gids %u/%u/%u, expected 1000/1001/1002", rg, eg, sg);
	FEAT_CHECK((gid_t)setfsgid(-1) == 1001, "fsgid %d, expected 1001", setfsgid(-1));
	n = getgroups(64, gl);
	if (n != 3 || gl[0] != 4 || gl[1] != 27 || gl[2] != 100)
		feat_fail("getgroups: %d groups (%u %u %u ...), expected 4 27 100", n, n > 0 ? gl[0] : 0,
			  n > 1 ? gl[1] : 0, n > 2 ? gl[2] : 0);
	memset(d, 0, sizeof(d));
	if (capget2(d))
		feat_fail("capget: %s", strerror(errno));
	FEAT_CHECK(d[0].effective == eff && !d[1].effective, "CapEff %08x%08x, expected %08x", d[1].effective,
		   d[0].effective, eff);
	FEAT_CHECK(d[0].permitted == perm && !d[1].permitted, "CapPrm %08x%08x, expected %08x", d[1].permitted,
		   d[0].permitted, perm);
	FEAT_CHECK(d[0].inheritable == inh && !d[1].inheritable, "CapInh %08x%08x, expected %08x", d[1].inheritable,
		   d[0].inheritable, inh);
	FEAT_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0) == 1, "CAP_KILL not ambient");
	FEAT_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_FOWNER, 0, 0) == 0, "CAP_FOWNER ambient");
	FEAT_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) == 0, "CAP_SYS_BOOT back in the bounding set");
	FEAT_CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1, "CAP_SYS_ADMIN missing from the bounding set");
	FEAT_CHECK(prctl(PR_GET_KEEPCAPS) == 1, "keepcaps %d, expected 1", prctl(PR_GET_KEEPCAPS));
	FEAT_CHECK(prctl(PR_GET_DUMPABLE) == dumpable_before, "dumpable %d, expected %d", prctl(PR_GET_DUMPABLE),
		   dumpable_before);
	return feat_done();
}
