/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A memfd made with MFD_HUGETLB (2 MiB pages, on hugetlbfs), two huge pages
 * of data, held as an fd and mapped shared. After restore it is on
 * hugetlbfs again with 2 MiB pages (a tmpfs memfd of the same data would
 * be another object), holds its data, and the fd and the mapping are one
 * object. 4 MiB of data: more than --ghost-limit's 1 MiB, which is not a
 * memfd's limit. The program raises vm.nr_hugepages while it runs if too few are
 * free, and puts it back.
 */
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "feature.h"

#define HP (2ul << 20)

static long old_nr = -1;

static long hugepages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long n = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static void nr_hugepages(long v)
{
	FILE *f = fopen("/proc/sys/vm/nr_hugepages", "r+");

	if (!f)
		return;
	if (old_nr < 0 && fscanf(f, "%ld", &old_nr) != 1)
		old_nr = -1;
	rewind(f);
	fprintf(f, "%ld\n", v);
	fclose(f);
}

static unsigned char pattern(size_t page)
{
	return (unsigned char)(page % 239 + 3);
}

int main(int argc, char **argv)
{
	unsigned char *m = MAP_FAILED, b = 0;
	struct statfs sf;
	struct stat st;
	int fd;

	feat_init(argc, argv);
	if (hugepages_free() < 4)
		nr_hugepages(hugepages_free() + 8);
	fd = memfd_create("huge-memfd", MFD_HUGETLB);
	if (fd >= 0 && ftruncate(fd, 2 * HP) == 0)
		m = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		if (old_nr >= 0)
			nr_hugepages(old_nr);
		feat_skip("no hugetlb memfd of 2 MiB pages can be had here");
	}
	for (size_t o = 0; o < 2 * HP; o += 4096)
		m[o] = pattern(o / 4096);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fstatfs(fd, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC,
		   "the memfd is on file system %#lx, not hugetlbfs", (unsigned long)sf.f_type);
	FEAT_CHECK(fstat(fd, &st) == 0 && st.st_blksize == (blksize_t)HP && st.st_size == (off_t)(2 * HP),
		   "the memfd has pages of %ld bytes and size %ld", (long)st.st_blksize, (long)st.st_size);
	FEAT_CHECK(feat_vmflag(m, "ht"), "the mapping is not hugetlb any more");
	for (size_t o = 0; o < 2 * HP; o += 4096)
		if (m[o] != pattern(o / 4096)) {
			feat_fail("data differs at page %zu: %u, expected %u", o / 4096, m[o],
				  pattern(o / 4096));
			break;
		}
	/* one object: what the mapping writes, the fd reads */
	m[HP + 17] = 0xa5;
	FEAT_CHECK(pread(fd, &b, 1, (off_t)HP + 17) == 1 && b == 0xa5,
		   "the fd reads %#x where the mapping wrote 0xa5", b);
	munmap(m, 2 * HP);
	close(fd);
	if (old_nr >= 0)
		nr_hugepages(old_nr);
	return feat_done();
}
