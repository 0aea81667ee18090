/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A task that unshared its time namespace (unshare(CLONE_NEWTIME)) and has
 * no child yet: its children's namespace (/proc/self/ns/time_for_children,
 * with its own clock offsets) is not its own. The restore would lose it, so
 * the dump is refused by name; the task goes on untouched: the namespace for
 * children is still the new one, with its offset, and a child forked now is
 * born in it.
 */
// criu-expect: dump-refused time namespace of its future children .*time_for_children
#include <sys/stat.h>

#include "feature.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

int main(int argc, char **argv)
{
	char offsets[256], child_ns[64];
	ino_t own, kids;
	pid_t pid;
	int fd, st;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("needs root");
	if (unshare(CLONE_NEWTIME) < 0) {
		if (errno == EINVAL)
			feat_skip("no time namespaces in this kernel");
		feat_die("unshare(CLONE_NEWTIME)");
	}
	fd = open("/proc/self/timens_offsets", O_WRONLY);
	if (fd < 0 || dprintf(fd, "monotonic 1000 0\n") < 0)
		feat_die("write timens_offsets");
	close(fd);
	own = ino_of("/proc/self/ns/time");
	kids = ino_of("/proc/self/ns/time_for_children");
	if (!own || !kids || own == kids)
		feat_die("time_for_children is not a new namespace");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(ino_of("/proc/self/ns/time") == own, "own time namespace changed: %lu, was %lu",
		   (unsigned long)ino_of("/proc/self/ns/time"), (unsigned long)own);
	FEAT_CHECK(ino_of("/proc/self/ns/time_for_children") == kids, "time_for_children changed: %lu, was %lu",
		   (unsigned long)ino_of("/proc/self/ns/time_for_children"), (unsigned long)kids);
	if (feat_read_file("/proc/self/timens_offsets", offsets, sizeof(offsets)) < 0)
		feat_fail("cannot read timens_offsets: %s", strerror(errno));
	else
		FEAT_CHECK(strstr(offsets, "monotonic") && strstr(offsets, "1000"),
			   "the children's monotonic offset is gone: '%s'", offsets);
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(child_ns, sizeof(child_ns), "/proc/%d/ns/time", pid);
	feat_sleep_ms(50);
	FEAT_CHECK(ino_of(child_ns) == kids, "a child forked now is in time namespace %lu, not %lu",
		   (unsigned long)ino_of(child_ns), (unsigned long)kids);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return feat_done();
}
