/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading a task's state from /proc. */
#define LOG_PREFIX "task: "
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "lsm.h"
#include "proc_task.h"

static int read_file(const char *path, char *buf, size_t size, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;

	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return 0;
}

int proc_status_field(const char *status_path, const char *key, char *buf, size_t size)
{
	char text[8192], *p;
	size_t klen = strlen(key);
	int r = read_file(status_path, text, sizeof(text), NULL);

	if (r < 0)
		return r;
	for (p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			const char *v = p + klen + 1;
			size_t n;

			v += strspn(v, " \t");
			n = strcspn(v, "\n");
			if (n >= size)
				n = size - 1;
			memcpy(buf, v, n);
			buf[n] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

static int status_u32s(const char *path, const char *key, uint32_t *v, size_t n)
{
	char buf[256];
	int r = proc_status_field(path, key, buf, sizeof(buf));

	if (r < 0)
		return r;
	if (n == 4 && sscanf(buf, "%u %u %u %u", &v[0], &v[1], &v[2], &v[3]) == 4)
		return 0;
	if (n == 1 && sscanf(buf, "%u", &v[0]) == 1)
		return 0;
	return -EBADMSG;
}

static int status_hex64(const char *path, const char *key, uint64_t *v)
{
	char buf[64];
	int r = proc_status_field(path, key, buf, sizeof(buf));

	if (r < 0)
		return r;
	return sscanf(buf, "%" SCNx64, v) == 1 ? 0 : -EBADMSG;
}

static int dump_groups(const char *path, CredsEntry *c)
{
	char buf[4096], *p, *end;
	int r = proc_status_field(path, "Groups", buf, sizeof(buf));

	if (r < 0)
		return r;
	c->groups = calloc(NGROUPS_MAX / 64 + 1024, sizeof(uint32_t));
	if (!c->groups)
		return -ENOMEM;
	for (p = buf;; p = end) {
		unsigned long g = strtoul(p, &end, 10);

		if (end == p)
			break;
		c->groups[c->n_groups++] = (uint32_t)g;
	}
	return 0;
}

static int read_creds(pid_t pid, const char *path, CredsEntry **ret)
{
	CredsEntry *c = calloc(1, sizeof(*c));
	uint32_t uids[4], gids[4], nnp = 0;
	int r;

	if (!c)
		return -ENOMEM;
	creds_entry__init(c);
	*ret = c;
	r = status_u32s(path, "Uid", uids, 4);
	if (!r)
		r = status_u32s(path, "Gid", gids, 4);
	if (!r)
		r = status_hex64(path, "CapInh", &c->cap_inh);
	if (!r)
		r = status_hex64(path, "CapPrm", &c->cap_prm);
	if (!r)
		r = status_hex64(path, "CapEff", &c->cap_eff);
	if (!r)
		r = status_hex64(path, "CapBnd", &c->cap_bnd);
	if (!r)
		r = status_hex64(path, "CapAmb", &c->cap_amb);
	if (!r)
		r = dump_groups(path, c);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read credentials from %s", pid, path);
	if (status_u32s(path, "NoNewPrivs", &nnp, 1) == 0)
		c->no_new_privs = nnp != 0;
	c->uid = uids[0], c->euid = uids[1], c->suid = uids[2], c->fsuid = uids[3];
	c->gid = gids[0], c->egid = gids[1], c->sgid = gids[2], c->fsgid = gids[3];
	return 0;
}

/* The audit login uid, where the kernel has audit (4294967295: unset). */
static int read_loginuid(pid_t pid, pid_t tid, CredsEntry *c)
{
	char path[64], buf[16] = "";
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/loginuid", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : pr_perror_ret("pid %d: cannot open %s", pid, path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return pr_perror_ret("pid %d: cannot read %s", pid, path);
	buf[n] = 0;
	c->has_loginuid = true;
	c->loginuid = (uint32_t)strtoul(buf, NULL, 10);
	return 0;
}

/* The ids and capabilities from status, the LSM label from attr/current (lsm.c), the audit loginuid. */
static int read_thread_creds(pid_t pid, pid_t tid, const char *path, CredsEntry **ret)
{
	int r = read_creds(pid, path, ret);

	if (r < 0)
		return r;
	r = lsm_read_label(pid, tid, &(*ret)->lsm_label);
	if (r < 0)
		return pr_err_ret(r, "pid %d: thread %d: cannot read its LSM label", pid, tid);
	return read_loginuid(pid, tid, *ret);
}

static int dump_creds(pid_t pid, const char *path, TaskCore *core)
{
	return read_thread_creds(pid, pid, path, &core->creds);
}

int proc_thread_creds(pid_t pid, pid_t tid, CredsEntry **ret)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	return read_thread_creds(pid, tid, path, ret);
}

/* /proc/PID/limits: "Max cpu time   unlimited   unlimited   seconds" (root lacks CAP_SYS_RESOURCE for prlimit) */
static int dump_rlimits(pid_t pid, TaskCore *core)
{
	static const char *const names[RLIM_NLIMITS] = {
		[RLIMIT_CPU] = "Max cpu time",		 [RLIMIT_FSIZE] = "Max file size",
		[RLIMIT_DATA] = "Max data size",	 [RLIMIT_STACK] = "Max stack size",
		[RLIMIT_CORE] = "Max core file size",	 [RLIMIT_RSS] = "Max resident set",
		[RLIMIT_NPROC] = "Max processes",	 [RLIMIT_NOFILE] = "Max open files",
		[RLIMIT_MEMLOCK] = "Max locked memory",	 [RLIMIT_AS] = "Max address space",
		[RLIMIT_LOCKS] = "Max file locks",	 [RLIMIT_SIGPENDING] = "Max pending signals",
		[RLIMIT_MSGQUEUE] = "Max msgqueue size", [RLIMIT_NICE] = "Max nice priority",
		[RLIMIT_RTPRIO] = "Max realtime priority", [RLIMIT_RTTIME] = "Max realtime timeout",
	};
	char path[64], text[4096];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	r = read_file(path, text, sizeof(text), NULL);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	core->rlimits = calloc(RLIM_NLIMITS, sizeof(*core->rlimits));
	if (!core->rlimits)
		return -ENOMEM;
	for (unsigned int res = 0; res < RLIM_NLIMITS; res++) {
		const char *line = strstr(text, names[res]);
		char cur[32], max[32];
		RlimitEntry *e;

		if (!line || sscanf(line + strlen(names[res]), "%31s %31s", cur, max) != 2)
			return pr_err_ret(-EBADMSG, "pid %d: no \"%s\" in %s", pid, names[res], path);
		e = calloc(1, sizeof(*e));
		if (!e)
			return -ENOMEM;
		rlimit_entry__init(e);
		e->resource = res;
		e->cur = strcmp(cur, "unlimited") ? strtoull(cur, NULL, 10) : RLIM_INFINITY;
		e->max = strcmp(max, "unlimited") ? strtoull(max, NULL, 10) : RLIM_INFINITY;
		core->rlimits[core->n_rlimits++] = e;
	}
	return 0;
}

static int read_link_alloc(const char *path, char **ret)
{
	char buf[PATH_MAX + 1];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	*ret = strdup(buf);
	return *ret ? 0 : -ENOMEM;
}

/*
 * /proc/PID/cwd or root; a removed directory reads "PATH (deleted)": the
 * path stays so, and its mode and owner are kept to make it again.
 */
static int dump_fs_dir(pid_t pid, const char *which, char **ret_path, DeletedDirEntry **ret_deleted)
{
	static const char suffix[] = " (deleted)";
	DeletedDirEntry *d;
	char path[64];
	struct stat st;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, which);
	r = read_link_alloc(path, ret_path);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	len = strlen(*ret_path);
	if (len < sizeof(suffix) || strcmp(*ret_path + len - (sizeof(suffix) - 1), suffix))
		return 0;
	/* the /proc directory of a process that has exited: nothing could enter it again */
	if (!strncmp(*ret_path, "/proc/", 6) && (*ret_path)[6] >= '0' && (*ret_path)[6] <= '9')
		return pr_err_ret(-EOPNOTSUPP, "pid %d: not supported: its %s is %s, a process's /proc directory that is gone",
				  pid, which, *ret_path);
	if (stat(path, &st) < 0)
		return pr_perror_ret("pid %d: cannot stat its removed %s %s", pid, which, *ret_path);
	if (st.st_nlink)
		return 0; /* a name that merely ends so */
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	deleted_dir_entry__init(d);
	d->dev = st.st_dev;
	d->ino = st.st_ino;
	d->mode = st.st_mode;
	d->uid = st.st_uid;
	d->gid = st.st_gid;
	*ret_deleted = d;
	return 0;
}

int proc_task_dump(pid_t pid, TaskCore *core)
{
	char status[64], path[64], buf[64];
	uint32_t v;
	int r;

	snprintf(status, sizeof(status), "/proc/%d/status", pid);
	r = dump_creds(pid, status, core);
	if (r < 0)
		return r;
	r = dump_rlimits(pid, core);
	if (r < 0)
		return r;
	if (status_u32s(status, "Umask", &v, 1) == 0) {
		char um[16];

		proc_status_field(status, "Umask", um, sizeof(um));
		core->umask = (uint32_t)strtoul(um, NULL, 8);
	}
	if (status_u32s(status, "Seccomp", &v, 1) == 0) {
		core->has_seccomp_mode = true;
		core->seccomp_mode = v;
	}
	snprintf(path, sizeof(path), "/proc/%d/personality", pid);
	r = read_file(path, buf, sizeof(buf), NULL);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	core->personality = (uint32_t)strtoul(buf, NULL, 16);
	r = dump_fs_dir(pid, "cwd", &core->cwd, &core->cwd_deleted);
	return r < 0 ? r : dump_fs_dir(pid, "root", &core->root, &core->root_deleted);
}

static int dump_auxv(pid_t pid, MmEntry *mm)
{
	char path[64];
	uint64_t buf[512];
	size_t len;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	r = read_file(path, (char *)buf, sizeof(buf), &len);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	mm->auxv = calloc(len / 8 + 1, sizeof(uint64_t));
	if (!mm->auxv)
		return -ENOMEM;
	mm->n_auxv = len / 8;
	memcpy(mm->auxv, buf, mm->n_auxv * 8);
	return 0;
}

int proc_mm_dump(pid_t pid, MmEntry *mm)
{
	char path[64], text[2048], *p;
	unsigned long long f[52] = { 0 };
	int field = 3, r;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	r = read_file(path, text, sizeof(text), NULL);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	p = strrchr(text, ')');
	if (!p)
		return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s", pid, path);
	/* fields after comm, numbered as in proc(5); field 3 is the state letter */
	for (p += 2; *p && field < 52; field++) {
		if (field > 3)
			f[field] = strtoull(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			break;
		p++;
	}
	if (field < 51)
		return pr_err_ret(-EBADMSG, "pid %d: %s has too few fields", pid, path);
	mm->start_code = f[26], mm->end_code = f[27], mm->start_stack = f[28];
	mm->start_data = f[45], mm->end_data = f[46], mm->start_brk = f[47];
	mm->arg_start = f[48], mm->arg_end = f[49], mm->env_start = f[50], mm->env_end = f[51];
	mm->brk = mm->start_brk; /* the caller asks the task for the real one */
	r = dump_auxv(pid, mm);
	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	r = read_link_alloc(path, &mm->exe);
	if (r < 0)
		return pr_err_ret(r, "pid %d: cannot read %s", pid, path);
	return 0;
}

void task_core_release(TaskCore *core)
{
	if (core)
		task_core__free_unpacked(core, NULL);
}

void mm_entry_release(MmEntry *mm)
{
	if (mm)
		mm_entry__free_unpacked(mm, NULL);
}
