/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * /dev/tty: the program leads its session (the runner starts it with
 * setsid), opens a pty whose slave becomes its controlling terminal, and
 * opens /dev/tty (one description O_NONBLOCK); a child forked after it opens
 * /dev/tty itself too. After restore each /dev/tty fd is /dev/tty (5:0),
 * refers to the pty (TIOCGDEV is the slave's device), keeps its flags, reads
 * a line written on the master, and the pty is still the session's
 * controlling terminal.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "feature.h"

static int m;
static dev_t slave_dev;

static void check_dev_tty(const char *who, int fd, int want_nonblock)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	unsigned int dev = 0;
	char buf[32] = "";
	struct stat st;
	ssize_t n;

	FEAT_CHECK(!fstat(fd, &st) && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 0), "%s: fd %d is not /dev/tty",
		   who, fd);
	FEAT_CHECK(!ioctl(fd, TIOCGDEV, &dev) && makedev(major(dev), minor(dev)) == slave_dev,
		   "%s: /dev/tty is terminal %u:%u, expected the pty %u:%u", who, major(dev), minor(dev),
		   major(slave_dev), minor(slave_dev));
	FEAT_CHECK(!!(fcntl(fd, F_GETFL) & O_NONBLOCK) == want_nonblock, "%s: O_NONBLOCK is not %d", who,
		   want_nonblock);
	FEAT_CHECK(tcgetsid(fd) == getsid(0), "%s: the terminal's session is %d, not ours (%d)", who, tcgetsid(fd),
		   getsid(0));
	if (write(m, "line\n", 5) != 5)
		feat_fail("%s: write to the master: %s", who, strerror(errno));
	n = poll(&p, 1, 2000) == 1 ? read(fd, buf, sizeof(buf) - 1) : -1;
	FEAT_CHECK(n == 5 && !memcmp(buf, "line\n", 5), "%s: /dev/tty read %zd byte(s) '%.*s'", who, n,
		   n > 0 ? (int)n : 0, buf);
}

static void child(int go_fd)
{
	int own = open("/dev/tty", O_RDWR);

	if (own < 0)
		feat_fail("child: open /dev/tty: %s", strerror(errno));
	feat_child_wait_go(go_fd);
	if (own >= 0)
		check_dev_tty("child's own", own, 0);
}

int main(int argc, char **argv)
{
	struct feat_child c;
	struct termios t;
	struct stat st;
	int s, tty, tty_nb;

	feat_init(argc, argv);
	if (getsid(0) != getpid())
		feat_die("not a session leader");
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		feat_die("open a pty");
	s = open(ptsname(m), O_RDWR); /* no O_NOCTTY: our controlling terminal */
	if (s < 0 || fstat(s, &st))
		feat_die("open its slave");
	slave_dev = st.st_rdev;
	if (tcgetattr(s, &t))
		feat_die("tcgetattr");
	t.c_lflag &= ~(tcflag_t)ECHO; /* nothing waits for the master */
	if (tcsetattr(s, TCSANOW, &t))
		feat_die("tcsetattr");
	tty = open("/dev/tty", O_RDWR);
	tty_nb = open("/dev/tty", O_RDWR | O_NONBLOCK);
	if (tty < 0 || tty_nb < 0)
		feat_die("open /dev/tty");
	feat_child_start(&c, child);
	feat_sleep_ms(200);

	feat_ready();
	feat_wait_go();

	check_dev_tty("root", tty, 0);
	check_dev_tty("root O_NONBLOCK", tty_nb, 1);
	feat_child_check(&c);
	return feat_done();
}
