/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A SysV shm segment in the tree's own ipc namespace with kernel/shm_rmid_forced
 * set: such a segment dies with its last detach, or with its creator task if
 * never attached (as here); a restore cannot make a task its creator, so the
 * dump is refused by name and the segment is left as it was.
 */
// criu-expect: dump-refused
#include <sched.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "feature.h"

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	int fd, id;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	fd = open("/proc/sys/kernel/shm_rmid_forced", O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1)
		feat_die("kernel/shm_rmid_forced");
	close(fd);
	id = shmget(0x4321, 4096, IPC_CREAT | 0600);
	if (id < 0)
		feat_die("shmget");
	feat_ready();
	feat_wait_go();
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		feat_fail("segment id %d: %s", id, strerror(errno));
		return feat_done();
	}
	FEAT_CHECK(ds.shm_perm.__key == 0x4321 && ds.shm_segsz == 4096, "segment id %d: key %#x, %zu bytes",
		   id, ds.shm_perm.__key, (size_t)ds.shm_segsz);
	return feat_done();
}
