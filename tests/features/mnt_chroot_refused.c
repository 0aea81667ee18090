/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tree in its own mount namespace with a child in another one, chrooted
 * into a directory of it: the child's mountinfo shows only what lies under
 * its root, as if that were the whole namespace, so the dump is refused by
 * name (no task at that namespace's root), and the tree runs on untouched:
 * the child is still in its chroot and its namespace.
 */
// criu-opts: --root /tmp/cr-feat-mnt-chroot --ext-mount-map auto
// criu-expect: dump-refused
#include <sys/mman.h>

#include "mnt_root.h"

struct shared {
	volatile int ready, done;
	char why[256];
};

static struct shared *sh;

static void child(void)
{
	struct stat a, b;

	mnt_must(unshare(CLONE_NEWNS) == 0, "unshare(CLONE_NEWNS) in the child");
	mnt_must(mount("c", "/c", "tmpfs", 0, "size=1m") == 0 && mkdir("/c/in", 0755) == 0, "tmpfs /c");
	mnt_must(stat("/c/in", &a) == 0 && chroot("/c") == 0 && chdir("/") == 0, "chroot /c");
	sh->ready = 1;
	feat_wait_go();
	/* still where it was: the chroot's /in is /c/in */
	if (stat("/in", &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		snprintf(sh->why, sizeof(sh->why), "the child is not in its chroot any more");
	sh->done = 1;
	_exit(0);
}

static void inner(void)
{
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	mnt_must(sh != MAP_FAILED, "mmap");
	pid = fork();
	mnt_must(pid >= 0, "fork the child");
	if (pid == 0)
		child();
	while (!sh->ready)
		usleep(10000);
	feat_ready();
	feat_wait_go();
	kill(pid, SIGUSR1);
	for (int i = 0; i < 500 && !sh->done; i++)
		usleep(10000);
	FEAT_CHECK(sh->done, "the child did not answer after the refused dump");
	if (sh->why[0])
		feat_fail("%s", sh->why);
	feat_done();
	exit(0);
}

int main(int argc, char **argv)
{
	return mnt_root_main(argc, argv, "/tmp/cr-feat-mnt-chroot", inner);
}
