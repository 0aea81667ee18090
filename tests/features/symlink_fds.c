/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Symlinks held by O_PATH | O_NOFOLLOW fds: DIR/link (to "target", owned by
 * 1234:1235), and DIR/gone (to "/nowhere/at/all", owned by 1236:1237),
 * removed after the open. After restore each fd is a symlink with its target
 * and owner, DIR/link is the same symlink, and DIR/gone stays removed.
 */
#include <sys/stat.h>

#include "feature.h"

static void check(int fd, const char *target, uid_t uid, gid_t gid, const char *what)
{
	char buf[256];
	ssize_t n = readlinkat(fd, "", buf, sizeof(buf) - 1);
	struct stat st;

	buf[n < 0 ? 0 : n] = '\0';
	FEAT_CHECK(n >= 0 && !strcmp(buf, target), "%s: points to '%s', expected '%s'", what, buf, target);
	FEAT_CHECK(fstat(fd, &st) == 0 && S_ISLNK(st.st_mode) && st.st_uid == uid && st.st_gid == gid,
		   "%s: mode %o owner %u:%u, expected a symlink of %u:%u", what, st.st_mode, st.st_uid,
		   st.st_gid, uid, gid);
	FEAT_CHECK((fcntl(fd, F_GETFL) & O_PATH) == O_PATH, "%s: not O_PATH", what);
}

int main(int argc, char **argv)
{
	char link[4200], gone[4200];
	struct stat st, now;
	int l, g;

	feat_init(argc, argv);
	snprintf(link, sizeof(link), "%s/link", argv[1]);
	snprintf(gone, sizeof(gone), "%s/gone", argv[1]);
	if (symlink("target", link) || symlink("/nowhere/at/all", gone) || lchown(link, 1234, 1235) ||
	    lchown(gone, 1236, 1237))
		feat_die("symlink");
	l = open(link, O_PATH | O_NOFOLLOW);
	g = open(gone, O_PATH | O_NOFOLLOW);
	if (l < 0 || g < 0 || unlink(gone) || fstat(l, &st))
		feat_die("open");

	feat_ready();
	feat_wait_go();

	check(l, "target", 1234, 1235, "link");
	check(g, "/nowhere/at/all", 1236, 1237, "removed link");
	FEAT_CHECK(lstat(link, &now) == 0 && fstat(l, &st) == 0 && now.st_ino == st.st_ino,
		   "%s: the fd is not it", link);
	FEAT_CHECK(lstat(gone, &now) < 0 && errno == ENOENT, "%s is back", gone);
	return feat_done();
}
