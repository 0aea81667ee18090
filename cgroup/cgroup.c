/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Cgroup membership and properties (the restore is cgroup_restore.c).
 *
 * Dump: each live task's /proc/PID/cgroup (every v1 hierarchy and the
 * cgroup2 line) is one "set"; equal sets are stored once and each task names
 * its set. The cgroups of the sets are listed with their ancestors; the ones
 * at or below the root task's cgroup of their hierarchy are "the tree's" and
 * carry their properties (the common files of each controller), the others
 * are only recreated if missing, never written to.
 *
 * Restore, by --manage-cgroups mode (DEFAULT is SOFT):
 *   ignore  nothing: the tasks stay in criu's cgroups;
 *   none    the cgroups must exist; tasks join them, nothing is written;
 *   props   the cgroups must exist; the tree's get their properties;
 *   soft    missing cgroups are created; only those get their properties;
 *   full    missing cgroups are created; all the tree's get their properties;
 *   strict  like full, but the cgroups below the tree's root must not exist
 *           yet and a property that cannot be set fails the restore.
 * --cgroup-root [CTRL:]PATH puts PATH in place of the root task's cgroup of
 * the hierarchy (all of them without CTRL, cgroup2 with an empty CTRL).
 * criu opens each set's cgroup.procs files before the tree is forked (in its
 * own mount namespace); each task writes "0" (itself) into them before its
 * fds are installed, so that everything it allocates is charged right.
 *
 * The paths of cgroup.img are untrusted. Each is a plain absolute path (no
 * empty, "." or ".." component) and is resolved beneath its hierarchy's
 * mount with openat2(RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_XDEV),
 * one component at a time where cgroups are made. The restore's cgroup root
 * of a hierarchy is --cgroup-root (the operator's) or else the dumped root
 * task's cgroup: cgroups are made only at or below it or on the way to it,
 * tasks join only cgroups at or below it, and anything else is refused by
 * name. A failed restore removes the cgroups it made, children first.
 */
#define LOG_PREFIX "cgroup: "
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_priv.h"
#include "cleanup.h"
#include "images/cgroup.pb-c.h"
#include "log.h"
#include "self_proc.h"

#define CG_FILE_MAX (1 << 20) /* the longest control file criu reads */

/* ---- files ---- */

int cg_read_file(const char *dir, const char *name, char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	char path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* devices.list and net_prio.ifpriomap may be longer than a page: read to the end */
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= CG_FILE_MAX)
				return -EFBIG;
			nb = realloc(buf, cap + 8192);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap += 8192;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf && !(buf = strdup("")))
		return -ENOMEM;
	buf[len] = 0;
	if (len > 0 && buf[len - 1] == '\n')
		buf[len - 1] = 0;
	*ret = TAKE_PTR(buf);
	return 0;
}

int cg_write_file(const char *dir, const char *name, const char *value)
{
	_cleanup_close_ int fd = -EBADF;
	char path[PATH_MAX];
	size_t len = strlen(value);

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len ? len : 1) < 0) /* an empty value is one newline */
		return -errno;
	return 0;
}

/* ---- hierarchies mounted in criu's mount namespace ---- */


void cg_hiers_free(struct cg_hiers *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		if (hs->h[i].ours && hs->h[i].mnt) {
			if (umount2(hs->h[i].mnt, MNT_DETACH) < 0 || rmdir(hs->h[i].mnt) < 0)
				pr_warn("cgroup yard: cannot remove %s: %s\n", hs->h[i].mnt, strerror(errno));
		}
		free(hs->h[i].mnt);
		free(hs->h[i].opts);
	}
	if (hs->yard && rmdir(hs->yard) < 0)
		pr_warn("cgroup yard: cannot remove %s: %s\n", hs->yard, strerror(errno));
	free(hs->yard);
	free(hs->op_yard);
	hs->op_yard = NULL;
	free(hs->h);
	hs->h = NULL;
	hs->yard = NULL;
	hs->n = 0;
}

/* Only mounts of a hierarchy's root: the others show part of it. */
static int hiers_collect(struct cg_hiers *hs)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char root[PATH_MAX], mnt[PATH_MAX], fstype[64], super[1024];
		const char *sep = strstr(line, " - ");
		struct cg_hier *nh;

		if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s %*s %1023s", fstype, super) != 2)
			continue;
		if (strcmp(root, "/") || (strcmp(fstype, "cgroup") && strcmp(fstype, "cgroup2")))
			continue;
		nh = realloc(hs->h, (hs->n + 1) * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		hs->h = nh;
		nh = &hs->h[hs->n];
		nh->mnt = strdup(mnt);
		nh->opts = NULL;
		nh->ours = false;
		if (!strcmp(fstype, "cgroup") && asprintf(&nh->opts, ",%s,", super) < 0)
			nh->opts = NULL, free(nh->mnt), nh->mnt = NULL;
		if (!nh->mnt)
			return -ENOMEM;
		hs->n++;
	}
	return 0;
}

/* mnt is a directory right in the operator's yard (or there is no such yard) */
static bool in_op_yard(const struct cg_hiers *hs, const char *mnt)
{
	size_t n = hs->op_yard ? strlen(hs->op_yard) : 0;

	return !hs->op_yard || (!strncmp(mnt, hs->op_yard, n) && mnt[n] == '/' && mnt[n + 1] && !strchr(mnt + n + 1, '/'));
}

/* The mount of hierarchy ctrl ("" is cgroup2): every controller of ctrl is among its options. */
const char *cg_hier_mnt(const struct cg_hiers *hs, const char *ctrl)
{
	for (size_t i = 0; i < hs->n; i++) {
		const struct cg_hier *h = &hs->h[i];
		_cleanup_free_ char *dup = NULL;
		char *tok, *save = NULL;
		bool all = true;

		if (!in_op_yard(hs, h->mnt))
			continue;
		if (!*ctrl || !h->opts) {
			if (!*ctrl && !h->opts)
				return h->mnt;
			continue;
		}
		dup = strdup(ctrl);
		if (!dup)
			return NULL;
		for (tok = strtok_r(dup, ",", &save); tok && all; tok = strtok_r(NULL, ",", &save)) {
			char pat[128];

			snprintf(pat, sizeof(pat), ",%s,", tok);
			all = strstr(h->opts, pat) != NULL;
		}
		if (all)
			return h->mnt;
	}
	return NULL;
}

/* ctrl holds only name=NAME parts: a named hierarchy without controllers */
static bool named_only(const char *ctrl)
{
	for (const char *t = ctrl; *t; t += strcspn(t, ","), t += *t == ',')
		if (strncmp(t, "name=", 5))
			return false;
	return *ctrl != 0;
}

/* tok (n bytes) is a controller of /proc/cgroups */
static bool known_controller(const char *tok, size_t n)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/cgroups", "re");
	char name[64];

	while (f && fscanf(f, "%63s %*[^\n]", name) == 1)
		if (name[0] != '#' && strlen(name) == n && !strncmp(name, tok, n))
			return true;
	return false;
}

/*
 * ctrl comes from an image and becomes mount options: only controllers the
 * kernel has and name=NAME of plain characters, never another option
 * (release_agent=, for one, would have root run a program).
 */
static bool ctrl_mountable(const char *ctrl)
{
	for (const char *t = ctrl; *t;) {
		size_t n = strcspn(t, ",");

		if (!strncmp(t, "name=", 5)) {
			if (n == 5 || n > 64)
				return false;
			for (size_t i = 5; i < n; i++)
				if (!(isalnum((unsigned char)t[i]) || strchr("_.-", t[i])))
					return false;
		} else if (!known_controller(t, n)) {
			return false;
		}
		t += n;
		if (*t == ',' && !*++t)
			return false;
	}
	return true;
}

/* Mounts hierarchy ctrl in the yard; its mount point, or NULL (logged). */
static const char *hier_mount(struct cg_hiers *hs, const char *ctrl)
{
	_cleanup_free_ char *dir = NULL, *data = NULL, *opts = NULL;
	struct cg_hier *nh;
	int r;

	if (hs->op_yard) {
		pr_err("--cgroup-yard %s: hierarchy \"%s\" is not mounted in it (as %s/%s)\n", hs->op_yard, ctrl,
		       hs->op_yard, *ctrl ? ctrl : "unified");
		return NULL;
	}
	if (hs->no_yard)
		return NULL;
	if (*ctrl && !ctrl_mountable(ctrl)) {
		pr_warn("cgroup yard: \"%s\" is not a hierarchy of this kernel's controllers: not mounted\n", ctrl);
		return NULL;
	}
	if (!hs->yard) {
		char tmpl[] = "/tmp/.criu-cgyard.XXXXXX";

		if (!mkdtemp(tmpl)) {
			pr_perror("cgroup yard: cannot make %s", tmpl);
			return NULL;
		}
		hs->yard = strdup(tmpl);
		if (!hs->yard)
			return NULL;
	}
	if (asprintf(&dir, "%s/%zu", hs->yard, hs->n) < 0 ||
	    asprintf(&data, "%s%s", named_only(ctrl) ? "none," : "", ctrl) < 0 ||
	    (*ctrl && asprintf(&opts, ",rw,%s,", data) < 0))
		return NULL;
	if (mkdir(dir, 0700) < 0) {
		pr_perror("cgroup yard: cannot make %s", dir);
		return NULL;
	}
	r = *ctrl ? mount("cgroup", dir, "cgroup", MS_NOSUID | MS_NODEV | MS_NOEXEC, data)
		  : mount("cgroup2", dir, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	if (r < 0) {
		pr_warn("cgroup yard: cannot mount hierarchy \"%s\" at %s: %s\n", ctrl, dir, strerror(errno));
		rmdir(dir);
		return NULL;
	}
	nh = realloc(hs->h, (hs->n + 1) * sizeof(*nh));
	if (!nh) {
		umount2(dir, MNT_DETACH);
		rmdir(dir);
		return NULL;
	}
	hs->h = nh;
	hs->h[hs->n] = (struct cg_hier){.mnt = TAKE_PTR(dir), .opts = TAKE_PTR(opts), .ours = true};
	pr_info("cgroup yard: hierarchy \"%s\" mounted at %s\n", ctrl, hs->h[hs->n].mnt);
	return hs->h[hs->n++].mnt;
}

/*
 * --cgroup-yard DIR (relative to the work dir): the operator mounted every
 * hierarchy the tree uses in a directory of its own right in DIR ("cpu",
 * "cpu,cpuacct", "systemd" for name=systemd, "unified" for cgroup2; the
 * name is not checked, the mount's controllers are). criu mounts nothing
 * and uses no other mount of a hierarchy.
 */
static int yard_init(struct cg_hiers *hs, const char *dir, int work_dir_fd)
{
	_cleanup_close_ int fd = openat(work_dir_fd >= 0 ? work_dir_fd : AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	char buf[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return pr_perror_ret("--cgroup-yard %s: cannot open it", dir);
	n = self_fd_readlink(fd, buf, sizeof(buf));
	if (n < 0)
		return pr_err_ret((int)n, "--cgroup-yard %s: cannot resolve it", dir);
	hs->op_yard = strdup(buf);
	if (!hs->op_yard)
		return -ENOMEM;
	hs->no_yard = true;
	pr_info("--cgroup-yard: the hierarchies mounted in %s\n", hs->op_yard);
	return 0;
}

/* The hierarchies: the operator's yard (--cgroup-yard, relative to the work dir), or criu's mounts. */
int cg_hiers_init(struct cg_hiers *hs, const struct cr_opts *o, int work_dir_fd)
{
	int r = hiers_collect(hs);

	if (r < 0)
		return pr_err_ret(r, "cannot read /proc/self/mountinfo");
	return o->cgroup_yard ? yard_init(hs, o->cgroup_yard, work_dir_fd) : 0;
}

/* The mount of hierarchy ctrl, mounted in the yard if it is not mounted: valid until the next call. */
const char *cg_hier_get(struct cg_hiers *hs, const char *ctrl)
{
	const char *m = cg_hier_mnt(hs, ctrl);

	return m ? m : hier_mount(hs, ctrl);
}

/* ---- properties ---- */

struct ctrl_props {
	const char *ctrl; /* a v1 controller; "" for cgroup2 */
	const char *const *props;
};

/*
 * In the order they are written: a period before its quota, a limit before
 * memsw, cgroup.type before anything (a threaded cgroup takes threads only).
 * The common files of every v1 hierarchy ("" is cgroup2) come first.
 */
static const char *const v1_common_props[] = {"notify_on_release", "cgroup.clone_children", NULL};
static const char *const cpu_props[] = {"cpu.shares",	     "cpu.cfs_period_us", "cpu.cfs_quota_us",
					"cpu.cfs_burst_us",  "cpu.rt_period_us",  "cpu.rt_runtime_us",
					"cpu.idle",	     NULL};
static const char *const memory_props[] = {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
					   "memory.soft_limit_in_bytes", "memory.swappiness", NULL};
static const char *const pids_props[] = {"pids.max", NULL};
static const char *const cpuset_props[] = {"cpuset.cpus", "cpuset.mems", "cpuset.cpu_exclusive",
					   "cpuset.mem_exclusive", NULL};
static const char *const blkio_props[] = {"blkio.weight", NULL};
/* the exceptions of a deny-all cgroup, one per line ("a *:* rwm": allow all) */
static const char *const devices_props[] = {"devices.list", NULL};
/* one "IFNAME PRIO" line per net device of criu's net namespace */
static const char *const net_prio_props[] = {"net_prio.ifpriomap", NULL};
static const char *const net_cls_props[] = {"net_cls.classid", NULL};
static const char *const v2_props[] = {"cgroup.type",
				       "cgroup.subtree_control",
				       "cgroup.max.depth",
				       "cgroup.max.descendants",
				       "cpuset.cpus",
				       "cpuset.mems",
				       "cpu.weight",
				       "cpu.max",
				       "cpu.max.burst",
				       "cpu.idle",
				       "cpu.uclamp.min",
				       "cpu.uclamp.max",
				       "memory.min",
				       "memory.low",
				       "memory.high",
				       "memory.max",
				       "memory.swap.high",
				       "memory.swap.max",
				       "memory.zswap.max",
				       "memory.oom.group",
				       "pids.max",
				       "io.weight",
				       "io.max",
				       NULL};

static const struct ctrl_props all_props[] = {
	{"cpu", cpu_props},	      {"memory", memory_props},	    {"pids", pids_props},
	{"cpuset", cpuset_props},     {"blkio", blkio_props},	    {"devices", devices_props},
	{"net_prio", net_prio_props}, {"net_cls", net_cls_props}, {"", v2_props},
};

static const char *const *props_of(const char *ctrl)
{
	for (size_t i = 0; i < ARRAY_SIZE(all_props); i++)
		if (!strcmp(all_props[i].ctrl, ctrl))
			return all_props[i].props;
	return NULL;
}

/*
 * fn(name, arg) for each property criu keeps for the hierarchy of
 * controllers ctrls ("cpu,cpuacct", "name=systemd", "" for cgroup2), in
 * the order they are written, as conf (--cgroup-props; NULL: none) says;
 * stops at the first non-zero result.
 */
int cg_for_each_prop(const struct cg_props_conf *conf, const char *ctrls, int (*fn)(const char *name, void *arg),
		     void *arg)
{
	const char *t = ctrls;
	int r;

	for (size_t i = 0; *ctrls && v1_common_props[i]; i++)
		if ((r = fn(v1_common_props[i], arg)))
			return r;
	do {
		size_t n = strcspn(t, ",");
		char tok[64];
		const char *const *pl, *const *extra;
		bool replace;

		snprintf(tok, sizeof(tok), "%.*s", (int)n, t);
		pl = n < sizeof(tok) ? props_of(tok) : NULL;
		extra = n < sizeof(tok) ? cg_props_for(conf, tok, &replace) : NULL;
		for (size_t i = 0; pl && !(extra && replace) && pl[i]; i++)
			if ((r = fn(pl[i], arg)))
				return r;
		for (size_t i = 0; extra && extra[i]; i++)
			if ((r = fn(extra[i], arg)))
				return r;
		t += n;
	} while (*t++ == ',');
	return 0;
}

static int add_prop(CgDirEntry *de, const char *name, char *value)
{
	CgPropEntry **np = realloc(de->props, (de->n_props + 1) * sizeof(*np));
	CgPropEntry *p = malloc(sizeof(*p));

	if (np)
		de->props = np;
	if (!np || !p) {
		free(p);
		free(value);
		return -ENOMEM;
	}
	cg_prop_entry__init(p);
	p->name = strdup(name);
	p->value = value;
	de->props[de->n_props++] = p;
	return p->name ? 0 : -ENOMEM;
}

struct dump_prop_arg {
	const char *dir;
	CgDirEntry *de;
};

static bool has_prop(const CgDirEntry *de, const char *name)
{
	for (size_t i = 0; i < de->n_props; i++)
		if (!strcmp(de->props[i]->name, name))
			return true;
	return false;
}

static int dump_prop(const char *name, void *arg)
{
	struct dump_prop_arg *a = arg;
	char *v = NULL;
	int r;

	if (has_prop(a->de, name)) /* --cgroup-props "merge" of one criu records anyway */
		return 0;
	r = cg_read_file(a->dir, name, &v);
	if (r == -ENOENT || r == -EACCES || r == -EPERM || r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return pr_err_ret(r, "cannot read %s/%s", a->dir, name);
	return add_prop(a->de, name, v);
}

static int add_file(CgDirEntry *de, const char *name, const struct stat *st)
{
	CgFileEntry **nf = realloc(de->files, (de->n_files + 1) * sizeof(*nf));
	CgFileEntry *f = malloc(sizeof(*f));

	if (nf)
		de->files = nf;
	if (!nf || !f) {
		free(f);
		return -ENOMEM;
	}
	cg_file_entry__init(f);
	f->name = strdup(name);
	f->mode = st->st_mode & 07777;
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	de->files[de->n_files++] = f;
	return f->name ? 0 : -ENOMEM;
}

/* Owner and mode of every control file of the cgroup dir. */
static int dump_files(const char *dir, CgDirEntry *de)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return pr_perror_ret("cannot list cgroup %s", dir);
	while ((e = readdir(d))) {
		struct stat st;
		int r;

		if (e->d_type != DT_REG)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return pr_perror_ret("cannot stat %s/%s", dir, e->d_name);
		r = add_file(de, e->d_name, &st);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The properties of one cgroup dir (the files of every controller of the hierarchy that exist), its files' modes. */
static int dump_props(const struct cg_props_conf *conf, const char *dir, CgDirEntry *de)
{
	struct dump_prop_arg a = {.dir = dir, .de = de};
	int r = cg_for_each_prop(conf, de->ctrl, dump_prop, &a);

	return r < 0 ? r : dump_files(dir, de);
}

/* ---- dump ---- */

struct cg_dump {
	CgroupEntry e;
	struct cg_props_conf *props; /* --cgroup-props */
	struct cg_hiers *hs;
	const CgSetEntry *root;
};

static void cg_entry_release(CgroupEntry *e)
{
	CgroupEntry *heap = malloc(sizeof(*heap));

	if (heap) { /* every member was malloc'ed one by one: free_unpacked releases them */
		*heap = *e;
		cgroup_entry__free_unpacked(heap, NULL);
	}
}

static int cmp_member(const void *a, const void *b)
{
	const CgMemberEntry *x = *(CgMemberEntry *const *)a, *y = *(CgMemberEntry *const *)b;

	return strcmp(x->ctrl, y->ctrl);
}

/*
 * /proc/PID/cgroup (the process's, its leader's) or, tid > 0, the thread's
 * /proc/PID/task/TID/cgroup: "ID:CTRLS:PATH" per hierarchy, "0::PATH" for cgroup2.
 */
static int read_task_set(pid_t pid, pid_t tid, CgSetEntry *s)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	char path[64];
	size_t cap = 0;
	ssize_t len;

	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "re");
	if (!f)
		return pr_perror_ret("pid %d: cannot read %s", pid, path);
	while ((len = getline(&line, &cap, f)) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		CgMemberEntry **nm, *m;

		if (!c2)
			return pr_err_ret(-EBADMSG, "pid %d: cannot parse %s: %s", pid, path, line);
		if (line[len - 1] == '\n')
			line[len - 1] = 0;
		*c2 = 0;
		nm = realloc(s->members, (s->n_members + 1) * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		s->members = nm;
		m = malloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		cg_member_entry__init(m);
		s->members[s->n_members++] = m;
		m->ctrl = strdup(c1 + 1);
		m->path = strdup(c2 + 1);
		if (!m->ctrl || !m->path)
			return -ENOMEM;
	}
	qsort(s->members, s->n_members, sizeof(*s->members), cmp_member);
	return 0;
}

static bool sets_equal(const CgSetEntry *a, const CgSetEntry *b)
{
	if (a->n_members != b->n_members)
		return false;
	for (size_t i = 0; i < a->n_members; i++)
		if (strcmp(a->members[i]->ctrl, b->members[i]->ctrl) ||
		    strcmp(a->members[i]->path, b->members[i]->path))
			return false;
	return true;
}



static int add_dir(struct cg_dump *cd, const char *ctrl, const char *path)
{
	const char *mnt = cd->hs ? cg_hier_get(cd->hs, ctrl) : NULL;
	CgDirEntry **nd, *de;
	char full[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < cd->e.n_dirs; i++)
		if (!strcmp(cd->e.dirs[i]->ctrl, ctrl) && !strcmp(cd->e.dirs[i]->path, path))
			return 0;
	nd = realloc(cd->e.dirs, (cd->e.n_dirs + 1) * sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	cd->e.dirs = nd;
	de = malloc(sizeof(*de));
	if (!de)
		return -ENOMEM;
	cg_dir_entry__init(de);
	cd->e.dirs[cd->e.n_dirs++] = de;
	de->ctrl = strdup(ctrl);
	de->path = strdup(path);
	if (!de->ctrl || !de->path)
		return -ENOMEM;
	if (!mnt) {
		pr_warn("hierarchy \"%s\" is not mounted here: %s is recorded without properties\n", ctrl,
			path);
		return 0;
	}
	snprintf(full, sizeof(full), "%s%s", mnt, path);
	if (stat(full, &st) == 0) {
		de->has_mode = de->has_uid = de->has_gid = true;
		de->mode = st.st_mode & 07777;
		de->uid = st.st_uid;
		de->gid = st.st_gid;
	}
	/*
	 * Every cgroup's: the tree's own get them back as the mode says, the
	 * others (ancestors, a stray task's) only where this restore makes them.
	 */
	return dump_props(cd->props, full, de);
}

/* A cgroup and its ancestors (the hierarchy's root excluded). */
static int add_dirs(struct cg_dump *cd, const CgMemberEntry *m)
{
	_cleanup_free_ char *p = strdup(m->path);
	int r;

	if (!p)
		return -ENOMEM;
	while (strcmp(p, "/") && *p) {
		char *slash;

		r = add_dir(cd, m->ctrl, p);
		if (r < 0)
			return r;
		slash = strrchr(p, '/');
		if (!slash || slash == p)
			break;
		*slash = 0;
	}
	return 0;
}

static int cmp_dir(const void *a, const void *b)
{
	const CgDirEntry *x = *(CgDirEntry *const *)a, *y = *(CgDirEntry *const *)b;
	int c = strcmp(x->ctrl, y->ctrl);

	return c ? c : strcmp(x->path, y->path); /* a parent sorts before its children */
}

/* The id of the set of pid (tid 0) or of its thread tid, added to the image's sets if it is new. */
static int intern_set(struct cg_dump *cd, pid_t pid, pid_t tid, uint64_t *ret)
{
	CgSetEntry *s = malloc(sizeof(*s)), **ns;
	int r;

	if (!s)
		return -ENOMEM;
	cg_set_entry__init(s);
	r = read_task_set(pid, tid, s);
	for (size_t i = 0; r == 0 && i < cd->e.n_sets; i++)
		if (sets_equal(cd->e.sets[i], s)) {
			*ret = cd->e.sets[i]->id;
			cg_set_entry__free_unpacked(s, NULL);
			return 0;
		}
	ns = r == 0 ? realloc(cd->e.sets, (cd->e.n_sets + 1) * sizeof(*ns)) : NULL;
	if (!ns) {
		cg_set_entry__free_unpacked(s, NULL);
		return r < 0 ? r : -ENOMEM;
	}
	cd->e.sets = ns;
	s->id = *ret = cd->e.n_sets + 1;
	cd->e.sets[cd->e.n_sets++] = s;
	return 0;
}

/*
 * A task's set, and each thread's when one is elsewhere (a v1 "tasks"
 * write, a cgroup2 threaded cgroup): every thread comes back in its own.
 */
static int add_task(struct cg_dump *cd, const struct pstree_item *it)
{
	_cleanup_free_ uint64_t *ths = calloc(it->nr_threads ? it->nr_threads : 1, sizeof(*ths));
	CgTaskEntry *t, **nt;
	bool apart = false;
	uint64_t id = 0;
	int r;

	if (!ths)
		return -ENOMEM;
	r = intern_set(cd, it->pid, 0, &id);
	for (size_t k = 0; r == 0 && it->nr_threads > 1 && k < it->nr_threads; k++) {
		r = intern_set(cd, it->pid, it->tids[k], &ths[k]);
		apart |= r == 0 && ths[k] != id;
	}
	if (r < 0)
		return r;
	t = malloc(sizeof(*t));
	nt = realloc(cd->e.tasks, (cd->e.n_tasks + 1) * sizeof(*nt));
	if (nt)
		cd->e.tasks = nt;
	if (!t || !nt) {
		free(t);
		return -ENOMEM;
	}
	cg_task_entry__init(t);
	t->task_id = it->id;
	t->set_id = id;
	if (apart) {
		t->n_thread_sets = it->nr_threads;
		t->thread_sets = TAKE_PTR(ths);
		pr_info("pid %d: its threads are in %zu cgroup sets\n", it->pid, it->nr_threads);
	}
	cd->e.tasks[cd->e.n_tasks++] = t;
	return 0;
}

/* The cgroups below path of hierarchy ctrl (mounted at mnt), every level: cgroups with no task are the tree's too. */
static int add_subtree(struct cg_dump *cd, const char *ctrl, const char *mnt, const char *path, int depth)
{
	_cleanup_closedir_ DIR *dir = NULL;
	char full[PATH_MAX], sub[PATH_MAX];
	struct dirent *de;
	int r;

	if (depth > 32 || cd->e.n_dirs > 4096)
		return pr_err_ret(-E2BIG, "cgroup %s (\"%s\"): more than 32 levels or 4096 cgroups below it", path, ctrl);
	if ((size_t)snprintf(full, sizeof(full), "%s%s", mnt, path) >= sizeof(full))
		return -ENAMETOOLONG;
	dir = opendir(full);
	if (!dir)
		return errno == ENOENT ? 0 : pr_perror_ret("cannot list cgroup %s", full);
	while ((de = readdir(dir))) {
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >= sizeof(sub))
			return -ENAMETOOLONG;
		r = add_dir(cd, ctrl, sub);
		if (r >= 0)
			r = add_subtree(cd, ctrl, mnt, sub, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Under each hierarchy's root cgroup of the tree (not the hierarchy's root): the whole subtree. */
static int add_subtrees(struct cg_dump *cd)
{
	for (size_t i = 0; cd->root && cd->hs && i < cd->root->n_members; i++) {
		const CgMemberEntry *m = cd->root->members[i];
		const char *mnt;
		char *copy;
		int r;

		if (!strcmp(m->path, "/") || !(mnt = cg_hier_get(cd->hs, m->ctrl)))
			continue;
		copy = strdup(mnt); /* hier_get may move it */
		if (!copy)
			return -ENOMEM;
		r = add_subtree(cd, m->ctrl, copy, m->path, 0);
		free(copy);
		if (r < 0)
			return r;
	}
	return 0;
}

int cgroup_dump_check(const struct cr_opts *o, int work_dir_fd)
{
	struct cg_props_conf *conf = NULL;
	struct cg_hiers hs = {0};
	int r = cg_props_load(o->cgroup_props, o->cgroup_props_file, work_dir_fd, &conf);

	cg_props_free(conf);
	if (r == 0 && o->cgroup_yard)
		r = yard_init(&hs, o->cgroup_yard, work_dir_fd);
	cg_hiers_free(&hs);
	return r;
}

int cgroup_dump(const struct pstree *t, const struct cr_opts *o, int work_dir_fd, struct img_dir *d)
{
	struct cg_hiers hs = {0};
	struct cg_dump cd = {.e = CGROUP_ENTRY__INIT};
	int r = 0;

	for (size_t i = 0; r == 0 && i < t->n; i++)
		if (t->items[i]->state != PST_ZOMBIE)
			r = add_task(&cd, t->items[i]);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < cd.e.n_tasks; i++)
		if (cd.e.tasks[i]->task_id == t->root->id) {
			cd.e.has_root_set = true;
			cd.e.root_set = cd.e.tasks[i]->set_id;
			cd.root = cd.e.sets[cd.e.root_set - 1];
		}
	r = cg_hiers_init(&hs, o, work_dir_fd);
	if (r == 0)
		r = cg_props_load(o->cgroup_props, o->cgroup_props_file, work_dir_fd, &cd.props);
	if (r < 0)
		goto out;
	cd.hs = &hs;
	for (size_t i = 0; r == 0 && i < cd.e.n_sets; i++)
		for (size_t j = 0; r == 0 && j < cd.e.sets[i]->n_members; j++)
			r = add_dirs(&cd, cd.e.sets[i]->members[j]);
	if (r == 0)
		r = add_subtrees(&cd);
	if (r < 0)
		goto out;
	qsort(cd.e.dirs, cd.e.n_dirs, sizeof(*cd.e.dirs), cmp_dir);
	r = img_write_one(d, IMG_CGROUP, 0, &cd.e.base);
	if (r >= 0)
		pr_info("%zu task(s) in %zu cgroup set(s), %zu cgroup(s) recorded\n", cd.e.n_tasks,
			cd.e.n_sets, cd.e.n_dirs);
out:
	cg_hiers_free(&hs);
	cg_props_free(cd.props);
	cg_entry_release(&cd.e);
	return r < 0 ? r : 0;
}

