/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mm fields: the auxiliary vector (/proc/self/auxv and PR_GET_AUXV), the
 * code/data/brk/arg/env boundaries of /proc/self/stat, argv and environ as
 * read from /proc, /proc/self/exe, and brk after growing the heap with sbrk
 * (data in the grown part, and brk still movable).
 */
#include <stdint.h>
#include <sys/prctl.h>

#include "feature.h"

#ifndef PR_GET_AUXV
#define PR_GET_AUXV 0x41555856
#endif

/* stat fields: startcode endcode startstack; start_data end_data start_brk arg_start arg_end env_start env_end */
static const int fields[] = { 26, 27, 28, 45, 46, 47, 48, 49, 50, 51 };
static const char *names[] = { "startcode", "endcode",	 "startstack", "start_data", "end_data",
			       "start_brk", "arg_start", "arg_end",    "env_start",  "env_end" };
#define NF (sizeof(fields) / sizeof(fields[0]))

struct snap {
	char auxv[4096];
	ssize_t auxv_len;
	char pauxv[4096];
	long pauxv_len;
	unsigned long stat[NF];
	char cmdline[4096], environ_[16384];
	ssize_t cmdline_len, environ_len;
	char exe[4096];
};

static void take(struct snap *s)
{
	char v[64];

	memset(s, 0, sizeof(*s));
	s->auxv_len = feat_read_file("/proc/self/auxv", s->auxv, sizeof(s->auxv));
	s->pauxv_len = prctl(PR_GET_AUXV, s->pauxv, sizeof(s->pauxv), 0, 0);
	for (size_t i = 0; i < NF; i++)
		s->stat[i] = feat_proc_stat(0, fields[i], v, sizeof(v)) ? 0 : strtoul(v, NULL, 10);
	s->cmdline_len = feat_read_file("/proc/self/cmdline", s->cmdline, sizeof(s->cmdline));
	s->environ_len = feat_read_file("/proc/self/environ", s->environ_, sizeof(s->environ_));
	if (readlink("/proc/self/exe", s->exe, sizeof(s->exe) - 1) < 0)
		s->exe[0] = '\0';
}

static struct snap before, after;

int main(int argc, char **argv)
{
	char *brk0, *brk1, *brk2;
	size_t grow = 5 * 4096 + 123;

	feat_init(argc, argv);
	brk0 = sbrk(0);
	if (sbrk(grow) == (void *)-1)
		feat_die("sbrk");
	brk1 = sbrk(0);
	for (size_t i = 0; i < grow; i++)
		brk0[i] = (char)(i * 7 + 1);
	take(&before);

	feat_ready();
	feat_wait_go();

	take(&after);
	FEAT_CHECK(after.auxv_len == before.auxv_len && !memcmp(after.auxv, before.auxv, before.auxv_len),
		   "/proc/self/auxv differs (%zd bytes, was %zd)", after.auxv_len, before.auxv_len);
	if (before.pauxv_len > 0)
		FEAT_CHECK(after.pauxv_len == before.pauxv_len && !memcmp(after.pauxv, before.pauxv, before.pauxv_len),
			   "PR_GET_AUXV differs (%ld bytes, was %ld)", after.pauxv_len, before.pauxv_len);
	for (size_t i = 0; i < NF; i++)
		FEAT_CHECK(after.stat[i] == before.stat[i], "stat %s %#lx, expected %#lx", names[i], after.stat[i],
			   before.stat[i]);
	FEAT_CHECK(after.cmdline_len == before.cmdline_len && !memcmp(after.cmdline, before.cmdline, before.cmdline_len),
		   "/proc/self/cmdline differs: '%s'", after.cmdline);
	FEAT_CHECK(after.environ_len == before.environ_len && !memcmp(after.environ_, before.environ_, before.environ_len),
		   "/proc/self/environ differs (%zd bytes, was %zd)", after.environ_len, before.environ_len);
	FEAT_CHECK(!strcmp(after.exe, before.exe), "/proc/self/exe '%s', expected '%s'", after.exe, before.exe);
	FEAT_CHECK(!strcmp(argv[1], feat_dir), "argv[1] '%s', expected '%s'", argv[1], feat_dir);

	FEAT_CHECK(sbrk(0) == brk1, "brk %p, expected %p", sbrk(0), (void *)brk1);
	for (size_t i = 0; i < grow; i++)
		if (brk0[i] != (char)(i * 7 + 1)) {
			feat_fail("heap byte %zu (brk area) is %d", i, brk0[i]);
			break;
		}
	if (sbrk(3 * 4096) == (void *)-1)
		feat_fail("growing brk after restore: %s", strerror(errno));
	else {
		brk2 = sbrk(0);
		FEAT_CHECK(brk2 == brk1 + 3 * 4096, "brk after growing %p, expected %p", (void *)brk2,
			   (void *)(brk1 + 3 * 4096));
		memset(brk1, 0x5a, 3 * 4096);
		if (sbrk(-(intptr_t)(3 * 4096 + grow)) == (void *)-1 || sbrk(0) != brk0)
			feat_fail("shrinking brk back to %p failed (now %p)", (void *)brk0, sbrk(0));
	}
	return feat_done();
}
