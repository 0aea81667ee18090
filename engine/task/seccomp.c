/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Seccomp filters: dump through ptrace (PTRACE_SECCOMP_GET_FILTER gives the
 * n-th filter of a stopped thread, 0 the oldest, PTRACE_SECCOMP_GET_METADATA its
 * flags); restore through remote seccomp(SECCOMP_SET_MODE_FILTER) in the
 * restored threads. The restore seizes with PTRACE_O_SUSPEND_SECCOMP, so the
 * remote calls made after a filter is installed are not filtered.
 *
 * Exact: every thread's chain of programs and the LOG flag. Approximate: the
 * kernel does not say which filters are shared objects, so filters with the
 * same program stacked on the same filter are taken as one; after restore
 * only the part common to every thread is shared (installed with TSYNC), a
 * part shared by some threads only becomes one copy per thread. Strict mode
 * (read, write, _exit and sigreturn only) is set in each thread that had it
 * by criu's last remote calls before the control region goes. Not restored:
 * user-notification listeners (SECCOMP_FILTER_FLAG_NEW_LISTENER: the listener
 * fd is not dumped; such a filter answers ENOSYS after restore) and the
 * SPEC_ALLOW flag, which the kernel does not report.
 */
#define LOG_PREFIX "seccomp: "
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>

#include "cleanup.h"
#include "log.h"
#include "proc_task.h"
#include "seccomp.h"

#define FILTER_INSN_SIZE sizeof(struct sock_filter)
/* Arguments in the scratch area: struct sock_fprog, then the program. */
#define ARG_PROG 64

struct filter_meta {
	uint64_t filter_off, flags;
};

/* ---- dump ---- */

static int thread_mode(pid_t pid, pid_t tid, uint32_t *ret)
{
	char path[64], buf[32];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	r = proc_status_field(path, "Seccomp", buf, sizeof(buf));
	if (r < 0)
		return r;
	*ret = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

/* The idx-th filter of tid (0: the oldest): its program in *ret (malloc'ed), -ENOENT past the newest. */
static int get_filter(pid_t tid, unsigned long idx, ProtobufCBinaryData *ret, uint32_t *ret_flags)
{
	struct filter_meta md = {.filter_off = idx};
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, NULL);
	uint8_t *buf;

	if (n < 0)
		return -errno;
	if (n == 0 || n > BPF_MAXINSNS)
		return -EBADMSG;
	buf = malloc((size_t)n * FILTER_INSN_SIZE);
	if (!buf)
		return -ENOMEM;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, tid, (void *)idx, buf) != n) {
		free(buf);
		return errno ? -errno : -EIO;
	}
	if (ptrace(PTRACE_SECCOMP_GET_METADATA, tid, (void *)sizeof(md), &md) < 0) {
		free(buf);
		return -errno;
	}
	ret->data = buf;
	ret->len = (size_t)n * FILTER_INSN_SIZE;
	*ret_flags = (uint32_t)md.flags;
	return 0;
}

/* Index (1-based) of the filter with this program on prev, adding it if new; takes prog. */
static int pool_add(TaskCore *core, uint32_t prev, ProtobufCBinaryData *prog, uint32_t flags, uint32_t *ret)
{
	SeccompFilterEntry **tmp, *e;

	for (size_t i = 0; i < core->n_seccomp; i++) {
		e = core->seccomp[i];
		if (e->prev == prev && e->flags == flags && e->filter.len == prog->len &&
		    !memcmp(e->filter.data, prog->data, prog->len)) {
			free(prog->data);
			prog->data = NULL;
			*ret = (uint32_t)i + 1;
			return 0;
		}
	}
	tmp = realloc(core->seccomp, (core->n_seccomp + 1) * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	core->seccomp = tmp;
	e = malloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	seccomp_filter_entry__init(e);
	e->filter = *prog;
	prog->data = NULL;
	e->flags = flags;
	e->has_prev = true;
	e->prev = prev;
	core->seccomp[core->n_seccomp++] = e;
	*ret = (uint32_t)core->n_seccomp;
	return 0;
}

/*
 * Reads tid's chain into the pool. The kernel counts filter_off from the
 * oldest filter (get_nth_filter() walks count - off steps back from the newest).
 */
static int dump_thread_chain(pid_t tid, TaskCore *core, uint32_t *ret_newest)
{
	_cleanup_free_ ProtobufCBinaryData *progs = NULL;
	_cleanup_free_ uint32_t *flags = NULL;
	uint32_t prev = 0;
	size_t n = 0, cap = 0;
	int r = 0;

	for (;;) {
		if (n == cap) {
			void *p, *f;

			cap = cap ? cap * 2 : 8;
			p = realloc(progs, cap * sizeof(*progs));
			if (p)
				progs = p;
			f = realloc(flags, cap * sizeof(*flags));
			if (f)
				flags = f;
			if (!p || !f) {
				r = -ENOMEM;
				break;
			}
		}
		r = get_filter(tid, n, &progs[n], &flags[n]);
		if (r == -ENOENT) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		if (r == 0)
			r = pool_add(core, prev, &progs[i], flags[i], &prev);
		free(progs[i].data);
	}
	if (r == 0)
		*ret_newest = prev;
	return r;
}

int seccomp_dump(pid_t pid, const struct infect_thread *th, size_t nth, TaskCore *core, ThreadCore **threads)
{
	for (size_t i = 0; i < nth; i++) {
		uint32_t mode = 0, newest = 0;
		int r = thread_mode(pid, th[i].tid, &mode);

		if (r < 0)
			return pr_err_ret(r, "pid %d: tid %d: cannot read its seccomp mode", pid, th[i].tid);
		if (mode > SECCOMP_MODE_FILTER)
			return pr_err_ret(-EOPNOTSUPP, "pid %d: tid %d: unknown seccomp mode %u", pid,
					  th[i].tid, mode);
		threads[i]->has_seccomp_mode = true;
		threads[i]->seccomp_mode = mode;
		if (mode != SECCOMP_MODE_FILTER)
			continue;
		r = dump_thread_chain(th[i].tid, core, &newest);
		if (r < 0)
			return pr_err_ret(
				r, "pid %d: tid %d: cannot read its seccomp filters%s", pid, th[i].tid,
				r == -EINVAL ? " (a kernel without CONFIG_CHECKPOINT_RESTORE?)" : "");
		threads[i]->has_seccomp_filter = true;
		threads[i]->seccomp_filter = newest;
	}
	if (core->n_seccomp)
		pr_info("pid %d: %zu distinct seccomp filter(s) in %zu thread(s)\n", pid, core->n_seccomp,
			nth);
	return 0;
}

/* ---- restore ---- */

int seccomp_check(const char *name, const TaskCore *core, ThreadCore **th, size_t nth)
{
	for (size_t i = 0; i < core->n_seccomp; i++) {
		const SeccompFilterEntry *e = core->seccomp[i];

		if (!e->filter.len || e->filter.len % FILTER_INSN_SIZE ||
		    e->filter.len / FILTER_INSN_SIZE > BPF_MAXINSNS)
			return pr_err_ret(-EBADMSG, "%s: seccomp filter %zu of %zu bytes", name, i + 1,
					  e->filter.len);
		if (e->prev > i) /* below itself or later: no loops */
			return pr_err_ret(-EBADMSG, "%s: seccomp filter %zu stacked on %u", name, i + 1,
					  e->prev);
		if (e->flags & ~(uint32_t)SECCOMP_FILTER_FLAG_LOG)
			return pr_err_ret(-EBADMSG, "%s: seccomp filter %zu: flags %#x", name, i + 1,
					  e->flags);
	}
	for (size_t i = 0; i < nth; i++) {
		uint32_t mode = th[i]->has_seccomp_mode ? th[i]->seccomp_mode : 0;

		if (mode > SECCOMP_MODE_FILTER)
			return pr_err_ret(-EBADMSG, "%s: thread %u: seccomp mode %u", name, th[i]->tid, mode);
		if ((mode == SECCOMP_MODE_FILTER) != (th[i]->seccomp_filter != 0) ||
		    th[i]->seccomp_filter > core->n_seccomp)
			return pr_err_ret(-EBADMSG, "%s: thread %u: seccomp filter %u of %zu", name,
					  th[i]->tid, th[i]->seccomp_filter, core->n_seccomp);
	}
	return 0;
}

/* The chain of pool indices (1-based) ending at newest, oldest first; returns its length. */
static size_t chain_of(const TaskCore *core, uint32_t newest, uint32_t *out)
{
	size_t n = 0;

	for (uint32_t f = newest; f; f = core->seccomp[f - 1]->prev)
		n++;
	for (uint32_t f = newest, k = (uint32_t)n; f; f = core->seccomp[f - 1]->prev)
		out[--k] = f;
	return n;
}

static int install(struct infect_ctl *c, const SeccompFilterEntry *e, uint32_t extra_flags)
{
	struct sock_fprog prog = {
		.len = (unsigned short)(e->filter.len / FILTER_INSN_SIZE),
		.filter = (struct sock_filter *)(uintptr_t)(c->scratch + ARG_PROG),
	};
	long ret;
	int r;

	if (ARG_PROG + e->filter.len > c->scratch_size)
		return -E2BIG;
	r = infect_write(c->tid, c->scratch, &prog, sizeof(prog));
	if (r == 0)
		r = infect_write(c->tid, c->scratch + ARG_PROG, e->filter.data, e->filter.len);
	if (r == 0)
		r = infect_syscall(c, SYS_seccomp, &ret, SECCOMP_SET_MODE_FILTER, e->flags | extra_flags,
				   c->scratch, 0, 0, 0);
	if (r < 0)
		return r;
	if (ret < 0)
		return (int)ret;
	/* with TSYNC, a positive value is the thread that could not be synchronised */
	return ret > 0 ? -EAGAIN : 0;
}

int seccomp_restore(struct infect_ctl *lc, const pid_t *tids, const TaskCore *core, ThreadCore **th,
		    size_t nth)
{
	_cleanup_free_ uint32_t *chain = NULL, *common = NULL;
	size_t ncommon = 0;
	int r;

	if (!core->n_seccomp)
		return 0;
	chain = calloc(core->n_seccomp, sizeof(*chain));
	common = calloc(core->n_seccomp, sizeof(*common));
	if (!chain || !common)
		return -ENOMEM;
	/* the longest chain prefix every thread has */
	for (size_t i = 0; i < nth; i++) {
		size_t n = chain_of(core, th[i]->seccomp_filter, chain), k = 0;

		if (i == 0) {
			memcpy(common, chain, n * sizeof(*chain));
			ncommon = n;
			continue;
		}
		while (k < n && k < ncommon && chain[k] == common[k])
			k++;
		ncommon = k;
	}
	for (size_t k = 0; k < ncommon; k++) {
		r = install(lc, core->seccomp[common[k] - 1], nth > 1 ? SECCOMP_FILTER_FLAG_TSYNC : 0);
		if (r < 0)
			return pr_err_ret(r, "pid %d: cannot install seccomp filter %u in every thread",
					  lc->tid, common[k]);
	}
	for (size_t i = 0; i < nth; i++) {
		struct infect_ctl tc = *lc;
		size_t n = chain_of(core, th[i]->seccomp_filter, chain);

		tc.tid = tids[i];
		for (size_t k = ncommon; k < n; k++) {
			r = install(&tc, core->seccomp[chain[k] - 1], 0);
			if (r < 0)
				return pr_err_ret(r, "pid %d: thread %d: cannot install seccomp filter %u",
						  lc->tid, tids[i], chain[k]);
		}
	}
	pr_info("pid %d: %zu seccomp filter(s) installed, %zu shared by all %zu thread(s)\n", lc->tid,
		core->n_seccomp, ncommon, nth);
	return 0;
}

int seccomp_restore_strict(const struct infect_ctl *lc, const pid_t *tids, ThreadCore **th, size_t nth)
{
	for (size_t i = 0; i < nth; i++) {
		struct infect_ctl tc = *lc;
		long ret;
		int r;

		if (!th[i]->has_seccomp_mode || th[i]->seccomp_mode != SECCOMP_MODE_STRICT)
			continue;
		tc.tid = tids[i];
		r = infect_syscall(&tc, SYS_seccomp, &ret, SECCOMP_SET_MODE_STRICT, 0, 0, 0, 0, 0);
		if (r == 0 && ret < 0)
			r = (int)ret;
		if (r < 0)
			return pr_err_ret(r, "pid %d: thread %d: cannot set seccomp strict mode", lc->tid,
					  tids[i]);
		pr_info("pid %d: thread %d: seccomp strict mode\n", lc->tid, tids[i]);
	}
	return 0;
}
