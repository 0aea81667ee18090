/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Removed objects made again (engine/files/ghost_node.c): a directory, FIFO
 * or device at its old path in a root, with its mode, owner and rdev; a
 * name that exists is never reused, missing directories on the way are made
 * and removed again, a symlink or a file on the way is refused, and only
 * the names made are removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "files.h"
#include "t.h"

static char dir[] = "/tmp/test_ghost_node.XXXXXX";
static int root = -1;

static bool exists(const char *name)
{
	struct stat st;

	return fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static struct ghost_node_spec spec(mode_t mode)
{
	return (struct ghost_node_spec){.mode = mode, .uid = getuid(), .gid = getgid()};
}

static void test_dir_exact_name(void)
{
	struct ghost_node_spec s = spec(S_IFDIR | 0750);
	struct ghost_node g;
	struct stat st;
	int fd = -1;

	CHECK_EQ_INT(ghost_node_make(root, "/a", &s, &g, &fd), 0);
	CHECK_EQ_STR(g.name, "a");
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
	CHECK(exists("a"));
	CHECK_EQ_INT(ghost_node_remove(&g), 0);
	CHECK(!exists("a"));
	CHECK(fstat(fd, &st) == 0 && st.st_nlink == 0);
	close(fd);
}

static void test_taken_name(void)
{
	struct ghost_node_spec s = spec(S_IFIFO | 0640);
	struct ghost_node g;
	char want[64];
	struct stat st;
	int fd = -1;

	close(openat(root, "b", O_CREAT | O_WRONLY, 0600));
	CHECK_EQ_INT(ghost_node_make(root, "/b", &s, &g, &fd), 0);
	snprintf(want, sizeof(want), "b.criu-ghost.%d", getpid());
	CHECK_EQ_STR(g.name, want);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0640);
	CHECK_EQ_INT(ghost_node_remove(&g), 0);
	CHECK(exists("b") && !exists(want));
	CHECK(fstatat(root, "b", &st, 0) == 0 && S_ISREG(st.st_mode));
	if (fd >= 0)
		close(fd);
}

static void test_missing_parents(void)
{
	struct ghost_node_spec s = spec(S_IFDIR | 0700);
	struct ghost_node g;
	int fd = -1;

	CHECK_EQ_INT(ghost_node_make(root, "/p/q/r", &s, &g, &fd), 0);
	CHECK(exists("p/q/r"));
	CHECK_EQ_INT(g.nr_made, 2);
	CHECK_EQ_INT(ghost_node_remove(&g), 0);
	CHECK(!exists("p"));
	if (fd >= 0)
		close(fd);
}

static void test_refused_paths(void)
{
	struct ghost_node_spec s = spec(S_IFDIR | 0700);
	struct ghost_node g;
	int fd = -1;

	CHECK(symlinkat("elsewhere", root, "s") == 0);
	CHECK_EQ_INT(ghost_node_make(root, "/s/x", &s, &g, &fd), -ELOOP);
	CHECK(!exists("elsewhere"));
	CHECK_EQ_INT(ghost_node_make(root, "/b/x", &s, &g, &fd), -ENOTDIR);
	CHECK_EQ_INT(ghost_node_make(root, "x", &s, &g, &fd), -EINVAL);
	CHECK_EQ_INT(ghost_node_make(root, "/..", &s, &g, &fd), -EINVAL);
	CHECK_EQ_INT(ghost_node_make(root, "/m/../x", &s, &g, &fd), -EINVAL);
	CHECK(!exists("m"));
	s.mode = S_IFREG | 0600;
	CHECK_EQ_INT(ghost_node_make(root, "/f", &s, &g, &fd), -EINVAL);
	CHECK_EQ_INT(fd, -1);
}

static void test_replaced_name_kept(void)
{
	struct ghost_node_spec s = spec(S_IFIFO | 0600);
	struct ghost_node g;
	struct stat st;
	int fd = -1;

	CHECK_EQ_INT(ghost_node_make(root, "/c", &s, &g, &fd), 0);
	CHECK(renameat(root, "c", root, "c-moved") == 0);
	close(openat(root, "c", O_CREAT | O_WRONLY, 0600));
	CHECK_EQ_INT(ghost_node_remove(&g), 0);
	CHECK(fstatat(root, "c", &st, 0) == 0 && S_ISREG(st.st_mode));
	CHECK(exists("c-moved"));
	if (fd >= 0)
		close(fd);
}

static void test_device(void)
{
	struct ghost_node_spec s = spec(S_IFCHR | 0620);
	struct ghost_node g;
	struct stat st;
	int fd = -1;

	if (geteuid() != 0) {
		T_SKIP("mknod of a device needs root");
		return;
	}
	s.rdev = makedev(1, 3);
	CHECK_EQ_INT(ghost_node_make(root, "/null", &s, &g, &fd), 0);
	CHECK(fd >= 0 && fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
	      (st.st_mode & 07777) == 0620);
	CHECK_EQ_INT(ghost_node_remove(&g), 0);
	CHECK(!exists("null"));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(dir))
		return 1;
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	t_run("ghost_node_dir_exact_name", test_dir_exact_name);
	t_run("ghost_node_taken_name", test_taken_name);
	t_run("ghost_node_missing_parents", test_missing_parents);
	t_run("ghost_node_refused_paths", test_refused_paths);
	t_run("ghost_node_replaced_name_kept", test_replaced_name_kept);
	t_run("ghost_node_device", test_device);
	close(root);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("    cannot remove %s\n", dir);
	return t_done();
}
