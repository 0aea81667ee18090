/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in its own net namespace without --empty-ns net or --external
 * net[INO]:KEY: its links and addresses cannot be dumped yet, so the dump is
 * refused by name and the tree goes on.
 */
// criu-expect: dump-refused
#include <net/if.h>
#include <sched.h>

#include "feature.h"

int main(int argc, char **argv)
{
	feat_init(argc, argv);
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	feat_ready();
	feat_wait_go();
	FEAT_CHECK(if_nametoindex("lo") > 0, "no lo in the net namespace");
	return feat_done();
}
