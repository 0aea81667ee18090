/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hung-up pty slaves:
 *   pty A: two slave descriptions (one O_NONBLOCK), the session's controlling
 *          terminal, then its master closed: both are hung up (and their
 *          /dev/pts entry gone);
 *   pty B: its master kept; a slave description hung up by vhangup() while
 *          it was the controlling terminal, and a second description opened
 *          after that, which works.
 * After restore the hung-up ones read end of file, fail writes and ioctls
 * with EIO, keep their flags; pty B's live slave still talks to its master.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "feature.h"

static void check_hung_up(const char *what, int fd, int want_nonblock)
{
	char b;
	int v;
	ssize_t n = read(fd, &b, 1);

	FEAT_CHECK(n == 0, "%s: read gave %zd (%s), expected end of file", what, n, n < 0 ? strerror(errno) : "");
	FEAT_CHECK(write(fd, "x", 1) < 0 && errno == EIO, "%s: write did not fail with EIO", what);
	FEAT_CHECK(ioctl(fd, TIOCGEXCL, &v) < 0 && errno == EIO, "%s: ioctl did not fail with EIO", what);
	FEAT_CHECK(!!(fcntl(fd, F_GETFL) & O_NONBLOCK) == want_nonblock, "%s: O_NONBLOCK %d, expected %d", what,
		   !!(fcntl(fd, F_GETFL) & O_NONBLOCK), want_nonblock);
}

int main(int argc, char **argv)
{
	struct pollfd p;
	char buf[16] = "";
	int ma, sa1, sa2, mb, sb_dead, sb_live, v;
	ssize_t n;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("vhangup needs CAP_SYS_TTY_CONFIG");
	signal(SIGHUP, SIG_IGN);
	ma = posix_openpt(O_RDWR | O_NOCTTY);
	if (ma < 0 || grantpt(ma) || unlockpt(ma))
		feat_die("open pty A");
	sa1 = open(ptsname(ma), O_RDWR | O_NOCTTY);
	sa2 = open(ptsname(ma), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (sa1 < 0 || sa2 < 0 || ioctl(sa1, TIOCSCTTY, 0))
		feat_die("pty A's slaves and controlling terminal");
	close(ma);
	if (!(ioctl(sa1, TIOCGEXCL, &v) < 0 && errno == EIO))
		feat_die("pty A's slave did not hang up");

	mb = posix_openpt(O_RDWR | O_NOCTTY);
	if (mb < 0 || grantpt(mb) || unlockpt(mb))
		feat_die("open pty B");
	sb_dead = open(ptsname(mb), O_RDWR | O_NOCTTY);
	if (sb_dead < 0 || ioctl(sb_dead, TIOCSCTTY, 0) || vhangup())
		feat_die("pty B: controlling terminal, vhangup");
	sb_live = open(ptsname(mb), O_RDWR | O_NOCTTY);
	if (sb_live < 0 || ioctl(sb_live, TIOCGEXCL, &v) < 0)
		feat_die("pty B: a live slave after vhangup");
	if (!(ioctl(sb_dead, TIOCGEXCL, &v) < 0 && errno == EIO))
		feat_die("pty B's first slave did not hang up");

	feat_ready();
	feat_wait_go();

	check_hung_up("pty A slave 1", sa1, 0);
	check_hung_up("pty A slave 2", sa2, 1);
	check_hung_up("pty B first slave", sb_dead, 0);
	FEAT_CHECK(write(mb, "ping\n", 5) == 5, "pty B: write to the master: %s", strerror(errno));
	p.fd = sb_live;
	p.events = POLLIN;
	n = poll(&p, 1, 2000) == 1 ? read(sb_live, buf, sizeof(buf) - 1) : -1;
	FEAT_CHECK(n == 5 && !memcmp(buf, "ping\n", 5), "pty B's live slave read %zd byte(s) '%.*s'", n,
		   n > 0 ? (int)n : 0, buf);
	return feat_done();
}
