/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A removed file held open on a mount made read-only after the removal
 * (a tmpfs on DIR/m, remounted MS_BIND | MS_RDONLY: the file system itself
 * stays writable). After restore the fd reads the file's bytes, is still
 * read-only on a read-only mount (a write fails, the mount refuses a new
 * file), and the file has no name.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include "feature.h"

int main(int argc, char **argv)
{
	char m[4200], path[4300], buf[32] = "";
	struct stat st;
	int fd, w;

	feat_init(argc, argv);
	snprintf(m, sizeof(m), "%s/m", argv[1]);
	umount2(m, MNT_DETACH); /* a run that failed before may have left it */
	mkdir(m, 0700);
	if (mount("criu-feat", m, "tmpfs", 0, "size=1m"))
		feat_die("mount");
	snprintf(path, sizeof(path), "%s/ghost", m);
	w = open(path, O_CREAT | O_WRONLY, 0640);
	if (w < 0 || write(w, "on a read-only mount", 20) != 20 || close(w))
		feat_die("write");
	fd = open(path, O_RDONLY);
	if (fd < 0 || unlink(path) || mount(NULL, m, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL))
		feat_die("remount");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(pread(fd, buf, 20, 0) == 20 && !memcmp(buf, "on a read-only mount", 20), "reads '%s'",
		   buf);
	FEAT_CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0 && (st.st_mode & 07777) == 0640,
		   "%lu links, mode %o", (unsigned long)st.st_nlink, st.st_mode & 07777);
	FEAT_CHECK(write(fd, "x", 1) < 0, "the read-only fd takes a write");
	snprintf(path, sizeof(path), "%s/new", m);
	w = open(path, O_CREAT | O_WRONLY, 0600);
	FEAT_CHECK(w < 0 && errno == EROFS, "the mount is writable again (%s)",
		   w < 0 ? strerror(errno) : "made");
	FEAT_CHECK(fcntl(fd, F_GETFL) >= 0 && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY, "flags %#x",
		   fcntl(fd, F_GETFL));
	close(fd);
	umount2(m, MNT_DETACH);
	return feat_done();
}
