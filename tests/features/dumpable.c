/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PR_SET_DUMPABLE 0: /proc/self files become root-owned; restored as 0. */
#include <sys/prctl.h>
#include <sys/stat.h>

#include "feature.h"

int main(int argc, char **argv)
{
	feat_init(argc, argv);
	if (prctl(PR_SET_DUMPABLE, 0))
		feat_die("PR_SET_DUMPABLE");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(prctl(PR_GET_DUMPABLE) == 0, "PR_GET_DUMPABLE %d, expected 0", prctl(PR_GET_DUMPABLE));
	return feat_done();
}
