/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File mappings of files under DIR:
 *   a private writable mapping with one page changed (COW: the file keeps the
 *   old data) and one untouched;
 *   a shared writable mapping whose writes reach the file, before and after
 *   restore;
 *   a read-only private mapping at a file offset.
 * Checks data, permissions, offsets and paths in /proc/self/maps.
 */
#include <sys/mman.h>

#include "feature.h"

#define PG 4096
#define NP 16

static unsigned char val(int file, size_t off)
{
	return (unsigned char)(file * 71 + off / PG * 13 + off % 251);
}

static int make_file(const char *name, int file, char *path, size_t len)
{
	unsigned char buf[PG];
	int fd;

	snprintf(path, len, "%s/%s", feat_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		feat_die("create file");
	for (size_t p = 0; p < NP; p++) {
		for (size_t i = 0; i < PG; i++)
			buf[i] = val(file, p * PG + i);
		if (write(fd, buf, PG) != PG)
			feat_die("write file");
	}
	return fd;
}

static void check_map(const char *what, void *addr, const char *perms, const char *path, off_t off)
{
	char p[5], name[4200], line[4608];
	uintptr_t start;
	FILE *f;

	if (feat_map_find(addr, p, name, sizeof(name), &start, NULL)) {
		feat_fail("%s: no mapping at %p", what, addr);
		return;
	}
	FEAT_CHECK(!strcmp(p, perms), "%s: permissions %s, expected %s", what, p, perms);
	FEAT_CHECK(!strcmp(name, path), "%s: maps path '%s', expected '%s'", what, name, path);
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, o;

		if (sscanf(line, "%lx-%*x %*s %lx", &lo, &o) == 2 && lo == start) {
			FEAT_CHECK((off_t)o == off,
				   "%s: maps offset %#lx, expected %#lx", what, o, (unsigned long)off);
			break;
		}
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	char ppath[4200], spath[4200], rpath[4200];
	unsigned char *priv, *shr, *ro, b;
	int pfd, sfd, rfd;
	size_t off;

	feat_init(argc, argv);
	pfd = make_file("private.dat", 1, ppath, sizeof(ppath));
	sfd = make_file("shared.dat", 2, spath, sizeof(spath));
	rfd = make_file("readonly.dat", 3, rpath, sizeof(rpath));
	priv = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, pfd, 0);
	shr = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	ro = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE, rfd, 4 * PG);
	if (priv == MAP_FAILED || shr == MAP_FAILED || ro == MAP_FAILED)
		feat_die("mmap");
	close(pfd);
	close(sfd);
	close(rfd);
	for (size_t i = 0; i < PG; i++)
		priv[2 * PG + i] = (unsigned char)~val(1, 2 * PG + i);
	(void)*(volatile unsigned char *)(priv + 5 * PG); /* read-faulted, unmodified */
	for (size_t i = 0; i < PG; i++)
		shr[3 * PG + i] = (unsigned char)(i ^ 0x3c);
	(void)*(volatile unsigned char *)(ro + PG);

	feat_ready();
	feat_wait_go();

	for (off = 0; off < NP * PG; off++) {
		unsigned char want = off / PG == 2 ? (unsigned char)~val(1, off) : val(1, off);

		if (priv[off] != want) {
			feat_fail("private mapping byte %#zx: %u, expected %u", off, priv[off], want);
			break;
		}
	}
	for (off = 0; off < NP * PG; off++) {
		unsigned char want = off / PG == 3 ? (unsigned char)((off % PG) ^ 0x3c) : val(2, off);

		if (shr[off] != want) {
			feat_fail("shared mapping byte %#zx: %u, expected %u", off, shr[off], want);
			break;
		}
	}
	for (off = 0; off < 8 * PG; off++)
		if (ro[off] != val(3, 4 * PG + off)) {
			feat_fail("read-only mapping byte %#zx: %u, expected %u", off, ro[off], val(3, 4 * PG + off));
			break;
		}
	check_map("private", priv, "rw-p", ppath, 0);
	check_map("shared", shr, "rw-s", spath, 0);
	check_map("read-only", ro, "r--p", rpath, 4 * PG);

	/* the private change never reached the file */
	pfd = open(ppath, O_RDONLY);
	if (pfd < 0 || pread(pfd, &b, 1, 2 * PG + 10) != 1 || b != val(1, 2 * PG + 10))
		feat_fail("private.dat changed on disk (COW page written back?)");
	if (pfd >= 0)
		close(pfd);
	/* the shared mapping is still shared with the file, both ways */
	sfd = open(spath, O_RDWR);
	if (sfd < 0 || pread(sfd, &b, 1, 3 * PG + 10) != 1 || b != (10 ^ 0x3c))
		feat_fail("pre-dump write through the shared mapping is not in shared.dat");
	shr[7 * PG + 1] = 0xa5;
	msync(shr, NP * PG, MS_SYNC);
	if (sfd < 0 || pread(sfd, &b, 1, 7 * PG + 1) != 1 || b != 0xa5)
		feat_fail("write through the shared mapping after restore did not reach shared.dat (got %u)", b);
	b = 0x5e;
	if (sfd < 0 || pwrite(sfd, &b, 1, 9 * PG + 2) != 1 || shr[9 * PG + 2] != 0x5e)
		feat_fail("write to shared.dat after restore not seen in the mapping (got %u)", shr[9 * PG + 2]);
	if (sfd >= 0)
		close(sfd);
	return feat_done();
}
