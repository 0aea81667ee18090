/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Anonymous MAP_HUGETLB memory (2 MiB pages): a private mapping of two huge
 * pages and a shared one of two, shared with a child. After restore both
 * are hugetlb again (VmFlags ht, KernelPageSize 2048 kB), hold their data,
 * and the shared one is still one object between parent and child. The
 * program raises vm.nr_hugepages while it runs if too few are free, and
 * puts it back.
 */
#include <sys/mman.h>
#include <sys/wait.h>

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

static int kpagesize_kb(const void *addr)
{
	char line[256];
	uintptr_t a = (uintptr_t)addr, s, e;
	int in = 0, kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= s && a < e;
		else if (in && sscanf(line, "KernelPageSize: %d kB", &kb) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	unsigned char *priv, *shared;
	int st, p[2];
	pid_t c;

	feat_init(argc, argv);
	if (hugepages_free() < 4)
		nr_hugepages(hugepages_free() + 8);
	priv = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	shared = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (priv == MAP_FAILED || shared == MAP_FAILED) {
		if (old_nr >= 0)
			nr_hugepages(old_nr);
		feat_skip("no 2 MiB huge pages can be had here");
	}
	for (size_t o = 0; o < 2 * HP; o += 4096)
		priv[o] = (unsigned char)(o / 4096 % 251 + 1), shared[o] = (unsigned char)(o / 4096 % 241 + 2);
	if (pipe(p))
		feat_die("pipe");
	c = fork();
	if (c == 0) { /* after restore: writes into the shared pages, the parent must see it */
		char b;

		close(p[1]);
		if (read(p[0], &b, 1) == 1)
			shared[HP + 5] = 0x5a;
		_exit(shared[7 * 4096] == (unsigned char)(7 % 241 + 2) ? 0 : 1);
	}
	close(p[0]);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(feat_vmflag(priv, "ht") && feat_vmflag(shared, "ht"), "the mappings are not hugetlb any more");
	FEAT_CHECK(kpagesize_kb(priv) == 2048 && kpagesize_kb(shared) == 2048, "page sizes %d/%d kB, not 2048",
		   kpagesize_kb(priv), kpagesize_kb(shared));
	for (size_t o = 0; o < 2 * HP; o += 4096) {
		if (priv[o] != (unsigned char)(o / 4096 % 251 + 1) || shared[o] != (unsigned char)(o / 4096 % 241 + 2)) {
			feat_fail("data differs at page %zu: %u/%u", o / 4096, priv[o], shared[o]);
			break;
		}
	}
	if (write(p[1], "g", 1) != 1 || waitpid(c, &st, 0) != c)
		feat_fail("child: %s", strerror(errno));
	FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child saw other data (status %#x)", st);
	FEAT_CHECK(shared[HP + 5] == 0x5a, "the child's write to the shared pages is not seen");
	munmap(priv, 2 * HP);
	munmap(shared, 2 * HP);
	if (old_nr >= 0)
		nr_hugepages(old_nr);
	return feat_done();
}
