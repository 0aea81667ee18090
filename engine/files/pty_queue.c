/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bytes queued in a pty of the tree and not read yet (pty.c dumps the rest):
 *
 *  - towards the slave (written on the master, cooked by the slave's line
 *    discipline): in canonical mode a list of complete lines and a partial
 *    last line, else plain bytes;
 *  - towards the master (written on the slave, after its output processing).
 *
 * Reading them takes them away, so the dump puts them back at once, and the
 * restore puts them the same way: TIOCSTI, which hands one byte at a time to
 * the line discipline synchronously (CAP_SYS_ADMIN), under a "quiet" termios
 * of the slave: no echo, no signals, no input translation, every special
 * character disabled but an end-of-file byte that appears in no line, which
 * ends the lines that had no newline of their own (one ended by EOF or EOL:
 * the reader gets the same bytes). ICANON and EXTPROC are never changed, as
 * that would reset the line marks; the dumped termios comes back after.
 *
 * The partial line of canonical mode is not counted by FIONREAD: the dump
 * ends it with the end-of-file byte to read it, and puts it back unended.
 */
#define LOG_PREFIX "files: "
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "files_priv.h"
#include "log.h"
#include "pty.h"

#define CANON_MAX 4096 /* the line discipline's buffer */

static struct termios quiet_termios(const struct termios *t, cc_t eof)
{
	static const int specials[] = { VINTR, VQUIT,  VERASE, VKILL,	 VEOF,	  VEOL,	    VEOL2,
					VSTART, VSTOP, VSUSP, VLNEXT, VWERASE, VREPRINT, VDISCARD };
	struct termios q = *t;

	q.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL | ECHOCTL | ECHOPRT | ECHOKE | ISIG | IEXTEN);
	q.c_iflag &= ~(tcflag_t)(ISTRIP | INLCR | IGNCR | ICRNL | IUCLC);
	for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++)
		q.c_cc[specials[i]] = _POSIX_VDISABLE;
	q.c_cc[VEOF] = eof;
	if (!(q.c_lflag & ICANON)) {
		q.c_cc[VMIN] = 0;
		q.c_cc[VTIME] = 0;
	}
	return q;
}

static int sti(int f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ioctl(f, TIOCSTI, &b[i]) < 0)
			return -errno;
	return 0;
}

/* A byte for end of file that none of the data holds (not NUL, not newline); 0 if there is none. */
static cc_t free_byte(const ProtobufCBinaryData *lines, size_t n, const ProtobufCBinaryData *tail)
{
	uint8_t used[256] = { 0 };

	used[0] = used['\n'] = 1;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < lines[i].len; k++)
			used[lines[i].data[k]] = 1;
	for (size_t k = 0; tail && k < tail->len; k++)
		used[tail->data[k]] = 1;
	for (int c = 4; c < 256 + 4; c++)
		if (!used[c & 0xff])
			return (cc_t)(c & 0xff);
	return 0;
}

/* Puts the slave's input back: m the master (for the termios), s a slave description. */
static int put_input(int m, int s, const PtyEntry *p)
{
	const ProtobufCBinaryData *tail = p->has_in_tail ? &p->in_tail : NULL;
	struct termios t0, q;
	cc_t eof;
	int r = 0;

	if (!p->n_in_lines && !tail)
		return 0;
	eof = free_byte(p->in_lines, p->n_in_lines, tail);
	if (!eof)
		return -EOVERFLOW;
	if (tcgetattr(m, &t0) < 0)
		return -errno;
	if (p->n_in_lines && !(t0.c_lflag & ICANON))
		return -EBADMSG; /* lines, but no canonical mode to keep them apart */
	q = quiet_termios(&t0, eof);
	if (tcsetattr(m, TCSANOW, &q) < 0)
		return -errno;
	for (size_t i = 0; r == 0 && i < p->n_in_lines; i++) {
		const ProtobufCBinaryData *l = &p->in_lines[i];

		r = sti(s, l->data, l->len);
		if (r == 0 && (!l->len || l->data[l->len - 1] != '\n'))
			r = sti(s, &eof, 1);
	}
	if (r == 0 && tail)
		r = sti(s, tail->data, tail->len);
	if (tcsetattr(m, TCSANOW, &t0) < 0 && r == 0)
		r = -errno;
	return r;
}

static int add_line(PtyEntry *p, const uint8_t *b, size_t n)
{
	ProtobufCBinaryData *tmp = realloc(p->in_lines, (p->n_in_lines + 1) * sizeof(*tmp));

	if (!tmp)
		return -ENOMEM;
	p->in_lines = tmp;
	tmp[p->n_in_lines].data = malloc(n ? n : 1);
	if (!tmp[p->n_in_lines].data)
		return -ENOMEM;
	memcpy(tmp[p->n_in_lines].data, b, n);
	tmp[p->n_in_lines++].len = n;
	return 0;
}

/* Reads what the nonblocking slave s has: lines (canonical) or bytes into the tail. */
static int read_input(int s, bool canon, cc_t probe, PtyEntry *p)
{
	uint8_t buf[CANON_MAX], all[CANON_MAX];
	size_t got = 0;
	ssize_t n;
	int r;

	for (int i = 0; i <= CANON_MAX; i++) {
		n = read(s, canon ? buf : all + got, canon ? sizeof(buf) : sizeof(all) - got);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0)
			return -errno;
		if (!canon && n == 0)
			break;
		if (!canon) {
			got += (size_t)n;
			continue;
		}
		if (memchr(buf, '\n', (size_t)n) && memchr(buf, '\n', (size_t)n) != buf + n - 1)
			return -EILSEQ; /* a literal newline inside a line: it would split */
		r = add_line(p, buf, (size_t)n);
		if (r < 0)
			return r;
	}
	if (!canon) {
		if (got) {
			p->has_in_tail = true;
			p->in_tail.data = malloc(got);
			if (!p->in_tail.data)
				return -ENOMEM;
			memcpy(p->in_tail.data, all, got);
			p->in_tail.len = got;
		}
		return 0;
	}
	/* the partial line: ended by the probe, read, kept unended */
	if (sti(s, &probe, 1) < 0)
		return -errno;
	n = read(s, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	if (n > 0) {
		p->has_in_tail = true;
		p->in_tail.data = malloc((size_t)n);
		if (!p->in_tail.data)
			return -ENOMEM;
		memcpy(p->in_tail.data, buf, (size_t)n);
		p->in_tail.len = (size_t)n;
	}
	return 0;
}

/* The master's input (what the slave wrote): read while poll says there is some. */
static int read_output(int m, PtyEntry *p)
{
	uint8_t buf[CANON_MAX * 4];
	size_t got = 0;

	for (;;) {
		struct pollfd pf = { .fd = m, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, 0) != 1 || !(pf.revents & POLLIN) || got == sizeof(buf))
			break;
		n = read(m, buf + got, sizeof(buf) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (!got)
		return 0;
	p->has_out_data = true;
	p->out_data.data = malloc(got);
	if (!p->out_data.data)
		return -ENOMEM;
	memcpy(p->out_data.data, buf, got);
	p->out_data.len = got;
	return 0;
}

/* A description of our own of the slave of master m, nonblocking, even if the pty is locked. */
static int temp_slave(int m)
{
	int locked = 0, unlock = 0, s;

	if (ioctl(m, TIOCGPTLCK, &locked) == 0 && locked)
		ioctl(m, TIOCSPTLCK, &unlock);
	s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s < 0)
		s = -errno;
	if (locked)
		ioctl(m, TIOCSPTLCK, &locked);
	return s;
}

/* TIOCSTI on a terminal that is not ours needs CAP_SYS_ADMIN (in the initial user namespace). */
static bool can_sti(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return d[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32));
}

/* Without TIOCSTI nothing read could be put back: queued bytes are refused, none is read. */
static int refuse_queued(int m, PtyEntry *p, bool slave_held)
{
	_cleanup_close_ int s = -EBADF;
	int v = 0;

	if (ioctl(m, FIONREAD, &v) == 0 && v > 0)
		return pr_err_ret(-EOPNOTSUPP,
				  "pty %u: %d byte(s) queued for its master: not supported without CAP_SYS_ADMIN "
				  "(TIOCSTI puts them back) or with a line discipline other than N_TTY",
				  p->index, v);
	s = slave_held ? temp_slave(m) : -EBADF;
	if (s >= 0 && ioctl(s, FIONREAD, &v) == 0 && v > 0)
		return pr_err_ret(-EOPNOTSUPP,
				  "pty %u: %d byte(s) queued for its slave: not supported without CAP_SYS_ADMIN "
				  "(TIOCSTI puts them back) or with a line discipline other than N_TTY",
				  p->index, v);
	return 0;
}

int pty_queues_take(int m, PtyEntry *p, bool slave_held)
{
	_cleanup_close_ int s = -EBADF;
	struct termios t0, q;
	int r, back, v = 0;

	if (tcgetattr(m, &t0) < 0)
		return pr_perror_ret("pty %u: tcgetattr", p->index);
	/* TIOCSTI goes through the line discipline: only N_TTY's is known here */
	if (!can_sti() || t0.c_line != 0 /* N_TTY */)
		return refuse_queued(m, p, slave_held);
	if (ioctl(m, FIONREAD, &v) == 0 && v > 0) {
		if (p->packet)
			return pr_err_ret(-EOPNOTSUPP,
					  "pty %u: %d byte(s) queued for its master in packet mode: not supported yet",
					  p->index, v);
		r = read_output(m, p);
		if (r < 0)
			return r;
		if (p->has_out_data && sti(m, p->out_data.data, p->out_data.len) < 0)
			return pr_perror_ret("pty %u: cannot put back the %zu byte(s) queued for its master "
					     "(TIOCSTI): they are lost",
					     p->index, p->out_data.len);
		pr_info("pty %u: %zu byte(s) queued for its master\n", p->index,
			p->has_out_data ? p->out_data.len : (size_t)0);
	}
	/* the slave's input shows only through a slave; one of the tree's keeps it open meanwhile */
	if (!slave_held)
		return 0;
	s = temp_slave(m);
	if (s < 0)
		return pr_err_ret(s, "pty %u: cannot open its slave (TIOCGPTPEER) to read its input", p->index);
	q = quiet_termios(&t0, 4);
	if (tcsetattr(m, TCSANOW, &q) < 0)
		return pr_perror_ret("pty %u: cannot set a quiet termios to read its input", p->index);
	r = read_input(s, t0.c_lflag & ICANON, 4, p);
	back = put_input(m, s, p);
	if (tcsetattr(m, TCSANOW, &t0) < 0 && back == 0)
		back = -errno;
	if (back < 0)
		return pr_err_ret(back, "pty %u: cannot put back the input read from its slave: it is lost", p->index);
	if (r < 0)
		return pr_err_ret(r, "pty %u: cannot read the input queued for its slave%s", p->index,
				  r == -EILSEQ ? " (a literal newline inside a line)" : "");
	if (p->n_in_lines || p->has_in_tail)
		pr_info("pty %u: %zu line(s) and %zu more byte(s) queued for its slave\n", p->index, p->n_in_lines,
			p->has_in_tail ? p->in_tail.len : (size_t)0);
	return 0;
}

int pty_queues_put(int m, const PtyEntry *p)
{
	_cleanup_close_ int s = -EBADF;
	int r;

	if (p->has_out_data && sti(m, p->out_data.data, p->out_data.len) < 0)
		return pr_perror_ret("pty %u: cannot queue %zu byte(s) for its master (TIOCSTI)", p->index,
				     p->out_data.len);
	if (!p->n_in_lines && !p->has_in_tail)
		return 0;
	s = temp_slave(m);
	if (s < 0)
		return pr_err_ret(s, "pty %u: cannot open its slave (TIOCGPTPEER) to queue its input", p->index);
	r = put_input(m, s, p);
	if (r < 0)
		return pr_err_ret(r, "pty %u: cannot queue the input of its slave (TIOCSTI)", p->index);
	return 0;
}
