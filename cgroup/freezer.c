/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * --freeze-cgroup: the cgroup freezer makes sure no task of the cgroup forks
 * or exits while the tree is seized. A v1-frozen task does not react to
 * PTRACE_INTERRUPT until it is thawed, so every thread is seized and
 * interrupted while frozen and the cgroup is thawed right away: each thread
 * then stops in its interrupt before it returns to user space, and
 * infect_seize_thread() takes it over (it knows a thread we already seized).
 */
#define LOG_PREFIX "cgroup: "
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_priv.h"
#include "cleanup.h"
#include "log.h"

struct cg_freeze {
	char *path;
	bool v2;
	bool was_frozen;
	pid_t *tids; /* seized by us */
	size_t n, cap;
};

static const char *state_file(const struct cg_freeze *f)
{
	return f->v2 ? "cgroup.freeze" : "freezer.state";
}

static int set_state(const struct cg_freeze *f, bool frozen)
{
	const char *v = f->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");

	return cg_write_file(f->path, state_file(f), v);
}

/* v1: freezer.state says FROZEN; v2: cgroup.events says "frozen 1". */
static int is_frozen(const struct cg_freeze *f, bool *ret)
{
	_cleanup_free_ char *s = NULL;
	int r = cg_read_file(f->path, f->v2 ? "cgroup.events" : "freezer.state", &s);

	if (r < 0)
		return r;
	*ret = f->v2 ? (strstr(s, "frozen 1") != NULL) : !strcmp(s, "FROZEN");
	return 0;
}

static int wait_frozen(const struct cg_freeze *f, unsigned int timeout_s)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool frozen = false;
		int r = is_frozen(f, &frozen);

		if (r < 0)
			return r;
		if (frozen)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)timeout_s)
			return -ETIMEDOUT;
		/* v1: a task that was busy may have missed the first request */
		if (!f->v2)
			set_state(f, true);
		usleep(10000);
	}
}

static int add_tid(struct cg_freeze *f, pid_t tid)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		pid_t *nt = realloc(f->tids, cap * sizeof(*nt));

		if (!nt)
			return -ENOMEM;
		f->tids = nt;
		f->cap = cap;
	}
	f->tids[f->n++] = tid;
	return 0;
}

static int seize_one(struct cg_freeze *f, pid_t tid)
{
	unsigned long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_SUSPEND_SECCOMP;

	if (tid == getpid())
		return pr_err_ret(-EINVAL, "criu itself (pid %d) is in the freezer cgroup %s", tid, f->path);
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)opts)) {
		if (errno == ESRCH)
			return 0; /* it was exiting */
		return pr_perror_ret("tid %d of %s: PTRACE_SEIZE", tid, f->path);
	}
	if (add_tid(f, tid) < 0)
		return -ENOMEM;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) && errno != ESRCH)
		return pr_perror_ret("tid %d of %s: PTRACE_INTERRUPT", tid, f->path);
	return 0;
}

/* Every thread of dir and of its descendants. */
static int seize_dir(struct cg_freeze *f, const char *dir, int depth)
{
	_cleanup_fclose_ FILE *tasks = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	int tid, r;

	if (depth > 64)
		return -ELOOP;
	snprintf(path, sizeof(path), "%s/%s", dir, f->v2 ? "cgroup.threads" : "tasks");
	tasks = fopen(path, "re");
	if (!tasks)
		return pr_perror_ret("cannot read %s", path);
	while (fscanf(tasks, "%d", &tid) == 1) {
		r = seize_one(f, tid);
		if (r < 0)
			return r;
	}
	d = opendir(dir);
	if (!d)
		return pr_perror_ret("cannot list %s", dir);
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		r = seize_dir(f, path, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

static bool traced_by_us(pid_t tid)
{
	_cleanup_fclose_ FILE *st = NULL;
	char path[64], line[128];
	int tracer = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	st = fopen(path, "re");
	if (!st)
		return false;
	while (fgets(line, sizeof(line), st))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	return tracer == (int)syscall(SYS_gettid);
}

/* Lets go of the threads we still hold (the dump released the tree's already). */
static void release_tids(struct cg_freeze *f)
{
	for (size_t i = 0; i < f->n; i++) {
		pid_t tid = f->tids[i];
		int st;

		if (!traced_by_us(tid))
			continue;
		if (ptrace(PTRACE_DETACH, tid, NULL, NULL) == 0)
			continue;
		/* not in its stop yet: wait a little for it (it was thawed), then detach */
		for (int k = 0; k < 200; k++) {
			pid_t w = waitpid(tid, &st, __WALL | WNOHANG);

			if (w == tid && WIFSTOPPED(st) && ptrace(PTRACE_DETACH, tid, NULL, NULL) == 0)
				break;
			if (w < 0 && errno != EINTR)
				break;
			usleep(10000);
		}
	}
	f->n = 0;
}

static void freeze_free(struct cg_freeze *f)
{
	if (!f)
		return;
	free(f->tids);
	free(f->path);
	free(f);
}

int cgroup_freeze(const char *path, unsigned int timeout_s, struct cg_freeze **ret)
{
	struct cg_freeze *f = calloc(1, sizeof(*f));
	_cleanup_free_ char *s = NULL;
	struct stat stv;
	char p[PATH_MAX];
	int r;

	if (!f || !(f->path = strdup(path))) {
		freeze_free(f);
		return -ENOMEM;
	}
	snprintf(p, sizeof(p), "%s/freezer.state", path);
	if (stat(p, &stv) == 0) {
		f->v2 = false;
	} else {
		snprintf(p, sizeof(p), "%s/cgroup.freeze", path);
		if (stat(p, &stv) < 0) {
			freeze_free(f);
			return pr_err_ret(-ENOENT,
					  "--freeze-cgroup %s: neither a v1 freezer cgroup (freezer.state) "
					  "nor a cgroup2 one (cgroup.freeze)",
					  path);
		}
		f->v2 = true;
	}
	r = cg_read_file(path, state_file(f), &s);
	if (r < 0) {
		pr_err("cannot read %s/%s: %s\n", path, state_file(f), strerror(-r));
		freeze_free(f);
		return r;
	}
	f->was_frozen = f->v2 ? !strcmp(s, "1") : !strcmp(s, "FROZEN");

	r = set_state(f, true);
	if (r < 0) {
		pr_err("cannot freeze %s: %s\n", path, strerror(-r));
		goto fail;
	}
	r = wait_frozen(f, timeout_s ? timeout_s : 10);
	if (r < 0) {
		pr_err("the cgroup %s did not freeze: %s\n", path, strerror(-r));
		goto fail;
	}
	pr_info("cgroup %s frozen (%s)\n", path, f->v2 ? "cgroup2" : "v1 freezer");
	r = seize_dir(f, path, 0);
	if (r < 0)
		goto fail;
	/* the interrupts catch every thread on its way out of the freezer */
	r = set_state(f, false);
	if (r < 0) {
		pr_err("cannot thaw %s: %s\n", path, strerror(-r));
		goto fail;
	}
	pr_info("%zu thread(s) of %s seized; the cgroup is thawed\n", f->n, path);
	*ret = f;
	return 0;
fail:
	if (set_state(f, false) < 0)
		pr_err("the cgroup %s could not be thawed\n", path);
	release_tids(f);
	if (f->was_frozen)
		set_state(f, true);
	freeze_free(f);
	return r;
}

void cgroup_freeze_finish(struct cg_freeze *f)
{
	if (!f)
		return;
	release_tids(f);
	if (f->was_frozen && set_state(f, true) < 0)
		pr_warn("the cgroup %s was frozen before the dump and could not be frozen again\n", f->path);
	freeze_free(f);
}
