/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bytes queued in ptys and not read yet:
 *   pty A (canonical, echo on): the master wrote two lines, a line ended by
 *     the EOF character, and a partial line; the slave wrote a line (output
 *     processing makes it end in CR LF); the echo waits for the master too;
 *   pty C (raw, cfmakeraw): the master wrote bytes with NUL, ^C and DEL.
 * A reference pty R gets what A got and is read before the dump: after
 * restore A must give the same, read for read (one line per read, the EOF
 * line without its EOF, the partial line only once completed), and the same
 * echo on the master; C's slave reads its bytes as written; the termios of
 * both are unchanged.
 */
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "feature.h"

struct reads {
	char buf[8][64];
	ssize_t len[8];
	int n;
};

static int open_pty(int *s)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) || unlockpt(m))
		feat_die("open a pty");
	*s = open(ptsname(m), O_RDWR | O_NOCTTY | O_NONBLOCK);
	if (*s < 0)
		feat_die("open its slave");
	return m;
}

/* The echo comes from a worker of the kernel: it has time to reach the master before the slave writes. */
static void feed(int m, int s)
{
	if (write(m, "one\ntwo\n", 8) != 8 || write(m, "four\x04", 5) != 5 || write(m, "part", 4) != 4)
		feat_die("write the master");
	feat_sleep_ms(50);
	if (write(s, "from slave\n", 11) != 11)
		feat_die("write the slave");
}

/* Reads the slave read by read until it would block, then completes the partial line and reads it. */
static void drain_slave(int m, int s, struct reads *r)
{
	memset(r, 0, sizeof(*r));
	while (r->n < 7) {
		ssize_t n = read(s, r->buf[r->n], sizeof(r->buf[0]));

		if (n < 0)
			break;
		r->len[r->n++] = n;
	}
	if (write(m, "ial\n", 4) != 4)
		feat_die("complete the line");
	feat_sleep_ms(50);
	r->len[r->n] = read(s, r->buf[r->n], sizeof(r->buf[0]));
	r->n++;
}

static ssize_t drain_master(int m, char *buf, size_t len)
{
	struct pollfd p = { .fd = m, .events = POLLIN };
	size_t got = 0;

	while (got < len && poll(&p, 1, 100) == 1) {
		ssize_t n = read(m, buf + got, len - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int main(int argc, char **argv)
{
	static const char raw_bytes[] = "raw\0\x03\x7f bytes";
	struct termios ta0, tc0, t;
	struct reads want, got;
	char echo_want[256], echo_got[256], rb[64];
	ssize_t ew, eg, n;
	int ma, sa, mr, sr, mc, sc;

	feat_init(argc, argv);
	if (geteuid() != 0)
		feat_skip("the restore queues the bytes with TIOCSTI (CAP_SYS_ADMIN)");
	ma = open_pty(&sa);
	mr = open_pty(&sr);
	mc = open_pty(&sc);
	if (tcgetattr(sc, &t))
		feat_die("tcgetattr");
	cfmakeraw(&t);
	if (tcsetattr(sc, TCSANOW, &t))
		feat_die("cfmakeraw");
	feed(ma, sa);
	feed(mr, sr);
	if (write(mc, raw_bytes, sizeof(raw_bytes) - 1) != (ssize_t)sizeof(raw_bytes) - 1)
		feat_die("write pty C");
	feat_sleep_ms(100);
	ew = drain_master(mr, echo_want, sizeof(echo_want));
	drain_slave(mr, sr, &want);
	if (tcgetattr(ma, &ta0) || tcgetattr(mc, &tc0))
		feat_die("tcgetattr");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(!tcgetattr(ma, &t) && !memcmp(&t, &ta0, sizeof(t)), "pty A: termios changed");
	FEAT_CHECK(!tcgetattr(mc, &t) && !memcmp(&t, &tc0, sizeof(t)), "pty C: termios changed");
	eg = drain_master(ma, echo_got, sizeof(echo_got));
	FEAT_CHECK(eg == ew && !memcmp(echo_got, echo_want, (size_t)ew),
		   "pty A: the master reads %zd byte(s) '%.*s', expected %zd '%.*s'", eg, (int)eg, echo_got, ew,
		   (int)ew, echo_want);
	drain_slave(ma, sa, &got);
	FEAT_CHECK(got.n == want.n, "pty A: the slave gave %d reads, expected %d", got.n, want.n);
	for (int i = 0; i < got.n && i < want.n; i++)
		FEAT_CHECK(got.len[i] == want.len[i] && !memcmp(got.buf[i], want.buf[i], (size_t)want.len[i]),
			   "pty A: read %d of the slave gave %zd byte(s) '%.*s', expected %zd '%.*s'", i, got.len[i],
			   got.len[i] > 0 ? (int)got.len[i] : 0, got.buf[i], want.len[i],
			   want.len[i] > 0 ? (int)want.len[i] : 0, want.buf[i]);
	n = read(sc, rb, sizeof(rb));
	FEAT_CHECK(n == (ssize_t)sizeof(raw_bytes) - 1 && !memcmp(rb, raw_bytes, sizeof(raw_bytes) - 1),
		   "pty C: the raw slave read %zd byte(s), expected %zu", n, sizeof(raw_bytes) - 1);
	return feat_done();
}
