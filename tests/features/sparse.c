/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A 1 GiB anonymous mapping with three touched pages: after restore the
 * pages hold their data, the rest reads zero, the region is not populated
 * (Rss small) and the page images in DIR/img total less than 1 MiB.
 */
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "feature.h"

#define GB (1UL << 30)
#define PG 4096

static const size_t touched[3] = { 0, GB / 2 + 5 * PG, GB - PG };

int main(int argc, char **argv)
{
	char path[4200], rss[64];
	unsigned long long total = 0;
	unsigned char *p;
	struct dirent *de;
	DIR *d;

	feat_init(argc, argv);
	p = mmap(NULL, GB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		feat_die("mmap");
	madvise(p, GB, MADV_NOHUGEPAGE);
	for (int i = 0; i < 3; i++)
		memset(p + touched[i], 0x40 + i, PG);

	feat_ready();
	feat_wait_go();

	if (feat_smaps_field(p, "Rss", rss, sizeof(rss)))
		feat_fail("no smaps Rss for the region");
	else
		FEAT_CHECK(strtoul(rss, NULL, 10) < 1024, "region Rss %s after restore, expected a few pages", rss);
	snprintf(path, sizeof(path), "%s/img", feat_dir);
	d = opendir(path);
	if (d) {
		while ((de = readdir(d))) {
			struct stat st;
			char f[4600];

			if (strncmp(de->d_name, "pages-", 6))
				continue;
			snprintf(f, sizeof(f), "%s/%s", path, de->d_name);
			if (!stat(f, &st))
				total += st.st_size;
		}
		closedir(d);
	}
#ifdef __SANITIZE_ADDRESS__
	/* make check SAN=1: ASan's own shadow and allocator pages come on top */
	FEAT_CHECK(total < (8 << 20), "page images hold %llu bytes, expected < 8 MiB under ASan", total);
#else
	FEAT_CHECK(total < (1 << 20), "page images hold %llu bytes, expected < 1 MiB", total);
#endif
	for (int i = 0; i < 3; i++)
		for (size_t o = 0; o < PG; o++)
			if (p[touched[i] + o] != 0x40 + i) {
				feat_fail("touched page %d byte %zu: %u", i, o, p[touched[i] + o]);
				break;
			}
	for (size_t o = PG; o < GB - PG; o += 64 * PG + 8)
		if (p[o] && (o < touched[1] || o >= touched[1] + PG)) {
			feat_fail("untouched byte at %#zx is %u", o, p[o]);
			break;
		}
	return feat_done();
}
