/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Leases being broken at dump time (someone opened the file in a conflicting
 * mode; the holder got its signal, SIGRTMIN+1 with F_SETSIG): a read lease on
 * DIR/r broken by a write open (going to nothing), a write lease on DIR/w
 * broken by a read open (going to a read lease). After restore: F_GETLEASE
 * says what each goes to, no second signal comes, and once the holder lets
 * go the breaker's kind of open succeeds.
 */
// criu-opts: --file-locks
#include <signal.h>

#include "feature.h"

static volatile sig_atomic_t signals;

static void on_break(int sig)
{
	(void)sig;
	signals++;
}

static int leased(const char *dir, const char *name, int mode, int lease, int breaker, char *path,
		  size_t size)
{
	int fd, b;

	snprintf(path, size, "%s/%s", dir, name);
	fd = open(path, mode | O_CREAT, 0644);
	if (fd < 0 || fcntl(fd, F_SETLEASE, lease) || fcntl(fd, F_SETSIG, SIGRTMIN + 1))
		feat_die("lease");
	b = open(path, breaker | O_NONBLOCK);
	if (b >= 0 || errno != EWOULDBLOCK)
		feat_die("break");
	return fd;
}

int main(int argc, char **argv)
{
	char rpath[4200], wpath[4200];
	int r, w, before, fd;

	feat_init(argc, argv);
	signal(SIGRTMIN + 1, on_break);
	r = leased(argv[1], "r", O_RDONLY, F_RDLCK, O_WRONLY, rpath, sizeof(rpath));
	w = leased(argv[1], "w", O_WRONLY, F_WRLCK, O_RDONLY, wpath, sizeof(wpath));
	while (signals < 2)
		usleep(1000);
	before = signals;

	feat_ready();
	feat_wait_go();

	usleep(200000);
	FEAT_CHECK(signals == before, "%d more break signal(s) after restore", signals - before);
	FEAT_CHECK(fcntl(r, F_GETLEASE) == F_UNLCK, "%s: F_GETLEASE %d, expected F_UNLCK (being broken)",
		   rpath, fcntl(r, F_GETLEASE));
	FEAT_CHECK(fcntl(w, F_GETLEASE) == F_RDLCK, "%s: F_GETLEASE %d, expected F_RDLCK (being broken)",
		   wpath, fcntl(w, F_GETLEASE));
	fd = open(rpath, O_WRONLY | O_NONBLOCK);
	FEAT_CHECK(fd < 0 && errno == EWOULDBLOCK, "%s: a write open went through the lease", rpath);
	FEAT_CHECK(fcntl(r, F_SETLEASE, F_UNLCK) == 0 && fcntl(w, F_SETLEASE, F_UNLCK) == 0,
		   "cannot let go: %s", strerror(errno));
	fd = open(rpath, O_WRONLY | O_NONBLOCK);
	FEAT_CHECK(fd >= 0, "%s: no write open after the lease went: %s", rpath, strerror(errno));
	return feat_done();
}
