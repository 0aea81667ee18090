/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pseudo-terminals inside the tree:
 *   pty 1: the root holds the master and a slave description of its own
 *          (O_NONBLOCK, exclusive); a child leads a session whose
 *          controlling terminal it is, and a grandchild in another process
 *          group is its foreground group and an echo server on its stdio;
 *          termios (no echo, no output processing, B9600, a changed VKILL)
 *          and window size 33x101 (7x9 pixels) are set;
 *   pty 2: only a master, still locked (never unlocked), in packet mode.
 * After restore: the indexes (/dev/pts/N), termios, window size, packet and
 * lock state, the session's controlling terminal and foreground group, and
 * data both ways through pty 1.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

#include "feature.h"

static const char *volatile stage = "start";

/* A hang names the step it happened in, instead of leaving no verdict. */
static void on_alarm(int sig)
{
	(void)sig;
	feat_fail("stuck at: %s", stage);
	feat_done();
	_exit(1);
}

/* Reads from the master until a newline or 5 s pass. */
static ssize_t read_line(int m, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len - 1) {
		struct pollfd p = { .fd = m, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			break;
		n = read(m, buf + got, len - 1 - got);
		if (n <= 0)
			break;
		got += n;
		if (memchr(buf, '\n', got))
			break;
	}
	buf[got] = '\0';
	return got;
}

/* The echo server: answers "ping" with what its terminal says. */
static _Noreturn void grandchild(void)
{
	char line[256];

	for (;;) {
		ssize_t n = read(0, line, sizeof(line) - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(1);
		line[n] = '\0';
		if (!strncmp(line, "quit", 4))
			_exit(0);
		dprintf(1, "pong sid=%d fg=%d pgrp=%d\n", (int)tcgetsid(0), (int)tcgetpgrp(0), (int)getpgrp());
	}
}

int main(int argc, char **argv)
{
	char name1[64], name2[64], buf[512];
	int m1, m2, s1, v, st, sync[2];
	struct termios t;
	struct winsize ws = { .ws_row = 33, .ws_col = 101, .ws_xpixel = 7, .ws_ypixel = 9 };
	pid_t child, gc = 0;
	struct stat sst;

	feat_init(argc, argv);
	m1 = posix_openpt(O_RDWR | O_NOCTTY);
	m2 = posix_openpt(O_RDWR | O_NOCTTY);
	if (m1 < 0 || m2 < 0 || grantpt(m1) || unlockpt(m1))
		feat_die("posix_openpt");
	snprintf(name1, sizeof(name1), "%s", ptsname(m1));
	snprintf(name2, sizeof(name2), "%s", ptsname(m2));
	if (tcgetattr(m1, &t))
		feat_die("tcgetattr");
	t.c_lflag = ICANON | ISIG;
	t.c_oflag = 0;
	t.c_iflag = ICRNL;
	t.c_cc[VKILL] = 0x0b;
	cfsetispeed(&t, B9600);
	cfsetospeed(&t, B9600);
	if (tcsetattr(m1, TCSANOW, &t) || ioctl(m1, TIOCSWINSZ, &ws))
		feat_die("tcsetattr");
	v = 1;
	if (ioctl(m2, TIOCPKT, &v))
		feat_die("TIOCPKT");
	if (pipe(sync))
		feat_die("pipe");

	child = fork();
	if (child < 0)
		feat_die("fork");
	if (child == 0) {
		int s;

		close(sync[0]);
		close(m1);
		close(m2);
		if (setsid() < 0)
			_exit(2);
		s = open(name1, O_RDWR); /* a session leader: it becomes the controlling terminal */
		if (s < 0)
			_exit(3);
		dup2(s, 0), dup2(s, 1), dup2(s, 2);
		close(s);
		gc = fork();
		if (gc == 0) {
			setpgid(0, 0);
			close(sync[1]);
			grandchild();
		}
		setpgid(gc, gc);
		if (tcsetpgrp(0, gc) < 0)
			_exit(4);
		if (write(sync[1], &gc, sizeof(gc)) != sizeof(gc))
			_exit(5);
		close(sync[1]);
		while (waitpid(gc, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 6);
	}
	close(sync[1]);
	if (read(sync[0], &gc, sizeof(gc)) != sizeof(gc))
		feat_die("child setup");
	close(sync[0]);
	s1 = open(name1, O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (s1 < 0 || ioctl(s1, TIOCEXCL) || fstat(s1, &sst))
		feat_die("open the slave");

	feat_ready();
	feat_wait_go();
	signal(SIGALRM, on_alarm);
	alarm(25);

	/* pty 1 */
	stage = "pty 1 state";
	FEAT_CHECK(ptsname(m1) && !strcmp(ptsname(m1), name1), "pty 1 is %s, was %s", ptsname(m1) ?: "?", name1);
	FEAT_CHECK(ttyname(s1) && !strcmp(ttyname(s1), name1), "the root's slave is %s, expected %s",
		   ttyname(s1) ?: "?", name1);
	FEAT_CHECK(fcntl(s1, F_GETFL) & O_NONBLOCK, "the root's slave lost O_NONBLOCK");
	FEAT_CHECK(ioctl(s1, TIOCGEXCL, &v) == 0 && v == 1, "the slave is no longer exclusive (%d)", v);
	memset(&t, 0, sizeof(t));
	if (tcgetattr(m1, &t))
		feat_fail("tcgetattr: %s", strerror(errno));
	FEAT_CHECK(t.c_lflag == (ICANON | ISIG) && t.c_oflag == 0 && t.c_iflag == ICRNL,
		   "termios flags i%#x o%#x l%#x", t.c_iflag, t.c_oflag, t.c_lflag);
	FEAT_CHECK(t.c_cc[VKILL] == 0x0b, "VKILL is %#x", t.c_cc[VKILL]);
	FEAT_CHECK(cfgetispeed(&t) == B9600 && cfgetospeed(&t) == B9600, "speeds %u/%u", cfgetispeed(&t),
		   cfgetospeed(&t));
	memset(&ws, 0, sizeof(ws));
	FEAT_CHECK(ioctl(m1, TIOCGWINSZ, &ws) == 0 && ws.ws_row == 33 && ws.ws_col == 101 && ws.ws_xpixel == 7 &&
			   ws.ws_ypixel == 9,
		   "window size %ux%u (%ux%u)", ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel);
	FEAT_CHECK(ioctl(m1, TIOCGPKT, &v) == 0 && v == 0, "pty 1 packet mode %d", v);
	FEAT_CHECK(ioctl(m1, TIOCGPTLCK, &v) == 0 && v == 0, "pty 1 lock %d", v);
	/* the session's controlling terminal, seen from outside */
	{
		char f[64];

		if (feat_proc_stat(child, 7, f, sizeof(f)) || (dev_t)atoi(f) != makedev(major(sst.st_rdev), minor(sst.st_rdev)))
			feat_fail("the session leader's tty_nr is %s, expected %u:%u", f, major(sst.st_rdev),
				  minor(sst.st_rdev));
		if (feat_proc_stat(child, 8, f, sizeof(f)) || atoi(f) != gc)
			feat_fail("the foreground group is %s, expected %d", f, gc);
	}
	/* data: slave -> master, then master -> grandchild -> master */
	stage = "data through pty 1";
	FEAT_CHECK(write(s1, "xy\n", 3) == 3, "write on the slave: %s", strerror(errno));
	read_line(m1, buf, sizeof(buf));
	FEAT_CHECK(!strcmp(buf, "xy\n"), "the master read '%s', expected 'xy'", buf);
	FEAT_CHECK(write(m1, "ping\n", 5) == 5, "write on the master: %s", strerror(errno));
	read_line(m1, buf, sizeof(buf));
	{
		char want[128];

		snprintf(want, sizeof(want), "pong sid=%d fg=%d pgrp=%d\n", child, gc, gc);
		FEAT_CHECK(!strcmp(buf, want), "the grandchild answered '%s', expected '%s'", buf, want);
	}
	/* pty 2 */
	stage = "pty 2 state";
	FEAT_CHECK(ptsname(m2) && !strcmp(ptsname(m2), name2), "pty 2 is %s, was %s", ptsname(m2) ?: "?", name2);
	FEAT_CHECK(ioctl(m2, TIOCGPKT, &v) == 0 && v == 1, "pty 2 packet mode %d", v);
	FEAT_CHECK(ioctl(m2, TIOCGPTLCK, &v) == 0 && v == 1, "pty 2 lock %d", v);

	stage = "the grandchild's exit";
	if (write(m1, "quit\n", 5) != 5)
		feat_fail("write quit: %s", strerror(errno));
	if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
		feat_fail("child status %#x", st);
	return feat_done();
}
