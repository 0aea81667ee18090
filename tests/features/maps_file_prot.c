/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Two shared mappings of one file opened read-write: one read-only, one
 * read-write. After restore the read-only one can still be made writable
 * with mprotect (the kernel allows that only when the file was opened for
 * writing), and writes through either show in the other.
 */
#include <sys/mman.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char path[4200], *ro, *rw;
	int fd;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/mapped", feat_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, 2 * 4096))
		feat_die("file");
	ro = mmap(NULL, 2 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	rw = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (ro == MAP_FAILED || rw == MAP_FAILED)
		feat_die("mmap");
	close(fd);
	rw[0] = 'a';

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(ro[0] == 'a', "read-only mapping sees %#x, expected 'a'", ro[0]);
	if (mprotect(ro, 2 * 4096, PROT_READ | PROT_WRITE)) {
		feat_fail("mprotect(PROT_WRITE) of the read-only shared mapping: %s", strerror(errno));
	} else {
		ro[4096] = 'b';
		FEAT_CHECK(rw[4096] == 'b', "a write through the first mapping is not seen by the second");
	}
	return feat_done();
}
