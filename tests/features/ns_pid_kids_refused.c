/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A task that unshared its pid namespace (unshare(CLONE_NEWPID)) and has no
 * child yet: its next child would be pid 1 of the new namespace
 * (/proc/self/ns/pid_for_children shows none until then). The restore would
 * lose that, so the dump is refused by name; the task goes on untouched: a
 * child forked now is pid 1 of the new namespace.
 */
// criu-expect: dump-refused pid namespace of its future children .*pid_for_children.* without its init
#include <sys/stat.h>

#include "feature.h"

/* inode of a namespace link, 0 (errno set) if it shows none */
static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

int main(int argc, char **argv)
{
	int p[2], st;
	pid_t pid, inner = 0;
	ino_t kids;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("needs root");
	if (unshare(CLONE_NEWPID) < 0)
		feat_die("unshare(CLONE_NEWPID)");
	if (ino_of("/proc/self/ns/pid_for_children") || errno != ENOENT)
		feat_die("pid_for_children is not a new namespace without init");

	feat_ready();
	feat_wait_go();

	kids = ino_of("/proc/self/ns/pid_for_children");
	FEAT_CHECK(!kids && errno == ENOENT, "pid_for_children changed: inode %lu (errno %d), expected none yet",
		   (unsigned long)kids, errno);
	if (pipe(p))
		feat_die("pipe");
	pid = fork();
	if (pid == 0) {
		pid_t me = getpid();

		_exit(write(p[1], &me, sizeof(me)) == sizeof(me) ? 0 : 1);
	}
	if (pid < 0 || read(p[0], &inner, sizeof(inner)) != sizeof(inner))
		feat_fail("fork into the new pid namespace: %s", strerror(errno));
	else
		FEAT_CHECK(inner == 1, "a child forked now is pid %d in its namespace, not 1", inner);
	if (pid > 0)
		waitpid(pid, &st, 0);
	return feat_done();
}
