/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the feature programs whose tree has its own mount namespace (and pid
 * namespace): mnt_root_main() makes ROOT (the directories mounts go on,
 * /usr's symlinks, the program itself as /prog), forks pid 1 of new mount
 * and pid namespaces, which binds /usr and DIR (as /work) into ROOT, mounts
 * proc, pivots into ROOT and runs "/prog /work inner": the program's inner()
 * then. The runner restores it with --root ROOT --ext-mount-map auto.
 */
#ifndef CR_TESTS_MNT_ROOT_H
#define CR_TESTS_MNT_ROOT_H

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "feature.h"

static void mnt_must(int ok, const char *what)
{
	if (!ok)
		feat_die(what);
}

/* root: the directories the mounts go on, /usr's symlinks, and this program as /prog. */
static void mnt_make_root(const char *root, const char *self)
{
	const char *dirs[] = {"", "/usr", "/work", "/proc", "/t", "/u", "/o", "/b", "/c"};
	const char *links[][2] = {{"usr/lib", "/lib"}, {"usr/lib64", "/lib64"}, {"usr/bin", "/bin"}};
	char buf[65536], path[4200];
	ssize_t n;
	int in, out;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
		mnt_must(mkdir(path, 0755) == 0 || errno == EEXIST, path);
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, links[i][1]);
		mnt_must(symlink(links[i][0], path) == 0 || errno == EEXIST, path);
	}
	in = open(self, O_RDONLY);
	snprintf(path, sizeof(path), "%s/prog", root);
	unlink(path);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	mnt_must(in >= 0 && out >= 0, "copy the program into the root");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		mnt_must(write(out, buf, (size_t)n) == n, "copy the program");
	close(in);
	close(out);
}

/* main() of a program of this kind: inner() runs as pid 1 of the new namespaces, with root as its root. */
static int mnt_root_main(int argc, char **argv, const char *root, void (*inner)(void))
{
	char path[4200], self[4096];
	int p[2], st, fd;
	ssize_t n;
	pid_t pid;
	char c;

	if (argc > 2 && !strcmp(argv[2], "inner")) {
		struct sigaction sa = {.sa_handler = feat_on_usr1};

		feat_copy(feat_dir, sizeof(feat_dir), argv[1]);
		setvbuf(stdout, NULL, _IONBF, 0);
		sigaction(SIGUSR1, &sa, NULL);
		inner();
	}
	feat_init(argc, argv);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	mnt_must(n > 0, "readlink /proc/self/exe");
	self[n] = 0;
	mnt_make_root(root, self);
	mnt_must(pipe(p) == 0, "pipe");
	mnt_must(unshare(CLONE_NEWNS | CLONE_NEWPID) == 0, "unshare(CLONE_NEWNS | CLONE_NEWPID)");
	pid = fork();
	mnt_must(pid >= 0, "fork into the new namespaces");
	if (pid == 0) {
		close(p[1]);
		mnt_must(read(p[0], &c, 1) >= 0, "read the go-ahead");
		mnt_must(setsid() >= 0, "setsid");
		mnt_must(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "make / private");
		mnt_must(mount(root, root, NULL, MS_BIND, NULL) == 0, "bind the root onto itself");
		mnt_must(chdir(root) == 0, "enter the root");
		mnt_must(mount("/usr", "usr", NULL, MS_BIND, NULL) == 0, "bind /usr");
		mnt_must(mount(feat_dir, "work", NULL, MS_BIND, NULL) == 0, "bind DIR");
		mnt_must(mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0,
			 "mount proc");
		mnt_must(syscall(SYS_pivot_root, ".", ".") == 0, "pivot_root");
		mnt_must(umount2(".", MNT_DETACH) == 0 && chdir("/") == 0, "detach the old root");
		/* stdio on /work/out.log, no stdin: the old root's files are gone */
		close(STDIN_FILENO);
		/* and nothing the runner's shell left open (of the host's /dev, not in ROOT) */
		mnt_must(syscall(SYS_close_range, 3, ~0U, 0) == 0, "close_range");
		fd = open("/work/out.log", O_WRONLY | O_APPEND);
		mnt_must(fd >= 0, "reopen out.log");
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
		execl("/prog", "/prog", "/work", "inner", (char *)NULL);
		feat_die("exec /prog");
	}
	snprintf(path, sizeof(path), "%s/pid", feat_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	mnt_must(fd >= 0 && dprintf(fd, "%d\n", pid) > 0, "write pid");
	close(fd);
	close(p[0]);
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	_exit(0);
}

#endif
