/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A shared fd table (clone(CLONE_FILES)). The root R clones S sharing its
 * table and N with a copy of it; S clones G into the same table. After the
 * clones R opens fds 100-102 and N one of its own at 50. After restore: S
 * and G see R's fds and N does not; kcmp KCMP_FILES says R, S and G use one
 * table and N another; a close and a dup2 in S are seen by R, a close in R
 * by G, and none of it by N.
 */
#include <linux/kcmp.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "feature.h"

#define FD_DATA 100 /* the file R opens after the clones */
#define FD_DUP	101 /* a dup of it: S closes it */
#define FD_NULL 102 /* /dev/null: S dup2s FD_DATA over it */
#define FD_OWN	50  /* N's own */
#define TEXT	"shared table"

enum who { W_S, W_G, W_N, W_COUNT };

/* Shared memory: the steps R gives, and what each child found. */
struct board {
	_Atomic int step;
	_Atomic int done[W_COUNT]; /* the last step each child finished */
	char diffs[W_COUNT][2048];
};

static struct board *b;
static const char *const names[W_COUNT] = {"S", "G", "N"};

/* Before the dump it waits as long as it takes; after restore, 10 s at most. */
static void wait_until(_Atomic int *v, int want)
{
	long long t0 = feat_now_ms();

	while (atomic_load(v) < want) {
		if (atomic_load(&b->step) && feat_now_ms() - t0 > 10000) {
			feat_fail("pid %d: waited 10 s for step %d", getpid(), want);
			return;
		}
		feat_sleep_ms(2);
	}
}

static int same_table(pid_t a, pid_t c)
{
	return syscall(SYS_kcmp, a, c, KCMP_FILES, 0, 0) == 0;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static pid_t clone_files(int share)
{
	return (pid_t)syscall(SYS_clone, (share ? CLONE_FILES : 0) | SIGCHLD, NULL, NULL, NULL, 0);
}

/* A child's end: its differences to the board, then exit. */
static _Noreturn void child_done(enum who w)
{
	feat_copy(b->diffs[w], sizeof(b->diffs[w]), feat_diffs);
	_exit(0);
}

static void check_sees_data(const char *who)
{
	char buf[sizeof(TEXT)] = "";

	FEAT_CHECK(fd_open(FD_DATA), "%s: fd %d (opened by R after the clone) is missing", who, FD_DATA);
	FEAT_CHECK(pread(FD_DATA, buf, strlen(TEXT), 0) == (ssize_t)strlen(TEXT) && !strcmp(buf, TEXT),
		   "%s: fd %d reads '%s'", who, FD_DATA, buf);
	FEAT_CHECK(!fd_open(FD_OWN), "%s: sees N's fd %d", who, FD_OWN);
}

/* G: in S's (and so R's) table. */
static _Noreturn void run_g(void)
{
	atomic_store(&b->done[W_G], 0);
	wait_until(&b->step, 1);
	check_sees_data("G");
	FEAT_CHECK(same_table(getpid(), getppid()), "G: kcmp says its table is not S's");
	atomic_store(&b->done[W_G], 1);
	wait_until(&b->step, 3); /* R closed FD_DATA */
	FEAT_CHECK(!fd_open(FD_DATA), "G: fd %d is still open after R closed it", FD_DATA);
	FEAT_CHECK(fd_open(FD_NULL), "G: fd %d (S's dup2) is missing", FD_NULL);
	atomic_store(&b->done[W_G], 3);
	child_done(W_G);
}

static _Noreturn void run_s(void)
{
	pid_t g = clone_files(1);
	int st = 0;

	if (g < 0)
		_exit(3);
	if (g == 0)
		run_g();
	atomic_store(&b->done[W_S], 0);
	wait_until(&b->step, 1);
	check_sees_data("S");
	atomic_store(&b->done[W_S], 1);
	wait_until(&b->step, 2);
	FEAT_CHECK(close(FD_DUP) == 0, "S: close(%d): %s", FD_DUP, strerror(errno));
	FEAT_CHECK(dup2(FD_DATA, FD_NULL) == FD_NULL, "S: dup2(%d, %d): %s", FD_DATA, FD_NULL,
		   strerror(errno));
	atomic_store(&b->done[W_S], 2);
	if (waitpid(g, &st, 0) != g || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("S: G ended with status %#x", st);
	child_done(W_S);
}

static _Noreturn void run_n(void)
{
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0 || dup2(fd, FD_OWN) != FD_OWN)
		_exit(3);
	close(fd);
	atomic_store(&b->done[W_N], 0);
	wait_until(&b->step, 1);
	FEAT_CHECK(!fd_open(FD_DATA), "N: sees fd %d, opened by R after N was cloned without CLONE_FILES",
		   FD_DATA);
	FEAT_CHECK(fd_open(FD_OWN), "N: its own fd %d is missing", FD_OWN);
	FEAT_CHECK(!same_table(getpid(), getppid()), "N: kcmp says it shares R's table");
	atomic_store(&b->done[W_N], 1);
	wait_until(&b->step, 3);
	FEAT_CHECK(fd_open(FD_OWN), "N: its own fd %d went with the others' changes", FD_OWN);
	FEAT_CHECK(!fd_open(FD_NULL), "N: sees fd %d", FD_NULL);
	atomic_store(&b->done[W_N], 3);
	child_done(W_N);
}

/* R's own view: its table is S's and G's, N's fd is not in it. */
static void check_root(pid_t s, pid_t n)
{
	FEAT_CHECK(same_table(getpid(), s), "R: kcmp says S (%d) does not share its fd table", s);
	FEAT_CHECK(!same_table(getpid(), n), "R: kcmp says N (%d) shares its fd table", n);
	FEAT_CHECK(!fd_open(FD_OWN), "R: sees N's fd %d", FD_OWN);
	FEAT_CHECK(fd_open(FD_DATA) && fd_open(FD_DUP) && fd_open(FD_NULL),
		   "R: its fds %d-%d are not all there", FD_DATA, FD_NULL);
}

static void open_after_clones(const char *dir)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/fdt_shared.data", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, TEXT, strlen(TEXT)) != (ssize_t)strlen(TEXT))
		feat_die("open the data file");
	if (dup2(fd, FD_DATA) != FD_DATA || dup2(fd, FD_DUP) != FD_DUP)
		feat_die("dup2");
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0 || dup2(fd, FD_NULL) != FD_NULL)
		feat_die("open /dev/null");
	close(fd);
}

static void reap(pid_t pid, const char *who)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("%s ended with status %#x", who, st);
}

int main(int argc, char **argv)
{
	pid_t s, n;

	feat_init(argc, argv);
	b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		feat_die("mmap");
	for (int w = 0; w < W_COUNT; w++)
		atomic_store(&b->done[w], -1);
	s = clone_files(1);
	if (s == 0)
		run_s();
	n = clone_files(0);
	if (n == 0)
		run_n();
	if (s < 0 || n < 0)
		feat_die("clone");
	for (int w = 0; w < W_COUNT; w++)
		wait_until(&b->done[w], 0);
	open_after_clones(feat_dir);

	feat_ready();
	feat_wait_go();

	check_root(s, n);
	atomic_store(&b->step, 1);
	for (int w = 0; w < W_COUNT; w++)
		wait_until(&b->done[w], 1);
	atomic_store(&b->step, 2);
	wait_until(&b->done[W_S], 2);
	FEAT_CHECK(!fd_open(FD_DUP), "R: fd %d is still open after S closed it", FD_DUP);
	FEAT_CHECK(syscall(SYS_kcmp, getpid(), getpid(), KCMP_FILE, FD_DATA, FD_NULL) == 0,
		   "R: fd %d is not fd %d's file after S's dup2", FD_NULL, FD_DATA);
	close(FD_DATA);
	atomic_store(&b->step, 3);
	reap(s, "S");
	reap(n, "N");
	for (int w = 0; w < W_COUNT; w++)
		if (b->diffs[w][0])
			feat_fail("%s: %s", names[w], b->diffs[w]);
	return feat_done();
}
