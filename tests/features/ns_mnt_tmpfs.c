/* SPDX-License-Identifier: LGPL-2.1-or-later */
// clang-format off
// criu-opts: --root @DIR@/root --external mnt[/usr]:/usr --external mnt[@TOPDIR@]:@TOPDIR@
// clang-format on
/*
 * The tree in a mount namespace of its own, its root DIR/root with /usr and
 * the tree's top directory (/work, say) bound from the host (external mounts; the program runs again from
 * there), with a tmpfs of its own options (size, nr_inodes, mode) holding
 * files of several kinds (text, sparse, hard link, symlink, fifo, owners
 * and modes, user and trusted xattrs), a directory of it with a file, and
 * a second tmpfs mounted on that directory afterwards. After
 * restore both tmpfs are compared: the second one's file, then, once it is
 * unmounted, the file under it, and every file of the first.
 */
#include <sys/mount.h>
#include <sys/xattr.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include <stdbool.h>

#include "feature.h"

static char top[4200], cover[4300];

static void path_of(char *buf, size_t size, const char *base, const char *name)
{
	snprintf(buf, size, "%s/%s", base, name);
}

static void write_file(const char *base, const char *name, const char *text, mode_t mode)
{
	char p[4400];
	int fd;

	path_of(p, sizeof(p), base, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		feat_die(p);
	fchmod(fd, mode);
	close(fd);
}

static void check_file(const char *base, const char *name, const char *text, mode_t mode)
{
	char p[4400], buf[256];
	struct stat st;
	ssize_t n;

	path_of(p, sizeof(p), base, name);
	n = feat_read_file(p, buf, sizeof(buf));
	if (n < 0) {
		feat_fail("%s: cannot read it (%s)", p, strerror(errno));
		return;
	}
	buf[n] = 0;
	FEAT_CHECK(!strcmp(buf, text), "%s: reads '%s', not '%s'", p, buf, text);
	FEAT_CHECK(stat(p, &st) == 0 && (st.st_mode & 07777) == mode, "%s: mode %o, not %o", p,
		   (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

/* dir inside the new root r: a directory, or a bind of the host's (mounted). */
static void root_dir(const char *r, const char *name, bool bind)
{
	char p[4400];

	path_of(p, sizeof(p), r, name);
	mkdir(p, 0755);
	if (bind && mount(name, p, NULL, MS_BIND, NULL) < 0)
		feat_die(p);
}

static void root_link(const char *r, const char *name, const char *target)
{
	char p[4400];

	path_of(p, sizeof(p), r, name);
	if (symlink(target, p) < 0 && errno != EEXIST)
		feat_die(p);
}

/*
 * A mount namespace whose root is DIR/root: /usr and the top directory bound from the
 * host, /lib and friends the usual symlinks into usr. Then this program runs
 * again from there (argv[2] "inside"), so that its files are the new root's.
 */
static void enter_own_root(char **argv)
{
	char r[4200], exe[4200], topdir[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		feat_die("readlink /proc/self/exe");
	exe[n] = 0;
	/* the criu-opts line binds the first component of the tree's path (@TOPDIR@): DIR must be under it */
	snprintf(topdir, sizeof(topdir), "%s", exe);
	slash = strchr(topdir + 1, '/');
	if (slash)
		*slash = '\0';
	if (!slash || strncmp(feat_dir, topdir, strlen(topdir)) || feat_dir[strlen(topdir)] != '/')
		feat_skip("needs the program and DIR under one top directory (the criu-opts line)");
	path_of(r, sizeof(r), feat_dir, "root");
	mkdir(r, 0755);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		feat_die("unshare(CLONE_NEWNS)");
	if (mount(r, r, NULL, MS_BIND, NULL) < 0)
		feat_die("bind the new root onto itself");
	root_dir(r, "/usr", true);
	root_dir(r, topdir, true);
	root_dir(r, "/tmp", false);
	root_link(r, "/lib", "usr/lib");
	root_link(r, "/lib64", "usr/lib64");
	root_link(r, "/bin", "usr/bin");
	if (chdir(r) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 ||
	    chdir("/") < 0)
		feat_die("pivot_root");
	execv(exe, (char *[]){argv[0], argv[1], "inside", NULL});
	feat_die("exec in the new root");
}

static void setup(void)
{
	char p[4400], big[4400];
	int fd;

	path_of(top, sizeof(top), feat_dir, "t");
	mkdir(top, 0755);
	if (mount("tmpfs", top, "tmpfs", 0, "size=4m,nr_inodes=1000,mode=0751") < 0)
		feat_die("mount the tmpfs");
	write_file(top, "a.txt", "alpha", 0640);
	path_of(p, sizeof(p), top, "sub");
	mkdir(p, 0700);
	write_file(top, "sub/b.txt", "bravo", 0600);
	path_of(big, sizeof(big), top, "sub/sparse");
	fd = open(big, O_WRONLY | O_CREAT, 0644);
	if (fd < 0 || pwrite(fd, "end", 3, 1 << 20) != 3)
		feat_die("sparse file");
	close(fd);
	path_of(p, sizeof(p), top, "a.link");
	if (link(big, p) < 0)
		feat_die("hard link");
	path_of(p, sizeof(p), top, "sym");
	if (symlink("sub/b.txt", p) < 0)
		feat_die("symlink");
	path_of(p, sizeof(p), top, "fifo");
	if (mkfifo(p, 0620) < 0 || chmod(p, 0620) < 0)
		feat_die("mkfifo");
	path_of(p, sizeof(p), top, "owned");
	write_file(top, "owned", "owned by 1234:5678", 0604);
	if (chown(p, 1234, 5678) < 0)
		feat_die("chown");
	if (setxattr(p, "user.color", "blue", 4, 0) < 0 || setxattr(p, "trusted.level", "7", 1, 0) < 0)
		feat_die("setxattr");
	path_of(cover, sizeof(cover), top, "cover");
	mkdir(cover, 0755);
	write_file(cover, "under.txt", "under the second tmpfs", 0644);
	if (mount("tmpfs", cover, "tmpfs", 0, "size=1m,mode=0700") < 0)
		feat_die("mount the second tmpfs");
	write_file(cover, "over.txt", "on the second tmpfs", 0644);
}

static void verify(void)
{
	char p[4400], buf[64];
	struct statvfs sv;
	struct stat st, st2;
	ssize_t n;

	FEAT_CHECK(stat(cover, &st) == 0 && (st.st_mode & 07777) == 0700,
		   "%s: mode %o, not 700 (second tmpfs)", cover, (unsigned)(st.st_mode & 07777));
	check_file(cover, "over.txt", "on the second tmpfs", 0644);
	FEAT_CHECK(statvfs(top, &sv) == 0 && sv.f_blocks * sv.f_frsize == 4 << 20 && sv.f_files == 1000,
		   "%s: %llu bytes, %llu inodes, not 4 MiB and 1000", top,
		   (unsigned long long)(sv.f_blocks * sv.f_frsize), (unsigned long long)sv.f_files);
	FEAT_CHECK(stat(top, &st) == 0 && (st.st_mode & 07777) == 0751, "%s: mode %o, not 751", top,
		   (unsigned)(st.st_mode & 07777));
	if (umount(cover) < 0) {
		feat_fail("%s: cannot unmount the second tmpfs (%s)", cover, strerror(errno));
		return;
	}
	check_file(cover, "under.txt", "under the second tmpfs", 0644);
	check_file(top, "a.txt", "alpha", 0640);
	check_file(top, "sub/b.txt", "bravo", 0600);
	check_file(top, "owned", "owned by 1234:5678", 0604);
	path_of(p, sizeof(p), top, "owned");
	FEAT_CHECK(stat(p, &st) == 0 && st.st_uid == 1234 && st.st_gid == 5678, "%s: owner %u:%u", p,
		   (unsigned)st.st_uid, (unsigned)st.st_gid);
	n = getxattr(p, "user.color", buf, sizeof(buf));
	FEAT_CHECK(n == 4 && !memcmp(buf, "blue", 4), "%s: xattr user.color is not blue (%zd)", p, n);
	n = getxattr(p, "trusted.level", buf, sizeof(buf));
	FEAT_CHECK(n == 1 && buf[0] == '7', "%s: xattr trusted.level is not 7 (%zd)", p, n);
	path_of(p, sizeof(p), top, "sub/sparse");
	FEAT_CHECK(stat(p, &st) == 0 && st.st_size == (1 << 20) + 3 && st.st_blocks < 64 && st.st_nlink == 2,
		   "%s: size %lld, %lld blocks, %lu links (sparse, 2 links)", p, (long long)st.st_size,
		   (long long)st.st_blocks, (unsigned long)st.st_nlink);
	path_of(p, sizeof(p), top, "a.link");
	FEAT_CHECK(stat(p, &st2) == 0 && st2.st_ino == st.st_ino, "%s: not a hard link of sub/sparse", p);
	path_of(p, sizeof(p), top, "sym");
	n = readlink(p, buf, sizeof(buf) - 1);
	FEAT_CHECK(n == 9 && !memcmp(buf, "sub/b.txt", 9), "%s: not a symlink to sub/b.txt", p);
	path_of(p, sizeof(p), top, "fifo");
	FEAT_CHECK(lstat(p, &st) == 0 && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0620,
		   "%s: not a fifo of mode 620", p);
}

int main(int argc, char **argv)
{
	feat_init(argc, argv);
	if (argc < 3 || strcmp(argv[2], "inside"))
		enter_own_root(argv);
	/* no fd of the host's files left (the runner's /dev/null): stdin from the new root */
	syscall(SYS_close_range, 3, ~0U, 0);
	close(STDIN_FILENO);
	if (open("/usr", O_RDONLY | O_DIRECTORY) != STDIN_FILENO)
		feat_die("stdin");
	setup();
	feat_ready();
	feat_wait_go();
	verify();
	return feat_done();
}
