/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Files of /proc held open, which exist only once the tasks they name do:
 *   the parent holds /proc/CHILD/cmdline (read 3 bytes in) and the directory
 *   /proc/CHILD; the child (forked after the parent opened nothing of it)
 *   holds /proc/PARENT/stat and /proc/sys/kernel/ostype (read 2 bytes in),
 *   the latter close-on-exec;
 * and an O_TMPFILE file (never linked) with content, whose status flags
 * carry O_TMPFILE's bits.
 * After restore each fd reads what it names, at its position, with its flags.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include "feature.h"

static void check_reads(int fd, off_t pos, const char *want, size_t n, const char *what)
{
	char buf[256] = "";
	off_t at = lseek(fd, 0, SEEK_CUR);
	ssize_t got = pread(fd, buf, sizeof(buf) - 1, 0);

	FEAT_CHECK(at == pos, "%s: position %lld, expected %lld", what, (long long)at, (long long)pos);
	FEAT_CHECK(got >= (ssize_t)n && !memcmp(buf, want, n), "%s: reads '%.40s', expected '%.*s'", what,
		   buf, (int)n, want);
}

int main(int argc, char **argv)
{
	char path[128], want[64], buf[8];
	int rep[2], go[2], cmd, dir, tmp, tflags;
	pid_t parent = getpid(), c;
	struct stat st;

	feat_init(argc, argv);
	if (pipe(rep) || pipe(go))
		feat_die("pipe");
	c = fork();
	if (c < 0)
		feat_die("fork");
	if (c == 0) {
		int stat_fd, os;

		close(rep[0]);
		close(go[1]);
		snprintf(path, sizeof(path), "/proc/%d/stat", parent);
		stat_fd = open(path, O_RDONLY);
		os = open("/proc/sys/kernel/ostype", O_RDONLY | O_CLOEXEC);
		if (stat_fd < 0 || os < 0 || read(os, buf, 2) != 2 || write(rep[1], "r", 1) != 1)
			_exit(3);
		if (read(go[0], buf, 1) != 1)
			_exit(4);
		snprintf(want, sizeof(want), "%d (", parent);
		check_reads(stat_fd, 0, want, strlen(want), "child: /proc/PARENT/stat");
		check_reads(os, 2, "Linux", 5, "child: /proc/sys/kernel/ostype");
		FEAT_CHECK(fcntl(os, F_GETFD) == FD_CLOEXEC, "child: ostype fd lost FD_CLOEXEC");
		FEAT_CHECK(fcntl(stat_fd, F_GETFD) == 0, "child: stat fd became close-on-exec");
		feat_report(rep[1], "child");
		_exit(0);
	}
	close(rep[1]);
	close(go[0]);
	if (read(rep[0], buf, 1) != 1)
		feat_die("child setup");
	snprintf(path, sizeof(path), "/proc/%d/cmdline", c);
	cmd = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d", c);
	dir = open(path, O_RDONLY | O_DIRECTORY);
	tmp = open(argv[1], O_TMPFILE | O_RDWR, 0600);
	if (cmd < 0 || dir < 0 || tmp < 0 || read(cmd, buf, 3) != 3 || write(tmp, "tmpfile-data", 12) != 12)
		feat_die("open");
	tflags = fcntl(tmp, F_GETFL);

	feat_ready();
	feat_wait_go();

	check_reads(cmd, 3, argv[0], strlen(argv[0]), "/proc/CHILD/cmdline");
	snprintf(path, sizeof(path), "/proc/%d", c);
	{
		struct stat want_st;

		FEAT_CHECK(fstat(dir, &st) == 0 && stat(path, &want_st) == 0 && st.st_ino == want_st.st_ino &&
				   st.st_dev == want_st.st_dev,
			   "the fd of %s is not that directory", path);
		FEAT_CHECK(faccessat(dir, "cmdline", R_OK, 0) == 0, "%s/cmdline not reachable through the fd",
			   path);
	}
	check_reads(tmp, 12, "tmpfile-data", 12, "O_TMPFILE file");
	FEAT_CHECK(fstat(tmp, &st) == 0 && st.st_nlink == 0 && S_ISREG(st.st_mode),
		   "O_TMPFILE file: %lu links, mode %o", (unsigned long)st.st_nlink, st.st_mode);
	FEAT_CHECK((fcntl(tmp, F_GETFL) & O_ACCMODE) == (tflags & O_ACCMODE),
		   "O_TMPFILE file: flags %#x, were %#x", fcntl(tmp, F_GETFL), tflags);
	if (write(go[1], "g", 1) != 1)
		feat_fail("cannot wake the child");
	feat_collect(rep[0]);
	waitpid(c, NULL, 0);
	return feat_done();
}
