/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * signalfd: a non-blocking one on SIGUSR2, SIGHUP and SIGRTMIN+2, and a
 * blocking one on SIGTERM. Checked after restore: the masks (fdinfo),
 * flags, and that a raised signal is read from it.
 */
#include <stdint.h>
#include <sys/signalfd.h>

#include "feature.h"

static unsigned long long fdinfo_mask(int fd)
{
	char buf[4096], *p;

	feat_read_fdinfo(fd, buf, sizeof(buf));
	p = strstr(buf, "sigmask:");
	return p ? strtoull(p + 8, NULL, 16) : 0;
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	unsigned long long want1, want2;
	sigset_t s1, s2, all;
	int f1, f2;

	feat_init(argc, argv);
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR2);
	sigaddset(&s1, SIGHUP);
	sigaddset(&s1, SIGRTMIN + 2);
	sigemptyset(&s2);
	sigaddset(&s2, SIGTERM);
	want1 = (1ull << (SIGUSR2 - 1)) | (1ull << (SIGHUP - 1)) | (1ull << (SIGRTMIN + 2 - 1));
	want2 = 1ull << (SIGTERM - 1);
	sigemptyset(&all);
	sigaddset(&all, SIGUSR2);
	sigaddset(&all, SIGHUP);
	sigaddset(&all, SIGRTMIN + 2);
	sigaddset(&all, SIGTERM);
	sigprocmask(SIG_BLOCK, &all, NULL);
	f1 = signalfd(-1, &s1, SFD_NONBLOCK);
	f2 = signalfd(-1, &s2, 0);
	if (f1 < 0 || f2 < 0)
		feat_die("signalfd");
	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fdinfo_mask(f1) == want1, "f1 mask %#llx, want %#llx", fdinfo_mask(f1), want1);
	FEAT_CHECK(fdinfo_mask(f2) == want2, "f2 mask %#llx, want %#llx", fdinfo_mask(f2), want2);
	FEAT_CHECK(fcntl(f1, F_GETFL) & O_NONBLOCK, "f1 lost O_NONBLOCK");
	FEAT_CHECK(!(fcntl(f2, F_GETFL) & O_NONBLOCK), "f2 became O_NONBLOCK");
	errno = 0;
	FEAT_CHECK(read(f1, &si, sizeof(si)) < 0 && errno == EAGAIN, "f1 had a signal before any was raised");
	raise(SIGRTMIN + 2);
	memset(&si, 0, sizeof(si));
	FEAT_CHECK(read(f1, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == (uint32_t)SIGRTMIN + 2,
		   "f1 read signal %u, want %d", si.ssi_signo, SIGRTMIN + 2);
	raise(SIGTERM);
	memset(&si, 0, sizeof(si));
	FEAT_CHECK(read(f2, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGTERM, "f2 read signal %u",
		   si.ssi_signo);
	return feat_done();
}
