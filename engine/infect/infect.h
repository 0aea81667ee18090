/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Controlling a task from outside with ptrace: seizing and freezing it,
 * reading and writing its per-thread state, and making it run system calls
 * for us ("remote syscalls"). Dump uses it to read what /proc does not show
 * (signal handlers, the tid address, the alternate stack); restore uses it to
 * rebuild a task that was forked as a copy of criu into the dumped one.
 *
 * A remote syscall sets the registers to the call and its arguments, points
 * the instruction pointer at a `syscall` instruction in the task ("the
 * gadget") and lets it run with PTRACE_SYSCALL until the syscall-exit stop.
 * The call cannot return into our code: it stops before the task would run
 * a single user instruction, so a call may even unmap the gadget itself.
 * All signals stay blocked while we drive the task (PTRACE_SETSIGMASK), so
 * nothing pending is delivered or lost in between.
 */
#ifndef CR_INFECT_H
#define CR_INFECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

/* One seized thread. */
struct infect_thread {
	pid_t tid;
	bool was_stopped; /* group-stopped when seized (state T) */
	int stop_sig;	  /* the signal that stopped it (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) */
	struct user_regs_struct regs; /* as seized, syscall restart folded in */
	uint64_t sigmask;	      /* as seized */
	bool state_saved;
	bool sigmask_blocked; /* we set an all-blocked mask */
};

/* Seizes one thread and waits for it to stop. Returns 0, -ESRCH if it is gone, or -errno. */
int infect_seize_thread(pid_t tid, bool trace_clone, struct infect_thread *t);
/* Undoes infect_seize_thread: restores regs and mask if changed, detaches. */
int infect_release_thread(struct infect_thread *t, bool keep_stopped);
/*
 * Freezes a whole thread group: seizes every thread until no new one
 * appears. Returns the threads, leader first (free with free()).
 */
int infect_freeze_process(pid_t pid, struct infect_thread **ret, size_t *ret_n);

/*
 * Bounds the time a freeze may take: after seconds, waiting for a thread to
 * stop fails with -ETIMEDOUT (SIGALRM). 0 disarms it.
 */
void infect_freeze_deadline(unsigned int seconds);

/* Blocks every signal of a seized thread (saving its mask), or restores the mask. */
int infect_block_signals(struct infect_thread *t);
int infect_restore_sigmask(struct infect_thread *t);

/* Register sets. */
int infect_get_regs(pid_t tid, struct user_regs_struct *regs);
int infect_set_regs(pid_t tid, const struct user_regs_struct *regs);
/* The XSAVE area (NT_X86_XSTATE): *ret malloc'ed, *ret_len its size. */
int infect_get_xstate(pid_t tid, void **ret, size_t *ret_len);
int infect_set_xstate(pid_t tid, const void *buf, size_t len);
/* The legacy FXSAVE area alone (x87, MMX, SSE: 512 bytes), PTRACE_SETFPREGS. */
int infect_set_fxstate(pid_t tid, const void *buf512);
int infect_get_sigmask(pid_t tid, uint64_t *mask);
int infect_set_sigmask(pid_t tid, uint64_t mask);
/* Pending signals of the thread (shared=false) or of its process (shared=true). */
int infect_peek_siginfo(pid_t tid, bool shared, void **ret, size_t *ret_n);

struct infect_rseq {
	uint64_t ptr;
	uint32_t len, sig;
};
/* The thread's rseq registration; ptr 0 if none. */
int infect_get_rseq(pid_t tid, struct infect_rseq *r);

/*
 * Moves a thread that sits in a syscall stop (after remote syscalls) to an
 * interrupt stop in the kernel's signal path. Registers set there go through
 * the kernel's own syscall-restart logic when the thread resumes: an
 * interrupted syscall is restarted, or returns -EINTR if a handler runs first.
 */
int infect_to_signal_stop(pid_t tid);

/* A thread we run syscalls in. */
struct infect_ctl {
	pid_t tid;
	uint64_t gadget;  /* address of a `syscall` instruction in the task */
	uint64_t patched; /* if we wrote the gadget: where, and what was there */
	long patched_word;
	struct user_regs_struct base; /* registers the calls start from */
	uint64_t scratch;	      /* our scratch mapping in the task, or 0 */
	size_t scratch_size;
};

/*
 * Prepares remote syscalls in a seized, signal-blocked thread. The gadget is
 * the syscall the thread stopped in, else one found in its vdso, else two
 * bytes we patch at its instruction pointer (put back by infect_ctl_fini).
 */
int infect_ctl_init(struct infect_ctl *c, struct infect_thread *t);
/* Uses a known gadget address instead (restore). */
void infect_ctl_set_gadget(struct infect_ctl *c, uint64_t gadget);
/* Unmaps the scratch area and restores patched code. */
int infect_ctl_fini(struct infect_ctl *c);

/*
 * Runs syscall nr in the task: returns 0 and the kernel's return value in
 * *ret (a -errno value when the call failed), or -errno if ptrace failed.
 */
int infect_syscall(struct infect_ctl *c, long nr, long *ret, unsigned long a1, unsigned long a2,
		   unsigned long a3, unsigned long a4, unsigned long a5, unsigned long a6);
/* infect_syscall, and a failed call is logged with the task and what: 0 or -errno. */
int infect_call(struct infect_ctl *c, long *ret, const char *what, long nr, unsigned long a1, unsigned long a2,
		unsigned long a3, unsigned long a4, unsigned long a5);
#define infect_sys(c, r, nr, ...) infect_sys_(c, r, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define infect_sys_(c, r, nr, a, b, cc, d, e, f, ...)                                                              \
	infect_syscall(c, nr, r, (unsigned long)(a), (unsigned long)(b), (unsigned long)(cc), (unsigned long)(d), \
		       (unsigned long)(e), (unsigned long)(f))

/* Maps a scratch area of size bytes (read-write) in the task for call arguments. */
int infect_scratch_map(struct infect_ctl *c, size_t size);
/* Copies to / from the task's memory (process_vm_*, /proc/PID/mem for protected pages). */
int infect_write(pid_t pid, uint64_t addr, const void *buf, size_t len);
int infect_read(pid_t pid, uint64_t addr, void *buf, size_t len);

#endif
