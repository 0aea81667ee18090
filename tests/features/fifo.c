/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A FIFO under DIR opened three ways: O_RDWR (fd 60), O_RDONLY|O_NONBLOCK
 * (fd 61), O_WRONLY (fd 62), with 10 bytes buffered. After restore: same
 * inode as the path, flags, the data, and the ends still connected.
 */
#include <sys/stat.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char path[4200], buf[64] = "";
	struct stat a, b;
	int fd;

	feat_init(argc, argv);
	snprintf(path, sizeof(path), "%s/fifo", feat_dir);
	if (mkfifo(path, 0640))
		feat_die("mkfifo");
	fd = open(path, O_RDWR);
	if (fd < 0 || dup2(fd, 60) != 60)
		feat_die("open O_RDWR");
	close(fd);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0 || dup2(fd, 61) != 61)
		feat_die("open O_RDONLY");
	close(fd);
	fd = open(path, O_WRONLY);
	if (fd < 0 || dup2(fd, 62) != 62)
		feat_die("open O_WRONLY");
	close(fd);
	if (write(62, "hello fifo", 10) != 10)
		feat_die("write");

	feat_ready();
	feat_wait_go();

	for (int f = 60; f <= 62; f++) {
		if (fstat(f, &a) || stat(path, &b)) {
			feat_fail("fd %d: %s", f, strerror(errno));
			continue;
		}
		FEAT_CHECK(S_ISFIFO(a.st_mode) && a.st_ino == b.st_ino, "fd %d is not the FIFO %s", f, path);
	}
	FEAT_CHECK((fcntl(60, F_GETFL) & O_ACCMODE) == O_RDWR, "fd 60 flags %#x", fcntl(60, F_GETFL));
	FEAT_CHECK((fcntl(61, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == (O_RDONLY | O_NONBLOCK), "fd 61 flags %#x",
		   fcntl(61, F_GETFL));
	FEAT_CHECK((fcntl(62, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == O_WRONLY, "fd 62 flags %#x", fcntl(62, F_GETFL));
	FEAT_CHECK(read(61, buf, sizeof(buf)) == 10 && !memcmp(buf, "hello fifo", 10), "buffered data '%s'", buf);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(write(62, "again", 5) == 5 && read(61, buf, sizeof(buf)) == 5 && !strcmp(buf, "again"),
		   "FIFO ends not connected after restore ('%s')", buf);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(write(60, "rw", 2) == 2 && read(60, buf, sizeof(buf)) == 2 && !strcmp(buf, "rw"),
		   "O_RDWR end does not see its own data ('%s')", buf);
	return feat_done();
}
