/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Objects whose names were removed while the tree holds them:
 *  - the cwd, a removed directory (fd 41 is the same one);
 *  - fd 40, a removed directory (mode 0750) whose parent was removed too;
 *  - a removed FIFO (mode 0640) with 10 bytes buffered: fd 42 read-write,
 *    fd 43 read-only, fd 44 write-only;
 *  - fd 45, a removed character device node (1:3, mode 0620);
 *  - a child chrooted into a removed directory (its root and cwd).
 * After restore: the same "PATH (deleted)" cwd and root, each fd of the right
 * type, mode and rdev with nlink 0, the FIFO's data and ends working, the
 * directory usable through openat/fstatat, and nothing back under the old names.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "feature.h"

#define DATA "hello fifo"

static char cwd_path[4200], dir_path[4200], parent_path[4200], fifo_path[4200], dev_path[4200],
	root_path[4200];

static void setup_dirs(void)
{
	snprintf(cwd_path, sizeof(cwd_path), "%s/gone-cwd", feat_dir);
	snprintf(parent_path, sizeof(parent_path), "%s/gone-parent", feat_dir);
	snprintf(dir_path, sizeof(dir_path), "%s/gone-parent/gone-dir", feat_dir);
	if (mkdir(cwd_path, 0711) || mkdir(parent_path, 0700) || mkdir(dir_path, 0750) || chmod(dir_path, 0750))
		feat_die("mkdir");
	if (dup2(open(dir_path, O_RDONLY | O_DIRECTORY), 40) != 40 || chdir(cwd_path) ||
	    dup2(open(".", O_RDONLY | O_DIRECTORY), 41) != 41)
		feat_die("open dirs");
	if (rmdir(dir_path) || rmdir(parent_path) || rmdir(cwd_path))
		feat_die("rmdir");
}

static void setup_fifo_dev(void)
{
	snprintf(fifo_path, sizeof(fifo_path), "%s/gone-fifo", feat_dir);
	snprintf(dev_path, sizeof(dev_path), "%s/gone-null", feat_dir);
	if (mkfifo(fifo_path, 0600) || chmod(fifo_path, 0640))
		feat_die("mkfifo");
	if (dup2(open(fifo_path, O_RDWR), 42) != 42 || dup2(open(fifo_path, O_RDONLY | O_NONBLOCK), 43) != 43 ||
	    dup2(open(fifo_path, O_WRONLY), 44) != 44 || write(44, DATA, strlen(DATA)) != (ssize_t)strlen(DATA))
		feat_die("open fifo");
	if (mknod(dev_path, S_IFCHR | 0600, makedev(1, 3)) || chmod(dev_path, 0620) ||
	    dup2(open(dev_path, O_RDWR), 45) != 45)
		feat_die("mknod");
	if (unlink(fifo_path) || unlink(dev_path))
		feat_die("unlink");
}

/* A child chrooted into a removed directory; the pipe says it is there. */
static pid_t setup_root(void)
{
	int p[2];
	pid_t pid;
	char c;

	snprintf(root_path, sizeof(root_path), "%s/gone-root", feat_dir);
	if (mkdir(root_path, 0755) || pipe(p))
		feat_die("mkdir root");
	pid = fork();
	if (pid < 0)
		feat_die("fork");
	if (pid == 0) {
		if (chdir(root_path) || chroot("."))
			_exit(1);
		close(p[0]);
		close(p[1]);
		for (int fd = 40; fd <= 45; fd++)
			close(fd);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 0 || rmdir(root_path))
		feat_die("chroot child");
	close(p[0]);
	return pid;
}

static void check_link(const char *link, const char *want)
{
	char got[4300];
	ssize_t n = readlink(link, got, sizeof(got) - 1);

	if (n < 0) {
		feat_fail("readlink %s: %s", link, strerror(errno));
		return;
	}
	got[n] = '\0';
	FEAT_CHECK(!strcmp(got, want), "%s is '%s', expected '%s'", link, got, want);
}

static void check_node(int fd, const char *what, mode_t type, mode_t mode, dev_t rdev)
{
	struct stat st;

	if (fstat(fd, &st)) {
		feat_fail("%s: fd %d not open: %s", what, fd, strerror(errno));
		return;
	}
	FEAT_CHECK((st.st_mode & S_IFMT) == type, "%s: type %o, expected %o", what, st.st_mode & S_IFMT, type);
	FEAT_CHECK((st.st_mode & 07777) == mode, "%s: mode %04o, expected %04o", what, st.st_mode & 07777, mode);
	FEAT_CHECK(st.st_nlink == 0, "%s: nlink %lu, expected 0", what, (unsigned long)st.st_nlink);
	FEAT_CHECK(!S_ISCHR(type) || st.st_rdev == rdev, "%s: rdev %u:%u, expected %u:%u", what,
		   major(st.st_rdev), minor(st.st_rdev), major(rdev), minor(rdev));
}

static void check_dirs(void)
{
	struct stat a, b, c;
	char want[4300];

	snprintf(want, sizeof(want), "%s (deleted)", cwd_path);
	check_link("/proc/self/cwd", want);
	check_node(40, "removed directory", S_IFDIR, 0750, 0);
	check_node(41, "removed cwd fd", S_IFDIR, 0711, 0);
	FEAT_CHECK(!fstat(41, &a) && !stat("/proc/self/cwd", &b) && a.st_ino == b.st_ino && a.st_dev == b.st_dev,
		   "fd 41 and the cwd are not one directory");
	FEAT_CHECK(!fstat(40, &a) && !fstatat(40, ".", &c, 0) && a.st_ino == c.st_ino,
		   "fstatat(fd 40, \".\") is not fd 40's directory");
	FEAT_CHECK(openat(40, "new", O_CREAT | O_WRONLY, 0600) < 0 && errno == ENOENT,
		   "openat(fd 40, new, O_CREAT) did not fail with ENOENT: %s", strerror(errno));
	snprintf(want, sizeof(want), "%s (deleted)", dir_path);
	check_link("/proc/self/fd/40", want);
}

static void check_fifo_dev(void)
{
	char buf[64] = "";
	struct stat a, b;

	check_node(42, "removed FIFO", S_IFIFO, 0640, 0);
	FEAT_CHECK(!fstat(43, &a) && !fstat(44, &b) && a.st_ino == b.st_ino, "FIFO fds 43 and 44 are not one FIFO");
	FEAT_CHECK((fcntl(43, F_GETFL) & O_ACCMODE) == O_RDONLY && (fcntl(44, F_GETFL) & O_ACCMODE) == O_WRONLY,
		   "FIFO access modes %#x %#x", fcntl(43, F_GETFL) & O_ACCMODE, fcntl(44, F_GETFL) & O_ACCMODE);
	FEAT_CHECK(read(43, buf, sizeof(buf)) == (ssize_t)strlen(DATA) && !memcmp(buf, DATA, strlen(DATA)),
		   "FIFO data '%s', expected '%s'", buf, DATA);
	memset(buf, 0, sizeof(buf));
	FEAT_CHECK(write(44, "again", 5) == 5 && read(42, buf, sizeof(buf)) == 5 && !strcmp(buf, "again"),
		   "FIFO write on fd 44, read on fd 42: '%s'", buf);
	check_node(45, "removed device", S_IFCHR, 0620, makedev(1, 3));
	FEAT_CHECK(write(45, "x", 1) == 1 && read(45, buf, 1) == 0, "device fd 45 is not /dev/null's device");
}

static void check_root(pid_t child)
{
	char link[64], want[4300];
	struct stat st;

	snprintf(want, sizeof(want), "%s (deleted)", root_path);
	snprintf(link, sizeof(link), "/proc/%d/root", child);
	check_link(link, want);
	FEAT_CHECK(!stat(link, &st) && st.st_nlink == 0, "child's root nlink %lu, expected 0",
		   (unsigned long)st.st_nlink);
	snprintf(link, sizeof(link), "/proc/%d/cwd", child);
	check_link(link, want);
}

int main(int argc, char **argv)
{
	const char *gone[] = {cwd_path, dir_path, parent_path, fifo_path, dev_path, root_path};
	pid_t child;

	feat_init(argc, argv);
	child = setup_root();
	setup_fifo_dev();
	setup_dirs();

	feat_ready();
	feat_wait_go();

	check_dirs();
	check_fifo_dev();
	check_root(child);
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		FEAT_CHECK(access(gone[i], F_OK) && errno == ENOENT, "%s exists again after restore", gone[i]);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return feat_done();
}
