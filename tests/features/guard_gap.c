/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Stack-like mappings: a MAP_GROWSDOWN region that already grew once before
 * the dump (its start moved down a page), and the main [stack]. After
 * restore both keep the "gd" VmFlag and their data, the grown region keeps
 * its grown start, and it still grows down on a fault below it (tested in a
 * child forked after restore, so a failure is a SIGSEGV there, not here).
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "feature.h"

#define PG 4096
#define RESERVE (64 << 20)
#define SZ (16 * PG)

int main(int argc, char **argv)
{
	uintptr_t start_before, start_after, end_before, end_after, stack_start;
	unsigned char *res, *gd, *top;
	volatile int on_stack = 0x1234abcd;
	char perms[5];
	pid_t c;
	int st;

	feat_init(argc, argv);
	/* plenty of free space under the region (more than the stack guard gap) */
	res = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED)
		feat_die("reserve");
	munmap(res, RESERVE);
	gd = mmap(res + RESERVE - SZ, SZ, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
	if (gd != res + RESERVE - SZ)
		feat_die("mmap MAP_GROWSDOWN");
	top = gd + SZ;
	for (size_t i = 0; i < SZ; i += PG)
		gd[i] = (unsigned char)(i / PG + 1);
	gd[-PG] = 0x77; /* grow by one page */
	if (feat_map_find(gd - PG, NULL, NULL, 0, &start_before, &end_before))
		feat_die("the growsdown region did not grow");
	if (feat_map_find((void *)&on_stack, NULL, NULL, 0, &stack_start, NULL))
		feat_die("no stack mapping");

	feat_ready();
	feat_wait_go();

	if (feat_map_find(gd, perms, NULL, 0, &start_after, &end_after)) {
		feat_fail("growsdown region gone");
		return feat_done();
	}
	FEAT_CHECK(start_after == start_before && end_after == end_before, "growsdown region %#lx-%#lx, expected %#lx-%#lx",
		   (unsigned long)start_after, (unsigned long)end_after, (unsigned long)start_before,
		   (unsigned long)end_before);
	FEAT_CHECK(!strcmp(perms, "rw-p"), "growsdown region permissions %s", perms);
	FEAT_CHECK(feat_vmflag(gd, "gd") == 1, "growsdown region lost the gd VmFlag");
	FEAT_CHECK(feat_vmflag((void *)&on_stack, "gd") == 1, "[stack] lost the gd VmFlag");
	FEAT_CHECK(on_stack == 0x1234abcd, "stack word %#x", on_stack);
	{
		char name[64];

		feat_map_find((void *)&on_stack, NULL, name, sizeof(name), NULL, NULL);
		FEAT_CHECK(!strcmp(name, "[stack]"), "the stack mapping is named '%s', expected [stack]", name);
	}
	for (size_t i = 0; i < SZ; i += PG)
		FEAT_CHECK(gd[i] == (unsigned char)(i / PG + 1), "growsdown page %zu holds %u", i / PG, gd[i]);
	FEAT_CHECK(gd[-PG] == 0x77, "the grown page holds %u, expected 0x77", gd[-PG]);
	FEAT_CHECK(top == gd + SZ, "top moved");

	c = fork();
	if (c == 0) {
		uintptr_t s2;

		gd[-3 * PG] = 0x99; /* two pages below the current start */
		if (feat_map_find(gd, NULL, NULL, 0, &s2, NULL) || s2 != start_before - 2 * PG)
			_exit(3);
		_exit(gd[-3 * PG] == 0x99 ? 0 : 4);
	}
	if (c < 0 || waitpid(c, &st, 0) != c)
		feat_fail("fork/wait: %s", strerror(errno));
	else
		FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			   "growing the region down in a child after restore: status %#x (signal %d, exit %d)", st,
			   WIFSIGNALED(st) ? WTERMSIG(st) : 0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return feat_done();
}
