/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A SysV shm attachment whose middle page was unmapped: shmat() could only
 * make it whole again, so the dump is refused by name (engine/mem), and the
 * pieces and their bytes stay as they were.
 */
// criu-expect: dump-refused
#include <sched.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char *p;
	int id;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	id = shmget(0x5151, 3 * 4096, IPC_CREAT | 0600);
	if (id < 0)
		feat_die("shmget");
	p = shmat(id, NULL, 0);
	if (p == (void *)-1 || munmap(p + 4096, 4096))
		feat_die("shmat");
	strcpy(p + 2 * 4096, "attached");
	feat_ready();
	feat_wait_go();
	FEAT_CHECK(!strcmp(p + 2 * 4096, "attached"), "the attached segment lost its bytes");
	p[0] = 1; /* still writable */
	return feat_done();
}
