/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The parent-death signal of a task that runs as another user: a child
 * becomes uid/gid 1000, then sets PR_SET_PDEATHSIG(SIGUSR2). A change of
 * credentials clears that setting, so a restore that gives the task its
 * ids after its parent-death signal would lose it.
 */
#include <sys/prctl.h>

#include "feature.h"

static void child(int go_fd)
{
	int s = -1;

	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		_exit(3);
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2))
		_exit(4);
	feat_child_wait_go(go_fd);
	prctl(PR_GET_PDEATHSIG, &s);
	FEAT_CHECK(s == SIGUSR2, "child: PR_GET_PDEATHSIG %d, expected SIGUSR2 (%d)", s, SIGUSR2);
	FEAT_CHECK(getuid() == 1000 && geteuid() == 1000 && getgid() == 1000, "child: uid %d euid %d gid %d",
		   getuid(), geteuid(), getgid());
}

int main(int argc, char **argv)
{
	return feat_run_child(argc, argv, child);
}
