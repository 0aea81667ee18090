/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * File locks (--file-locks):
 *   f1: flock shared;  f2: flock exclusive;
 *   f3: POSIX write lock on [10, 20) and read lock from 100 to EOF;
 *   f4: OFD write lock on [5, 15) and OFD read lock on [50, 55);
 *   f5: one description shared by the root and a child: the child holds a
 *       POSIX write lock on [0, 10), the root one on [20, 30).
 * After restore a fresh process (another lock owner, its own descriptions)
 * asks the kernel with F_GETLK, F_OFD_GETLK and flock what is held, by whom.
 */
// criu-opts: --file-locks
#include <sys/file.h>
#include <sys/wait.h>

#include "feature.h"

static char path[5][4200];

/* The lock that would block a `type` lock on [start, start+len) (F_UNLCK if none). */
static struct flock probe(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, cmd, &fl) < 0) {
		feat_fail("fcntl(%d) probe at %lld: %s", cmd, (long long)start, strerror(errno));
		fl.l_type = -1;
	}
	return fl;
}

static void expect(const char *what, struct flock fl, short type, off_t start, off_t len, pid_t pid)
{
	if (fl.l_type != type || (type != F_UNLCK && (fl.l_start != start || fl.l_len != len || fl.l_pid != pid)))
		feat_fail("%s: got type %d [%lld +%lld] pid %d, expected type %d [%lld +%lld] pid %d", what, fl.l_type,
			  (long long)fl.l_start, (long long)fl.l_len, fl.l_pid, type, (long long)start, (long long)len,
			  pid);
}

/* Runs in a fresh child after restore; reports through fd rep. */
static void check_from_outside(int rep, pid_t root, pid_t child)
{
	int f[5];

	for (int i = 0; i < 5; i++) {
		f[i] = open(path[i], O_RDWR);
		if (f[i] < 0)
			feat_fail("open %s: %s", path[i], strerror(errno));
	}
	/* flock: shared on f1, exclusive on f2 */
	FEAT_CHECK(flock(f[0], LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK, "f1: an exclusive flock was granted");
	FEAT_CHECK(flock(f[0], LOCK_SH | LOCK_NB) == 0, "f1: a shared flock was refused: %s", strerror(errno));
	flock(f[0], LOCK_UN);
	FEAT_CHECK(flock(f[1], LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK, "f2: a shared flock was granted");
	/* POSIX on f3, owned by the root */
	expect("f3 write probe at 10", probe(f[2], F_GETLK, F_WRLCK, 10, 1), F_WRLCK, 10, 10, root);
	expect("f3 read probe at 19", probe(f[2], F_GETLK, F_RDLCK, 19, 1), F_WRLCK, 10, 10, root);
	expect("f3 write probe at 20..99", probe(f[2], F_GETLK, F_WRLCK, 20, 80), F_UNLCK, 0, 0, 0);
	expect("f3 write probe at 1000", probe(f[2], F_GETLK, F_WRLCK, 1000, 1), F_RDLCK, 100, 0, root);
	expect("f3 read probe at 1000", probe(f[2], F_GETLK, F_RDLCK, 1000, 1), F_UNLCK, 0, 0, 0);
	/* OFD on f4: from another description */
	expect("f4 OFD read probe at 14", probe(f[3], F_OFD_GETLK, F_RDLCK, 14, 1), F_WRLCK, 5, 10, -1);
	expect("f4 OFD write probe at 52", probe(f[3], F_OFD_GETLK, F_WRLCK, 52, 1), F_RDLCK, 50, 5, -1);
	expect("f4 OFD write probe at 15..49", probe(f[3], F_OFD_GETLK, F_WRLCK, 15, 35), F_UNLCK, 0, 0, 0);
	/* POSIX on f5: the child's and the root's */
	expect("f5 probe at 0", probe(f[4], F_GETLK, F_RDLCK, 0, 1), F_WRLCK, 0, 10, child);
	expect("f5 probe at 25", probe(f[4], F_GETLK, F_RDLCK, 25, 1), F_WRLCK, 20, 10, root);
	expect("f5 probe at 10..19", probe(f[4], F_GETLK, F_WRLCK, 10, 10), F_UNLCK, 0, 0, 0);
	feat_report(rep, "checker");
}

static int lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, cmd, &fl);
}

int main(int argc, char **argv)
{
	int f[5], go[2], rep[2], ready[2], st;
	pid_t child, checker, root = getpid();

	feat_init(argc, argv);
	for (int i = 0; i < 5; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/f%d", feat_dir, i + 1);
		f[i] = open(path[i], O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (f[i] < 0 || ftruncate(f[i], 4096) < 0)
			feat_die("create files");
	}
	if (pipe(go) || pipe(rep) || pipe(ready))
		feat_die("pipe");
	child = fork();
	if (child < 0)
		feat_die("fork");
	if (child == 0) {
		char c;

		close(go[1]);
		close(ready[0]);
		close(rep[0]);
		close(rep[1]);
		if (lock(f[4], F_SETLK, F_WRLCK, 0, 10) < 0)
			_exit(3);
		if (write(ready[1], "x", 1) != 1)
			_exit(4);
		close(ready[1]);
		/* stays until the root is done checking */
		while (read(go[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(go[0]);
	close(ready[1]);
	if (flock(f[0], LOCK_SH) || flock(f[1], LOCK_EX))
		feat_die("flock");
	if (lock(f[2], F_SETLK, F_WRLCK, 10, 10) || lock(f[2], F_SETLK, F_RDLCK, 100, 0))
		feat_die("POSIX lock");
	if (lock(f[3], F_OFD_SETLK, F_WRLCK, 5, 10) || lock(f[3], F_OFD_SETLK, F_RDLCK, 50, 5))
		feat_die("OFD lock");
	if (lock(f[4], F_SETLK, F_WRLCK, 20, 10))
		feat_die("POSIX lock f5");
	/* the child's lock is in place (no probe here: a close would drop our own POSIX locks) */
	{
		char c;

		if (read(ready[0], &c, 1) != 1)
			feat_die("child lock");
		close(ready[0]);
	}

	feat_ready();
	feat_wait_go();

	checker = fork();
	if (checker == 0) {
		close(rep[0]);
		check_from_outside(rep[1], root, child);
		_exit(0);
	}
	close(rep[1]);
	feat_collect(rep[0]);
	if (waitpid(checker, &st, 0) != checker || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("checker status %#x", st);
	close(go[1]);
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child status %#x", st);
	return feat_done();
}
