/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A zombie session leader whose child was orphaned: the root is pid 1 of
 * its own pid namespace; its grandchild made a session, forked a task in
 * it and exited, unreaped, so that the task went to the root. After restore the
 * task is the root's child in the zombie's session and group, and the
 * zombie is still one (not reaped with WNOHANG before), with its status.
 */
#include <sys/mman.h>

#include "feature.h"

/* What the orphan and the middle task say (criu's /proc is not this namespace's). */
struct shared {
	volatile pid_t leader, orphan, ppid, sid, pgid;
	volatile int check, zombie_sid, zombie_status; /* zombie_status: -1 not a zombie any more */
};

static struct shared *sh;

/* The leader: a session, a task in it, exit 7 (never reaped before the restore). */
static void leader_main(void)
{
	pid_t o;

	if (setsid() < 0)
		_exit(1);
	o = fork();
	if (o == 0) {
		for (;;) {
			sh->sid = getsid(0);
			sh->pgid = getpgid(0);
			sh->ppid = getppid();
			feat_sleep_ms(5);
		}
	}
	sh->orphan = o;
	_exit(o > 0 ? 7 : 1);
}

/* The leader's parent (the root's child): keeps it a zombie, then reaps it when told. */
static void middle_main(void)
{
	pid_t leader = fork();
	siginfo_t si;

	if (leader == 0)
		leader_main();
	sh->leader = leader; /* not through the shared page in both: the child would write 0 */
	memset(&si, 0, sizeof(si));
	if (sh->leader < 0 || waitid(P_PID, sh->leader, &si, WEXITED | WNOWAIT) < 0)
		_exit(1);
	while (!sh->check)
		feat_sleep_ms(5);
	sh->zombie_sid = getsid(sh->leader);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, sh->leader, &si, WEXITED | WNOHANG) == 0 && si.si_pid == sh->leader &&
	    si.si_code == CLD_EXITED)
		sh->zombie_status = si.si_status;
	else
		sh->zombie_status = -1;
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	pid_t middle;

	feat_init(argc, argv);
	feat_enter_pidns();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		feat_die("mmap");
	memset(sh, 0, sizeof(*sh));
	middle = fork();
	if (middle < 0)
		feat_die("fork");
	if (middle == 0)
		middle_main();
	for (int i = 0; i < 2000 && sh->ppid != getpid(); i++)
		feat_sleep_ms(5);
	if (sh->ppid != getpid())
		feat_die("the orphan never came to the root");
	feat_ready();
	feat_wait_go();

	sh->ppid = 0;
	sh->check = 1;
	for (int i = 0; i < 400 && (!sh->ppid || !sh->zombie_status); i++)
		feat_sleep_ms(5);
	FEAT_CHECK(sh->ppid == getpid(), "orphan %d: parent %d, want %d", sh->orphan, sh->ppid, getpid());
	FEAT_CHECK(sh->sid == sh->leader, "orphan: session %d, want %d", sh->sid, sh->leader);
	FEAT_CHECK(sh->pgid == sh->leader, "orphan: group %d, want %d", sh->pgid, sh->leader);
	FEAT_CHECK(sh->zombie_sid == sh->leader, "zombie leader: session %d", sh->zombie_sid);
	FEAT_CHECK(sh->zombie_status == 7, "zombie leader: exit status %d, want 7 (-1: not a zombie)",
		   sh->zombie_status);
	kill(sh->orphan, SIGKILL);
	kill(middle, SIGKILL);
	return feat_done();
}
