/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel feature probes. Every probe returns 0 when the interface works and
 * -errno when it does not, filling a "why" that names the object it was
 * working on; kerndat_probe() caches the answer and logs it once.
 *
 * Probes that need another process fork one, and always kill and reap it:
 * no probe leaves a process, a mount or a file behind. The socket and
 * network probes are in kerndat_net.c; the table and the cache are at the end.
 */
#define LOG_PREFIX "kerndat: "
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <asm/prctl.h>
#include <linux/aio_abi.h>
#include <linux/elf.h>
#include <linux/kcmp.h>
#include <linux/filter.h>
#include <linux/nsfs.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "kerndat.h"
#include "kerndat_probes.h"
#include "log.h"

int kd_fail(struct kd_why *w, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(w->msg, sizeof(w->msg), fmt, ap);
	va_end(ap);
	w->err = err < 0 ? err : -EIO;
	return w->err;
}

/* ---------------------------------------------------------------------- */
/* Helper processes                                                        */
/* ---------------------------------------------------------------------- */

static void kd_reap(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, __WALL) < 0 && errno == EINTR)
		;
}

static ssize_t kd_read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/*
 * Forks a child that runs setup(arg) (0 or -errno), reports the result and
 * then sleeps until killed. The child dies with us (PR_SET_PDEATHSIG).
 * Returns the pid, or -errno (filled into w).
 */
static pid_t kd_spawn(int (*setup)(void *), void *arg, struct kd_why *w)
{
	int p[2], res = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_errno(w, "pipe for a probe child");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return kd_errno(w, "fork of a probe child");
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		res = setup ? setup(arg) : 0;
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(1);
		close(p[1]);
		for (;;)
			pause();
	}
	close(p[1]);
	if (kd_read_full(p[0], &res, sizeof(res)) != sizeof(res))
		res = -ECHILD;
	close(p[0]);
	if (res < 0) {
		kd_reap(pid);
		return kd_fail(w, res, "setting up a probe child");
	}
	return pid;
}

/*
 * Runs fn(arg, w) in a forked child and hands its result and why back: for
 * probes that change what they cannot undo (namespaces, mappings).
 */
int kd_in_child(int (*fn)(void *, struct kd_why *), void *arg, struct kd_why *w)
{
	struct kd_why cw = {0};
	int p[2], st = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_errno(w, "pipe for a probe child");
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return kd_errno(w, "fork of a probe child");
	}
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		cw.err = fn(arg, &cw);
		if (cw.err < 0 && !cw.msg[0])
			snprintf(cw.msg, sizeof(cw.msg), "probe child");
		n = write(p[1], &cw, sizeof(cw));
		_exit(n == sizeof(cw) ? 0 : 1);
	}
	close(p[1]);
	n = kd_read_full(p[0], &cw, sizeof(cw));
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (n != sizeof(cw))
		return kd_fail(w, -ECHILD, "probe child %d died (wait status %#x)", pid, st);
	if (cw.err < 0)
		*w = cw;
	return cw.err < 0 ? cw.err : 0;
}

/* Seizes pid and stops it with PTRACE_INTERRUPT; waits for the stop. */
static int kd_seize(pid_t pid, unsigned long options, struct kd_why *w)
{
	int st;

	if (ptrace(PTRACE_SEIZE, pid, NULL, (void *)options) < 0)
		return kd_errno(w, "PTRACE_SEIZE of child %d", pid);
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0)
		return kd_errno(w, "PTRACE_INTERRUPT of child %d", pid);
	while (waitpid(pid, &st, __WALL) < 0)
		if (errno != EINTR)
			return kd_errno(w, "waiting for the ptrace stop of child %d", pid);
	if (!WIFSTOPPED(st) || (st >> 16) != PTRACE_EVENT_STOP)
		return kd_fail(w, -EPROTO, "child %d: unexpected wait status %#x after PTRACE_INTERRUPT", pid,
			       st);
	return 0;
}

/* A spawned, seized and stopped child; setup runs in it first. */
static pid_t kd_traced_child(int (*setup)(void *), void *arg, struct kd_why *w)
{
	pid_t pid = kd_spawn(setup, arg, w);
	int r;

	if (pid < 0)
		return pid;
	r = kd_seize(pid, 0, w);
	if (r < 0) {
		kd_reap(pid);
		return r;
	}
	return pid;
}

/* ---------------------------------------------------------------------- */
/* ptrace                                                                  */
/* ---------------------------------------------------------------------- */

static int probe_ptrace_seize(struct kd_why *w)
{
	_cleanup_free_ void *xsave = NULL;
	struct user_regs_struct regs;
	struct iovec iov;
	pid_t pid;
	int r = 0;

	xsave = calloc(1, 65536);
	if (!xsave)
		return kd_fail(w, -ENOMEM, "xstate buffer");
	pid = kd_traced_child(NULL, NULL, w);
	if (pid < 0)
		return pid;
	iov = (struct iovec){.iov_base = &regs, .iov_len = sizeof(regs)};
	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov) < 0) {
		r = kd_errno(w, "PTRACE_GETREGSET(NT_PRSTATUS) of child %d", pid);
		goto out;
	}
	iov = (struct iovec){.iov_base = xsave, .iov_len = 65536};
	if (ptrace(PTRACE_GETREGSET, pid, (void *)NT_X86_XSTATE, &iov) < 0) {
		r = kd_errno(w, "PTRACE_GETREGSET(NT_X86_XSTATE) of child %d", pid);
		goto out;
	}
	/* legacy FXSAVE area (512) + XSAVE header (64) at least */
	if (iov.iov_len < 576)
		r = kd_fail(w, -EPROTO, "PTRACE_GETREGSET(NT_X86_XSTATE) of child %d: only %zu bytes", pid,
			    iov.iov_len);
out:
	kd_reap(pid);
	return r;
}

static int probe_seccomp_suspend(struct kd_why *w)
{
	pid_t pid = kd_traced_child(NULL, NULL, w);
	int r = 0;

	if (pid < 0)
		return pid;
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(unsigned long)PTRACE_O_SUSPEND_SECCOMP) < 0)
		r = kd_errno(w, "PTRACE_SETOPTIONS(PTRACE_O_SUSPEND_SECCOMP) on child %d", pid);
	kd_reap(pid);
	return r;
}

static int block_sigusr1(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	return sigprocmask(SIG_BLOCK, &set, NULL) < 0 ? -errno : 0;
}

/* A traced child with SIGUSR1 blocked and one SIGUSR1 (value 0x5eed) pending. */
static pid_t kd_child_with_pending_signal(struct kd_why *w)
{
	union sigval v = {.sival_int = 0x5eed};
	pid_t pid = kd_spawn(block_sigusr1, NULL, w);
	int r;

	if (pid < 0)
		return pid;
	if (sigqueue(pid, SIGUSR1, v) < 0) {
		r = kd_errno(w, "sigqueue(SIGUSR1) to child %d", pid);
		goto err;
	}
	r = kd_seize(pid, 0, w);
	if (r < 0)
		goto err;
	return pid;
err:
	kd_reap(pid);
	return r;
}

static int probe_ptrace_sigmask(struct kd_why *w)
{
	uint64_t mask = 0;
	pid_t pid = kd_child_with_pending_signal(w);
	int r = 0;

	if (pid < 0)
		return pid;
	if (ptrace(PTRACE_GETSIGMASK, pid, (void *)sizeof(mask), &mask) < 0)
		r = kd_errno(w, "PTRACE_GETSIGMASK of child %d", pid);
	else if (!(mask & (1ULL << (SIGUSR1 - 1))))
		r = kd_fail(w, -EPROTO, "PTRACE_GETSIGMASK of child %d: SIGUSR1 missing from %#llx", pid,
			    (unsigned long long)mask);
	kd_reap(pid);
	return r;
}

static int probe_ptrace_peeksiginfo(struct kd_why *w)
{
	struct __ptrace_peeksiginfo_args a = {.off = 0, .flags = PTRACE_PEEKSIGINFO_SHARED, .nr = 1};
	siginfo_t si;
	pid_t pid = kd_child_with_pending_signal(w);
	long n;
	int r = 0;

	if (pid < 0)
		return pid;
	memset(&si, 0, sizeof(si));
	n = ptrace(PTRACE_PEEKSIGINFO, pid, &a, &si);
	if (n < 0)
		r = kd_errno(w, "PTRACE_PEEKSIGINFO of child %d", pid);
	else if (n != 1 || si.si_signo != SIGUSR1 || si.si_value.sival_int != 0x5eed)
		r = kd_fail(w, -EPROTO, "PTRACE_PEEKSIGINFO of child %d: got %ld signal(s), signo %d", pid, n,
			    si.si_signo);
	kd_reap(pid);
	return r;
}

static int probe_get_rseq_conf(struct kd_why *w)
{
	struct __ptrace_rseq_configuration conf;
	pid_t pid = kd_traced_child(NULL, NULL, w);
	long n;
	int r = 0;

	if (pid < 0)
		return pid;
	n = ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof(conf), &conf);
	if (n < 0)
		r = kd_errno(w, "PTRACE_GET_RSEQ_CONFIGURATION of child %d", pid);
	else if ((size_t)n < sizeof(conf))
		r = kd_fail(w, -EPROTO, "PTRACE_GET_RSEQ_CONFIGURATION of child %d: %ld bytes", pid, n);
	kd_reap(pid);
	return r;
}

static int install_allow_all_filter(void *arg)
{
	struct sock_filter insn[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog prog = {.len = 1, .filter = insn};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ? -errno : 0;
}

static int probe_seccomp_filters(struct kd_why *w)
{
	pid_t pid = kd_traced_child(install_allow_all_filter, NULL, w);
	long n;
	int r = 0;

	if (pid < 0)
		return pid;
	n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)0, NULL);
	if (n < 0)
		r = kd_errno(w, "PTRACE_SECCOMP_GET_FILTER of child %d", pid);
	else if (n != 1)
		r = kd_fail(w, -EPROTO, "PTRACE_SECCOMP_GET_FILTER of child %d: %ld instructions, expected 1",
			    pid, n);
	kd_reap(pid);
	return r;
}

/* ---------------------------------------------------------------------- */
/* Processes: pidfd, clone3, process_vm_readv, pagemap                     */
/* ---------------------------------------------------------------------- */

static int probe_pidfd_store(struct kd_why *w)
{
	_cleanup_close_ int pidfd = -EBADF, got = -EBADF;
	struct stat a, b;
	int p[2], r = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_errno(w, "pipe");
	pid = kd_spawn(NULL, NULL, w); /* inherits p[1] */
	if (pid < 0) {
		r = pid;
		goto out;
	}
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		r = kd_errno(w, "pidfd_open(%d)", pid);
		goto out;
	}
	got = (int)syscall(SYS_pidfd_getfd, pidfd, p[1], 0);
	if (got < 0) {
		r = kd_errno(w, "pidfd_getfd(pid %d, fd %d)", pid, p[1]);
		goto out;
	}
	if (fstat(got, &a) < 0 || fstat(p[1], &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
		r = kd_fail(w, -EPROTO, "pidfd_getfd(pid %d, fd %d) returned another file", pid, p[1]);
out:
	kd_reap(pid);
	close(p[0]);
	close(p[1]);
	return r;
}

#define KD_SET_TID 42

/* In a child: a new pid namespace, its init, and there clone3(set_tid=42). */
static int clone3_set_tid_in_new_ns(void *arg, struct kd_why *w)
{
	int st;
	pid_t init;

	if (unshare(CLONE_NEWPID) < 0)
		return kd_errno(w, "unshare(CLONE_NEWPID)");
	init = fork();
	if (init < 0)
		return kd_errno(w, "fork of the init of a new pid namespace");
	if (init == 0) {
		pid_t tid[1] = {KD_SET_TID};
		struct clone_args ca = {
			.exit_signal = SIGCHLD,
			.set_tid = (uint64_t)(uintptr_t)tid,
			.set_tid_size = 1,
		};
		long child = syscall(SYS_clone3, &ca, sizeof(ca));

		if (child == 0)
			_exit(syscall(SYS_getpid) == KD_SET_TID ? 0 : 200);
		if (child < 0)
			_exit(errno);
		if (child != KD_SET_TID)
			_exit(201);
		while (waitpid((pid_t)child, &st, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 202);
	}
	while (waitpid(init, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) < 200)
		return kd_fail(w, -WEXITSTATUS(st), "clone3(set_tid=%d) in a new pid namespace", KD_SET_TID);
	return kd_fail(w, -EPROTO, "clone3(set_tid=%d) in a new pid namespace: wrong pid (status %#x)",
		       KD_SET_TID, st);
}

static int probe_clone3_set_tid(struct kd_why *w)
{
	return kd_in_child(clone3_set_tid_in_new_ns, NULL, w);
}

/* Written differently by the child, so that reading it proves whose memory we read. */
static char kd_scratch[4096 * 2] __attribute__((aligned(4096)));
static const char kd_child_pattern[] = "criu check: child memory";

static int fill_scratch(void *arg)
{
	memcpy(kd_scratch, kd_child_pattern, sizeof(kd_child_pattern));
	return 0;
}

static int probe_process_vm_readv(struct kd_why *w)
{
	char buf[sizeof(kd_child_pattern)] = {0};
	struct iovec local = {buf, sizeof(buf)}, remote = {kd_scratch, sizeof(buf)};
	pid_t pid = kd_spawn(fill_scratch, NULL, w);
	ssize_t n;
	int r = 0;

	if (pid < 0)
		return pid;
	n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		r = kd_errno(w, "process_vm_readv(pid %d, %p)", pid, (void *)kd_scratch);
	else if (n != (ssize_t)sizeof(buf) || memcmp(buf, kd_child_pattern, sizeof(buf)))
		r = kd_fail(w, -EPROTO, "process_vm_readv(pid %d): read %zd bytes of other data", pid, n);
	kd_reap(pid);
	return r;
}

/* PAGEMAP_SCAN over /proc/PID/pagemap of a child must see the page it wrote as present. */
static int probe_pagemap_scan(struct kd_why *w)
{
	_cleanup_close_ int fd = -EBADF;
	struct page_region reg[2];
	struct pm_scan_arg a;
	char path[64];
	pid_t pid;
	long n;
	int r = 0;

	pid = kd_spawn(fill_scratch, NULL, w);
	if (pid < 0)
		return pid;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = kd_errno(w, "%s", path);
		goto out;
	}
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.start = (uint64_t)(uintptr_t)kd_scratch;
	a.end = a.start + 4096;
	a.vec = (uint64_t)(uintptr_t)reg;
	a.vec_len = 2;
	a.category_mask = PAGE_IS_PRESENT;
	a.return_mask = PAGE_IS_PRESENT;
	n = ioctl(fd, PAGEMAP_SCAN, &a);
	if (n < 0)
		r = kd_errno(w, "ioctl(%s, PAGEMAP_SCAN)", path);
	else if (n != 1 || reg[0].start != a.start || !(reg[0].categories & PAGE_IS_PRESENT))
		r = kd_fail(w, -EPROTO, "ioctl(%s, PAGEMAP_SCAN): the child's written page is not present",
			    path);
out:
	kd_reap(pid);
	return r;
}

static int kd_userfaultfd(struct kd_why *w)
{
	_cleanup_close_ int dev = -EBADF;
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0)
		return fd;
	if (errno != EPERM && errno != ENOSYS)
		return kd_errno(w, "userfaultfd()");
	/* Linux 6.1: the device works where the syscall is restricted */
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return kd_errno(w, "userfaultfd() is not permitted and /dev/userfaultfd");
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return kd_errno(w, "ioctl(/dev/userfaultfd, USERFAULTFD_IOC_NEW)");
	return fd;
}

static long kd_scan_written(int pagemap, char *area, size_t len, struct page_region *reg, size_t nr)
{
	struct pm_scan_arg a = {
		.size = sizeof(a),
		.start = (uint64_t)(uintptr_t)area,
		.end = (uint64_t)(uintptr_t)area + len,
		.vec = (uint64_t)(uintptr_t)reg,
		.vec_len = nr,
		.category_mask = PAGE_IS_WRITTEN,
		.return_mask = PAGE_IS_WRITTEN,
	};

	return ioctl(pagemap, PAGEMAP_SCAN, &a);
}

/*
 * Dirty tracking as pre-dump uses it: write-protect a range with
 * userfaultfd WP_ASYNC, write one page, and PAGEMAP_SCAN must report
 * exactly that page as written.
 */
static int probe_mem_dirty_track(struct kd_why *w)
{
	const size_t psz = 4096, len = 4 * psz;
	_cleanup_close_ int uffd = -EBADF, pagemap = -EBADF;
	struct uffdio_api api = {.api = UFFD_API,
				 .features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED};
	struct uffdio_register reg;
	struct uffdio_writeprotect wp;
	struct page_region pr[4];
	char *area;
	long n;
	int r = 0;

	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0)
		return kd_errno(w, "/proc/self/pagemap");
	uffd = kd_userfaultfd(w);
	if (uffd < 0)
		return uffd;
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		return kd_errno(w, "UFFDIO_API(UFFD_FEATURE_WP_ASYNC)");
	if (!(api.features & UFFD_FEATURE_WP_ASYNC))
		return kd_fail(w, -EOPNOTSUPP, "UFFDIO_API: no UFFD_FEATURE_WP_ASYNC");
	area = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (area == MAP_FAILED)
		return kd_errno(w, "mmap of %zu bytes", len);
	reg = (struct uffdio_register){.range = {(uintptr_t)area, len}, .mode = UFFDIO_REGISTER_MODE_WP};
	if (ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		r = kd_errno(w, "UFFDIO_REGISTER(MODE_WP) of %p", (void *)area);
		goto out;
	}
	wp = (struct uffdio_writeprotect){.range = {(uintptr_t)area, len},
					  .mode = UFFDIO_WRITEPROTECT_MODE_WP};
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0) {
		r = kd_errno(w, "UFFDIO_WRITEPROTECT of %p", (void *)area);
		goto out;
	}
	n = kd_scan_written(pagemap, area, len, pr, 4);
	if (n != 0) {
		r = n < 0 ? kd_errno(w, "PAGEMAP_SCAN(PAGE_IS_WRITTEN)")
			  : kd_fail(w, -EPROTO, "PAGEMAP_SCAN: write-protected pages reported as written");
		goto out;
	}
	area[2 * psz] = 1; /* WP_ASYNC: the kernel resolves the fault itself */
	n = kd_scan_written(pagemap, area, len, pr, 4);
	if (n < 0)
		r = kd_errno(w, "PAGEMAP_SCAN(PAGE_IS_WRITTEN)");
	else if (n != 1 || pr[0].start != (uintptr_t)area + 2 * psz || pr[0].end != pr[0].start + psz)
		r = kd_fail(w, -EPROTO,
			    "PAGEMAP_SCAN: the one written page is not what is reported (%ld ranges)", n);
out:
	munmap(area, len);
	return r;
}

static int kd_uffd_api(uint64_t features, struct kd_why *w)
{
	_cleanup_close_ int uffd = kd_userfaultfd(w);
	struct uffdio_api api = {.api = UFFD_API, .features = features};

	if (uffd < 0)
		return uffd;
	if (ioctl(uffd, UFFDIO_API, &api) < 0)
		return kd_errno(w, "UFFDIO_API(features %#llx)", (unsigned long long)features);
	if ((api.features & features) != features)
		return kd_fail(w, -EOPNOTSUPP, "UFFDIO_API: features %#llx of %#llx",
			       (unsigned long long)api.features, (unsigned long long)features);
	return 0;
}

static int probe_uffd(struct kd_why *w)
{
	return kd_uffd_api(0, w);
}

static int probe_uffd_noncoop(struct kd_why *w)
{
	return kd_uffd_api(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |
				   UFFD_FEATURE_EVENT_UNMAP,
			   w);
}

/* ---------------------------------------------------------------------- */
/* Files and memory                                                         */
/* ---------------------------------------------------------------------- */

static int probe_map_files(struct kd_why *w)
{
	_cleanup_closedir_ DIR *d = opendir("/proc/self/map_files");
	_cleanup_close_ int fd = -EBADF;
	struct dirent *de;

	if (!d)
		return kd_errno(w, "/proc/self/map_files");
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	if (!de)
		return kd_fail(w, -ENOENT, "/proc/self/map_files: empty");
	fd = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_errno(w, "/proc/self/map_files/%s", de->d_name);
	return 0;
}

static long kd_kcmp(int type, unsigned long a, unsigned long b)
{
	return syscall(SYS_kcmp, getpid(), getpid(), type, a, b);
}

static int probe_kcmp(struct kd_why *w)
{
	_cleanup_close_ int a = -EBADF, b = -EBADF, c = -EBADF;
	long r;

	a = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	c = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (a < 0 || c < 0)
		return kd_errno(w, "/proc/self/stat");
	b = fcntl(a, F_DUPFD_CLOEXEC, 0);
	if (b < 0)
		return kd_errno(w, "dup");
	r = kd_kcmp(KCMP_FILE, (unsigned long)a, (unsigned long)b);
	if (r < 0)
		return kd_errno(w, "kcmp(KCMP_FILE, %d, %d)", a, b);
	if (r != 0 || kd_kcmp(KCMP_FILE, (unsigned long)a, (unsigned long)c) == 0)
		return kd_fail(w, -EPROTO, "kcmp(KCMP_FILE) does not tell files apart");
	return 0;
}

static int probe_kcmp_epoll(struct kd_why *w)
{
	_cleanup_close_ int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN};
	struct kcmp_epoll_slot slot;
	int p[2], r = 0;

	if (ep < 0)
		return kd_errno(w, "epoll_create1");
	if (pipe2(p, O_CLOEXEC) < 0)
		return kd_errno(w, "pipe");
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0) {
		r = kd_errno(w, "epoll_ctl(ADD, %d)", p[0]);
		goto out;
	}
	/* kcmp(pid, pid, KCMP_EPOLL_TFD, fd, slot): fd against the target of epoll slot */
	slot = (struct kcmp_epoll_slot){.efd = (uint32_t)ep, .tfd = (uint32_t)p[0], .toff = 0};
	if (kd_kcmp(KCMP_EPOLL_TFD, (unsigned long)p[0], (unsigned long)&slot) != 0)
		r = kd_errno(w, "kcmp(KCMP_EPOLL_TFD, epoll %d, fd %d)", ep, p[0]);
out:
	close(p[0]);
	close(p[1]);
	return r;
}

static int probe_prctl_mm_map(struct kd_why *w)
{
	unsigned int size = 0;

	if (prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE, (unsigned long)&size, 0, 0) < 0)
		return kd_errno(w, "prctl(PR_SET_MM, PR_SET_MM_MAP_SIZE)");
	if (size != sizeof(struct prctl_mm_map))
		return kd_fail(w, -EPROTO, "prctl(PR_SET_MM_MAP_SIZE): %u bytes, expected %zu", size,
			       sizeof(struct prctl_mm_map));
	return 0;
}

static int probe_memfd(struct kd_why *w)
{
	_cleanup_close_ int fd =
		(int)syscall(SYS_memfd_create, "criu-check", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char path[64], target[128];
	ssize_t n;

	if (fd < 0)
		return kd_errno(w, "memfd_create");
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_GROW) < 0)
		return kd_errno(w, "fcntl(memfd, F_ADD_SEALS)");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return kd_errno(w, "readlink(%s)", path);
	target[n] = '\0';
	if (strncmp(target, "/memfd:criu-check", 17))
		return kd_fail(w, -EPROTO, "%s points to %s", path, target);
	return 0;
}

static int probe_memfd_hugetlb(struct kd_why *w)
{
	int fd = (int)syscall(SYS_memfd_create, "criu-check", MFD_CLOEXEC | MFD_HUGETLB);

	if (fd < 0)
		return kd_errno(w, "memfd_create(MFD_HUGETLB)");
	close(fd);
	return 0;
}

static int probe_aio_remap(struct kd_why *w)
{
	aio_context_t ctx = 0;
	struct io_event ev;
	struct timespec zero = {0, 0};
	size_t len = 0;
	char line[256];
	FILE *f;
	void *to;
	int r = 0;

	if (syscall(SYS_io_setup, 16, &ctx) < 0)
		return kd_errno(w, "io_setup");
	f = fopen("/proc/self/maps", "re");
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && s == ctx) {
			len = e - s;
			break;
		}
	}
	if (f)
		fclose(f);
	if (!len) {
		r = kd_fail(w, -ENOENT, "the AIO ring %#lx in /proc/self/maps", (unsigned long)ctx);
		goto out;
	}
	to = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (to == MAP_FAILED) {
		r = kd_errno(w, "mmap of %zu bytes", len);
		goto out;
	}
	if (mremap((void *)ctx, len, len, MREMAP_FIXED | MREMAP_MAYMOVE, to) == MAP_FAILED) {
		r = kd_errno(w, "mremap of the AIO ring %#lx", (unsigned long)ctx);
		munmap(to, len);
		goto out;
	}
	ctx = (aio_context_t)(uintptr_t)to;
	if (syscall(SYS_io_getevents, ctx, 0, 1, &ev, &zero) < 0)
		r = kd_errno(w, "io_getevents on the moved AIO ring %p", to);
out:
	syscall(SYS_io_destroy, ctx);
	return r;
}

static int probe_timerfd(struct kd_why *w)
{
	_cleanup_close_ int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	uint64_t ticks = 3, got = 0;

	if (fd < 0)
		return kd_errno(w, "timerfd_create");
	if (ioctl(fd, TFD_IOC_SET_TICKS, &ticks) < 0)
		return kd_errno(w, "ioctl(timerfd, TFD_IOC_SET_TICKS)");
	if (read(fd, &got, sizeof(got)) != sizeof(got))
		return kd_errno(w, "read(timerfd)");
	if (got != ticks)
		return kd_fail(w, -EPROTO, "timerfd: %llu ticks read back, %llu set", (unsigned long long)got,
			       (unsigned long long)ticks);
	return 0;
}

/* Returns 1 when /proc/self/fdinfo/FD has a line starting with key. */
static int kd_fdinfo_has(int fd, const char *key)
{
	char path[64], line[256];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			return 1;
	return 0;
}

static int probe_mnt_id(struct kd_why *w)
{
	_cleanup_close_ int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return kd_errno(w, "/proc/self/stat");
	r = kd_fdinfo_has(fd, "mnt_id:");
	if (r < 0)
		return kd_fail(w, r, "/proc/self/fdinfo/%d", fd);
	return r ? 0 : kd_fail(w, -EOPNOTSUPP, "/proc/self/fdinfo/%d: no mnt_id", fd);
}

static int probe_fdinfo_lock(struct kd_why *w)
{
	char path[] = "/tmp/.criu-check.XXXXXX";
	_cleanup_close_ int fd = mkostemp(path, O_CLOEXEC);
	int r;

	if (fd < 0)
		return kd_errno(w, "temporary file %s", path);
	unlink(path);
	if (flock(fd, LOCK_EX) < 0)
		return kd_errno(w, "flock(%s)", path);
	r = kd_fdinfo_has(fd, "lock:");
	if (r < 0)
		return kd_fail(w, r, "/proc/self/fdinfo/%d", fd);
	return r ? 0 : kd_fail(w, -EOPNOTSUPP, "/proc/self/fdinfo/%d: no lock line for a flock()ed file", fd);
}

/* In a child: the audit loginuid can be read and written again (CAP_AUDIT_CONTROL, not immutable). */
static int loginuid_child(void *arg, struct kd_why *w)
{
	char buf[16] = "";
	int fd = open("/proc/self/loginuid", O_RDWR | O_CLOEXEC);
	ssize_t n;

	(void)arg;
	if (fd < 0)
		return kd_errno(w, "/proc/self/loginuid");
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		int r = kd_errno(w, "writing /proc/self/loginuid back");

		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

static int probe_loginuid(struct kd_why *w)
{
	return kd_in_child(loginuid_child, NULL, w);
}

static int probe_openat2(struct kd_why *w)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd = -EBADF, up = -EBADF;
	struct open_how how = {.flags = O_PATH | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};

	if (root < 0)
		return kd_errno(w, "/");
	fd = (int)syscall(SYS_openat2, root, "proc", &how, sizeof(how));
	if (fd < 0)
		return kd_errno(w, "openat2(/, proc, RESOLVE_BENEATH)");
	up = (int)syscall(SYS_openat2, fd, "..", &how, sizeof(how));
	if (up >= 0 || errno != EXDEV)
		return kd_fail(w, -EPROTO, "openat2(/proc, .., RESOLVE_BENEATH) escaped its root");
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Namespaces                                                               */
/* ---------------------------------------------------------------------- */

static const struct {
	const char *name;
	int type;
} kd_ns[] = {
	{"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},	{"net", CLONE_NEWNET},	     {"mnt", CLONE_NEWNS},
	{"pid", CLONE_NEWPID}, {"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static int kd_ns_check(const char *name, int type, struct kd_why *w)
{
	char path[64];
	_cleanup_close_ int fd = -EBADF;
	int t;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_errno(w, "%s", path);
	t = ioctl(fd, NS_GET_NSTYPE);
	if (t < 0)
		return kd_errno(w, "ioctl(%s, NS_GET_NSTYPE)", path);
	if (t != type)
		return kd_fail(w, -EPROTO, "%s: type %#x, expected %#x", path, t, type);
	return 0;
}

static int probe_namespaces(struct kd_why *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(kd_ns); i++) {
		int r = kd_ns_check(kd_ns[i].name, kd_ns[i].type, w);

		if (r < 0)
			return r;
	}
	return 0;
}

static int probe_cgroupns(struct kd_why *w)
{
	return kd_ns_check("cgroup", CLONE_NEWCGROUP, w);
}

static int probe_ns_pid(struct kd_why *w)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];

	if (!f)
		return kd_errno(w, "/proc/self/status");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "NSpid:", 6))
			return 0;
	return kd_fail(w, -EOPNOTSUPP, "/proc/self/status: no NSpid line");
}

static int userns_map_self(void *arg, struct kd_why *w)
{
	char buf[64];
	int fd;
	ssize_t n;

	if (unshare(CLONE_NEWUSER) < 0)
		return kd_errno(w, "unshare(CLONE_NEWUSER)");
	fd = open("/proc/self/uid_map", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return kd_errno(w, "/proc/self/uid_map in a new user namespace");
	n = write(fd, "0 0 1\n", 6);
	if (n != 6) {
		close(fd);
		return kd_errno(w, "writing /proc/self/uid_map in a new user namespace");
	}
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	if (n <= 0)
		return kd_errno(w, "reading /proc/self/uid_map back");
	return 0;
}

static int probe_userns(struct kd_why *w)
{
	int r = kd_ns_check("user", CLONE_NEWUSER, w);

	if (r < 0)
		return r;
	r = probe_prctl_mm_map(w);
	if (r < 0)
		return r;
	return kd_in_child(userns_map_self, NULL, w);
}

/* The child's children live in a new time namespace with CLOCK_MONOTONIC 1000 s ahead. */
static int timens_offset(void *arg, struct kd_why *w)
{
	struct timespec t0;
	int fd, st;
	pid_t pid;

	if (unshare(CLONE_NEWTIME) < 0)
		return kd_errno(w, "unshare(CLONE_NEWTIME)");
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return kd_errno(w, "/proc/self/timens_offsets");
	if (write(fd, "monotonic 1000 0\n", 17) != 17) {
		close(fd);
		return kd_errno(w, "writing /proc/self/timens_offsets");
	}
	close(fd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return kd_errno(w, "fork into a new time namespace");
	if (pid == 0) {
		struct timespec t1;

		clock_gettime(CLOCK_MONOTONIC, &t1);
		_exit(t1.tv_sec - t0.tv_sec >= 999 ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return kd_fail(w, -EPROTO, "CLOCK_MONOTONIC offset in a new time namespace not applied");
	return 0;
}

static int probe_timens(struct kd_why *w)
{
	return kd_in_child(timens_offset, NULL, w);
}

/*
 * In a child with its own mount namespace: a tmpfs on dir, a tmpfs on
 * dir/a bound to dir/b, dir/a made shared; MOVE_MOUNT_SET_GROUP must put
 * dir/b into dir/a's peer group.
 */
static int set_group_in_new_mntns(void *arg, struct kd_why *w)
{
	const char *dir = arg;
	char a[PATH_MAX], b[PATH_MAX], line[1024];
	FILE *f;
	int shared = 0;

	if (unshare(CLONE_NEWNS) < 0)
		return kd_errno(w, "unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return kd_errno(w, "making / private in a new mount namespace");
	if (mount("criu-check", dir, "tmpfs", 0, NULL) < 0)
		return kd_errno(w, "tmpfs on %s", dir);
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	if (mkdir(a, 0700) < 0 || mkdir(b, 0700) < 0)
		return kd_errno(w, "mkdir in %s", dir);
	if (mount("criu-check", a, "tmpfs", 0, NULL) < 0)
		return kd_errno(w, "tmpfs on %s", a);
	if (mount(a, b, NULL, MS_BIND, NULL) < 0)
		return kd_errno(w, "bind mount %s on %s", a, b);
	if (mount(NULL, a, NULL, MS_SHARED, NULL) < 0)
		return kd_errno(w, "making %s shared", a);
	if (syscall(SYS_move_mount, AT_FDCWD, a, AT_FDCWD, b, MOVE_MOUNT_SET_GROUP) < 0)
		return kd_errno(w, "move_mount(%s, %s, MOVE_MOUNT_SET_GROUP)", a, b);
	f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return kd_errno(w, "/proc/self/mountinfo");
	while (fgets(line, sizeof(line), f)) {
		char mp[PATH_MAX];

		if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) == 1 && !strcmp(mp, b) &&
		    strstr(line, " shared:"))
			shared = 1;
	}
	fclose(f);
	return shared ? 0 : kd_fail(w, -EPROTO, "%s is not shared after MOVE_MOUNT_SET_GROUP", b);
}

static int probe_move_mount_set_group(struct kd_why *w)
{
	char dir[] = "/tmp/.criu-check.XXXXXX";
	int r;

	if (!mkdtemp(dir))
		return kd_errno(w, "temporary directory %s", dir);
	r = kd_in_child(set_group_in_new_mntns, dir, w);
	rmdir(dir);
	return r;
}

/* ---------------------------------------------------------------------- */
/* vdso                                                                     */
/* ---------------------------------------------------------------------- */

/* In a child: unmap vdso and vvar, then ARCH_MAP_VDSO_64 must map the vdso again. */
static int remap_vdso(void *arg, struct kd_why *w)
{
	unsigned long start[8], end[8], hint = 0;
	char line[512];
	size_t nr = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	long r;

	if (!f)
		return kd_errno(w, "/proc/self/maps");
	while (nr < ARRAY_SIZE(start) && fgets(line, sizeof(line), f)) {
		if (!strstr(line, "[vdso]") && !strstr(line, "[vvar"))
			continue;
		if (sscanf(line, "%lx-%lx", &start[nr], &end[nr]) == 2) {
			if (strstr(line, "[vdso]"))
				hint = start[nr];
			nr++;
		}
	}
	fclose(f);
	if (!hint)
		return kd_fail(w, -ENOENT, "no [vdso] in /proc/self/maps");
	/* from here on no libc call may need the vdso: raw syscalls only */
	for (size_t i = 0; i < nr; i++)
		syscall(SYS_munmap, start[i], end[i] - start[i]);
	r = syscall(SYS_arch_prctl, ARCH_MAP_VDSO_64, hint);
	if (r < 0)
		return kd_errno(w, "arch_prctl(ARCH_MAP_VDSO_64, %#lx)", hint);
	return 0;
}

static int probe_can_map_vdso(struct kd_why *w)
{
	return kd_in_child(remap_vdso, NULL, w);
}

/* ---------------------------------------------------------------------- */
/* The table and the cache                                                  */
/* ---------------------------------------------------------------------- */

struct kd_probe {
	const char *name;
	int (*fn)(struct kd_why *w);
	enum kerndat_class cls;
	bool absent_ok; /* under --extra, -ENOENT (no such device) is fine */
};

static const struct kd_probe kd_probes[] = {
	/* plain `criu check` */
	{"ptrace_seize", probe_ptrace_seize, KD_BASIC, false},
	{"seccomp_suspend", probe_seccomp_suspend, KD_BASIC, false},
	{"ptrace_sigmask", probe_ptrace_sigmask, KD_BASIC, false},
	{"ptrace_peeksiginfo", probe_ptrace_peeksiginfo, KD_BASIC, false},
	{"get_rseq_conf", probe_get_rseq_conf, KD_BASIC, false},
	{"pidfd_store", probe_pidfd_store, KD_BASIC, false},
	{"clone3_set_tid", probe_clone3_set_tid, KD_BASIC, false},
	{"process_vm_readv", probe_process_vm_readv, KD_BASIC, false},
	{"map_files", probe_map_files, KD_BASIC, false},
	{"kcmp", probe_kcmp, KD_BASIC, false},
	{"pagemap_scan", probe_pagemap_scan, KD_BASIC, false},
	{"prctl_mm_map", probe_prctl_mm_map, KD_BASIC, false},
	{"memfd", probe_memfd, KD_BASIC, false},
	{"namespaces", probe_namespaces, KD_BASIC, false},
	{"unix_diag", kd_probe_unix_diag, KD_BASIC, false},
	{"inet_diag", kd_probe_inet_diag, KD_BASIC, false},
	{"tcp_repair", kd_probe_tcp_repair, KD_BASIC, false},
	{"so_peek_off", kd_probe_so_peek_off, KD_BASIC, false},
	/* --extra / --all */
	{"mem_dirty_track", probe_mem_dirty_track, KD_EXTRA, false},
	{"uffd", probe_uffd, KD_EXTRA, false},
	{"uffd-noncoop", probe_uffd_noncoop, KD_EXTRA, false},
	{"timens", probe_timens, KD_EXTRA, false},
	{"tcp_half_closed", kd_probe_tcp_half_closed, KD_EXTRA, false},
	{"network_lock_tools", kd_probe_network_lock_tools, KD_EXTRA, false},
	{"packet_diag", kd_probe_packet_diag, KD_EXTRA, false},
	{"netlink_diag", kd_probe_netlink_diag, KD_EXTRA, false},
	{"net_diag_raw", kd_probe_net_diag_raw, KD_EXTRA, false},
	{"seccomp_filters", probe_seccomp_filters, KD_EXTRA, false},
	{"kcmp_epoll", probe_kcmp_epoll, KD_EXTRA, false},
	{"timerfd", probe_timerfd, KD_EXTRA, false},
	{"aio_remap", probe_aio_remap, KD_EXTRA, false},
	{"mnt_id", probe_mnt_id, KD_EXTRA, false},
	{"fdinfo_lock", probe_fdinfo_lock, KD_EXTRA, false},
	{"cgroupns", probe_cgroupns, KD_EXTRA, false},
	{"userns", probe_userns, KD_EXTRA, false},
	{"can_map_vdso", probe_can_map_vdso, KD_EXTRA, false},
	{"sk_ns", kd_probe_sk_ns, KD_EXTRA, false},
	{"sk_unix_file", kd_probe_sk_unix_file, KD_EXTRA, false},
	{"nsid", kd_probe_nsid, KD_EXTRA, false},
	{"ns_pid", probe_ns_pid, KD_EXTRA, false},
	{"sockopt_buf_lock", kd_probe_sockopt_buf_lock, KD_EXTRA, false},
	{"ipv6_freebind", kd_probe_ipv6_freebind, KD_EXTRA, false},
	{"memfd_hugetlb", probe_memfd_hugetlb, KD_EXTRA, false},
	{"move_mount_set_group", probe_move_mount_set_group, KD_EXTRA, false},
	{"openat2", probe_openat2, KD_EXTRA, false},
	{"loginuid", probe_loginuid, KD_EXTRA, false},
	{"tun", kd_probe_tun, KD_EXTRA, true},
	/* only with --feature */
	{"nftables", kd_probe_nftables, KD_FEATURE_ONLY, false},
	{"has_ipt_legacy", kd_probe_ipt_legacy, KD_FEATURE_ONLY, false},
	{"network_lock_nftables", kd_probe_network_lock_nftables, KD_FEATURE_ONLY, false},
};

/* The read-only cache of kernel features CONVENTIONS.md allows: filled once per process. */
static struct {
	bool done;
	struct kd_why why;
} kd_cache[ARRAY_SIZE(kd_probes)];

static int kd_lookup(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(kd_probes); i++)
		if (!strcmp(kd_probes[i].name, name))
			return (int)i;
	return -ENOENT;
}

int kerndat_probe(const char *name)
{
	int i = kd_lookup(name);
	struct kd_why *w;

	if (i < 0)
		return i;
	w = &kd_cache[i].why;
	if (!kd_cache[i].done) {
		memset(w, 0, sizeof(*w));
		if (kd_probes[i].fn(w) < 0 && w->err == 0)
			kd_fail(w, -EIO, "%s", name);
		kd_cache[i].done = true;
		if (w->err)
			pr_info("probe %s: not supported: %s: %s\n", name, w->msg, strerror(-w->err));
		else
			pr_info("probe %s: supported\n", name);
	}
	return w->err ? 0 : 1;
}

const char *kerndat_why(const char *name)
{
	int i = kd_lookup(name);

	if (i < 0 || !kd_cache[i].done || !kd_cache[i].why.err)
		return NULL;
	return kd_cache[i].why.msg;
}

int kerndat_error(const char *name)
{
	int i = kd_lookup(name);

	return i < 0 || !kd_cache[i].done ? 0 : kd_cache[i].why.err;
}

size_t kerndat_count(void)
{
	return ARRAY_SIZE(kd_probes);
}

const char *kerndat_name(size_t i)
{
	return i < ARRAY_SIZE(kd_probes) ? kd_probes[i].name : NULL;
}

enum kerndat_class kerndat_class_of(size_t i)
{
	return i < ARRAY_SIZE(kd_probes) ? kd_probes[i].cls : KD_FEATURE_ONLY;
}

bool kerndat_absent_ok(size_t i)
{
	return i < ARRAY_SIZE(kd_probes) && kd_probes[i].absent_ok;
}

/*
 * What this binary can do here, not only what the kernel offers: callers
 * (runc --pre-dump, Podman) go ahead on a yes. Pre-dump with memory
 * tracking and lazy pages are not built yet ("not supported yet"), so
 * they are no, whatever the kernel has (criu check --feature still
 * reports the kernel's side).
 */
int cr_feature_check(bool *ret_mem_track, bool *ret_lazy_pages, bool *ret_pidfd_store)
{
	if (ret_mem_track)
		*ret_mem_track = false;
	if (ret_lazy_pages)
		*ret_lazy_pages = false;
	if (ret_pidfd_store)
		*ret_pidfd_store = kerndat_probe("pidfd_store") == 1;
	return 0;
}
