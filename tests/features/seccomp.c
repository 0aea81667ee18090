/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp filters, stacked and per thread: with a second thread running,
 * filter 1 (getppid fails with EPERM) is installed in both threads with
 * TSYNC; filter 2 (getsid fails with ENOTTY, SECCOMP_FILTER_FLAG_LOG) in the
 * main thread only. After restore each thread's syscalls behave per its own
 * filters, /proc shows Seccomp: 2 and Seccomp_filters 2 and 1, and filter 1
 * is still shared: a new filter installed with TSYNC succeeds.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "feature.h"

static volatile pid_t thread_tid;
static volatile int gate, thread_checked, thread_ppid_errno, thread_sid_ok;

/* Returns ERRNO(err) for syscall nr on x86-64, allows everything else. */
static int install(int nr, int err, unsigned int flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned int)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof(insns) / sizeof(insns[0]), insns};

	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* errno of a syscall that must fail, or 0 if it succeeded. */
static int fails_with(long nr)
{
	errno = 0;
	return syscall(nr, 0) < 0 ? errno : 0;
}

static void *thread_fn(void *arg)
{
	volatile int *go = arg;

	thread_tid = feat_gettid();
	feat_gate_wait(go);
	thread_ppid_errno = fails_with(SYS_getppid);
	thread_sid_ok = fails_with(SYS_getsid) == 0;
	thread_checked = 1;
	feat_gate_wait(&gate);
	return NULL;
}

static void check_status(const char *path, const char *filters)
{
	char v[64];

	FEAT_CHECK(!feat_status_field(path, "Seccomp", v, sizeof(v)) && !strcmp(v, "2"),
		   "%s: Seccomp: %s, expected 2", path, v);
	if (feat_status_field(path, "Seccomp_filters", v, sizeof(v)))
		return; /* older kernels do not show the count */
	FEAT_CHECK(!strcmp(v, filters), "%s: Seccomp_filters: %s, expected %s", path, v, filters);
}

int main(int argc, char **argv)
{
	static volatile int go;
	char path[128];
	pthread_t th;

	feat_init(argc, argv);
	if (feat_thread_create(&th, thread_fn, (void *)&go))
		feat_die("pthread_create");
	while (!thread_tid)
		feat_sleep_ms(1);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		feat_die("PR_SET_NO_NEW_PRIVS");
	if (install(SYS_getppid, EPERM, SECCOMP_FILTER_FLAG_TSYNC))
		feat_die("seccomp filter 1 (TSYNC)");
	if (install(SYS_getsid, ENOTTY, SECCOMP_FILTER_FLAG_LOG))
		feat_die("seccomp filter 2");
	if (fails_with(SYS_getppid) != EPERM || fails_with(SYS_getsid) != ENOTTY)
		feat_die("the filters do not work before the dump");

	feat_ready();
	feat_wait_go();

	FEAT_CHECK(fails_with(SYS_getppid) == EPERM, "main: getppid gives errno %d, expected EPERM",
		   fails_with(SYS_getppid));
	FEAT_CHECK(fails_with(SYS_getsid) == ENOTTY, "main: getsid gives errno %d, expected ENOTTY",
		   fails_with(SYS_getsid));
	FEAT_CHECK(fails_with(SYS_getpid) == 0, "main: getpid fails");
	check_status("/proc/self/status", "2");
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", thread_tid);
	check_status(path, "1");

	feat_gate_open(&go);
	while (!thread_checked)
		feat_sleep_ms(1);
	FEAT_CHECK(thread_ppid_errno == EPERM, "thread: getppid gives errno %d, expected EPERM",
		   thread_ppid_errno);
	FEAT_CHECK(thread_sid_ok, "thread: getsid fails: filter 2 leaked into the thread");

	/* TSYNC works only if the thread's filter is one of ours: still shared */
	{
		int r = install(SYS_getpgid, EPERM, SECCOMP_FILTER_FLAG_TSYNC);

		FEAT_CHECK(r == 0, "TSYNC after restore gives %d (errno %d): filter 1 is no longer shared", r,
			   errno);
	}

	feat_gate_open(&gate);
	pthread_join(th, NULL);
	return feat_done();
}
