/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * An open file whose mount was mounted over afterwards (a bind mount of its
 * directory onto itself): its path now leads to the upper mount. The restore
 * reopens files by path, so the file would come back on the other mount;
 * the dump is refused by name (pid, fd, path, both mounts). After the
 * refusal the file is still on its own mount (fdinfo mnt_id), reads its
 * data, and the directory is still mounted over. (The mounts are made private
 * under DIR in criu's own mount namespace, as a tree without one of its own
 * is dumped; the program takes them down at the end.)
 */
// criu-expect: dump-refused fd [0-9]+: .*/over/file is on mount [0-9]+, but its path now leads to mount [0-9]+
#include <sys/mount.h>
#include <sys/stat.h>

#include "feature.h"

static int mnt_id_of_fd(int fd)
{
	char info[512], *p;

	feat_read_fdinfo(fd, info, sizeof(info));
	p = strstr(info, "mnt_id:");
	return p ? atoi(p + 7) : -1;
}

int main(int argc, char **argv)
{
	char top[4200], over[4300], file[4400], buf[16] = "";
	int fd, probe, mnt_before, mnt_path;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("needs root");
	snprintf(top, sizeof(top), "%s/mnt", feat_dir);
	snprintf(over, sizeof(over), "%s/over", top);
	snprintf(file, sizeof(file), "%s/file", over);
	if (mkdir(top, 0700) || mount("feat_top", top, "tmpfs", 0, NULL) ||
	    mount(NULL, top, NULL, MS_PRIVATE, NULL) || mkdir(over, 0700) ||
	    mount("feat_over", over, "tmpfs", 0, NULL))
		feat_die("mount the tmpfs");
	fd = open(file, O_CREAT | O_RDWR, 0600);
	if (fd < 0 || write(fd, "data", 4) != 4)
		feat_die("write the file");
	mnt_before = mnt_id_of_fd(fd);
	if (mount(over, over, NULL, MS_BIND, NULL))
		feat_die("bind its directory over itself");
	probe = open(file, O_RDONLY);
	if (probe < 0 || mnt_id_of_fd(probe) == mnt_before)
		feat_die("the path still leads to the file's own mount");
	close(probe);

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(mnt_id_of_fd(fd) == mnt_before, "the fd is on mount %d now, was %d", mnt_id_of_fd(fd), mnt_before);
	FEAT_CHECK(pread(fd, buf, 4, 0) == 4 && !memcmp(buf, "data", 4), "the file reads '%s'", buf);
	probe = open(file, O_RDONLY);
	mnt_path = probe >= 0 ? mnt_id_of_fd(probe) : -1;
	FEAT_CHECK(mnt_path >= 0 && mnt_path != mnt_before, "the path leads to mount %d: not mounted over any more",
		   mnt_path);
	if (probe >= 0)
		close(probe);
	close(fd);
	umount2(top, MNT_DETACH);
	return feat_done();
}
