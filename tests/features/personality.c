/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* personality(ADDR_NO_RANDOMIZE | UNAME26): read back after restore, and uname shows 2.6.x. */
#include <sys/personality.h>
#include <sys/utsname.h>

#include "feature.h"

int main(int argc, char **argv)
{
	const unsigned long want = PER_LINUX | ADDR_NO_RANDOMIZE | UNAME26;
	struct utsname u;
	int p;

	feat_init(argc, argv);
	if (personality(want) < 0 || personality(0xffffffff) != (int)want)
		feat_die("personality");

	feat_ready();
	feat_wait_go();

	p = personality(0xffffffff);
	FEAT_CHECK(p == (int)want, "personality %#x, expected %#lx", p, want);
	uname(&u);
	FEAT_CHECK(!strncmp(u.release, "2.6.", 4), "uname release '%s', expected 2.6.x (UNAME26)", u.release);
	return feat_done();
}
