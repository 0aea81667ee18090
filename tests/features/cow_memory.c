/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copy-on-write sharing between a parent, its child and its grandchild,
 * kept across dump and restore. The parent fills an anonymous mapping and a
 * private mapping of a file, forks the child; the child writes some pages
 * and drops one (MADV_DONTNEED), then forks the grandchild; each writes
 * some pages of its own. After restore the parent checks, through
 * /proc/PID/pagemap (root sees the frame numbers), that the pages no one
 * wrote since the fork still share one frame in the tasks that should share
 * it, that written ones do not, and reads every task's contents through
 * /proc/PID/mem.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "feature.h"

#define PG	   4096ul
#define ANON_PAGES 40
#define FILE_PAGES 16

enum who { P, C, G, NTASK };
static const char *const names[NTASK] = {"parent", "child", "grandchild"};

static unsigned char *anon, *fmap;
static pid_t pids[NTASK];

/* The byte a page holds: written by whom (gen), at which page. 0: a zero page; 0xff: the file's. */
static unsigned char pattern(int gen, int page)
{
	return (unsigned char)(gen * 64 + page + 1);
}

static void fill(unsigned char *base, int from, int to, int gen)
{
	for (int i = from; i < to; i++)
		memset(base + i * PG, pattern(gen, i), PG);
}

/* What task w must hold at anonymous page i (gen 0: the parent before the fork, 1: child, 2: grandchild, 3:
 * parent after). */
static int anon_expect(enum who w, int i)
{
	if (i >= 8 && i < 16 && w != P)
		return pattern(1, i);
	if (i >= 16 && i < 24 && w == P)
		return pattern(3, i);
	if (i >= 24 && i < 28 && w == G)
		return pattern(2, i);
	if (i == 30 && w != P)
		return 0;
	return pattern(0, i);
}

static int file_expect(enum who w, int i)
{
	if (i < 4)
		return pattern(0, i);
	if (i >= 8 && i < 12 && w != P)
		return pattern(1, i);
	return 0xff;
}

/* The frame of addr in pid, or 0 when not present. */
static uint64_t frame(pid_t pid, const void *addr)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY);
	if (fd < 0 || pread(fd, &e, sizeof(e), (off_t)((uintptr_t)addr / PG * sizeof(e))) != sizeof(e))
		e = 0;
	if (fd >= 0)
		close(fd);
	return (e >> 63) & 1 ? e & ((1ull << 55) - 1) : 0;
}

static void check_content(enum who w, unsigned char *base, int pages, int (*expect)(enum who, int),
			  const char *what)
{
	static unsigned char buf[PG];
	char path[64];
	int fd;

	/* /proc/PID/mem, not process_vm_readv: a read-only pin unshares an anonymous page shared by fork */
	snprintf(path, sizeof(path), "/proc/%d/mem", pids[w]);
	fd = open(path, O_RDONLY);
	for (int i = 0; i < pages; i++) {
		int want = expect(w, i);

		if (fd < 0 || pread(fd, buf, PG, (off_t)(uintptr_t)(base + i * PG)) != (ssize_t)PG) {
			feat_fail("%s %d: cannot read its %s page %d: %s", names[w], pids[w], what, i,
				  strerror(errno));
			continue;
		}
		for (size_t k = 0; k < PG; k++)
			if (buf[k] != want) {
				feat_fail("%s: %s page %d byte %zu is %#x, expected %#x", names[w], what, i,
					  k, buf[k], want);
				break;
			}
	}
	if (fd >= 0)
		close(fd);
}

/* Whether tasks a and b must share the frame of a page (same writer since their common fork). */
static void check_sharing(unsigned char *base, int pages, int (*expect)(enum who, int), const char *what)
{
	for (int i = 0; i < pages; i++)
		for (int a = 0; a < NTASK; a++)
			for (int b = a + 1; b < NTASK; b++) {
				uint64_t fa = frame(pids[a], base + i * PG),
					 fb = frame(pids[b], base + i * PG);
				bool want = expect((enum who)a, i) == expect((enum who)b, i) &&
					    expect((enum who)a, i) != 0;

				/* a dropped page reads as zeros, a file's page may be read in later: no frame
				 * to compare */
				if (expect((enum who)a, i) == 0 || expect((enum who)b, i) == 0 ||
				    (expect((enum who)a, i) == 0xff && expect((enum who)b, i) == 0xff))
					continue;
				if (want && (!fa || fa != fb))
					feat_fail(
						"%s page %d: %s and %s should share a frame: %#llx and %#llx",
						what, i, names[a], names[b], (unsigned long long)fa,
						(unsigned long long)fb);
				if (!want && fa && fa == fb)
					feat_fail("%s page %d: %s and %s share frame %#llx but hold "
						  "different data",
						  what, i, names[a], names[b], (unsigned long long)fa);
			}
}

static _Noreturn void sleep_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char path[4200];
	int fd, sync_pipe[2];
	char byte;

	feat_init(argc, argv);
	if (geteuid() != 0) {
		printf("SKIP: frame numbers in pagemap need root\n");
		return feat_done();
	}
	anon = mmap(NULL, ANON_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	snprintf(path, sizeof(path), "%s/cow.data", feat_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (anon == MAP_FAILED || fd < 0)
		feat_die("map anonymous memory / create the file");
	{
		static unsigned char ff[PG];

		memset(ff, 0xff, PG);
		for (int i = 0; i < FILE_PAGES; i++)
			if (write(fd, ff, PG) != (ssize_t)PG)
				feat_die("write the file");
	}
	fmap = mmap(NULL, FILE_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (fmap == MAP_FAILED)
		feat_die("map the file");
	close(fd);
	fill(anon, 0, ANON_PAGES, 0);
	fill(fmap, 0, 4, 0);
	for (int i = 4; i < FILE_PAGES; i++) /* the file's pages, present in every task */
		(void)*(volatile unsigned char *)(fmap + i * PG);
	if (pipe(sync_pipe) < 0)
		feat_die("pipe");
	pids[P] = getpid();
	pids[C] = fork();
	if (pids[C] < 0)
		feat_die("fork the child");
	if (pids[C] == 0) {
		fill(anon, 8, 16, 1);
		fill(fmap, 8, 12, 1);
		madvise(anon + 30 * PG, PG, MADV_DONTNEED);
		if (fork() == 0) {
			fill(anon, 24, 28, 2);
			if (write(sync_pipe[1], "g", 1) != 1)
				_exit(1);
			close(sync_pipe[0]);
			close(sync_pipe[1]);
			sleep_forever();
		}
		close(sync_pipe[0]);
		close(sync_pipe[1]);
		sleep_forever();
	}
	if (read(sync_pipe[0], &byte, 1) != 1)
		feat_die("wait for the grandchild");
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	fill(anon, 16, 24, 3);
	{
		char task[64];
		FILE *f;

		snprintf(task, sizeof(task), "/proc/%d/task/%d/children", pids[C], pids[C]);
		f = fopen(task, "r");
		if (!f || fscanf(f, "%d", &pids[G]) != 1)
			feat_die("find the grandchild");
		fclose(f);
	}
	check_sharing(anon, ANON_PAGES, anon_expect, "anonymous");
	check_sharing(fmap, FILE_PAGES, file_expect, "file");
	if (feat_diffs[0]) {
		printf("before the dump already: %s\n", feat_diffs);
		errno = 0;
		feat_die("the kernel does not share as this test expects");
	}

	feat_ready();
	feat_wait_go();

	check_sharing(anon, ANON_PAGES, anon_expect, "anonymous");
	check_sharing(fmap, FILE_PAGES, file_expect, "file");
	for (int w = 0; w < NTASK; w++) {
		check_content((enum who)w, anon, ANON_PAGES, anon_expect, "anonymous");
		check_content((enum who)w, fmap, FILE_PAGES, file_expect, "file");
	}
	kill(pids[C], SIGKILL);
	kill(pids[G], SIGKILL);
	waitpid(pids[C], NULL, 0);
	return feat_done();
}
