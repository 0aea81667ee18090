/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Many mappings (as a JVM or a database has): 10240 private file mappings
 * of one page of DIR/file, each written, interleaved with 10240 private
 * anonymous pages and PROT_NONE gaps, about 30000 mappings in all. Dump and
 * restore must each stay within 60 s (the smaps text is 20 MiB: a parser
 * that rescans it per line takes minutes), and every page reads as before.
 */
// criu-max-seconds: 60
#include <sys/mman.h>

#include "feature.h"

#define N 10240

int main(int argc, char **argv)
{
	long ps = sysconf(_SC_PAGESIZE);
	char path[4200];
	char *start;
	int fd, bad = 0;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/file", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, ps))
		feat_die("file");
	start = mmap(NULL, ps * N * 3, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (start == MAP_FAILED)
		feat_die("reserve");
	for (int i = 0; i < N; i++) {
		int *f = mmap(start + (long)i * 3 * ps, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
			      fd, 0);
		int *a = mmap(start + ((long)i * 3 + 1) * ps, ps, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (f == MAP_FAILED || a == MAP_FAILED)
			feat_die("mmap");
		f[0] = i * 2;
		a[0] = i;
	}
	close(fd);

	feat_ready();
	feat_wait_go();

	for (int i = 0; i < N && bad < 5; i++) {
		int *f = (int *)(start + (long)i * 3 * ps), *a = (int *)(start + ((long)i * 3 + 1) * ps);

		if (f[0] != i * 2 || a[0] != i) {
			feat_fail("mapping %d: file page %d (expected %d), anonymous page %d (expected %d)",
				  i, f[0], i * 2, a[0], i);
			bad++;
		}
	}
	return feat_done();
}
