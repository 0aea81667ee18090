/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files of the task's own namespaces held open (/proc/self/ns/net, uts, ipc,
 * mnt and pid_for_children): after restore each fd is the task's namespace
 * of that type again, as /proc/self/ns shows it, and setns() takes it.
 */
#include <sched.h>
#include <sys/stat.h>

#include "feature.h"

static const char *const types[] = {"net", "uts", "ipc", "mnt", "pid_for_children"};

int main(int argc, char **argv)
{
	int fds[5];
	char path[64];

	feat_init(argc, argv);
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", types[i]);
		fds[i] = open(path, O_RDONLY | (i == 2 ? O_CLOEXEC : 0));
		if (fds[i] < 0)
			feat_die(path);
	}

	feat_ready();
	feat_wait_go();

	for (int i = 0; i < 5; i++) {
		struct stat fst, own;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", types[i]);
		FEAT_CHECK(fstat(fds[i], &fst) == 0 && stat(path, &own) == 0 && fst.st_ino == own.st_ino &&
				   fst.st_dev == own.st_dev,
			   "fd %d is not %s (inode %lu, expected %lu)", fds[i], path,
			   (unsigned long)fst.st_ino, (unsigned long)own.st_ino);
		FEAT_CHECK((fcntl(fds[i], F_GETFD) == FD_CLOEXEC) == (i == 2), "fd %d: close-on-exec %d",
			   fds[i], fcntl(fds[i], F_GETFD));
	}
	FEAT_CHECK(setns(fds[1], CLONE_NEWUTS) == 0, "setns on the uts fd: %s", strerror(errno));
	return feat_done();
}
