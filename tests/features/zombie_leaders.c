/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sessions and process groups whose leader has exited: each leader made
 * its session or group, made a sibling in it (CLONE_PARENT: a child of the
 * root) and exited. A zombie session leader and a zombie group leader stay
 * unreaped; a session leader and a group leader that were reaped are gone,
 * only their ids live on in their tasks. Checked after restore: every
 * task's session, group and parent, the zombies' wait statuses, and that
 * the reaped leaders are still gone.
 */
#include <sched.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include "feature.h"

struct pair {
	pid_t leader, member;
	bool session, reap;
};

static pid_t clone_parent(void)
{
	return (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, NULL, NULL, NULL, 0);
}

/* The leader makes its session or group, then a member in it, and exits with 7. */
static void make_pair(struct pair *p, const int report[2])
{
	p->leader = fork();
	if (p->leader < 0)
		feat_die("fork");
	if (p->leader == 0) {
		pid_t m;

		if (p->session ? setsid() < 0 : setpgid(0, 0) < 0)
			_exit(1);
		m = clone_parent();
		if (m == 0) {
			for (;;)
				pause();
		}
		if (m < 0 || write(report[1], &m, sizeof(m)) != sizeof(m))
			_exit(1);
		_exit(7);
	}
	if (read(report[0], &p->member, sizeof(p->member)) != sizeof(p->member))
		feat_die("read the member's pid");
	if (p->reap) {
		int st;

		if (waitpid(p->leader, &st, 0) != p->leader || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
			feat_die("reap the leader");
	} else {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, p->leader, &si, WEXITED | WNOWAIT) < 0)
			feat_die("wait for the leader to exit");
	}
}

static pid_t stat_pid(pid_t pid, int field)
{
	char v[32];

	return feat_proc_stat(pid, field, v, sizeof(v)) ? -1 : atoi(v);
}

static void check_pair(const struct pair *p, const char *what)
{
	FEAT_CHECK(getsid(p->member) == (p->session ? p->leader : getsid(0)), "%s: member %d in session %d",
		   what, p->member, getsid(p->member));
	FEAT_CHECK(getpgid(p->member) == p->leader, "%s: member %d in group %d, want %d", what, p->member,
		   getpgid(p->member), p->leader);
	FEAT_CHECK(stat_pid(p->member, 4) == getpid(), "%s: member's parent %d", what,
		   stat_pid(p->member, 4));
	if (p->reap) {
		FEAT_CHECK(kill(p->leader, 0) < 0 && errno == ESRCH, "%s: leader %d exists again", what,
			   p->leader);
	} else {
		siginfo_t si;

		memset(&si, 0, sizeof(si));
		FEAT_CHECK(getsid(p->leader) == (p->session ? p->leader : getsid(0)),
			   "%s: zombie leader in session %d", what, getsid(p->leader));
		FEAT_CHECK(getpgid(p->leader) == p->leader, "%s: zombie leader in group %d", what,
			   getpgid(p->leader));
		FEAT_CHECK(waitid(P_PID, p->leader, &si, WEXITED) == 0 && si.si_code == CLD_EXITED &&
				   si.si_status == 7,
			   "%s: zombie leader: code %d status %d (%s)", what, si.si_code, si.si_status,
			   strerror(errno));
	}
	kill(p->member, SIGKILL);
	waitpid(p->member, NULL, 0);
}

int main(int argc, char **argv)
{
	struct pair pairs[] = {
		{.session = true, .reap = false},
		{.session = false, .reap = false},
		{.session = true, .reap = true},
		{.session = false, .reap = true},
	};
	const char *names[] = {"zombie session leader", "zombie group leader", "reaped session leader",
			       "reaped group leader"};
	int p[2];

	feat_init(argc, argv);
	if (getsid(0) != getpid())
		feat_die("not a session leader");
	if (pipe(p))
		feat_die("pipe");
	for (size_t i = 0; i < 4; i++)
		make_pair(&pairs[i], p);
	close(p[0]);
	close(p[1]);
	feat_ready();
	feat_wait_go();

	for (size_t i = 0; i < 4; i++)
		check_pair(&pairs[i], names[i]);
	return feat_done();
}
