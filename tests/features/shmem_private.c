/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private mapping of a shared memory object (MAP_SHARED|MAP_ANONYMOUS,
 * reopened through /proc/self/map_files and mapped MAP_PRIVATE at an
 * offset of one page): one of its pages is written (copied on write), the
 * others still show the object. After restore the written page keeps its
 * own data, and a write to the object after restore shows through the
 * private pages that were never written, as before.
 */
#include <sys/mman.h>

#include "feature.h"

#define PG 4096

int main(int argc, char **argv)
{
	char path[128];
	unsigned char *sh, *pv;
	int fd;

	feat_init(argc, argv);
	sh = mmap(NULL, 5 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		feat_die("mmap shared");
	for (int i = 0; i < 5; i++)
		sh[i * PG] = (unsigned char)(10 + i);
	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)sh, (unsigned long)sh + 5 * PG);
	fd = open(path, O_RDWR);
	pv = fd < 0 ? MAP_FAILED : mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
	if (pv == MAP_FAILED)
		feat_die("mmap private of the object");
	close(fd);
	pv[PG] = 99; /* the object's page 2, copied on write */

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(pv[0] == 11, "private page 0 is %u, not the object's 11", pv[0]);
	FEAT_CHECK(pv[PG] == 99, "private page 1 is %u, not its own 99", pv[PG]);
	FEAT_CHECK(sh[2 * PG] == 12, "the object's page 2 is %u, not 12", sh[2 * PG]);
	sh[3 * PG] = 77; /* not written in the private mapping: it shows there */
	FEAT_CHECK(pv[2 * PG] == 77, "private page 2 is %u: it does not follow the object any more", pv[2 * PG]);
	sh[2 * PG] = 55; /* written in the private mapping: it does not show there */
	FEAT_CHECK(pv[PG] == 99, "private page 1 is %u: its own copy is gone", pv[PG]);
	return feat_done();
}
