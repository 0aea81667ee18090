/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A sparse unlinked file: 4 KiB of data, a 1 GiB hole, 4 KiB more and a
 * 64 KiB hole to the end, with access and modification times of its own.
 * After restore: the same size, the same data and hole layout (SEEK_DATA /
 * SEEK_HOLE), few blocks, the times to the nanosecond, and no name again.
 * Its data (8 KiB) is far under --ghost-limit, its size far over it. The
 * task holds it write-only, at position 12345 (the dump's lseeks to find
 * the holes leave it there).
 */
#include <sys/stat.h>

#include "feature.h"

#define GIB (1LL << 30)
#define OFF2 (GIB + 4096)
#define SIZE (OFF2 + 4096 + 65536)

static void fill(char *b, char c)
{
	for (int i = 0; i < 4096; i++)
		b[i] = (char)(c + i % 13);
}

int main(int argc, char **argv)
{
	struct timespec t[2] = {{1049000000, 123456789}, {981000000, 987654321}}; /* 2003, 2001 */
	char path[4200], a[4096], b[4096], got[4096];
	struct stat st;
	int fd;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/ghost-sparse", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	fill(a, 'a');
	fill(b, 'K');
	if (fd < 0 || pwrite(fd, a, 4096, 0) != 4096 || pwrite(fd, b, 4096, OFF2) != 4096 || ftruncate(fd, SIZE) ||
	    futimens(fd, t) || unlink(path) || lseek(fd, 12345, SEEK_SET) != 12345)
		feat_die("sparse file");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(lseek(fd, 0, SEEK_CUR) == 12345, "the position is %lld, not 12345", (long long)lseek(fd, 0, SEEK_CUR));
	FEAT_CHECK(fstat(fd, &st) == 0, "fstat: %s", strerror(errno));
	FEAT_CHECK(st.st_atim.tv_sec == t[0].tv_sec && st.st_atim.tv_nsec == t[0].tv_nsec, "atime %ld.%09ld",
		   (long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
	FEAT_CHECK(st.st_mtim.tv_sec == t[1].tv_sec && st.st_mtim.tv_nsec == t[1].tv_nsec, "mtime %ld.%09ld",
		   (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	FEAT_CHECK(st.st_size == SIZE, "size %lld, not %lld", (long long)st.st_size, SIZE);
	FEAT_CHECK(st.st_blocks * 512 < (1 << 20), "%lld blocks: the holes were filled", (long long)st.st_blocks);
	FEAT_CHECK(st.st_nlink == 0 && access(path, F_OK) < 0, "it has a name again");
	FEAT_CHECK(lseek(fd, 0, SEEK_DATA) == 0 && lseek(fd, 0, SEEK_HOLE) == 4096, "first extent moved");
	FEAT_CHECK(lseek(fd, 4096, SEEK_DATA) == OFF2 && lseek(fd, OFF2, SEEK_HOLE) == OFF2 + 4096,
		   "second extent at %lld, not %lld", (long long)lseek(fd, 4096, SEEK_DATA), OFF2);
	FEAT_CHECK(lseek(fd, OFF2 + 4096, SEEK_DATA) < 0 && errno == ENXIO, "data after the second extent");
	FEAT_CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY, "the fd is not write-only any more");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd = open(path, O_RDONLY);
	FEAT_CHECK(pread(fd, got, 4096, 0) == 4096 && !memcmp(got, a, 4096), "first extent's data");
	FEAT_CHECK(pread(fd, got, 4096, OFF2) == 4096 && !memcmp(got, b, 4096), "second extent's data");
	return feat_done();
}
