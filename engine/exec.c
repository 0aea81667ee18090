/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * criu exec -t PID SYSCALL [ARGS...]: runs one system call inside a live
 * task and prints what it returned, e.g.
 *
 *   criu exec -t 1234 close 1
 *   criu exec -t 1234 open '&/foo/bar' 2
 *
 * SYSCALL is an x86-64 name (the table is generated from <asm/unistd_64.h>
 * at build time) or a number. An argument is a number (decimal, or hex with
 * 0x) or &text: text is copied into the task as a NUL-terminated string and
 * its address is passed. A negative number needs "--" before the syscall
 * name, or it is read as an option.
 *
 * The task is frozen (every thread seized with ptrace, signals blocked), the
 * call runs in its leader through infect_syscall, and then everything is put
 * back: scratch memory unmapped, registers, signal masks and a stopped state
 * as they were, and the task is detached. Calls after which the task would
 * not come back to us (exit, execve, clone, ...) are refused; a call that
 * blocks keeps criu waiting with it.
 */
#define LOG_PREFIX "exec: "
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/unistd.h>
#include <unistd.h>

#include "cleanup.h"
#include "engine.h"
#include "guard.h"
#include "infect.h"
#include "log.h"

#define EXEC_MAX_ARGS 6

struct syscall_name {
	const char *name;
	long nr;
};

static const struct syscall_name syscall_names[] = {
#define SYSCALL_NAME(n) {#n, __NR_##n},
#include "syscall_names.h"
#undef SYSCALL_NAME
};

/* Calls that never return to the tracer as the same task, or that break our control of it. */
static const char *const refused[] = {
	"exit", "exit_group", "execve", "execveat", "clone", "clone3", "fork", "vfork", "rt_sigreturn",
};

static const char *syscall_name_of(long nr)
{
	for (size_t i = 0; i < ARRAY_SIZE(syscall_names); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

/* "0x1f" or "-12" or "42"; 0 or -EINVAL. */
static int parse_number(const char *s, long *ret)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	if ((s[0] == '0' && (s[1] == 'x' || s[1] == 'X')))
		v = (long)strtoull(s + 2, &end, 16);
	else
		v = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int parse_syscall(const char *s, long *ret_nr, const char **ret_name)
{
	long nr;

	if (!strncmp(s, "sys_", 4))
		s += 4;
	for (size_t i = 0; i < ARRAY_SIZE(syscall_names); i++)
		if (!strcmp(syscall_names[i].name, s)) {
			*ret_nr = syscall_names[i].nr;
			*ret_name = syscall_names[i].name;
			return 0;
		}
	if (parse_number(s, &nr) == 0 && nr >= 0 && nr < 4096) {
		*ret_nr = nr;
		*ret_name = syscall_name_of(nr);
		return 0;
	}
	return pr_err_ret(-EINVAL, "unknown system call: %s", s);
}

struct exec_call {
	long nr;
	const char *name; /* NULL for a number we have no name for */
	size_t nargs;
	long num[EXEC_MAX_ARGS];
	const char *str[EXEC_MAX_ARGS]; /* &text arguments (text), else NULL */
	size_t str_bytes;		/* what the strings need in the task */
};

static int parse_call(const struct cr_strv *args, struct exec_call *call)
{
	int r;

	memset(call, 0, sizeof(*call));
	if (args->n == 0)
		return pr_err_ret(-EINVAL, "a system call is needed: criu exec -t PID SYSCALL [ARGS...]");
	r = parse_syscall(args->v[0], &call->nr, &call->name);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (call->name && !strcmp(call->name, refused[i]))
			return pr_err_ret(-EINVAL,
					  "%s cannot be run with criu exec: the task would not come back",
					  call->name);
	if (args->n - 1 > EXEC_MAX_ARGS)
		return pr_err_ret(-E2BIG, "too many arguments for %s: %zu, at most %d", args->v[0],
				  args->n - 1, EXEC_MAX_ARGS);
	call->nargs = args->n - 1;
	for (size_t i = 0; i < call->nargs; i++) {
		const char *a = args->v[i + 1];

		if (a[0] == '&') {
			call->str[i] = a + 1;
			call->str_bytes += strlen(a + 1) + 1;
		} else if (parse_number(a, &call->num[i]) < 0) {
			return pr_err_ret(-EINVAL, "argument %zu '%s' is neither a number nor &text", i + 1,
					  a);
		}
	}
	return 0;
}

/* Copies the &text arguments into the scratch area and sets their addresses. */
static int place_strings(struct infect_ctl *c, struct exec_call *call)
{
	uint64_t at;
	int r;

	if (!call->str_bytes)
		return 0;
	r = infect_scratch_map(c, call->str_bytes);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot map room for the string arguments", c->tid);
	at = c->scratch;
	for (size_t i = 0; i < call->nargs; i++) {
		size_t len;

		if (!call->str[i])
			continue;
		len = strlen(call->str[i]) + 1;
		r = infect_write(c->tid, at, call->str[i], len);
		if (r < 0)
			return r;
		call->num[i] = (long)at;
		at += len;
	}
	return 0;
}

static void print_result(const struct exec_call *call, long ret)
{
	if (ret < 0 && ret > -4096) {
		const char *name = strerrorname_np((int)-ret);

		printf("Result = %ld (%s: %s)\n", ret, name ? name : "?", strerror((int)-ret));
	} else if (ret > 0xffff) {
		printf("Result = %ld (%#lx)\n", ret, (unsigned long)ret);
	} else {
		printf("Result = %ld\n", ret);
	}
	fflush(stdout);
	pr_info("%s(%zu args) = %ld\n", call->name ? call->name : "?", call->nargs, ret);
}

/* Freezes pid, runs the call in its leader, puts everything back. */
static int exec_in_task(pid_t pid, struct exec_call *call, long *ret)
{
	struct infect_thread *th = NULL;
	struct infect_ctl c;
	bool ctl = false;
	size_t n = 0;
	int r, r2 = 0;

	r = infect_freeze_process(pid, &th, &n);
	if (r < 0)
		return r == -ESRCH ? pr_err_ret(r, "pid %d: no such process", pid) : r;
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = infect_block_signals(&th[i]);
	if (r >= 0)
		r = infect_ctl_init(&c, &th[0]);
	if (r >= 0) {
		ctl = true;
		r = place_strings(&c, call);
	}
	if (r >= 0)
		r = infect_syscall(&c, call->nr, ret, (unsigned long)call->num[0],
				   (unsigned long)call->num[1], (unsigned long)call->num[2],
				   (unsigned long)call->num[3], (unsigned long)call->num[4],
				   (unsigned long)call->num[5]);
	if (ctl && infect_ctl_fini(&c) < 0)
		r2 = -EIO;
	for (size_t i = 0; i < n; i++)
		if (infect_release_thread(&th[i], false) < 0)
			r2 = pr_err_ret(-EIO, "pid %d: thread %d could not be resumed cleanly", pid,
					th[i].tid);
	free(th);
	return r < 0 ? r : r2;
}

static int exec_job(void *arg)
{
	struct cr_request *req = arg;
	const struct cr_opts *o = &req->opts;
	struct exec_call call;
	char path[32];
	long ret = 0;
	int r;

	r = parse_call(&o->args, &call);
	if (r < 0)
		return r;
	if (o->pid <= 0)
		return pr_err_ret(-EINVAL, "a task is needed: criu exec -t PID SYSCALL [ARGS...]");
	if (guard_is_self(o->pid))
		return pr_err_ret(-EINVAL, "pid %d is criu itself", o->pid);
	snprintf(path, sizeof(path), "/proc/%d", o->pid);
	if (access(path, F_OK) < 0 || kill(o->pid, 0) < 0)
		return pr_err_ret(-ESRCH, "pid %d: no such process", o->pid);
	pr_info("pid %d: running %s (nr %ld) with %zu argument(s)\n", o->pid, call.name ? call.name : "?",
		call.nr, call.nargs);
	r = guard_check("seizing the task");
	if (r < 0)
		return r;
	r = exec_in_task(o->pid, &call, &ret);
	if (r < 0)
		return r; /* logged where it failed */
	print_result(&call, ret);
	return 0;
}

/* Like a dump, the task is driven from a tracer child that outlives criu (guard.c). */
int cr_exec(struct cr_request *req)
{
	return guard_run(exec_job, req, "exec");
}
