/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regular files under DIR, at chosen fd numbers:
 *   fd 40 O_RDWR at offset 1234, dup'ed to fd 50 (one file: shared offset);
 *   fd 41 a second, independent open of the same file at offset 77, FD_CLOEXEC;
 *   fd 17 O_WRONLY|O_APPEND: writes go to the end;
 *   fd 42 O_RDONLY|O_NOATIME on a file whose mode was changed to 0604.
 * Checks fd numbers, F_GETFL/F_GETFD, offsets, identity (st_ino), data.
 */
#include <sys/stat.h>

#include "feature.h"

static void want_flags(int fd, int acc, int extra, int cloexec)
{
	int fl = fcntl(fd, F_GETFL), fdf = fcntl(fd, F_GETFD);

	if (fl < 0 || fdf < 0) {
		feat_fail("fd %d: not open after restore (%s)", fd, strerror(errno));
		return;
	}
	FEAT_CHECK((fl & O_ACCMODE) == acc, "fd %d: access mode %#x, expected %#x", fd, fl & O_ACCMODE, acc);
	FEAT_CHECK((fl & (O_APPEND | O_NOATIME | O_NONBLOCK | O_SYNC | O_DIRECT)) == extra,
		   "fd %d: status flags %#x, expected %#x", fd, fl & (O_APPEND | O_NOATIME | O_NONBLOCK | O_SYNC | O_DIRECT),
		   extra);
	FEAT_CHECK(!!(fdf & FD_CLOEXEC) == cloexec, "fd %d: FD_CLOEXEC %d, expected %d", fd, !!(fdf & FD_CLOEXEC), cloexec);
}

static void same_file(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) || stat(path, &b))
		feat_fail("fd %d / %s: stat: %s", fd, path, strerror(errno));
	else
		FEAT_CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev, "fd %d is not %s (inode %lu vs %lu)", fd, path,
			   (unsigned long)a.st_ino, (unsigned long)b.st_ino);
}

int main(int argc, char **argv)
{
	char data[10000], pa[4200], pb[4200], pc[4200], buf[64];
	struct stat st;
	int fd;

	feat_init(argc, argv);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	snprintf(pa, sizeof(pa), "%s/a.dat", feat_dir);
	snprintf(pb, sizeof(pb), "%s/log.txt", feat_dir);
	snprintf(pc, sizeof(pc), "%s/mode.dat", feat_dir);
	fd = open(pa, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data) || dup2(fd, 40) != 40 || dup2(40, 50) != 50)
		feat_die("a.dat");
	close(fd);
	lseek(40, 1234, SEEK_SET);
	fd = open(pa, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || dup3(fd, 41, O_CLOEXEC) != 41)
		feat_die("a.dat again");
	close(fd);
	lseek(41, 77, SEEK_SET);
	fd = open(pb, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "first\n", 6) != 6 || dup2(fd, 17) != 17)
		feat_die("log.txt");
	close(fd);
	lseek(17, 2, SEEK_SET); /* O_APPEND ignores it on write */
	fd = open(pc, O_RDWR | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, "mode", 4) != 4)
		feat_die("mode.dat");
	close(fd);
	chmod(pc, 0604);
	fd = open(pc, O_RDONLY | O_NOATIME);
	if (fd < 0 || dup2(fd, 42) != 42)
		feat_die("mode.dat open");
	close(fd);
	lseek(42, 3, SEEK_SET);

	feat_ready();
	feat_wait_go();

	want_flags(40, O_RDWR, 0, 0);
	want_flags(50, O_RDWR, 0, 0);
	want_flags(41, O_RDONLY, 0, 1);
	want_flags(17, O_WRONLY, O_APPEND, 0);
	want_flags(42, O_RDONLY, O_NOATIME, 0);
	same_file(40, pa);
	same_file(41, pa);
	same_file(17, pb);
	same_file(42, pc);
	FEAT_CHECK(lseek(40, 0, SEEK_CUR) == 1234, "fd 40 offset %ld, expected 1234", (long)lseek(40, 0, SEEK_CUR));
	FEAT_CHECK(lseek(50, 0, SEEK_CUR) == 1234, "fd 50 offset %ld, expected 1234", (long)lseek(50, 0, SEEK_CUR));
	FEAT_CHECK(lseek(41, 0, SEEK_CUR) == 77, "fd 41 offset %ld, expected 77", (long)lseek(41, 0, SEEK_CUR));
	FEAT_CHECK(lseek(17, 0, SEEK_CUR) == 2, "fd 17 offset %ld, expected 2", (long)lseek(17, 0, SEEK_CUR));
	FEAT_CHECK(lseek(42, 0, SEEK_CUR) == 3, "fd 42 offset %ld, expected 3", (long)lseek(42, 0, SEEK_CUR));
	/* 40 and 50 share one offset, 41 has its own */
	memset(buf, 0, sizeof(buf));
	if (read(50, buf, 10) != 10 || memcmp(buf, data + 1234, 10))
		feat_fail("read at fd 50: '%.10s'", buf);
	FEAT_CHECK(lseek(40, 0, SEEK_CUR) == 1244, "reading fd 50 moved fd 40 to %ld, expected 1244",
		   (long)lseek(40, 0, SEEK_CUR));
	FEAT_CHECK(lseek(41, 0, SEEK_CUR) == 77, "reading fd 50 moved fd 41 to %ld", (long)lseek(41, 0, SEEK_CUR));
	if (read(41, buf, 5) != 5 || memcmp(buf, data + 77, 5))
		feat_fail("read at fd 41: '%.5s'", buf);
	/* O_APPEND */
	if (write(17, "second\n", 7) != 7)
		feat_fail("write fd 17: %s", strerror(errno));
	memset(buf, 0, sizeof(buf));
	fd = open(pb, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		feat_fail("reading log.txt: %s", strerror(errno));
	FEAT_CHECK(!strcmp(buf, "first\nsecond\n"), "log.txt holds '%s' (O_APPEND lost?)", buf);
	if (fd >= 0)
		close(fd);
	if (fstat(42, &st) == 0)
		FEAT_CHECK((st.st_mode & 07777) == 0604, "mode.dat mode %04o, expected 0604", st.st_mode & 07777);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(read(42, buf, 8) == 1 && buf[0] == 'e', "fd 42 read '%s', expected 'e'", buf);
	/* the temporary fds of the setup stay closed */
	for (int i = 3; i < 8; i++)
		FEAT_CHECK(fcntl(i, F_GETFD) < 0, "unexpected fd %d open after restore", i);
	return feat_done();
}
