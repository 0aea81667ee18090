/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mappings of unlinked files. private.dat: mapped private and writable
 * (page 2 changed: COW; page 5 only read) and a second time read-only at
 * offset 4 pages. shared.dat: mapped shared and writable (page 3 written),
 * and also kept open as fd 40. Both files are unlinked; then a child is
 * forked that changes its own private copy of page 7.
 * After restore: contents, permissions and offsets are kept, the names are
 * still gone; the shared mapping is one object for the root, the child and
 * fd 40 (writes by any are seen by the others); private pages stay private.
 * Also a memfd mapped shared (its fd closed): it comes back as a memfd of
 * the same name, shared with the child.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "feature.h"

#define PG 4096
#define NP 16

static char ppath[4200], spath[4200];
static unsigned char *priv, *ro, *shr, *mem;
static int go_r, rep_w;

static unsigned char val(int file, size_t off)
{
	return (unsigned char)(file * 71 + off / PG * 13 + off % 251);
}

static int make_file(const char *name, int file, char *path, size_t len)
{
	unsigned char buf[PG];
	int fd;

	snprintf(path, len, "%s/%s", feat_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
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

static void check_map(const char *me, const char *what, const void *addr, const char *perms, const char *path,
		      unsigned long off)
{
	char p[5], name[4200], line[4608];
	size_t plen = strlen(path), nlen;
	uintptr_t start;
	FILE *f;

	if (feat_map_find(addr, p, name, sizeof(name), &start, NULL)) {
		feat_fail("%s: %s: no mapping at %p", me, what, addr);
		return;
	}
	nlen = strlen(name);
	FEAT_CHECK(!strcmp(p, perms), "%s: %s: permissions %s, expected %s", me, what, p, perms);
	/* the restored file is a new unlinked one: its name may carry a suffix */
	FEAT_CHECK(!strncmp(name, path, plen) && nlen > 10 && !strcmp(name + nlen - 10, " (deleted)"),
		   "%s: %s: maps name '%s', expected '%s... (deleted)'", me, what, name, path);
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long lo, o;

		if (sscanf(line, "%lx-%*x %*s %lx", &lo, &o) == 2 && lo == start) {
			FEAT_CHECK(o == off, "%s: %s: offset %#lx, expected %#lx", me, what, o, off);
			break;
		}
	}
	if (f)
		fclose(f);
}

static void check_private(const char *me, int child_page)
{
	for (size_t off = 0; off < NP * PG; off++) {
		unsigned char want = val(1, off);

		if (off / PG == 2)
			want = (unsigned char)~want;
		if ((int)(off / PG) == child_page)
			want ^= 0x55;
		if (priv[off] != want) {
			feat_fail("%s: private mapping byte %#zx: %u, expected %u", me, off, priv[off], want);
			break;
		}
	}
	for (size_t off = 0; off < 8 * PG; off++)
		if (ro[off] != val(1, 4 * PG + off)) {
			feat_fail("%s: read-only mapping byte %#zx: %u, expected %u", me, off, ro[off],
				  val(1, 4 * PG + off));
			break;
		}
	check_map(me, "private", priv, "rw-p", ppath, 0);
	check_map(me, "read-only", ro, "r--p", ppath, 4 * PG);
}

/* after_root: with the root's post-restore writes (0xa5 at 5:1, 0x77 at 8:2) */
static void check_shared(const char *me, int after_root)
{
	for (size_t off = 0; off < NP * PG; off++) {
		unsigned char want = off / PG == 3 ? (unsigned char)((off % PG) ^ 0x3c) : val(2, off);

		if (after_root && off == 5 * PG + 1)
			want = 0xa5;
		if (after_root && off == 8 * PG + 2)
			want = 0x77;

		if (shr[off] != want) {
			feat_fail("%s: shared mapping byte %#zx: %u, expected %u", me, off, shr[off], want);
			break;
		}
	}
	check_map(me, "shared", shr, "rw-s", spath, 0);
}

static void check_memfd(const char *me, int after_root)
{
	char p[5], name[4200];

	for (size_t off = 0; off < 4 * PG; off++) {
		unsigned char want = (unsigned char)(off * 3 + 1);

		if (after_root && off == 2 * PG)
			want = 0x99;
		if (mem[off] != want) {
			feat_fail("%s: memfd mapping byte %#zx: %u, expected %u", me, off, mem[off], want);
			break;
		}
	}
	if (feat_map_find(mem, p, name, sizeof(name), NULL, NULL))
		feat_fail("%s: no memfd mapping", me);
	else
		FEAT_CHECK(!strcmp(p, "rw-s") && !strcmp(name, "/memfd:feat-memfd (deleted)"),
			   "%s: memfd mapping %s '%s', expected rw-s '/memfd:feat-memfd (deleted)'", me, p,
			   name);
}

static void child(void)
{
	char c;

	for (size_t i = 0; i < PG; i++)
		priv[7 * PG + i] ^= 0x55;
	while (read(go_r, &c, 1) < 0 && errno == EINTR)
		;
	check_private("child", 7);
	check_shared("child", 1);
	FEAT_CHECK(shr[5 * PG + 1] == 0xa5,
		   "child: root's post-restore write to the shared mapping not seen (%u)", shr[5 * PG + 1]);
	FEAT_CHECK(shr[8 * PG + 2] == 0x77, "child: root's post-restore write to fd 40 not seen (%u)",
		   shr[8 * PG + 2]);
	shr[6 * PG + 1] = 0x5a;
	check_memfd("child", 1);
	mem[3 * PG] = 0x66;
	feat_report(rep_w, "child");
	_exit(0);
}

int main(int argc, char **argv)
{
	int go[2], rep[2], pfd, sfd, st;
	unsigned char b;
	struct stat sb;
	pid_t kid;

	feat_init(argc, argv);
	if (pipe(go) || pipe(rep))
		feat_die("pipe");
	go_r = go[0];
	rep_w = rep[1];
	pfd = make_file("private.dat", 1, ppath, sizeof(ppath));
	sfd = make_file("shared.dat", 2, spath, sizeof(spath));
	priv = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, pfd, 0);
	ro = mmap(NULL, 8 * PG, PROT_READ, MAP_PRIVATE, pfd, 4 * PG);
	shr = mmap(NULL, NP * PG, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
	if (priv == MAP_FAILED || ro == MAP_FAILED || shr == MAP_FAILED)
		feat_die("mmap");
	close(pfd);
	pfd = memfd_create("feat-memfd", 0);
	if (pfd < 0 || ftruncate(pfd, 4 * PG))
		feat_die("memfd");
	mem = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, pfd, 0);
	if (mem == MAP_FAILED)
		feat_die("mmap memfd");
	close(pfd);
	for (size_t off = 0; off < 4 * PG; off++)
		mem[off] = (unsigned char)(off * 3 + 1);
	if (dup2(sfd, 40) != 40)
		feat_die("dup2");
	close(sfd);
	for (size_t i = 0; i < PG; i++)
		priv[2 * PG + i] = (unsigned char)~val(1, 2 * PG + i);
	(void)*(volatile unsigned char *)(priv + 5 * PG);
	for (size_t i = 0; i < PG; i++)
		shr[3 * PG + i] = (unsigned char)(i ^ 0x3c);
	if (unlink(ppath) || unlink(spath))
		feat_die("unlink");
	kid = fork();
	if (kid < 0)
		feat_die("fork");
	if (kid == 0) {
		close(go[1]);
		close(rep[0]);
		child();
	}
	close(go[0]);
	close(rep[1]);
	feat_sleep_ms(50);

	feat_ready();
	feat_wait_go();

	check_private("root", -1);
	check_shared("root", 0);
	check_memfd("root", 0);
	mem[2 * PG] = 0x99;
	FEAT_CHECK(access(ppath, F_OK) && access(spath, F_OK), "an unlinked file has a name again");
	FEAT_CHECK(fstat(40, &sb) == 0 && sb.st_nlink == 0 && sb.st_size == NP * PG &&
			   (sb.st_mode & 07777) == 0640,
		   "fd 40: nlink %lu size %lld mode %o", (unsigned long)sb.st_nlink, (long long)sb.st_size,
		   sb.st_mode & 07777);
	FEAT_CHECK(pread(40, &b, 1, 3 * PG + 10) == 1 && b == (10 ^ 0x3c),
		   "fd 40 does not see the pre-dump write through the mapping (%u)", b);
	shr[5 * PG + 1] = 0xa5;
	b = 0x77;
	if (pwrite(40, &b, 1, 8 * PG + 2) != 1)
		feat_fail("pwrite fd 40: %s", strerror(errno));
	FEAT_CHECK(shr[8 * PG + 2] == 0x77, "root: write to fd 40 not seen in the shared mapping (%u)",
		   shr[8 * PG + 2]);
	if (write(go[1], "x", 1) != 1)
		feat_fail("write go: %s", strerror(errno));
	close(go[1]);
	feat_collect(rep[0]);
	if (waitpid(kid, &st, 0) != kid)
		feat_fail("waitpid(%d): %s", kid, strerror(errno));
	else
		FEAT_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
	FEAT_CHECK(shr[6 * PG + 1] == 0x5a, "root: child's write to the shared mapping not seen (%u)",
		   shr[6 * PG + 1]);
	FEAT_CHECK(pread(40, &b, 1, 6 * PG + 1) == 1 && b == 0x5a,
		   "fd 40: child's write not in the file (%u)", b);
	FEAT_CHECK(mem[3 * PG] == 0x66, "root: child's write to the memfd mapping not seen (%u)",
		   mem[3 * PG]);
	return feat_done();
}
