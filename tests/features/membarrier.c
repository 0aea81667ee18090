/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * membarrier(2) registrations of the process (private expedited, its
 * sync-core flavour, global expedited) are kept: the kernel reports the same
 * set after restore (MEMBARRIER_CMD_GET_REGISTRATIONS, Linux 6.3), and a
 * private expedited barrier works rather than failing with EPERM.
 */
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "feature.h"

#define CMD_GET_REGISTRATIONS (1 << 9)

static long mb(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

int main(int argc, char **argv)
{
	long want, got;

	feat_init(argc, argv);
	if (mb(CMD_GET_REGISTRATIONS) < 0)
		feat_skip("membarrier(GET_REGISTRATIONS) needs Linux 6.3");
	if (mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) || mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE) ||
	    mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED))
		feat_die("membarrier register");
	want = mb(CMD_GET_REGISTRATIONS);

	feat_ready();
	feat_wait_go();

	got = mb(CMD_GET_REGISTRATIONS);
	FEAT_CHECK(got == want, "registrations %#lx after restore, expected %#lx", got, want);
	FEAT_CHECK(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0, "private expedited barrier: %s", strerror(errno));
	FEAT_CHECK(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) == 0, "sync-core barrier: %s", strerror(errno));
	return feat_done();
}
