/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fdinfo "lock:" line parser (engine/files/locks.c), with real and malformed lines. */
#include <errno.h>
#include <fcntl.h>

#include "locks.h"
#include "t.h"

static void test_kinds(void)
{
	struct file_lock_line l;

	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: FLOCK  ADVISORY  READ 5531 fe:00:10952707 0 EOF\n", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_FLOCK);
	CHECK_EQ_INT(l.type, F_RDLCK);
	CHECK_EQ_INT(l.start, 0);
	CHECK_EQ_INT(l.len, 0);
	CHECK_EQ_STR(l.name, "FLOCK READ");

	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: POSIX  ADVISORY  WRITE 5531 fe:00:10952737 5 14", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_POSIX);
	CHECK_EQ_INT(l.type, F_WRLCK);
	CHECK_EQ_INT(l.start, 5);
	CHECK_EQ_INT(l.len, 10);

	CHECK_EQ_INT(file_locks_parse_line("lock:\t2: POSIX  ADVISORY  READ 5531 fe:00:10952737 100 EOF", &l), 0);
	CHECK_EQ_INT(l.start, 100);
	CHECK_EQ_INT(l.len, 0);

	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: OFDLCK ADVISORY  WRITE -1 fe:00:10952741 7 9", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_OFD);
	CHECK_EQ_INT(l.start, 7);
	CHECK_EQ_INT(l.len, 3);

	/* one byte at the very end of the range a 64-bit offset reaches */
	CHECK_EQ_INT(file_locks_parse_line(
			     "lock:\t1: POSIX  ADVISORY  WRITE 1 08:01:2 9223372036854775806 9223372036854775806", &l),
		     0);
	CHECK_EQ_INT(l.len, 1);
}

static void test_leases(void)
{
	struct file_lock_line l;

	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: LEASE  ACTIVE    READ 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_LEASE);
	CHECK_EQ_INT(l.type, F_RDLCK);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: LEASE  ACTIVE    WRITE 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_LEASE);
	CHECK_EQ_INT(l.type, F_WRLCK);
	/* being broken: the type is what it goes to, nothing (UNLCK) included */
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: LEASE  BREAKING  READ 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_LEASE_BREAKING);
	CHECK_EQ_INT(l.type, F_RDLCK);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: LEASE  BREAKING  UNLCK 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, FILE_LOCK_KIND__LOCK_LEASE_BREAKING);
	CHECK_EQ_INT(l.type, F_UNLCK);
	/* a breaker (someone's open waiting) and UNLCK on anything else: not locks criu takes */
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: LEASE  BREAKER   UNLCK 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, 0);
	CHECK_EQ_INT(l.type, -1);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: DELEG  ACTIVE    UNLCK 77 fe:00:123 0 EOF", &l), 0);
	CHECK_EQ_INT(l.kind, 0);
	CHECK_EQ_INT(l.type, -1);
}

static void test_malformed(void)
{
	struct file_lock_line l;

	CHECK_EQ_INT(file_locks_parse_line("", &l), -EBADMSG);
	CHECK_EQ_INT(file_locks_parse_line("lock:", &l), -EBADMSG);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: POSIX  ADVISORY  WRITE 5531 fe:00:10952737 5", &l), -EBADMSG);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: POSIX  ADVISORY  WRITE 5531 fe:00:10952737 5 1x", &l),
		     -EBADMSG);
	/* the end before the start */
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: POSIX  ADVISORY  WRITE 5531 fe:00:10952737 9 5", &l), -EBADMSG);
	CHECK_EQ_INT(file_locks_parse_line("lock:\t1: POSIX  ADVISORY  WRITE pid fe:00:1 0 EOF", &l), -EBADMSG);
}

int main(void)
{
	t_run("locks_parse_kinds", test_kinds);
	t_run("locks_parse_leases", test_leases);
	t_run("locks_parse_malformed", test_malformed);
	return t_done();
}
