/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in its own net namespace holding what criu does not dump yet (a
 * static fdb entry added to a bridge, or a permanent neighbour entry when the
 * kernel has no bridge driver): the dump is refused by name, and the tree
 * goes on with its namespace untouched.
 */
// criu-expect: dump-refused
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>

#include "feature.h"

int main(int argc, char **argv)
{
	bool bridge = true;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWNET) < 0)
		feat_die("unshare(CLONE_NEWNET)");
	/* a static fdb entry if the kernel has the bridge driver, else a permanent neighbour: neither is
	 * dumped yet */
	if (system("ip link add br7 type bridge >/dev/null 2>&1") == 0) {
		if (system("ip link add rb0 type veth peer name rb1 && ip link set rb0 master br7 && "
			   "bridge fdb add 02:00:00:00:00:07 dev rb0 master static") != 0)
			feat_die("bridge fdb add ... static");
	} else {
		bridge = false;
		if (system("ip link add rv0 type veth peer name rv1 && "
			   "ip neigh add 10.1.0.5 lladdr 02:00:00:00:00:05 dev rv0 nud permanent") != 0)
			feat_die("ip neigh add ... nud permanent");
	}
	feat_ready();
	feat_wait_go();
	FEAT_CHECK(if_nametoindex("lo") > 0, "no lo in the net namespace");
	FEAT_CHECK(!bridge || if_nametoindex("br7") > 0, "br7 is gone after the refused dump");
	FEAT_CHECK(!bridge || system("bridge fdb show dev rb0 | grep -q '02:00:00:00:00:07.*static'") == 0,
		   "the static fdb entry is gone after the refused dump");
	return feat_done();
}
