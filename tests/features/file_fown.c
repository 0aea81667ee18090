/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The SIGIO owner and signal of open file descriptions (F_SETOWN_EX,
 * F_SETSIG): a pipe's read end owned by the process with signal SIGRTMIN+1,
 * its write end owned by the main thread (F_OWNER_TID) with the default
 * signal, a socket owned by the process group. All come back as they were;
 * a description nobody owns stays so.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include "feature.h"

static void check(int fd, const char *what, int type, pid_t pid, int sig)
{
	struct f_owner_ex own = { 0 };
	int s = fcntl(fd, F_GETSIG);

	if (fcntl(fd, F_GETOWN_EX, &own) < 0) {
		feat_fail("%s: F_GETOWN_EX: %s", what, strerror(errno));
		return;
	}
	FEAT_CHECK((int)own.type == type && own.pid == pid && s == sig, "%s: owner type %d pid %d signal %d, expected %d %d %d",
		   what, own.type, own.pid, s, type, pid, sig);
}

int main(int argc, char **argv)
{
	struct f_owner_ex own;
	int p[2], sk[2];

	feat_init(argc, argv);
	if (pipe(p) || socketpair(AF_UNIX, SOCK_STREAM, 0, sk))
		feat_die("pipe");
	own.type = F_OWNER_PID, own.pid = getpid();
	if (fcntl(p[0], F_SETOWN_EX, &own) || fcntl(p[0], F_SETSIG, SIGRTMIN + 1))
		feat_die("F_SETOWN_EX pid");
	own.type = F_OWNER_TID, own.pid = (pid_t)syscall(SYS_gettid);
	if (fcntl(p[1], F_SETOWN_EX, &own))
		feat_die("F_SETOWN_EX tid");
	own.type = F_OWNER_PGRP, own.pid = getpgrp();
	if (fcntl(sk[0], F_SETOWN_EX, &own) || fcntl(sk[0], F_SETSIG, SIGUSR2))
		feat_die("F_SETOWN_EX pgrp");

	feat_ready();
	feat_wait_go();

	check(p[0], "pipe read end", F_OWNER_PID, getpid(), SIGRTMIN + 1);
	check(p[1], "pipe write end", F_OWNER_TID, (pid_t)syscall(SYS_gettid), 0);
	check(sk[0], "socket", F_OWNER_PGRP, getpgrp(), SIGUSR2);
	{
		struct f_owner_ex none = { 0 };

		FEAT_CHECK(fcntl(sk[1], F_GETOWN_EX, &none) == 0 && none.pid == 0 && fcntl(sk[1], F_GETSIG) == 0,
			   "the other socket end got owner %d signal %d", none.pid, fcntl(sk[1], F_GETSIG));
	}
	return feat_done();
}
