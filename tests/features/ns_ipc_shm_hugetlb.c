/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A SysV shm segment on huge pages (SHM_HUGETLB, 2 MiB pages), in the
 * tree's own ipc namespace, attached: after restore it is the same id and
 * size, still on huge pages (KernelPageSize in smaps), attached at its
 * address, with its bytes at both ends.
 */
#include <sched.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include "feature.h"

#define HUGE (2ul << 20)

/* KernelPageSize of the mapping at addr, in kB (0: not found). */
static unsigned long kpage_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long kb = 0, s, e;
	int in = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2)
			in = s == (unsigned long)addr;
		else if (in && sscanf(line, "KernelPageSize: %lu kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return in ? kb : 0;
}

int main(int argc, char **argv)
{
	struct shmid_ds ds;
	char *p;
	int id;

	feat_init(argc, argv);
	if (unshare(CLONE_NEWIPC) < 0)
		feat_die("unshare(CLONE_NEWIPC)");
	id = shmget(0x5154, 3 * HUGE / 2, IPC_CREAT | 0600 | SHM_HUGETLB | (21 << 26));
	if (id < 0 && (errno == ENOMEM || errno == EINVAL))
		feat_skip("no free 2 MiB huge pages");
	if (id < 0)
		feat_die("shmget");
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		feat_die("shmat");
	strcpy(p, "first");
	strcpy(p + 3 * HUGE / 2 - 8, "last");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(!strcmp(p, "first") && !strcmp(p + 3 * HUGE / 2 - 8, "last"), "bytes: '%s' '%s'", p,
		   p + 3 * HUGE / 2 - 8);
	FEAT_CHECK(kpage_kb(p) == 2048, "the attachment's page size is %lu kB", kpage_kb(p));
	FEAT_CHECK(shmget(0x5154, 0, 0) == id && shmctl(id, IPC_STAT, &ds) == 0 &&
			   ds.shm_segsz == 3 * HUGE / 2,
		   "id or size changed (%zu)", (size_t)ds.shm_segsz);
	return feat_done();
}
