/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Benchmark workload: populates N MiB of anonymous memory with non-zero data,
 * writes its checksum to DIR/sum.before and waits. On SIGUSR1 (after a
 * restore) it checksums the memory again into DIR/sum.after.
 * Usage: memhog MIB DIR
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static uint64_t sum(const uint64_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

static void put(const char *dir, const char *name, uint64_t v)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fprintf(f, "%016llx\n", (unsigned long long)v);
	fclose(f);
}

int main(int argc, char **argv)
{
	size_t mib, n;
	uint64_t *p, x = 0x9e3779b97f4a7c15ull;

	if (argc != 3)
		return 2;
	mib = strtoul(argv[1], NULL, 10);
	n = (mib << 20) / sizeof(uint64_t);
	p = mmap(NULL, mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 2;
	for (size_t i = 0; i < n; i++) { /* xorshift: never a zero page */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x | 1;
	}
	signal(SIGUSR1, on_usr1);
	put(argv[2], "sum.before", sum(p, n));
	while (!go)
		pause();
	put(argv[2], "sum.after", sum(p, n));
	for (;;)
		pause();
}
