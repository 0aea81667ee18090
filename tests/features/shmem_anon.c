/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared anonymous memory across a fork: the root maps A (MAP_SHARED |
 * MAP_ANONYMOUS, 16 pages, some never touched) and Z (MAP_SHARED of
 * /dev/zero, 8 pages), and a second view of A's pages 4-7 (mremap with old
 * size 0: the same object mapped twice, at offset 4 pages). Two children
 * inherit them; root and children each write their own part before the dump.
 * After restore: every task sees every pre-dump write; the root writes, the
 * children must see it, the children write, the root must see it (in A, Z
 * and through the second view); the maps still say "/dev/zero (deleted)",
 * shared, at the same offsets, and A's untouched pages are still zero.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "feature.h"

#define PG 4096
#define NA 16
#define NZ 8

static unsigned char *A, *Z, *V; /* V: pages 4-7 of A, mapped a second time */
static int go_r, rep_w;

static unsigned char pat(int who, size_t i)
{
	return (unsigned char)(who * 37 + i * 7 + (i >> 12) + 1);
}

/* Pre-dump writes: the root fills A pages 0-3 and Z page 0; child k fills A page 8+k and Z page 1+k. */
static void fill(int who)
{
	int apage = who == 0 ? 0 : 7 + who, npages = who == 0 ? 4 : 1, zpage = who;

	for (size_t i = 0; i < (size_t)npages * PG; i++)
		A[apage * PG + i] = pat(who, i);
	for (size_t i = 0; i < PG; i++)
		Z[zpage * PG + i] = pat(who + 10, i);
}

static void check_fill(const char *me, int who)
{
	int apage = who == 0 ? 0 : 7 + who, npages = who == 0 ? 4 : 1, zpage = who;

	for (size_t i = 0; i < (size_t)npages * PG; i++)
		if (A[apage * PG + i] != pat(who, i)) {
			feat_fail("%s: A byte %#zx written by %d before the dump is %u, expected %u", me,
				  apage * PG + i, who, A[apage * PG + i], pat(who, i));
			break;
		}
	for (size_t i = 0; i < PG; i++)
		if (Z[zpage * PG + i] != pat(who + 10, i)) {
			feat_fail("%s: Z byte %#zx written by %d before the dump is %u, expected %u", me,
				  zpage * PG + i, who, Z[zpage * PG + i], pat(who + 10, i));
			break;
		}
}

static void check_map(const char *me, const char *what, const void *addr, unsigned long want_off)
{
	char perms[5], name[4200], line[4608];
	uintptr_t start;
	FILE *f;

	if (feat_map_find(addr, perms, name, sizeof(name), &start, NULL)) {
		feat_fail("%s: %s: no mapping at %p", me, what, addr);
		return;
	}
	FEAT_CHECK(!strcmp(perms, "rw-s"), "%s: %s: permissions %s, expected rw-s", me, what, perms);
	FEAT_CHECK(!strcmp(name, "/dev/zero (deleted)"),
		   "%s: %s: maps name '%s', expected '/dev/zero (deleted)'", me, what, name);
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, off;

		if (sscanf(line, "%lx-%*x %*s %lx", &lo, &off) == 2 && lo == start) {
			FEAT_CHECK(off == want_off, "%s: %s: offset %#lx, expected %#lx", me, what, off,
				   want_off);
			break;
		}
	}
	if (f)
		fclose(f);
}

/* What every task checks after restore, before the write rounds. */
static void check_all(const char *me)
{
	for (int who = 0; who <= 2; who++)
		check_fill(me, who);
	for (size_t i = 0; i < 4 * PG; i++)
		if (V[i] != A[4 * PG + i]) {
			feat_fail("%s: second view byte %#zx is %u, A has %u", me, i, V[i], A[4 * PG + i]);
			break;
		}
	for (size_t i = 12 * PG; i < NA * PG; i++)
		if (A[i]) {
			feat_fail("%s: untouched A byte %#zx is %u", me, i, A[i]);
			break;
		}
	check_map(me, "A", A, 0);
	check_map(me, "Z", Z, 0);
	check_map(me, "second view", V, 4 * PG);
}

static void child(int k)
{
	char me[16], c;

	snprintf(me, sizeof(me), "child %d", k);
	while (read(go_r, &c, 1) < 0 && errno == EINTR)
		;
	check_all(me);
	/* the root's post-restore writes */
	FEAT_CHECK(A[5 * PG + 1] == 0xa0, "%s: root's post-restore write to A not seen (%u)", me,
		   A[5 * PG + 1]);
	FEAT_CHECK(Z[5 * PG + 1] == 0xb0, "%s: root's post-restore write to Z not seen (%u)", me,
		   Z[5 * PG + 1]);
	/* ours, for the root to see */
	A[6 * PG + k] = (unsigned char)(0xc0 + k);
	V[3 * PG + k] = (unsigned char)(0xd0 + k); /* A page 7 through the second view */
	Z[6 * PG + k] = (unsigned char)(0xe0 + k);
	feat_report(rep_w, me);
	_exit(0);
}

int main(int argc, char **argv)
{
	int go[2], rep[2], zfd, st;
	pid_t kids[2];

	feat_init(argc, argv);
	if (pipe(go) || pipe(rep))
		feat_die("pipe");
	go_r = go[0];
	rep_w = rep[1];
	A = mmap(NULL, NA * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	zfd = open("/dev/zero", O_RDWR);
	if (A == MAP_FAILED || zfd < 0)
		feat_die("mmap A / open /dev/zero");
	Z = mmap(NULL, NZ * PG, PROT_READ | PROT_WRITE, MAP_SHARED, zfd, 0);
	close(zfd);
	V = mremap(A + 4 * PG, 0, 4 * PG, MREMAP_MAYMOVE);
	if (Z == MAP_FAILED || V == MAP_FAILED)
		feat_die("mmap Z / mremap");
	fill(0);
	for (int k = 1; k <= 2; k++) {
		kids[k - 1] = fork();
		if (kids[k - 1] < 0)
			feat_die("fork");
		if (kids[k - 1] == 0) {
			close(go[1]);
			close(rep[0]);
			fill(k);
			child(k);
		}
	}
	close(go[0]);
	close(rep[1]);
	/* both children have written when A shows their pages */
	for (int i = 0; i < 2000 && (A[8 * PG] != pat(1, 0) || A[9 * PG] != pat(2, 0) ||
				     Z[PG] != pat(11, 0) || Z[2 * PG] != pat(12, 0));
	     i++)
		feat_sleep_ms(5);
	feat_sleep_ms(20);

	feat_ready();
	feat_wait_go();

	check_all("root");
	A[5 * PG + 1] = 0xa0;
	Z[5 * PG + 1] = 0xb0;
	FEAT_CHECK(V[PG + 1] == 0xa0, "root: own write to A page 5 not seen through the second view (%u)",
		   V[PG + 1]);
	if (write(go[1], "xx", 2) != 2)
		feat_fail("write go: %s", strerror(errno));
	close(go[1]);
	feat_collect(rep[0]);
	for (int i = 0; i < 2; i++) {
		if (waitpid(kids[i], &st, 0) != kids[i])
			feat_fail("waitpid(%d): %s", kids[i], strerror(errno));
		else
			FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %d status %#x", kids[i], st);
	}
	for (int k = 1; k <= 2; k++) {
		FEAT_CHECK(A[6 * PG + k] == 0xc0 + k, "root: child %d's write to A not seen (%u)", k,
			   A[6 * PG + k]);
		FEAT_CHECK(A[7 * PG + k] == 0xd0 + k,
			   "root: child %d's write through its second view not seen (%u)", k, A[7 * PG + k]);
		FEAT_CHECK(Z[6 * PG + k] == 0xe0 + k, "root: child %d's write to Z not seen (%u)", k,
			   Z[6 * PG + k]);
	}
	return feat_done();
}
