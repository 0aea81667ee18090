/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PR_SET_NO_NEW_PRIVS: set before the dump, still set after restore. */
#include <sys/prctl.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char v[32];

	feat_init(argc, argv);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0)
		feat_die("no_new_privs already set");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		feat_die("PR_SET_NO_NEW_PRIVS");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "PR_GET_NO_NEW_PRIVS %d, expected 1",
		   prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	if (feat_status_field("/proc/self/status", "NoNewPrivs", v, sizeof(v)))
		feat_fail("no NoNewPrivs in /proc/self/status");
	else
		FEAT_CHECK(!strcmp(v, "1"), "NoNewPrivs '%s', expected 1", v);
	return feat_done();
}
