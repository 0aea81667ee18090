/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ghost files: an unlinked file kept open (fd 30, offset 5000, mode 0612,
 * content 3 pages + a tail, dup'ed to fd 31), and a second one with a hole.
 * After restore: same content, size, offset, mode, nlink 0, shared offset,
 * the name is still gone, and /proc/self/fd names the file as before the
 * dump ("PATH (deleted)").
 */
#include <sys/stat.h>

#include "feature.h"

#define LEN (3 * 4096 + 777)

static char pattern(size_t i)
{
	return (char)(i * 13 + (i >> 9) + 1);
}

int main(int argc, char **argv)
{
	char path[4200], path2[4200], link_before[4300], *buf;
	struct stat st;
	int fd;

	feat_init(argc, argv);
	buf = malloc(LEN);
	if (!buf)
		feat_die("malloc");
	for (size_t i = 0; i < LEN; i++)
		buf[i] = pattern(i);
	snprintf(path, sizeof(path), "%s/ghost", feat_dir);
	snprintf(path2, sizeof(path2), "%s/ghost-holey", feat_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, buf, LEN) != LEN || fchmod(fd, 0612) || dup2(fd, 30) != 30 ||
	    dup2(fd, 31) != 31)
		feat_die("ghost");
	close(fd);
	lseek(30, 5000, SEEK_SET);
	fd = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || pwrite(fd, "tail", 4, 600000) != 4 || dup2(fd, 32) != 32)
		feat_die("ghost-holey");
	close(fd);
	if (unlink(path) || unlink(path2))
		feat_die("unlink");
	{
		ssize_t n = readlink("/proc/self/fd/30", link_before, sizeof(link_before) - 1);

		if (n <= 0)
			feat_die("readlink fd 30");
		link_before[n] = 0;
	}

	feat_ready();
	feat_wait_go();

	{
		char link_after[4300] = "";
		ssize_t n = readlink("/proc/self/fd/30", link_after, sizeof(link_after) - 1);

		if (n > 0)
			link_after[n] = 0;
		FEAT_CHECK(!strcmp(link_before, link_after), "fd 30 names '%s', before the dump '%s'",
			   link_after, link_before);
	}

	if (fstat(30, &st)) {
		feat_fail("fd 30 not open: %s", strerror(errno));
		return feat_done();
	}
	FEAT_CHECK(st.st_nlink == 0, "ghost nlink %lu, expected 0", (unsigned long)st.st_nlink);
	FEAT_CHECK(st.st_size == LEN, "ghost size %ld, expected %d", (long)st.st_size, LEN);
	FEAT_CHECK((st.st_mode & 07777) == 0612, "ghost mode %04o, expected 0612", st.st_mode & 07777);
	FEAT_CHECK((fcntl(30, F_GETFL) & O_ACCMODE) == O_RDWR, "ghost access mode %#x",
		   fcntl(30, F_GETFL) & O_ACCMODE);
	FEAT_CHECK(lseek(30, 0, SEEK_CUR) == 5000, "ghost offset %ld, expected 5000",
		   (long)lseek(30, 0, SEEK_CUR));
	FEAT_CHECK(lseek(31, 0, SEEK_CUR) == 5000, "ghost dup offset %ld, expected 5000",
		   (long)lseek(31, 0, SEEK_CUR));
	{
		struct stat s31;

		FEAT_CHECK(!fstat(31, &s31) && s31.st_ino == st.st_ino, "fd 31 is not the same ghost file");
	}
	memset(buf, 0, LEN);
	if (pread(30, buf, LEN, 0) != LEN)
		feat_fail("ghost pread: %s", strerror(errno));
	for (size_t i = 0; i < LEN; i++)
		if (buf[i] != pattern(i)) {
			feat_fail("ghost byte %zu: %d, expected %d", i, buf[i], pattern(i));
			break;
		}
	FEAT_CHECK(access(path, F_OK) && errno == ENOENT, "%s exists again after restore", path);
	FEAT_CHECK(access(path2, F_OK) && errno == ENOENT, "%s exists again after restore", path2);
	if (fstat(32, &st))
		feat_fail("fd 32 not open: %s", strerror(errno));
	else {
		char t[5] = "";

		FEAT_CHECK(st.st_nlink == 0, "holey ghost nlink %lu", (unsigned long)st.st_nlink);
		FEAT_CHECK(st.st_size == (600000) + 4, "holey ghost size %ld", (long)st.st_size);
		FEAT_CHECK(pread(32, t, 4, 600000) == 4 && !memcmp(t, "tail", 4), "holey ghost tail '%.4s'",
			   t);
		FEAT_CHECK(pread(32, t, 4, 4096) == 4 && !memcmp(t, "\0\0\0\0", 4),
			   "holey ghost hole not zero");
	}
	/* still writable, and writes through fd 31 move fd 30's offset */
	FEAT_CHECK(write(31, "X", 1) == 1 && lseek(30, 0, SEEK_CUR) == 5001, "write via fd 31: fd 30 at %ld",
		   (long)lseek(30, 0, SEEK_CUR));
	return feat_done();
}
