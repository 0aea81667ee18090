/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The tracer child of a dump (see guard.h).
 *
 * ptrace ties a seized task to the life of its tracer: when the tracer dies,
 * the kernel detaches the task and lets it run on with whatever we had put
 * in it at that instant (a remote syscall's registers, an all-blocked signal
 * mask, our scratch mapping). So the tracer must not be the process that a
 * runtime kills when it gives up on criu. criu forks the tracer and waits;
 * the tracer asks the kernel for a signal when criu dies (PR_SET_PDEATHSIG),
 * notes it, and the job stops at its next step (guard_check()) and fails,
 * which releases every task as it was seized. The result and the first error
 * come back to criu through a pipe.
 */
#define LOG_PREFIX "guard: "
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guard.h"
#include "log.h"

/* the signal the kernel sends the tracer when criu dies; criu uses it for nothing else */
#define GUARD_SIGNAL SIGUSR2

static volatile sig_atomic_t criu_gone;
static pid_t supervisor; /* in the tracer: criu, which waits for it; 0 elsewhere */
static bool abort_logged;

struct guard_result {
	int32_t r;
	char first_error[512];
};

static void on_criu_death(int sig)
{
	(void)sig;
	criu_gone = 1;
}

bool guard_aborted(void)
{
	return criu_gone;
}

int guard_check(const char *step)
{
	if (!criu_gone)
		return 0;
	if (!abort_logged) {
		abort_logged = true;
		pr_err("criu (pid %d) died; the job stops before %s and every task goes on as it was\n", supervisor,
		       step);
	}
	return -ECANCELED;
}

bool guard_is_self(pid_t pid)
{
	return pid == getpid() || (supervisor > 0 && pid == supervisor);
}

static void write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

static _Noreturn void tracer_main(int (*fn)(void *), void *arg, pid_t parent, int result_fd)
{
	struct sigaction sa = { .sa_handler = on_criu_death, .sa_flags = SA_RESTART };
	struct guard_result res;
	const char *msg;
	sigset_t set;

	memset(&res, 0, sizeof(res));
	sigemptyset(&sa.sa_mask);
	sigaction(GUARD_SIGNAL, &sa, NULL);
	/*
	 * Ctrl-C, or a SIGTERM/SIGHUP sent to criu's whole process group or
	 * cgroup, reaches the tracer too: it must not die of it mid-job, but
	 * stop as when criu dies (criu itself dies of it as before).
	 */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, GUARD_SIGNAL);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	supervisor = parent;
	/* criu may have died between fork() and prctl(): then we are someone else's already */
	if (prctl(PR_SET_PDEATHSIG, GUARD_SIGNAL) < 0 || getppid() != parent)
		criu_gone = 1;
	res.r = fn(arg);
	msg = log_first_error();
	if (msg)
		snprintf(res.first_error, sizeof(res.first_error), "%s", msg);
	fflush(NULL);
	write_all(result_fd, &res, sizeof(res));
	_exit(0);
}

int guard_run(int (*fn)(void *), void *arg, const char *what)
{
	struct guard_result res;
	pid_t parent = getpid(), child;
	size_t got = 0;
	int p[2], st = 0;

	if (pipe2(p, O_CLOEXEC) < 0)
		return pr_perror_ret("%s: cannot make the tracer's result pipe", what);
	fflush(NULL); /* nothing buffered is written twice */
	child = fork();
	if (child < 0) {
		int r = pr_perror_ret("%s: cannot fork the tracer", what);

		close(p[0]);
		close(p[1]);
		return r;
	}
	if (child == 0) {
		close(p[0]);
		tracer_main(fn, arg, parent, p[1]);
	}
	close(p[1]);
	while (got < sizeof(res)) {
		ssize_t n = read(p[0], (char *)&res + got, sizeof(res) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	while (waitpid(child, &st, 0) < 0 && errno == EINTR)
		;
	if (got != sizeof(res)) {
		if (WIFSIGNALED(st))
			return pr_err_ret(-EIO, "%s: the tracer (pid %d) was killed by signal %d before it finished", what,
					  child, WTERMSIG(st));
		return pr_err_ret(-EIO, "%s: the tracer (pid %d) ended before it finished (status 0x%x)", what, child,
				  st);
	}
	res.first_error[sizeof(res.first_error) - 1] = '\0';
	if (res.first_error[0])
		log_set_first_error(res.first_error);
	return res.r;
}

void guard_die_with(pid_t parent)
{
	pid_t now;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		_exit(1);
	/* 0: born in a pid namespace criu is not in (the tree's); the prctl holds all the same */
	now = getppid();
	if (now != parent && now != 0)
		_exit(1);
}
