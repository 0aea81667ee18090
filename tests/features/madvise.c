/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * madvise flags, checked in /proc/self/smaps VmFlags and by behaviour:
 * MADV_DONTFORK (dc: absent in a child), MADV_WIPEONFORK (wf: zero in a
 * child), MADV_HUGEPAGE (hg), MADV_NOHUGEPAGE (nh), MADV_DONTDUMP (dd),
 * MADV_RANDOM (rr), MADV_SEQUENTIAL (sr), a MAP_DROPPABLE mapping (dp, Linux
 * 6.11: its pages are not kept, it comes back zero), and a plain region that
 * must have none of them.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "feature.h"

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

#define SZ (4 << 20)

struct region {
	const char *name;
	int advice;
	const char *flag;
	unsigned char *p;
	int ok;
};

static struct region regions[] = {
	{ "DONTFORK", MADV_DONTFORK, "dc", NULL, 0 },	  { "WIPEONFORK", MADV_WIPEONFORK, "wf", NULL, 0 },
	{ "HUGEPAGE", MADV_HUGEPAGE, "hg", NULL, 0 },	  { "NOHUGEPAGE", MADV_NOHUGEPAGE, "nh", NULL, 0 },
	{ "DONTDUMP", MADV_DONTDUMP, "dd", NULL, 0 },	  { "RANDOM", MADV_RANDOM, "rr", NULL, 0 },
	{ "SEQUENTIAL", MADV_SEQUENTIAL, "sr", NULL, 0 }, { "plain", -1, NULL, NULL, 0 },
	/* -2: mapped MAP_DROPPABLE, no advice; the kernel adds wipe-on-fork and dont-dump */
	{ "DROPPABLE", -2, "dp wf dd", NULL, 0 },
};

#define NR (sizeof(regions) / sizeof(regions[0]))
static const char *all_flags[] = { "dc", "wf", "hg", "nh", "dd", "rr", "sr", "dp" };

int main(int argc, char **argv)
{
	unsigned char *area;
	pid_t c;
	int st;

	feat_init(argc, argv);
	/* one reservation, one region per 8 MiB slot with gaps between, so nothing merges */
	area = mmap(NULL, NR * 2 * SZ, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		feat_die("mmap");
	for (size_t i = 0; i < NR; i++) {
		struct region *r = &regions[i];

		r->p = mmap(area + i * 2 * SZ, SZ, PROT_READ | PROT_WRITE,
			    (r->advice == -2 ? MAP_DROPPABLE : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (r->p == MAP_FAILED && r->advice == -2) {
			printf("MAP_DROPPABLE: %s: not checked\n", strerror(errno));
			continue;
		}
		if (r->p == MAP_FAILED)
			feat_die("mmap region");
		r->ok = r->advice < 0 || madvise(r->p, SZ, r->advice) == 0;
		if (!r->ok)
			printf("madvise %s: %s: not checked\n", r->name, strerror(errno));
		for (size_t o = 0; o < SZ; o += 4096)
			r->p[o] = (unsigned char)(i * 16 + 1 + o / 4096 % 7);
	}

	feat_ready();
	feat_wait_go();

	for (size_t i = 0; i < NR; i++) {
		struct region *r = &regions[i];

		if (!r->ok)
			continue;
		for (size_t f = 0; f < sizeof(all_flags) / sizeof(all_flags[0]); f++) {
			int want = r->flag && strstr(r->flag, all_flags[f]);
			int got = feat_vmflag(r->p, all_flags[f]);

			FEAT_CHECK(got == want, "%s region: VmFlags '%s' is %d, expected %d", r->name, all_flags[f], got, want);
		}
		for (size_t o = 0; o < SZ; o += 4096)
			if (r->p[o] != (r->advice == -2 ? 0 : (unsigned char)(i * 16 + 1 + o / 4096 % 7))) {
				feat_fail("%s region: byte at %#zx is %u", r->name, o, r->p[o]);
				break;
			}
	}

	/* behaviour in a child: the DONTFORK region is not mapped, the WIPEONFORK one reads zero */
	c = fork();
	if (c == 0) {
		char p[5];
		int code = 0;

		if (strcmp(feat_map_perms(regions[0].p, p), "----")) /* DONTFORK still mapped */
			code |= 1;
		if (regions[1].p[0] != 0 || regions[1].p[SZ - 4096] != 0)
			code |= 2;
		if (regions[5].p[0] != 5 * 16 + 1)
			code |= 4;
		_exit(code);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		feat_fail("fork/wait: %s", strerror(errno));
	else if (!WIFEXITED(st))
		feat_fail("child died with status %#x", st);
	else {
		st = WEXITSTATUS(st);
		FEAT_CHECK(!(st & 1), "the MADV_DONTFORK region is mapped in a child forked after restore");
		FEAT_CHECK(!(st & 2), "the MADV_WIPEONFORK region is not zero in a child forked after restore");
		FEAT_CHECK(!(st & 4), "the plain region lost its data in a child");
	}
	return feat_done();
}
