/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Directory fds: fd 70 on DIR/d1 with some entries already read (its
 * position must hold: the rest of the listing is as it would have been),
 * fd 71 O_PATH on DIR/d2, used with openat and fstatat after restore.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "feature.h"

#define NE 40

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/*
 * Reads names from fd into names (at most max, which must be enough for
 * what one call returns); once: a single getdents64 call.
 */
static int list(int fd, char names[][32], int max, size_t bufsz, int once)
{
	char buf[8192];
	int n = 0;
	long got;

	while (n < max && (got = syscall(SYS_getdents64, fd, buf, bufsz)) > 0) {
		for (long off = 0; off < got && n < max;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			feat_copy(names[n++], 32, d->d_name);
			off += d->d_reclen;
		}
		if (once)
			break;
	}
	return n;
}

static char all[NE + 2][32], rest[NE + 2][32];

int main(int argc, char **argv)
{
	char d1[4200], d2[4200], p[4300], first[NE + 2][32];
	struct stat a, b;
	int fd, nall, nfirst, nrest;

	feat_init(argc, argv);
	snprintf(d1, sizeof(d1), "%s/d1", feat_dir);
	snprintf(d2, sizeof(d2), "%s/d2", feat_dir);
	if (mkdir(d1, 0755) || mkdir(d2, 0750))
		feat_die("mkdir");
	for (int i = 0; i < NE; i++) {
		snprintf(p, sizeof(p), "%s/entry-%02d", d1, i);
		fd = open(p, O_CREAT | O_WRONLY, 0644);
		if (fd < 0)
			feat_die("create entry");
		close(fd);
	}
	snprintf(p, sizeof(p), "%s/inside", d2);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	if (fd < 0 || write(fd, "in d2", 5) != 5)
		feat_die("d2/inside");
	close(fd);
	fd = open(d1, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		feat_die("open d1");
	nall = list(fd, all, NE + 2, 8192, 0);
	close(fd);
	fd = open(d1, O_RDONLY | O_DIRECTORY);
	if (fd < 0 || dup2(fd, 70) != 70)
		feat_die("open d1");
	close(fd);
	nfirst = list(70, first, NE + 2, 400, 1); /* small buffer: stops part-way */
	if (nfirst <= 2 || nfirst >= nall)
		feat_die("partial listing");
	fd = open(d2, O_PATH | O_DIRECTORY);
	if (fd < 0 || dup2(fd, 71) != 71)
		feat_die("open d2");
	close(fd);

	feat_ready();
	feat_wait_go();

	if (fstat(70, &a) || stat(d1, &b))
		feat_fail("fd 70: %s", strerror(errno));
	else
		FEAT_CHECK(S_ISDIR(a.st_mode) && a.st_ino == b.st_ino, "fd 70 is not %s", d1);
	nrest = list(70, rest, NE + 2, 8192, 0);
	FEAT_CHECK(nfirst + nrest == nall, "fd 70 lists %d more entries after %d, expected %d", nrest, nfirst,
		   nall - nfirst);
	for (int i = 0; i < nrest && nfirst + i < nall; i++)
		if (strcmp(rest[i], all[nfirst + i])) {
			feat_fail("fd 70 entry %d is '%s', expected '%s' (directory position lost)", nfirst + i, rest[i],
				  all[nfirst + i]);
			break;
		}
	FEAT_CHECK(fcntl(71, F_GETFL) & O_PATH, "fd 71 lost O_PATH (flags %#x)", fcntl(71, F_GETFL));
	if (fstat(71, &a) || stat(d2, &b))
		feat_fail("fd 71: %s", strerror(errno));
	else
		FEAT_CHECK(S_ISDIR(a.st_mode) && a.st_ino == b.st_ino && (a.st_mode & 0777) == 0750, "fd 71 is not %s", d2);
	fd = openat(71, "inside", O_RDONLY);
	if (fd < 0)
		feat_fail("openat(fd 71, inside): %s", strerror(errno));
	else {
		char buf[8] = "";

		FEAT_CHECK(read(fd, buf, 7) == 5 && !memcmp(buf, "in d2", 5), "d2/inside holds '%s'", buf);
		close(fd);
	}
	fd = openat(70, "entry-07", O_RDONLY);
	FEAT_CHECK(fd >= 0, "openat(fd 70, entry-07): %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return feat_done();
}
