/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A pty with bytes queued and not read yet: a line written on the master
 * waits in the slave's input queue, and its echo waits for the master. They
 * cannot be taken for the images without taking them from the tree, so the
 * dump is refused by name; after the refusal both are still there: the slave
 * reads the line, the master reads the echo.
 */
// criu-expect: dump-refused pty [0-9]+: [0-9]+ byte\(s\) written by the (master|slave) side .*not read yet
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "feature.h"

static ssize_t read_within(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 2000) != 1)
		return -1;
	return read(fd, buf, len);
}

int main(int argc, char **argv)
{
	char buf[64] = "";
	int m, s, in_q = 0, out_q = 0;
	ssize_t n;

	feat_init(argc, argv);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		feat_die("open a pty");
	s = open(ptsname(m), O_RDWR | O_NOCTTY);
	if (s < 0)
		feat_die("open its slave");
	if (write(m, "queued\n", 7) != 7)
		feat_die("write to the master");
	feat_sleep_ms(50);
	ioctl(s, FIONREAD, &in_q);
	ioctl(m, FIONREAD, &out_q);
	if (in_q != 7 || out_q <= 0)
		feat_die("the line is not queued both ways");

	feat_ready();
	feat_wait_go();

	n = read_within(s, buf, sizeof(buf) - 1);
	FEAT_CHECK(n == 7 && !memcmp(buf, "queued\n", 7), "the slave reads %zd byte(s) '%.*s', expected the line",
		   n, n > 0 ? (int)n : 0, buf);
	n = read_within(m, buf, sizeof(buf) - 1);
	FEAT_CHECK(n == out_q, "the master reads %zd byte(s) of echo, %d were queued", n, out_q);
	return feat_done();
}
