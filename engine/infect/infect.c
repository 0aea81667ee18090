/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ptrace-based control of tasks: see infect.h. The interfaces are those of
 * ptrace(2): PTRACE_SEIZE/INTERRUPT for stopping without signals,
 * PTRACE_O_TRACESYSGOOD to tell syscall stops apart, PTRACE_GET_SYSCALL_INFO
 * to read a syscall's result at its exit stop, PTRACE_GETREGSET NT_X86_XSTATE,
 * PTRACE_GETSIGMASK/SETSIGMASK, PTRACE_PEEKSIGINFO and
 * PTRACE_GET_RSEQ_CONFIGURATION.
 */
#include <elf.h>
#include <errno.h>
#include <linux/rseq.h>
#include <stddef.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "infect.h"
#include "log.h"
#include "pstree.h"

#define ERESTARTSYS	      512
#define ERESTARTNOINTR	      513
#define ERESTARTNOHAND	      514
#define ERESTART_RESTARTBLOCK 516

static long xptrace(int req, pid_t tid, unsigned long addr, unsigned long data)
{
	return ptrace((enum __ptrace_request)req, tid, (void *)addr, (void *)data);
}

int infect_get_regs(pid_t tid, struct user_regs_struct *regs)
{
	if (xptrace(PTRACE_GETREGS, tid, 0, (unsigned long)regs))
		return pr_perror_ret("tid %d: PTRACE_GETREGS", tid);
	return 0;
}

int infect_set_regs(pid_t tid, const struct user_regs_struct *regs)
{
	if (xptrace(PTRACE_SETREGS, tid, 0, (unsigned long)regs))
		return pr_perror_ret("tid %d: PTRACE_SETREGS", tid);
	return 0;
}

int infect_get_xstate(pid_t tid, void **ret, size_t *ret_len)
{
	size_t size = 64 << 10;
	void *buf = calloc(1, size);
	struct iovec iov = { buf, size };

	if (!buf)
		return -ENOMEM;
	if (xptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, (unsigned long)&iov)) {
		int e = -errno;

		free(buf);
		return pr_err_ret(e, "tid %d: PTRACE_GETREGSET NT_X86_XSTATE", tid);
	}
	*ret = buf;
	*ret_len = iov.iov_len;
	return 0;
}

int infect_set_xstate(pid_t tid, const void *buf, size_t len)
{
	struct iovec iov = { (void *)buf, len };

	if (xptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, (unsigned long)&iov))
		return pr_perror_ret("tid %d: PTRACE_SETREGSET NT_X86_XSTATE (%zu bytes)", tid, len);
	return 0;
}

int infect_set_fxstate(pid_t tid, const void *buf512)
{
	struct user_fpregs_struct fx;

	_Static_assert(sizeof(fx) == 512, "the FXSAVE area is 512 bytes");
	memcpy(&fx, buf512, sizeof(fx));
	if (xptrace(PTRACE_SETFPREGS, tid, 0, (unsigned long)&fx))
		return pr_perror_ret("tid %d: PTRACE_SETFPREGS", tid);
	return 0;
}

int infect_get_sigmask(pid_t tid, uint64_t *mask)
{
	if (xptrace(PTRACE_GETSIGMASK, tid, sizeof(*mask), (unsigned long)mask))
		return pr_perror_ret("tid %d: PTRACE_GETSIGMASK", tid);
	return 0;
}

int infect_set_sigmask(pid_t tid, uint64_t mask)
{
	if (xptrace(PTRACE_SETSIGMASK, tid, sizeof(mask), (unsigned long)&mask))
		return pr_perror_ret("tid %d: PTRACE_SETSIGMASK", tid);
	return 0;
}

int infect_peek_siginfo(pid_t tid, bool shared, void **ret, size_t *ret_n)
{
	siginfo_t *all = NULL, batch[32];
	size_t n = 0;

	for (;;) {
		struct __ptrace_peeksiginfo_args a = {
			.off = n,
			.flags = shared ? PTRACE_PEEKSIGINFO_SHARED : 0,
			.nr = (int32_t)ARRAY_SIZE(batch),
		};
		long got = xptrace(PTRACE_PEEKSIGINFO, tid, (unsigned long)&a, (unsigned long)batch);
		siginfo_t *tmp;

		if (got < 0) {
			int e = -errno;

			free(all);
			return pr_err_ret(e, "tid %d: PTRACE_PEEKSIGINFO (%s queue)", tid, shared ? "shared" : "thread");
		}
		if (got == 0)
			break;
		tmp = realloc(all, (n + (size_t)got) * sizeof(*all));
		if (!tmp) {
			free(all);
			return -ENOMEM;
		}
		all = tmp;
		memcpy(all + n, batch, (size_t)got * sizeof(*all));
		n += (size_t)got;
	}
	*ret = all;
	*ret_n = n;
	return 0;
}

int infect_get_rseq(pid_t tid, struct infect_rseq *r)
{
	struct __ptrace_rseq_configuration conf = { 0 };

	memset(r, 0, sizeof(*r));
	if (xptrace(PTRACE_GET_RSEQ_CONFIGURATION, tid, sizeof(conf), (unsigned long)&conf) < 0)
		return pr_perror_ret("tid %d: PTRACE_GET_RSEQ_CONFIGURATION", tid);
	r->ptr = conf.rseq_abi_pointer;
	r->len = conf.rseq_abi_size;
	r->sig = conf.signature;
	return 0;
}

/* Why the kernel would refuse the critical section desc (rseq_get_rseq_cs, rseq_need_restart), or NULL. */
static const char *rseq_cs_invalid(pid_t tid, const struct rseq_cs *cs, uint32_t sig, uint32_t rseq_flags)
{
	uint32_t at_abort = 0;

	if (cs->version != 0)
		return "unknown version";
	if (cs->start_ip + cs->post_commit_offset < cs->start_ip)
		return "start_ip + post_commit_offset overflows";
	if (cs->abort_ip - cs->start_ip < cs->post_commit_offset)
		return "abort_ip inside the section";
	if (cs->abort_ip < sizeof(at_abort) ||
	    infect_read(tid, cs->abort_ip - sizeof(at_abort), &at_abort, sizeof(at_abort)))
		return "the signature before abort_ip cannot be read";
	if (at_abort != sig)
		return "the signature before abort_ip is not the registered one";
	/* the RSEQ_CS_FLAG_NO_RESTART_* flags are deprecated: the kernel refuses any flag */
	if (cs->flags || rseq_flags)
		return "RSEQ_CS_FLAG_* flags are set";
	return NULL;
}

/*
 * A thread stopped inside an rseq critical section: when it returns to user
 * mode after this preemption the kernel clears rseq->rseq_cs and moves it to
 * the section's abort_ip (uapi linux/rseq.h). Our remote calls return to
 * other addresses, where the kernel only clears rseq_cs, and the thread would
 * finish the section unaborted: do now what the kernel would do, so that the
 * registers dumped (and those it resumes with if it goes on) are the kernel's.
 */
static int rseq_abort_if_inside(struct infect_thread *t)
{
	struct user_regs_struct *regs = &t->regs;
	struct infect_rseq rs;
	struct rseq_cs cs;
	uint64_t desc = 0, zero = 0;
	uint32_t rflags = 0;
	const char *why;

	if (infect_get_rseq(t->tid, &rs) < 0 || !rs.ptr)
		return 0; /* no registration (or no way to tell on an old kernel) */
	if (infect_read(t->tid, rs.ptr + offsetof(struct rseq, rseq_cs), &desc, sizeof(desc)) || !desc)
		return 0;
	if (infect_read(t->tid, desc, &cs, sizeof(cs)))
		return pr_err_ret(-EFAULT, "tid %d: its rseq area %#" PRIx64 " names a critical section at %#" PRIx64
					   " that cannot be read: the kernel kills the thread when it resumes",
				  t->tid, rs.ptr, desc);
	if (regs->rip - cs.start_ip >= cs.post_commit_offset)
		return 0; /* outside: the kernel clears rseq_cs lazily; nothing to abort */
	if (infect_read(t->tid, rs.ptr + offsetof(struct rseq, flags), &rflags, sizeof(rflags)))
		rflags = 0;
	why = rseq_cs_invalid(t->tid, &cs, rs.sig, rflags);
	if (why)
		return pr_err_ret(-EINVAL, "tid %d: stopped at %#llx inside the rseq critical section %#" PRIx64
					   " that the kernel refuses (%s): it is killed (SIGSEGV) when it resumes",
				  t->tid, regs->rip, desc, why);
	if (infect_write(t->tid, rs.ptr + offsetof(struct rseq, rseq_cs), &zero, sizeof(zero)))
		return pr_err_ret(-EFAULT, "tid %d: cannot clear rseq_cs in its rseq area %#" PRIx64, t->tid, rs.ptr);
	pr_info("tid %d: stopped at %#llx inside the rseq critical section [%#llx, +%#llx"
		"): resumes at its abort handler %#llx, as after any preemption\n",
		t->tid, regs->rip, cs.start_ip, cs.post_commit_offset, cs.abort_ip);
	regs->rip = cs.abort_ip;
	/* an interrupted syscall is not restarted there: the abort handler runs with its result */
	if ((long)regs->orig_rax >= 0 && (long)regs->rax <= -ERESTARTSYS && (long)regs->rax >= -ERESTART_RESTARTBLOCK)
		regs->rax = (unsigned long)-EINTR;
	regs->orig_rax = (unsigned long)-1;
	return infect_set_regs(t->tid, regs);
}

static volatile sig_atomic_t freeze_expired;

static void on_freeze_alarm(int sig)
{
	(void)sig;
	freeze_expired = 1;
}

void infect_freeze_deadline(unsigned int seconds)
{
	struct sigaction sa = { 0 };

	freeze_expired = 0;
	if (!seconds) {
		alarm(0);
		return;
	}
	sa.sa_handler = on_freeze_alarm; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/* Waits for the interrupt stop of a freshly seized thread. */
static int wait_seize_stop(struct infect_thread *t)
{
	for (;;) {
		int st;
		pid_t p = waitpid(t->tid, &st, __WALL);

		if (p < 0) {
			if (errno == EINTR && freeze_expired)
				return pr_err_ret(-ETIMEDOUT, "tid %d did not stop in time (--timeout); it may be in "
							      "uninterruptible sleep",
						  t->tid);
			if (errno == EINTR)
				continue;
			return pr_perror_ret("tid %d: waitpid after PTRACE_INTERRUPT", t->tid);
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -ESRCH;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == PTRACE_EVENT_STOP) {
			int sig = WSTOPSIG(st);

			t->was_stopped = sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
			t->stop_sig = t->was_stopped ? sig : 0;
			return 0;
		}
		/*
		 * A signal arrived before our interrupt: let it be delivered as it
		 * would have been without us; the interrupt stop follows.
		 */
		if (xptrace(PTRACE_CONT, t->tid, 0, (unsigned long)WSTOPSIG(st)))
			return pr_perror_ret("tid %d: PTRACE_CONT with signal %d", t->tid, WSTOPSIG(st));
	}
}

/*
 * Whether tid is gone or dead (a zombie, or being reaped): PTRACE_SEIZE
 * answers EPERM rather than ESRCH for a thread that has just exited.
 */
static bool thread_dead(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return true;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X' || p[2] == 'x');
}

/* Whether this thread of criu is tid's tracer (/proc/TID/status TracerPid). */
static bool traced_by_us(pid_t tid)
{
	char path[64], line[128];
	int tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer == (int)syscall(SYS_gettid);
}

int infect_seize_thread(pid_t tid, bool trace_clone, struct infect_thread *t)
{
	unsigned long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP;
	bool preseized = false;
	int r;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (trace_clone)
		opts |= PTRACE_O_TRACECLONE;
	if (xptrace(PTRACE_SEIZE, tid, 0, opts)) {
		int err = errno; /* the checks below read /proc */

		if (err == ESRCH)
			return -ESRCH;
		/* seized and interrupted already, while its cgroup was frozen (cgroup/freezer.c) */
		if (err == EPERM && traced_by_us(tid))
			preseized = true;
		else if (err == EPERM && thread_dead(tid))
			return -ESRCH; /* it exited meanwhile: the callers decide */
		else
			return pr_err_ret(-err, "tid %d: PTRACE_SEIZE", tid);
	}
	if (!preseized && xptrace(PTRACE_INTERRUPT, tid, 0, 0)) {
		r = -errno;
		xptrace(PTRACE_DETACH, tid, 0, 0);
		return r == -ESRCH ? r : pr_err_ret(r, "tid %d: PTRACE_INTERRUPT", tid);
	}
	r = wait_seize_stop(t);
	if (r < 0)
		goto fail;
	if (preseized && xptrace(PTRACE_SETOPTIONS, tid, 0, opts)) {
		r = pr_perror_ret("tid %d: PTRACE_SETOPTIONS", tid);
		goto fail;
	}
	r = infect_get_regs(tid, &t->regs);
	if (r < 0)
		goto fail;
	r = infect_get_sigmask(tid, &t->sigmask);
	if (r < 0)
		goto fail;
	r = rseq_abort_if_inside(t);
	if (r < 0)
		goto fail;
	t->state_saved = true;
	return 0;
fail:
	if (r != -ESRCH)
		xptrace(PTRACE_DETACH, tid, 0, 0);
	return r;
}

int infect_block_signals(struct infect_thread *t)
{
	int r = infect_set_sigmask(t->tid, ~0ull);

	if (r == 0)
		t->sigmask_blocked = true;
	return r;
}

int infect_restore_sigmask(struct infect_thread *t)
{
	int r = 0;

	if (t->sigmask_blocked)
		r = infect_set_sigmask(t->tid, t->sigmask);
	if (r == 0)
		t->sigmask_blocked = false;
	return r;
}

int infect_release_thread(struct infect_thread *t, bool keep_stopped)
{
	int r = 0;

	if (!t->tid)
		return 0;
	if (t->state_saved) {
		/*
		 * The registers as seized, an interrupted syscall included: from the
		 * signal path the kernel restarts it, or lets a handler interrupt it,
		 * exactly as if we had never been there (its restart block is intact).
		 */
		r = infect_to_signal_stop(t->tid);
		if (r == 0 && xptrace(PTRACE_SETREGS, t->tid, 0, (unsigned long)&t->regs))
			r = pr_perror_ret("tid %d: PTRACE_SETREGS on release", t->tid);
	}
	if (infect_restore_sigmask(t) < 0)
		r = -EIO;
	/* stays stopped after we leave, by the signal that stopped it */
	if (keep_stopped || t->was_stopped)
		syscall(SYS_tkill, t->tid, t->was_stopped ? t->stop_sig : SIGSTOP);
	if (xptrace(PTRACE_DETACH, t->tid, 0, 0) && errno != ESRCH)
		r = pr_perror_ret("tid %d: PTRACE_DETACH", t->tid);
	t->tid = 0;
	return r;
}

int infect_to_signal_stop(pid_t tid)
{
	struct __ptrace_syscall_info info;

	memset(&info, 0, sizeof(info));
	if (xptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), (unsigned long)&info) < 0)
		return pr_perror_ret("tid %d: PTRACE_GET_SYSCALL_INFO", tid);
	if (info.op != PTRACE_SYSCALL_INFO_ENTRY && info.op != PTRACE_SYSCALL_INFO_EXIT)
		return 0; /* already stopped in the signal path */
	/*
	 * From a syscall stop the thread goes back towards user mode; the
	 * pending interrupt stops it in get_signal() before it runs anything.
	 * All its signals are blocked, so none is delivered on the way.
	 */
	if (xptrace(PTRACE_INTERRUPT, tid, 0, 0) || xptrace(PTRACE_CONT, tid, 0, 0))
		return pr_perror_ret("tid %d: cannot move it to an interrupt stop", tid);
	for (;;) {
		int st;
		pid_t p = waitpid(tid, &st, __WALL);

		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			return pr_perror_ret("tid %d: waitpid", tid);
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return pr_err_ret(-ESRCH, "tid %d died on its way to an interrupt stop (status %#x)", tid, st);
		if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if (WIFSTOPPED(st) && xptrace(PTRACE_CONT, tid, 0, 0))
			return pr_perror_ret("tid %d: PTRACE_CONT", tid);
	}
}

int infect_freeze_process(pid_t pid, struct infect_thread **ret, size_t *ret_n)
{
	struct infect_thread *th = NULL;
	size_t n = 0;
	int r = 0;

	for (int round = 0;; round++) {
		pid_t *tids = NULL;
		size_t nt = 0, added = 0;

		if (round > 1000) {
			r = pr_err_ret(-EAGAIN, "pid %d: threads keep appearing; cannot freeze it", pid);
			break;
		}
		r = proc_read_tids(pid, &tids, &nt);
		if (r < 0)
			break;
		for (size_t i = 0; i < nt; i++) {
			bool known = false;
			struct infect_thread *tmp;

			for (size_t j = 0; j < n && !known; j++)
				known = th[j].tid == tids[i];
			if (known)
				continue;
			tmp = realloc(th, (n + 1) * sizeof(*th));
			if (!tmp) {
				r = -ENOMEM;
				break;
			}
			th = tmp;
			r = infect_seize_thread(tids[i], false, &th[n]);
			if (r == -ESRCH) { /* exited meanwhile */
				r = 0;
				continue;
			}
			if (r < 0)
				break;
			n++;
			added++;
		}
		free(tids);
		if (r < 0 || !added)
			break;
	}
	if (r == 0 && (n == 0 || th[0].tid != pid)) {
		/* the leader first; it is the smallest only by accident */
		size_t li = n;

		for (size_t i = 0; i < n; i++)
			if (th[i].tid == pid)
				li = i;
		if (li == n) {
			/* it exited meanwhile: the caller decides what that means */
			pr_debug("pid %d: its leader thread is gone\n", pid);
			r = -ESRCH;
		} else {
			struct infect_thread tmp = th[0];

			th[0] = th[li];
			th[li] = tmp;
		}
	}
	if (r < 0) {
		for (size_t i = 0; i < n; i++)
			infect_release_thread(&th[i], false);
		free(th);
		return r;
	}
	*ret = th;
	*ret_n = n;
	return 0;
}

/*
 * Copies len bytes between us and the task at addr: process_vm_* first, then
 * /proc/PID/mem, which also reaches protected pages (FOLL_FORCE).
 */
static int task_mem_rw(pid_t pid, uint64_t addr, void *buf, size_t len, bool write)
{
	struct iovec l = { buf, len }, rv = { (void *)addr, len };
	char path[64];
	int fd;
	ssize_t n;

	n = write ? process_vm_writev(pid, &l, 1, &rv, 1, 0) : process_vm_readv(pid, &l, 1, &rv, 1, 0);
	if (n == (ssize_t)len)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, (write ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return pr_perror_ret("pid %d: open %s", pid, path);
	n = write ? pwrite(fd, buf, len, (off_t)addr) : pread(fd, buf, len, (off_t)addr);
	close(fd);
	if (n != (ssize_t)len)
		return pr_err_ret(n < 0 ? -errno : -EIO, "pid %d: %s %zu bytes at %#" PRIx64, pid,
				  write ? "write" : "read", len, addr);
	return 0;
}

int infect_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	return task_mem_rw(pid, addr, buf, len, false);
}

int infect_write(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	return task_mem_rw(pid, addr, (void *)buf, len, true);
}

static bool is_syscall_insn(pid_t tid, uint64_t addr)
{
	unsigned char b[2];

	return infect_read(tid, addr, b, 2) == 0 && b[0] == 0x0f && b[1] == 0x05;
}

/* A `syscall` instruction in the task's vdso. */
static uint64_t find_vdso_gadget(pid_t tid)
{
	char path[64], line[512];
	uint64_t start = 0, end = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", tid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "[vdso]") && sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2)
			break;
		start = end = 0;
	}
	fclose(f);
	if (!start || end - start > (1 << 20))
		return 0;
	{
		size_t len = end - start;
		unsigned char *buf = malloc(len);

		if (buf && infect_read(tid, start, buf, len) == 0)
			for (size_t i = 0; i + 1 < len && !found; i++)
				if (buf[i] == 0x0f && buf[i + 1] == 0x05)
					found = start + i;
		free(buf);
	}
	return found;
}

void infect_ctl_set_gadget(struct infect_ctl *c, uint64_t gadget)
{
	c->gadget = gadget;
}

int infect_ctl_init(struct infect_ctl *c, struct infect_thread *t)
{
	memset(c, 0, sizeof(*c));
	c->tid = t->tid;
	c->base = t->regs;
	if ((long)t->regs.orig_rax >= 0 && is_syscall_insn(t->tid, t->regs.rip - 2))
		c->gadget = t->regs.rip - 2;
	else
		c->gadget = find_vdso_gadget(t->tid);
	if (!c->gadget) {
		/* patch two bytes at the instruction pointer; every thread is stopped */
		long word;

		errno = 0;
		word = xptrace(PTRACE_PEEKTEXT, t->tid, t->regs.rip, 0);
		if (errno)
			return pr_perror_ret("tid %d: PTRACE_PEEKTEXT at %#llx", t->tid, t->regs.rip);
		c->patched = t->regs.rip;
		c->patched_word = word;
		word = (long)(((unsigned long)word & ~0xffffUL) | 0x050fUL);
		if (xptrace(PTRACE_POKETEXT, t->tid, t->regs.rip, (unsigned long)word))
			return pr_perror_ret("tid %d: PTRACE_POKETEXT at %#llx", t->tid, t->regs.rip);
		c->gadget = t->regs.rip;
	}
	pr_debug("tid %d: remote syscalls through %#" PRIx64 "\n", t->tid, c->gadget);
	return 0;
}

/* Resumes with PTRACE_SYSCALL until the next syscall stop; 1 for it, or -errno. */
static int run_to_syscall_stop(struct infect_ctl *c)
{
	for (;;) {
		int st;
		pid_t p;

		if (xptrace(PTRACE_SYSCALL, c->tid, 0, 0))
			return pr_perror_ret("tid %d: PTRACE_SYSCALL", c->tid);
		for (;;) {
			p = waitpid(c->tid, &st, __WALL);
			if (p >= 0 || errno != EINTR)
				break;
		}
		if (p < 0)
			return pr_perror_ret("tid %d: waitpid", c->tid);
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return pr_err_ret(-ESRCH, "tid %d: died while running a remote syscall (status %#x)", c->tid,
					  st);
		if (!WIFSTOPPED(st))
			continue;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80))
			return 1;
		if (st >> 16) /* ptrace event stops (interrupt, clone): go on */
			continue;
		switch (WSTOPSIG(st)) {
		case SIGSEGV:
		case SIGBUS:
		case SIGILL:
		case SIGFPE:
		case SIGTRAP: {
			struct user_regs_struct regs;

			xptrace(PTRACE_GETREGS, c->tid, 0, (unsigned long)&regs);
			return pr_err_ret(-EFAULT, "tid %d: signal %d at %#llx while running a remote syscall", c->tid,
					  WSTOPSIG(st), regs.rip);
		}
		default:
			/* only unblockable signals get here (SIGSTOP): it stops the task later */
			pr_warn("tid %d: signal %d arrived during a remote syscall; it is re-sent at the end\n", c->tid,
				WSTOPSIG(st));
			continue;
		}
	}
}

int infect_syscall(struct infect_ctl *c, long nr, long *ret, unsigned long a1, unsigned long a2, unsigned long a3,
		   unsigned long a4, unsigned long a5, unsigned long a6)
{
	struct user_regs_struct regs = c->base;
	struct __ptrace_syscall_info info;
	int r;

	regs.rax = (unsigned long)nr;
	regs.rdi = a1;
	regs.rsi = a2;
	regs.rdx = a3;
	regs.r10 = a4;
	regs.r8 = a5;
	regs.r9 = a6;
	regs.rip = c->gadget;
	regs.orig_rax = (unsigned long)-1;
	r = infect_set_regs(c->tid, &regs);
	if (r < 0)
		return r;
	r = run_to_syscall_stop(c); /* entry */
	if (r < 0)
		return r;
	r = run_to_syscall_stop(c); /* exit */
	if (r < 0)
		return r;
	memset(&info, 0, sizeof(info));
	if (xptrace(PTRACE_GET_SYSCALL_INFO, c->tid, sizeof(info), (unsigned long)&info) < 0)
		return pr_perror_ret("tid %d: PTRACE_GET_SYSCALL_INFO", c->tid);
	if (info.op != PTRACE_SYSCALL_INFO_EXIT)
		return pr_err_ret(-EIO, "tid %d: remote syscall %ld: expected its exit stop, got op %d", c->tid, nr,
				  info.op);
	*ret = (long)info.exit.rval;
	return 0;
}

int infect_scratch_map(struct infect_ctl *c, size_t size)
{
	long addr;
	int r;

	size = (size + 4095) & ~(size_t)4095;
	r = infect_sys(c, &addr, SYS_mmap, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r < 0)
		return r;
	if (addr < 0 && addr > -4096)
		return pr_err_ret((int)addr, "tid %d: remote mmap of %zu bytes: %s", c->tid, size, strerror((int)-addr));
	c->scratch = (uint64_t)addr;
	c->scratch_size = size;
	return 0;
}

int infect_ctl_fini(struct infect_ctl *c)
{
	int r = 0;

	if (c->scratch) {
		long ret;

		r = infect_sys(c, &ret, SYS_munmap, c->scratch, c->scratch_size);
		if (r == 0 && ret)
			r = pr_err_ret((int)ret, "tid %d: remote munmap of the scratch area", c->tid);
		c->scratch = 0;
	}
	if (c->patched) {
		if (xptrace(PTRACE_POKETEXT, c->tid, c->patched, (unsigned long)c->patched_word))
			r = pr_perror_ret("tid %d: restoring code at %#" PRIx64, c->tid, c->patched);
		c->patched = 0;
	}
	return r;
}

int infect_call(struct infect_ctl *c, long *ret, const char *what, long nr, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long a5)
{
	int r = infect_syscall(c, nr, ret, a1, a2, a3, a4, a5, 0);

	if (r < 0)
		return r;
	if (*ret < 0 && *ret > -4096)
		return pr_err_ret((int)*ret, "pid %d: %s", c->tid, what);
	return 0;
}
